// `liaison files register | query | status | get | hold | erase | request`: the FIDE investigation-file
// index (Decision 2009/917/JHA Chapter VI) against an access point's /v1/files API.
import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { LEGAL_BASES, OFFENCE_AREAS, type FileOut, type HoldOut, type FileQueryOut, type FileRegistered, type FileStatusOut, type HitRequestOut } from "../../api/mod.js";
import { callApi, resolveTarget, target, type Common } from "../client.js";
import { fail, printJson, printTable } from "../output.js";
import { replyByTime } from "./messages.js";
import { certificateLines, eraseCommand, identifierOptions, identifiers, queryOptions, type IdentifierArg } from "./records.js";

/** A hold as a line: who holds it (the supplier or a supervisor), why, and until when. */
export function holdLine(h: HoldOut): string {
  return `Legal hold by ${h.setBy}${h.supervisory ? " (a supervisor's: only a supervisor lifts it)" : ""} since ${h.setAt}${h.until ? ` until ${h.until}` : ", until lifted"}: ${h.reason}`;
}

const STATUS_HELP = "ongoing (no offence established yet), offence-established (no conviction yet), conviction-or-penalty";

export function register(program: Command): void {
  const files = program.command("files").description("FIDE: register investigation files, hit/no-hit queries, status changes, requests about a hit");

  identifierOptions(target(files.command("register").description("register an investigation file (subject identifiers are kept only as blind indexes)")))
    .requiredOption("--ref <reference>", "the national file reference")
    .requiredOption("--service <name>", "the investigating service")
    .requiredOption("--contact <text>", "whom to ask at the investigating service")
    .requiredOption("--offence-area <area>", OFFENCE_AREAS.keys.join(", "))
    .option("--status <status>", STATUS_HELP, "ongoing")
    .requiredOption("--last-act <date>", "the date of the last investigative act (YYYY-MM-DD)")
    .action(async (o: Common & { ref: string; service: string; contact: string; id: IdentifierArg[]; dob?: string; offenceArea: string; status: string; lastAct: string }) => {
      try {
        const res = await callApi<FileRegistered>(resolveTarget(o), "POST", "/v1/files", {
          fileReference: o.ref,
          investigatingService: o.service,
          contact: o.contact,
          subjects: identifiers(o.id, o.dob),
          offenceArea: o.offenceArea,
          status: o.status,
          lastInvestigativeAct: o.lastAct,
        });
        if (o.json) printJson(res);
        else process.stdout.write(`${res.id} registered; kept until ${res.retentionUntil}\n`);
      } catch (err) {
        fail(err);
      }
    });

  queryOptions(target(files.command("query").description("hit or no hit: who holds a file on these subjects, and whom to ask (the purpose is logged)")))
    .action(async (o: Common & { id: IdentifierArg[]; dob?: string; purpose: string }) => {
      try {
        const res = await callApi<FileQueryOut>(resolveTarget(o), "POST", "/v1/files/query", { subjects: identifiers(o.id, o.dob), purpose: o.purpose });
        if (o.json) return printJson(res);
        printTable(
          res.hits.map((h) => ({ ...h, hitId: h.hitId ?? `(own entry ${h.entryId ?? ""})` })),
          ["hitId", "supplier", "fileReference", "investigatingService", "contact"],
        );
        if (res.hits.some((h) => h.hitId)) process.stdout.write("\nask about a hit: liaison files request <hitId> --body ...\n");
      } catch (err) {
        fail(err);
      }
    });

  target(files.command("status <id>").description("change a file's status (supplier only); subject-cleared erases the entry at once"))
    .requiredOption("--status <status>", `${STATUS_HELP}, subject-cleared`)
    .option("--last-act <date>", "a later investigative act (YYYY-MM-DD): an ongoing file is kept 12 months after it")
    .action(async (id: string, o: Common & { status: string; lastAct?: string }) => {
      try {
        const res = await callApi<FileStatusOut>(resolveTarget(o), "POST", `/v1/files/${encodeURIComponent(id)}/status`, {
          status: o.status,
          ...(o.lastAct ? { lastInvestigativeAct: o.lastAct } : {}),
        });
        if (o.json) printJson(res);
        else if (!res.erased) process.stdout.write(`${res.id} ${res.status}; kept until ${res.retentionUntil} (${res.rule})\n`);
        else process.stdout.write([`${res.id} erased (${res.rule})`, ...(res.certificate ? ["Erasure certificate (keep it; also sent as a notice):", ...certificateLines(res.certificate)] : [])].join("\n") + "\n");
      } catch (err) {
        fail(err);
      }
    });

  target(files.command("get <id>").description("read an entry of yours (supplier only; the read is logged)")).action(async (id: string, o: Common) => {
    try {
      const e = await callApi<FileOut>(resolveTarget(o), "GET", `/v1/files/${encodeURIComponent(id)}`);
      if (o.json) return printJson(e);
      const lines = [
        `File ${e.fileReference} · entry ${e.id} · ${e.supplier}`,
        `${e.investigatingService} · contact: ${e.contact}`,
        `${e.offenceArea} · ${e.status} · last investigative act ${e.lastInvestigativeAct.slice(0, 10)}`,
        `Kept until ${e.retentionUntil} (${e.retentionRule})`,
        ...(e.hold ? [holdLine(e.hold)] : []),
        "",
        ...e.subjects.map((i) => `  ${i.type}: ${i.value}${i.dateOfBirth ? ` (born ${i.dateOfBirth})` : ""}`),
      ];
      process.stdout.write(lines.join("\n") + "\n");
    } catch (err) {
      fail(err);
    }
  });

  target(files.command("hold <id>").description("set a legal hold on an entry of yours (no erasure while it is in force), or lift your own with --lift"))
    .option("--reason <text>", "why (required to set a hold; logged)", "")
    .option("--until <date>", "when the hold ends (YYYY-MM-DD: the end of that day, UTC; or an ISO time); none: until lifted")
    .option("--lift", "lift your hold instead of setting one", false)
    .action(async (id: string, o: Common & { reason: string; until?: string; lift: boolean }) => {
      try {
        const e = await callApi<FileOut>(resolveTarget(o), "POST", `/v1/files/${encodeURIComponent(id)}/hold`, {
          reason: o.reason,
          lift: o.lift,
          ...(o.until ? { until: replyByTime(o.until) } : {}),
        });
        if (o.json) printJson(e);
        else process.stdout.write(`${e.id} ${e.hold ? holdLine(e.hold) : "has no legal hold"}\n`);
      } catch (err) {
        fail(err);
      }
    });

  eraseCommand(files, "an entry", "/v1/files");

  target(files.command("request <hitId>").description("send a mutual-assistance request about a hit to the contact point holding the file"))
    .option("--body <text>", "the request")
    .option("--body-file <file>", "read the request from a file")
    .option("--subject <text>", "after the file reference in the subject")
    .option("--legal-basis <basis>", LEGAL_BASES.keys.join(", "), "assistance-on-request")
    .option("--reply-by <date>", "answer expected by (YYYY-MM-DD or ISO time)")
    .action(async (hitId: string, o: Common & { body?: string; bodyFile?: string; subject?: string; legalBasis: string; replyBy?: string }) => {
      try {
        const body = o.bodyFile ? readFileSync(o.bodyFile, "utf8") : (o.body ?? "");
        if (!body.trim()) throw new Error("give --body or --body-file");
        const replyBy = o.replyBy ? replyByTime(o.replyBy) : undefined;
        const res = await callApi<HitRequestOut>(resolveTarget(o), "POST", `/v1/files/hits/${encodeURIComponent(hitId)}/request`, {
          body,
          legalBasis: o.legalBasis,
          ...(o.subject ? { subject: o.subject } : {}),
          ...(replyBy ? { replyBy } : {}),
        });
        if (o.json) printJson(res);
        else process.stdout.write(`${res.id} sent to ${res.to} (case ${res.caseRef})\n`);
      } catch (err) {
        fail(err);
      }
    });
}
