// `liaison send | inbox | read | reply | status <id>`: mutual-assistance messaging against an
// access point's API. What an operator acts on is printed in words: the legal or spontaneous basis,
// a special form and where, a declined answer's reason, a rejection's code and what it means.
import { mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { Option, type Command } from "commander";
import { KINDS, LEGAL_BASES, LIST_ORDERS, PRIORITIES, SPECIAL_FORMS, SPONTANEOUS_BASES, type HeaderOut, type MessageListOut, type MessageOut, type Submitted } from "../../api/mod.js";
import { callApi, resolveTarget, target, type Common, type Target } from "../client.js";
import { downloadAttachment, INLINE_ATTACHMENT_MAX_BYTES, progressLine, uploadFile } from "../transfer.js";
import { LiaisonError } from "../../errors.js";
import { dateOrTime, fail, printJson, printTable, reasonInWords } from "../output.js";

const list = (v: string, prev: string[] = []) => [...prev, ...v.split(",").map((s) => s.trim()).filter(Boolean)];

/** "2026-12-01" means the end of that day (UTC); a full ISO time is taken as is. */
export const replyByTime = dateOrTime;

/** The start of a date range: "2026-12-01" means the start of that day (UTC); a full ISO time is taken as is. */
export function fromTime(v: string): string {
  return /^\d{4}-\d{2}-\d{2}$/.test(v) ? dateOrTime(`${v}T00:00:00Z`) : dateOrTime(v);
}

/**
 * A message's attachments: small files inline, larger ones streamed to POST /v1/uploads first
 * (sealed for exactly these recipients, progress on stderr) and named by upload id.
 */
async function attachmentsFor(t: Target, files: string[] = [], recipients: () => Promise<readonly string[]>) {
  const inline: Array<{ name: string; contentBase64: string }> = [];
  const largeAttachments: string[] = [];
  for (const f of files) {
    if (statSync(f).size <= INLINE_ATTACHMENT_MAX_BYTES) {
      inline.push({ name: basename(f), contentBase64: readFileSync(f).toString("base64") });
      continue;
    }
    const to = await recipients();
    if (to.includes("*")) throw new LiaisonError("LIAISON_VALIDATION", `${f}: a large file is sealed for named recipients; give them instead of "*"`);
    largeAttachments.push((await uploadFile(t, f, to, progressLine(`uploading ${basename(f)}`))).uploadId);
  }
  return { attachments: inline, ...(largeAttachments.length ? { largeAttachments } : {}) };
}

/** An inbox row: the header's reply-by (OVERDUE once passed) and handling codes, which restrict what may be done with it. */
function headerRow(h: HeaderOut): Record<string, string> {
  return {
    id: h.id,
    kind: h.kind,
    from: h.from,
    to: h.to.join(","),
    priority: h.priority,
    // Cut to keep a row on one line; `read` shows it whole.
    subject: (h.subject ?? "").length > 40 ? `${(h.subject ?? "").slice(0, 39)}…` : (h.subject ?? ""),
    handling: h.handlingCodes.join(","),
    replyBy: h.replyBy ? `${h.replyBy}${h.overdue ? " OVERDUE" : ""}` : "",
    createdAt: h.createdAt,
    caseRef: h.caseRef,
    status: h.overdue ? `${h.status} (OVERDUE)` : h.status,
  };
}

/** A message as `read` and `case` print it. */
export function messageLines(m: MessageOut): string[] {
  const f = m.specialForm;
  const when = f && (f.startsAt || f.endsAt) ? ` from ${f.startsAt ?? "?"} to ${f.endsAt ?? "?"}` : "";
  return [
    `Message ${m.id}`,
    `From ${m.from} to ${m.to.join(", ")} · ${m.kind} · ${m.priority} · ${m.createdAt}`,
    `Case ${m.caseRef}${m.inReplyTo ? ` · in reply to ${m.inReplyTo}` : ""}${m.replyBy ? ` · reply by ${m.replyBy}` : ""} · ${m.declined ? "declined" : m.status}${m.overdue ? " · OVERDUE" : ""}`,
    ...(m.legalBasis ? [`Legal basis: ${m.legalBasis} (Naples II)`] : []),
    ...(m.spontaneousBasis ? [`Spontaneous basis: ${m.spontaneousBasis}`] : []),
    ...(f ? [`Special form: ${f.form}${f.location ? ` at ${f.location}` : " (no location given)"}${when}`] : []),
    ...(m.declined ? [`DECLINED: ${m.declineReason || "(no reason given)"}`] : []),
    ...Object.entries(m.recipients ?? {}).flatMap(([cp, r]) => (r.status === "rejected" ? [`REJECTED for ${cp}: ${reasonInWords(r.reasonCode ?? "", r.reason)}`] : [])),
    ...m.handling.codes.map((c) => `HANDLING ${c.code}: ${c.meaning}`),
    ...(m.handling.conditions ? [`CONDITIONS: ${m.handling.conditions}`] : []),
    "",
    `Subject: ${m.subject}`,
    "",
    m.body,
    ...(m.attachments.length ? ["", ...m.attachments.map((a) => `[attachment] ${a.name} (${a.size} bytes)`)] : []),
    ...(m.largeAttachments?.length ? [...(m.attachments.length ? [] : [""]), ...m.largeAttachments.map((a) => `[large attachment] ${a.name} (${a.size} bytes, SHA-256 ${a.sha256}): save with --save <dir>`)] : []),
  ];
}

export function register(program: Command): void {
  target(program.command("send").description("send a mutual-assistance message"))
    .requiredOption("--to <cps>", 'recipients, comma-separated (BE,NL) or "*" for all active', list)
    .addOption(new Option("--kind <kind>", "message kind").choices(KINDS.keys.filter((k) => k !== "reply")).default("request"))
    .addOption(new Option("--legal-basis <basis>", "Naples II basis of a request").choices(LEGAL_BASES.keys))
    .addOption(new Option("--spontaneous-basis <basis>").choices(SPONTANEOUS_BASES.keys))
    .addOption(new Option("--special-form <form>").choices(SPECIAL_FORMS.keys))
    .option("--location <text>", "for a special form: where")
    .requiredOption("--subject <text>")
    .option("--body <text>", "the message text")
    .option("--body-file <file>", "read the message text from a file")
    .addOption(new Option("--priority <p>").choices(PRIORITIES.keys).default("normal"))
    .option("--reply-by <date>", "answer expected by (YYYY-MM-DD or ISO time)")
    .option("--case-ref <ref>", "thread it under this case reference")
    .option("--handling <codes>", "handling codes H0..H3, comma-separated", list)
    .option("--conditions <text>", "the supplier's conditions on use (Naples II Art. 25)")
    .option("--attach <file>", "attach a file (repeatable)", (v: string, p: string[] = []) => [...p, v])
    .action(async (o: Common & Record<string, unknown>) => {
      try {
        const body = o.bodyFile ? readFileSync(String(o.bodyFile), "utf8") : String(o.body ?? "");
        const kind = String(o.kind);
        const t = resolveTarget(o);
        const msg = {
          kind,
          to: o.to,
          subject: o.subject,
          body,
          priority: o.priority,
          ...(kind === "request" || o.legalBasis ? { legalBasis: o.legalBasis ?? "assistance-on-request" } : {}),
          ...(o.spontaneousBasis ? { spontaneousBasis: o.spontaneousBasis } : {}),
          ...(o.specialForm ? { specialForm: { form: o.specialForm, ...(o.location ? { location: o.location } : {}) } } : {}),
          ...(o.replyBy ? { replyBy: replyByTime(String(o.replyBy)) } : {}),
          ...(o.caseRef ? { caseRef: o.caseRef } : {}),
          handling: { codes: o.handling ?? [], ...(o.conditions ? { conditions: o.conditions } : {}) },
          ...(await attachmentsFor(t, o.attach as string[] | undefined, async () => o.to as string[])),
        };
        const res = await callApi<Submitted>(t, "POST", "/v1/messages", msg);
        if (o.json) printJson(res);
        else process.stdout.write(`${res.id} ${res.status} (case ${res.caseRef})\n`);
      } catch (err) {
        fail(err);
      }
    });

  target(program.command("inbox").description("list received (or --box sent) messages, urgent first: headers only"))
    .addOption(new Option("--box <box>").choices(["inbox", "sent"]).default("inbox"))
    .addOption(new Option("--order <order>", "urgent first, or newest arrival first whatever the priority").choices(LIST_ORDERS).default("priority"))
    .option("--status <status>", "new, read, answered, overdue, accepted, delivered, rejected ...")
    .option("--case-ref <ref>")
    .addOption(new Option("--priority <p>").choices(PRIORITIES.keys))
    .addOption(new Option("--kind <kind>").choices(KINDS.keys))
    .option("--counterpart <cp>", "the sender (inbox) or a recipient (sent)")
    .addOption(new Option("--legal-basis <basis>", "a request's Naples II basis").choices(LEGAL_BASES.keys))
    .option("--from <date>", "created on or after (YYYY-MM-DD: from the start of that day, UTC; or an ISO time)")
    .option("--to <date>", "created on or before (YYYY-MM-DD: to the end of that day, UTC; or an ISO time)")
    .option("--search <words>", "only messages whose subject or body has every one of these words")
    .option("--limit <n>", "how many", "50")
    .action(async (o: Common & { box: string; order: string; status?: string; caseRef?: string; priority?: string; kind?: string; counterpart?: string; legalBasis?: string; from?: string; to?: string; search?: string; limit: string }) => {
      try {
        const filters: Record<string, string | undefined> = {
          box: o.box,
          order: o.order,
          limit: o.limit,
          status: o.status,
          caseRef: o.caseRef,
          priority: o.priority,
          kind: o.kind,
          counterpart: o.counterpart,
          legalBasis: o.legalBasis,
          from: o.from ? fromTime(o.from) : undefined,
          to: o.to ? dateOrTime(o.to) : undefined,
          q: o.search,
        };
        const q = new URLSearchParams(Object.entries(filters).filter((kv): kv is [string, string] => kv[1] !== undefined));
        const page = await callApi<MessageListOut>(resolveTarget(o), "GET", `/v1/messages${o.search !== undefined ? "/search" : ""}?${q}`);
        if (o.json) printJson(page);
        else printTable(page.items.map(headerRow), ["id", "kind", "from", "to", "priority", "subject", "handling", "replyBy", "createdAt", "caseRef", "status"]);
      } catch (err) {
        fail(err);
      }
    });

  target(program.command("read <id>").description("open a message (decrypted at the access point; the read is logged)"))
    .option("--save <dir>", "write its attachments into this folder (large ones streamed, with progress on stderr)")
    .option("--save-attachments <dir>", "the same as --save")
    .action(async (id: string, o: Common & { save?: string; saveAttachments?: string }) => {
      try {
        const t = resolveTarget(o);
        const m = await callApi<MessageOut>(t, "GET", `/v1/messages/${encodeURIComponent(id)}`);
        const dir = o.save ?? o.saveAttachments;
        if (dir) {
          mkdirSync(dir, { recursive: true });
          for (const a of m.attachments) writeFileSync(join(dir, basename(a.name)), Buffer.from(a.contentBase64, "base64"));
          for (const a of m.largeAttachments ?? []) await downloadAttachment(t, m.id, a.name, join(dir, basename(a.name)), progressLine(`saving ${basename(a.name)}`));
        }
        if (o.json) return printJson(m);
        process.stdout.write(messageLines(m).join("\n") + "\n");
      } catch (err) {
        fail(err);
      }
    });

  target(program.command("reply <id>").description("reply to a received message"))
    .option("--body <text>")
    .option("--body-file <file>")
    .option("--subject <text>")
    .option("--declined <reason>", "decline the request, giving the reason")
    .option("--handling <codes>", "handling codes H0..H3", list)
    .option("--conditions <text>")
    .option("--attach <file>", "attach a file (repeatable)", (v: string, p: string[] = []) => [...p, v])
    .action(async (id: string, o: Common & Record<string, unknown>) => {
      try {
        const body = o.bodyFile ? readFileSync(String(o.bodyFile), "utf8") : String(o.body ?? "");
        const t = resolveTarget(o);
        // Only for a large file: the upload is sealed for the original's sender (reading it is logged).
        const sender = async () => [(await callApi<MessageOut>(t, "GET", `/v1/messages/${encodeURIComponent(id)}`)).from];
        const res = await callApi<Submitted>(t, "POST", `/v1/messages/${encodeURIComponent(id)}/reply`, {
          body,
          ...(o.subject ? { subject: o.subject } : {}),
          ...(o.declined ? { declined: true, declineReason: o.declined } : {}),
          handling: { codes: o.handling ?? [], ...(o.conditions ? { conditions: o.conditions } : {}) },
          ...(await attachmentsFor(t, o.attach as string[] | undefined, sender)),
        });
        if (o.json) printJson(res);
        else process.stdout.write(`${res.id} ${res.status}\n`);
      } catch (err) {
        fail(err);
      }
    });
}

/** `liaison status <id>`: where a message is, recipient by recipient. */
export async function messageStatus(id: string, o: Common): Promise<void> {
  const m = await callApi<MessageOut>(resolveTarget(o), "GET", `/v1/messages/${encodeURIComponent(id)}`);
  if (o.json) return printJson({ id: m.id, status: m.status, overdue: m.overdue, recipients: m.recipients, receipts: m.receipts });
  process.stdout.write(`${m.id}: ${m.status}${m.overdue ? " (OVERDUE)" : ""}\n`);
  printTable(
    Object.entries(m.recipients ?? {}).map(([cp, r]) => ({ recipient: cp, status: r.status, at: r.at, reason: r.reasonCode ? reasonInWords(r.reasonCode, r.reason) : "" })),
    ["recipient", "status", "at", "reason"],
  );
}
