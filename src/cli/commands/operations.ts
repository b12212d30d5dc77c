// `liaison operations create | update | show | calendar | docs | group | tally | recommendations`:
// joint customs operations, the calendar of operations with their overlaps, and inside an
// operation its documents, closed group, tally and recommendations, against an access point's
// /v1/operations, /v1/calendar and /v1/recommendations.
import { readFileSync } from "node:fs";
import { InvalidArgumentError, type Command } from "commander";
import { PHASE_KINDS } from "../../domain/mod.js";
import type { CalendarOut, DocumentOut, DocumentsOut, GroupMessageOut, GroupOut, OperationOut, OperationPatch, OperationViewOut, OverlapOut, RecommendationOut, RecommendationsOut, TallyOut } from "../../api/mod.js";
import { callApi, resolveTarget, target, type Common } from "../client.js";
import { answer, fail, printJson, printTable } from "../output.js";

type Phase = NonNullable<OperationPatch["phases"]>[number];

/** `--phase operational:2027-03-01..2027-03-07` (repeatable, in the order the phases run). */
export function parsePhase(v: string, prev: Phase[] = []): Phase[] {
  const m = /^([a-z-]+):(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$/.exec(v.trim());
  const kind = m?.[1] as Phase["kind"] | undefined;
  if (!m || !kind || !PHASE_KINDS.includes(kind)) throw new InvalidArgumentError(`use kind:YYYY-MM-DD..YYYY-MM-DD with kind one of ${PHASE_KINDS.join(", ")}`);
  return [...prev, { kind, start: m[2] ?? "", end: m[3] ?? "" }];
}

const readJson = (path: string): Record<string, unknown> => JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;

const operational = (o: OperationOut) =>
  o.phases
    .filter((p) => p.kind === "operational")
    .map((p) => `${p.start}..${p.end}`)
    .join(", ");

function printOverlaps(list: readonly OverlapOut[]): void {
  if (list.length === 0) return void process.stdout.write("No overlaps.\n");
  for (const o of list) {
    process.stdout.write(`Overlap: ${o.a.name} (${o.a.id}) and ${o.b.name} (${o.b.id})\n`);
    for (const r of o.reasons) process.stdout.write(`  - ${r}\n`);
  }
}

function printView(v: OperationViewOut): void {
  const o = v.operation;
  const lines = [
    `Operation ${o.id} · ${o.name} · ${o.kind} · ${o.status} · entered by ${o.createdBy}`,
    `Leaders ${o.leaders.join(", ")}${o.participants.length ? ` · participants ${o.participants.join(", ")}` : ""}${o.observers.length ? ` · observers ${o.observers.join(", ")}` : ""}`,
    `Risk areas ${o.riskAreas.join(", ")}${o.commodityCodes.length ? ` · commodity codes ${o.commodityCodes.join(", ")}` : ""}${o.routes.length ? ` · routes ${o.routes.map((r) => `${r.from}-${r.to}`).join(", ")}` : ""}`,
    `Legal basis ${o.legalBasis}`,
    ...o.objectives.map((x) => `Objective: ${x.description} (target ${x.target} ${x.metric})`),
    ...o.phases.map((p) => `Phase ${p.kind}: ${p.start} to ${p.end}`),
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
  printOverlaps(v.overlaps);
}

export function register(program: Command): void {
  const ops = program.command("operations").description("joint customs operations: enter them, move their dates, and the calendar with its overlaps");

  target(ops.command("create").description("enter an operation (JCO, JCPO, or another body's for coordination) from a JSON file (schema JointOperationIn)"))
    .requiredOption("--file <path>", "the operation as JSON")
    .action(async (o: Common & { file: string }) => {
      await answer(o, () => callApi<OperationViewOut>(resolveTarget(o), "POST", "/v1/operations", readJson(o.file)), (res) => printView(res));
    });

  target(ops.command("update <id>").description("change an operation you entered or lead: what you give replaces that part (--phase replaces every phase)"))
    .option("--phase <kind:from..to>", "a phase (repeatable, in the order they run), e.g. operational:2027-03-01..2027-03-07", parsePhase)
    .option("--status <status>", "planned, approved, running, completed or cancelled")
    .option("--file <path>", "other fields as JSON (schema JointOperationPatch)")
    .action(async (id: string, o: Common & { phase?: Phase[]; status?: string; file?: string }) => {
      try {
        const patch = { ...(o.file ? readJson(o.file) : {}), ...(o.phase ? { phases: o.phase } : {}), ...(o.status ? { status: o.status } : {}) };
        if (Object.keys(patch).length === 0) throw new Error("nothing to change: give --phase, --status or --file");
        const res = await callApi<OperationViewOut>(resolveTarget(o), "PATCH", `/v1/operations/${encodeURIComponent(id)}`, patch);
        if (o.json) printJson(res);
        else printView(res);
      } catch (err) {
        fail(err);
      }
    });

  target(ops.command("show <id>").description("an operation and its overlaps (the read is logged)")).action(async (id: string, o: Common) => {
    await answer(o, () => callApi<OperationViewOut>(resolveTarget(o), "GET", `/v1/operations/${encodeURIComponent(id)}`), (res) => printView(res));
  });

  target(ops.command("calendar").description("every operation with a phase in a period, and where they overlap"))
    .requiredOption("--from <date>", "first day, YYYY-MM-DD")
    .requiredOption("--to <date>", "last day, YYYY-MM-DD")
    .action(async (o: Common & { from: string; to: string }) => {
      try {
        const res = await callApi<CalendarOut>(resolveTarget(o), "GET", `/v1/calendar?from=${encodeURIComponent(o.from)}&to=${encodeURIComponent(o.to)}`);
        if (o.json) return printJson(res);
        printTable(
          res.operations.map((x) => ({ id: x.id, name: x.name, kind: x.kind, leaders: x.leaders.join(","), operational: operational(x), status: x.status })),
          ["id", "name", "kind", "leaders", "operational", "status"],
        );
        printOverlaps(res.overlaps);
      } catch (err) {
        fail(err);
      }
    });

  target(ops.command("docs <id>").description("an operation's documents: latest version, marking, comment deadline, adoption, who has not commented")).action(async (id: string, o: Common) => {
    await answer(
      o,
      () => callApi<DocumentsOut>(resolveTarget(o), "GET", `/v1/operations/${encodeURIComponent(id)}/documents`),
      (res) =>
        printTable(
          res.documents.map((x) => ({ id: x.id, kind: x.kind, title: x.title, version: x.version, marking: marking(x), deadline: x.commentDeadline ?? "", adopted: x.adoptedAt ?? "", comments: x.comments, missing: x.missing.join(",") })),
          ["id", "kind", "title", "version", "marking", "deadline", "adopted", "comments", "missing"],
        ),
    );
  });

  const docRow = (x: DocumentOut) => `Document ${x.id} · ${x.kind} · v${x.version} · ${x.title}${marking(x) ? ` · [${marking(x)}]` : ""}${x.adoptedAt ? ` · adopted ${x.adoptedAt}` : ""}`;
  const docPath = (id: string, docId?: string) => `/v1/operations/${encodeURIComponent(id)}/documents${docId ? `/${encodeURIComponent(docId)}` : ""}`;

  target(ops.command("doc-add <id>").description("write a document (or, with --doc, a new version of it) from a JSON file (schema OperationDocumentIn / OperationDocumentVersionIn)"))
    .requiredOption("--file <path>", "the document as JSON")
    .option("--doc <docId>", "the document a new version is of")
    .action(async (id: string, o: Common & { file: string; doc?: string }) => {
      await answer(o, () => callApi<DocumentOut>(resolveTarget(o), "POST", o.doc ? `${docPath(id, o.doc)}/versions` : docPath(id), readJson(o.file)), (x) => process.stdout.write(`${docRow(x)}\n`));
    });

  target(ops.command("comment <id> <docId>").description("comment on a document's version (the latest unless --version) before its deadline"))
    .requiredOption("--text <text>", "the comment")
    .option("--version <n>", "the version commented on", (v) => Number.parseInt(v, 10))
    .action(async (id: string, docId: string, o: Common & { text: string; version?: number }) => {
      const body = { text: o.text, ...(o.version ? { version: o.version } : {}) };
      await answer(o, () => callApi<{ id: string; version: number }>(resolveTarget(o), "POST", `${docPath(id, docId)}/comments`, body), (c) => process.stdout.write(`Comment ${c.id} on version ${c.version}\n`));
    });

  target(ops.command("adopt <id> <docId>").description("adopt a document's latest version (a leader): its comment round ends")).action(async (id: string, docId: string, o: Common) => {
    await answer(o, () => callApi<DocumentOut>(resolveTarget(o), "POST", `${docPath(id, docId)}/adopt`), (x) => process.stdout.write(`${docRow(x)}\n`));
  });

  target(ops.command("recommend <id>").description("record a recommendation of the operation (a leader) with its owner"))
    .requiredOption("--owner <party>", "who owns it: a leader or participant")
    .requiredOption("--text <text>", "the recommendation")
    .action(async (id: string, o: Common & { owner: string; text: string }) => {
      await answer(o, () => callApi<RecommendationOut>(resolveTarget(o), "POST", `/v1/operations/${encodeURIComponent(id)}/recommendations`, { owner: o.owner, text: o.text }), (r) => printRecommendation(r));
    });

  target(ops.command("recommendation <recId>").description("change a recommendation's state (a leader or its owner) or owner (a leader)"))
    .option("--state <state>", "open, in-progress, done or rejected")
    .option("--owner <party>", "its new owner")
    .action(async (recId: string, o: Common & { state?: string; owner?: string }) => {
      if (!o.state && !o.owner) fail(new Error("give --state or --owner"));
      const body = { ...(o.state ? { state: o.state } : {}), ...(o.owner ? { owner: o.owner } : {}) };
      await answer(o, () => callApi<RecommendationOut>(resolveTarget(o), "PATCH", `/v1/recommendations/${encodeURIComponent(recId)}`, body), (r) => printRecommendation(r));
    });

  target(ops.command("group <id>").description("an operation's group messages, each with its marking; --post sends one"))
    .option("--post <template>", "send a message: warning, feedback, seizure, result or note")
    .option("--file <path>", "with --post: the message as JSON ({ body, classification?, handlingCodes?, inReplyTo? }, schema GroupMessageIn)")
    .action(async (id: string, o: Common & { post?: string; file?: string }) => {
      const path = `/v1/operations/${encodeURIComponent(id)}/group`;
      if (o.post) {
        if (!o.file) fail(new Error("--post needs --file with the message's fields"));
        await answer(o, () => callApi<GroupMessageOut>(resolveTarget(o), "POST", path, { ...readJson(o.file ?? ""), template: o.post }), (m) => printMessage(m));
        return;
      }
      await answer(o, () => callApi<GroupOut>(resolveTarget(o), "GET", path), (res) => res.messages.forEach(printMessage));
    });

  target(ops.command("tally <id>").description("the live tally: seizures by participant, commodity and risk profile, results, objectives evaluated")).action(async (id: string, o: Common) => {
    await answer(o, () => callApi<TallyOut>(resolveTarget(o), "GET", `/v1/operations/${encodeURIComponent(id)}/tally`), (t) => printTally(t));
  });

  target(ops.command("recommendations").description("the monitoring view: recommendations of your operations, their owner, state and days open"))
    .option("--all", "done and rejected ones too")
    .option("--operation <id>", "only this operation's")
    .action(async (o: Common & { all?: boolean; operation?: string }) => {
      const q = `state=${o.all ? "all" : "open"}${o.operation ? `&operation=${encodeURIComponent(o.operation)}` : ""}`;
      await answer(
        o,
        () => callApi<RecommendationsOut>(resolveTarget(o), "GET", `/v1/recommendations?${q}`),
        (res) =>
          printTable(
            res.recommendations.map((r) => ({ id: r.id, operation: r.operationName, owner: r.owner, state: r.state, "days open": r.openDays, text: r.text })),
            ["id", "operation", "owner", "state", "days open", "text"],
          ),
      );
    });
}

const marking = (x: { classification: string | null; handlingCodes: readonly string[] }) => [x.classification ?? "", ...x.handlingCodes].filter((w) => w !== "").join(" ");

function printRecommendation(r: RecommendationOut): void {
  process.stdout.write(`Recommendation ${r.id} · ${r.operationName} · owner ${r.owner} · ${r.state} · open ${r.openDays} day(s)\n  ${r.text}\n`);
}

function printMessage(m: GroupMessageOut): void {
  const mark = marking(m);
  process.stdout.write(`${mark ? `[${mark}] ` : ""}${m.sentAt} ${m.sender} ${m.template}${m.inReplyTo ? ` (re ${m.inReplyTo})` : ""} ${m.id}\n  ${JSON.stringify(m.body)}\n`);
}

function printTally(t: TallyOut): void {
  const rows = (title: string, list: TallyOut["byParticipant"]) => {
    process.stdout.write(`${title}\n`);
    for (const r of list) process.stdout.write(`  ${r.key}: ${r.seizures} seizure(s)${r.quantities.map((q) => `, ${q.amount} ${q.unit}`).join("")}\n`);
  };
  process.stdout.write(`Tally of ${t.operationId} as of ${t.asOf}: ${t.seizures} seizure(s)\n`);
  rows("By participant", t.byParticipant);
  rows("By commodity", t.byCommodity);
  rows("By risk profile", t.byProfile);
  for (const r of t.results) process.stdout.write(`Results: ${r.count} ${r.kind}${r.amount !== null ? ` (${r.amount} EUR)` : ""}\n`);
  for (const x of t.objectives) process.stdout.write(`Objective: ${x.description}: ${x.actual ?? "not measured"} of ${x.target} ${x.metric}${x.met === null ? "" : x.met ? " (met)" : " (not met)"}\n`);
}
