// `liaison operations create | update | show | calendar`: joint customs operations and the calendar
// of operations with their overlaps, against an access point's /v1/operations and /v1/calendar.
import { readFileSync } from "node:fs";
import { InvalidArgumentError, type Command } from "commander";
import { PHASE_KINDS } from "../../domain/mod.js";
import type { CalendarOut, OperationOut, OperationPatch, OperationViewOut, OverlapOut } from "../../api/mod.js";
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
}
