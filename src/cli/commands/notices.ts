// `liaison notices [--kind]` and `liaison hits outcome <hitId>`: what the hub tells a contact point
// about its CIS records (hits, review reminders, erasures with their certificates, hit outcomes),
// and the action taken on a hit, reported back to the record's supplier (Decision 2009/917/JHA).
import { Option, type Command } from "commander";
import { NOTICE_KINDS, type NoticeOut, type NoticesOut, type OutcomeOut } from "../../api/mod.js";
import { callApi, resolveTarget, target, type Common } from "../client.js";
import { answer, fail, printJson, printTable } from "../output.js";
import { certificateLines } from "./records.js";

/** The words an operator uses for the kinds the API names otherwise. */
const KIND_ALIASES: Readonly<Record<string, (typeof NOTICE_KINDS.keys)[number]>> = { reminder: "review-reminder", erasure: "erased" };

const noticeRow = (n: NoticeOut) => ({
  at: n.at,
  kind: n.kind,
  object: `${n.objectType} ${n.objectId}`,
  matchedBy: n.matchedBy ?? "",
  purpose: n.purpose ?? "",
  dueAt: n.dueAt ?? "",
  details: Object.entries(n.details)
    .map(([k, v]) => `${k}=${v}`)
    .join(" "),
  certificates: n.certificates?.length ?? "",
});

export function register(program: Command): void {
  target(program.command("notices").description("notices from the hub: hits on your records, review reminders, erasures (with their certificates), hit outcomes"))
    .addOption(new Option("--kind <kind>", "only notices of this kind").choices([...Object.keys(KIND_ALIASES), ...NOTICE_KINDS.keys]))
    .action(async (o: Common & { kind?: string }) => {
      try {
        const kind = o.kind ? (KIND_ALIASES[o.kind] ?? o.kind) : undefined;
        const res = await callApi<NoticesOut>(resolveTarget(o), "GET", `/v1/notices${kind ? `?${new URLSearchParams({ kind })}` : ""}`);
        if (o.json) return printJson(res);
        printTable(res.items.map(noticeRow), ["at", "kind", "object", "matchedBy", "purpose", "dueAt", "details", "certificates"]);
        for (const n of res.items.filter((x) => x.certificates?.length)) {
          process.stdout.write(
            ["", `Erasure certificates of notice ${n.id} (keep them):`, ...(n.certificates ?? []).flatMap((c, i) => [`certificate ${i + 1}:`, ...certificateLines(c)])].join("\n") + "\n",
          );
        }
      } catch (err) {
        fail(err);
      }
    });

  const hits = program.command("hits").description("hits on CIS records: report the action taken to the record's supplier");
  target(hits.command("outcome <hitId>").description("report the action taken on a hit (the supplier gets it as a notice)"))
    .requiredOption("--outcome <text>", "what was done, e.g. goods seized, person checked and released")
    .action(async (hitId: string, o: Common & { outcome: string }) => {
      await answer(o, () => callApi<OutcomeOut>(resolveTarget(o), "POST", `/v1/hits/${encodeURIComponent(hitId)}/outcome`, { outcome: o.outcome }), (res) => process.stdout.write(`${res.hitId}: outcome reported to the supplier: ${res.outcome}\n`));
    });
}
