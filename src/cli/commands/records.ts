// `liaison records submit | get | query | amend | renew | hold | erase`: CIS records (Decision 2009/917/JHA)
// against an access point's /v1/records API. Identifiers are repeatable `--id type=value` options.
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { InvalidArgumentError, type Command } from "commander";
import { IDENTIFIER_TYPES, RECORD_CATEGORIES, RECORD_PURPOSES, type ErasedOut, type ErasureCertificateOut, type IdentifierOut, type RecordOut, type RecordQueryOut, type RecordSubmitted } from "../../api/mod.js";
import { LiaisonError } from "../../errors.js";
import { callApi, resolveTarget, target, type Common } from "../client.js";
import { answer, dateOrTime, fail, printJson, printTable } from "../output.js";

/** An identifier as given on the command line: the API checks its type and form. */
export type IdentifierArg = IdentifierOut;

/** `--id person-name="MÜLLER, Hans"` (repeatable); the API checks the type and the value's form. */
export function parseIdentifier(v: string, prev: IdentifierArg[] = []): IdentifierArg[] {
  const eq = v.indexOf("=");
  const type = v.slice(0, eq).trim();
  const value = v.slice(eq + 1).trim();
  if (eq <= 0 || !/^[a-z][a-z-]*$/.test(type) || !value) throw new InvalidArgumentError('use type=value, e.g. person-name="MÜLLER, Hans" or travel-document-number=XK4471009');
  return [...prev, { type, value }];
}

/** Adds `--dob` to the person names among the identifiers (the name and date are indexed as a pair). */
export function identifiers(ids: IdentifierArg[] | undefined, dob: string | undefined): IdentifierArg[] {
  const list = (ids ?? []).map((i) => ({ ...i }));
  if (dob) {
    const names = list.filter((i) => i.type === "person-name");
    if (names.length === 0) throw new Error("--dob goes with a person's name: add --id person-name=...");
    for (const n of names) n.dateOfBirth = dob;
  }
  return list;
}

/** `--id type=value` (repeatable) and `--dob`: the identifiers of a record, a file or a query. */
export const identifierOptions = (cmd: Command): Command =>
  cmd.requiredOption("--id <type=value>", identifierHelp, parseIdentifier).option("--dob <date>", "the date of birth that goes with the person's name");

/** A query's identifiers and its purpose, which is required and logged. */
export const queryOptions = (cmd: Command): Command => identifierOptions(cmd).requiredOption("--purpose <text>", "why you search");

export const identifierHelp =
  `an identifier as type=value (repeatable): ${IDENTIFIER_TYPES.keys.join(", ")}`;

const repeat = (v: string, p: string[] = []) => [...p, v];
const list = (v: string, prev: string[] = []) => [...prev, ...v.split(",").map((s) => s.trim()).filter(Boolean)];

function printRecord(r: RecordOut): void {
  const lines = [
    `Record ${r.id} · supplied by ${r.supplier} · ${r.category} · ${r.purpose}`,
    `Created ${r.createdAt} · updated ${r.updatedAt} · review due ${r.reviewDue} · renewed ${r.renewals}×`,
    ...(r.hold ? [`LEGAL HOLD by ${r.hold.setBy}: ${r.hold.reason}${r.hold.until ? ` (until ${r.hold.until})` : ""}`] : []),
    ...r.handling.codes.map((c) => `HANDLING ${c.code}: ${c.meaning}`),
    ...(r.handling.conditions ? [`CONDITIONS: ${r.handling.conditions}`] : []),
    ...(r.suggestedAction ? [`Suggested action: ${r.suggestedAction}`] : []),
    "",
    ...r.identifiers.map((i) => `  ${i.type}: ${i.value}${i.dateOfBirth ? ` (born ${i.dateOfBirth})` : ""}`),
    ...(r.freeText ? ["", r.freeText] : []),
    ...r.attachments.map((a) => `[attachment] ${a.name} (${a.size} bytes)`),
  ];
  process.stdout.write(lines.join("\n") + "\n");
}

const content = (o: Record<string, unknown>) => ({
  ...(o.text !== undefined ? { freeText: o.text } : {}),
  ...(o.suggestedAction !== undefined ? { suggestedAction: o.suggestedAction } : {}),
});

export function register(program: Command): void {
  const records = program.command("records").description("CIS records: submit, read, query (with a purpose), amend, renew after review, erase");

  identifierOptions(target(records.command("submit").description("submit a CIS record")))
    .requiredOption("--category <category>", RECORD_CATEGORIES.keys.join(", "))
    .requiredOption("--purpose <action>", `the action suggested to whoever finds it: ${RECORD_PURPOSES.keys.join(", ")}`)
    .option("--suggested-action <text>")
    .option("--text <text>", "free text")
    .option("--handling <codes>", "handling codes H0..H3, comma-separated", list)
    .option("--conditions <text>", "the supplier's conditions on use")
    .option("--attach <file>", "attach a file (repeatable)", repeat)
    .action(async (o: Common & Record<string, unknown>) => {
      try {
        const res = await callApi<RecordSubmitted>(resolveTarget(o), "POST", "/v1/records", {
          category: o.category,
          purpose: o.purpose,
          identifiers: identifiers(o.id as IdentifierArg[], o.dob as string | undefined),
          ...content(o),
          handling: { codes: o.handling ?? [], ...(o.conditions ? { conditions: o.conditions } : {}) },
          attachments: ((o.attach as string[] | undefined) ?? []).map((f) => ({ name: basename(f), contentBase64: readFileSync(f).toString("base64") })),
        });
        if (o.json) printJson(res);
        else process.stdout.write(`${res.id} submitted; review due ${res.reviewDue}\n`);
      } catch (err) {
        fail(err);
      }
    });

  target(records.command("get <id>").description("read a record (the read is logged)")).action(async (id: string, o: Common) => {
    await answer(o, () => callApi<RecordOut>(resolveTarget(o), "GET", `/v1/records/${encodeURIComponent(id)}`), (r) => printRecord(r));
  });

  queryOptions(target(records.command("query").description("query records by identifiers; the purpose is required and logged")))
    .option("--category <category>", "only records of this category")
    .action(async (o: Common & { id: IdentifierArg[]; dob?: string; purpose: string; category?: string }) => {
      try {
        const res = await callApi<RecordQueryOut>(resolveTarget(o), "POST", "/v1/records/query", {
          identifiers: identifiers(o.id, o.dob),
          purpose: o.purpose,
          ...(o.category ? { category: o.category } : {}),
        });
        if (o.json) return printJson(res);
        printTable(
          // A stub (a surname-only match on another member's record) has no record: the supplier and the hit only.
          res.matches.map((m) => ({ id: m.record?.id ?? "(stub)", supplier: m.record?.supplier ?? m.supplier ?? "", category: m.record?.category ?? m.category ?? "", purpose: m.record?.purpose ?? "", strength: m.strength, matchedOn: m.matchedOn.join(","), hitId: m.hitId ?? "" })),
          ["id", "supplier", "category", "purpose", "strength", "matchedOn", "hitId"],
        );
        if (res.surnameOnlyLeftOut) process.stdout.write(`${res.surnameOnlyLeftOut} more surname-only matches left out: add a date of birth or another identifier\n`);
      } catch (err) {
        fail(err);
      }
    });

  target(records.command("amend <id>").description("amend a record of yours: what you give replaces that part (--id replaces every identifier)"))
    .option("--category <category>")
    .option("--purpose <action>")
    .option("--id <type=value>", identifierHelp, parseIdentifier)
    .option("--dob <date>")
    .option("--suggested-action <text>")
    .option("--text <text>", "free text")
    .option("--handling <codes>", "handling codes H0..H3, comma-separated", list)
    .option("--conditions <text>")
    .action(async (id: string, o: Common & Record<string, unknown>) => {
      try {
        const t = resolveTarget(o);
        const path = `/v1/records/${encodeURIComponent(id)}`;
        // The API replaces the whole content: start from the record as it is.
        const cur = await callApi<RecordOut>(t, "GET", path);
        const ids = o.id ? identifiers(o.id as IdentifierArg[], o.dob as string | undefined) : o.dob ? identifiers(cur.identifiers, o.dob as string) : cur.identifiers;
        const r = await callApi<RecordOut>(t, "PATCH", path, {
          category: o.category ?? cur.category,
          purpose: o.purpose ?? cur.purpose,
          suggestedAction: cur.suggestedAction,
          identifiers: ids,
          freeText: cur.freeText,
          ...content(o),
          handling: {
            codes: (o.handling as string[] | undefined) ?? cur.handling.codes.map((c) => c.code),
            ...((o.conditions ?? cur.handling.conditions) ? { conditions: o.conditions ?? cur.handling.conditions } : {}),
          },
        });
        if (o.json) printJson(r);
        else printRecord(r);
      } catch (err) {
        fail(err);
      }
    });

  target(records.command("renew <id>").description("renew a record of yours after its review (the review date moves on)"))
    .requiredOption("--reason <text>", "why it is still needed")
    .action(async (id: string, o: Common & { reason: string }) => {
      await answer(o, () => callApi<RecordOut>(resolveTarget(o), "POST", `/v1/records/${encodeURIComponent(id)}/renew`, { reason: o.reason }), (r) => process.stdout.write(`${r.id} renewed; review due ${r.reviewDue}\n`));
    });

  target(records.command("hold <id>").description("set a legal hold on a record of yours (it is not erased while the hold is in force), or --lift it"))
    .option("--reason <text>", "why it must be kept (required to set a hold)")
    .option("--until <date>", "the hold ends then (YYYY-MM-DD or ISO time); without it, until lifted")
    .option("--lift", "lift the hold")
    .action(async (id: string, o: Common & { reason?: string; until?: string; lift?: boolean }) => {
      try {
        if (!o.lift && !o.reason) throw new LiaisonError("LIAISON_VALIDATION", "a legal hold states its reason: give --reason");
        const r = await callApi<RecordOut>(resolveTarget(o), "POST", `/v1/records/${encodeURIComponent(id)}/hold`, {
          reason: o.reason ?? "",
          ...(o.until && !o.lift ? { until: dateOrTime(o.until) } : {}),
          lift: !!o.lift,
        });
        if (o.json) printJson(r);
        else process.stdout.write(r.hold ? `${r.id}: LEGAL HOLD by ${r.hold.setBy}: ${r.hold.reason}${r.hold.until ? ` (until ${r.hold.until})` : " (until lifted)"}\n` : `${r.id}: no legal hold; review due ${r.reviewDue}\n`);
      } catch (err) {
        fail(err);
      }
    });

  eraseCommand(records, "a record", "/v1/records");
}

/** An erasure certificate as printed for the supplier to keep: it is checked against the audit log by event id and leaf hash. */
export function certificateLines(c: ErasureCertificateOut): string[] {
  return (["objectType", "objectId", "supplier", "rule", "dueAt", "erasedAt", "contentCommitment", "auditEventId", "auditLeafHash"] as const).map((k) => `  ${k}: ${c[k]}`);
}

/** `liaison records|files erase <id> [--reason]`: the supplier erases an object; its data key is destroyed. */
export function eraseCommand(parent: Command, what: string, base: string): void {
  target(parent.command("erase <id>").description(`erase ${what} of yours: its data key is destroyed`))
    .option("--reason <text>", "why", "")
    .action(async (id: string, o: Common & { reason: string }) => {
      try {
        const r = await callApi<ErasedOut & { certificate?: ErasureCertificateOut }>(resolveTarget(o), "DELETE", `${base}/${encodeURIComponent(id)}?${new URLSearchParams({ reason: o.reason })}`);
        if (o.json) printJson(r);
        else {
          // The erasure certificate (records), to keep: it is checked against the audit log by event id and leaf hash.
          const c = r.certificate;
          process.stdout.write(
            [
              `${r.id} erased`,
              ...(c
                ? ["Erasure certificate (keep it; also sent as a notice):", ...certificateLines(c)]
                : []),
            ].join("\n") + "\n",
          );
        }
      } catch (err) {
        fail(err);
      }
    });
}
