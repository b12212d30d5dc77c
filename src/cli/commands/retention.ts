// `liaison retention run | report | rules | rotate-kek`: erasure on demand, the compliance report,
// the rules table, and a key-encryption-key rotation now.
import type { Command } from "commander";
import { iso } from "../../api/mod.js";
import { RETENTION_RULES } from "../../domain/mod.js";
import { requestService, subjects } from "../../nats/mod.js";
import { pb } from "../../proto/mod.js";
import { hubConnection } from "../hub-connection.js";
import { answer, fail, printJson, printTable } from "../output.js";

/** A time the hub has not set shows as nothing. */
const when = (ms: number | null | undefined) => iso(ms) ?? "";

async function ask(op: string, timeoutMs = 120_000): Promise<Uint8Array> {
  const nc = await hubConnection(`liaison-cli-retention-${op}`);
  try {
    return await requestService(nc, subjects.api("retention", op), new Uint8Array(), timeoutMs);
  } finally {
    await nc.close();
  }
}

function printSweep(res: pb.SweepResult): void {
  if (!res.ran) return void process.stdout.write("another replica is sweeping; nothing done here\n");
  process.stdout.write(
    `examined ${res.examined} due item(s): ${res.erased} erased (in ${res.erasuresTookMs} ms), ${res.overwritten} erased object(s) overwritten on disk, ` +
      `${res.reminders} reminder(s), ${res.held} held, ${res.stale} no longer due; ${res.messageCopiesDeleted} delivered message copies deleted (${res.tookMs} ms)\n`,
  );
}

function printReport(rep: pb.ComplianceReport): void {
  const out = process.stdout;
  out.write(`Compliance report, ${when(rep.generatedAtMs)}\n`);
  out.write(`Overdue for erasure: ${rep.overdueCount}${Number(rep.overdueCount) === 0 ? " (as it must be)" : "  <-- ACTION NEEDED"}\n`);
  if (rep.overdue.length) printTable(rep.overdue.map((d) => ({ kind: d.kind, id: d.objectId, supplier: d.supplier, due: when(d.dueAtMs) })), ["kind", "id", "supplier", "due"]);
  out.write(`Last sweep: ${when(rep.lastSweepAtMs) || "not yet"} · key-encryption key epoch ${rep.kekEpoch} since ${when(rep.kekCreatedAtMs)} · ${rep.erasedTotal} erased in all\n\nErasures by day, rule and contact point\n`);
  printTable(rep.erasures.map((e) => ({ day: e.day, rule: e.rule, supplier: e.supplier, count: e.count })), ["day", "rule", "supplier", "count"]);
  out.write("\nReviews per contact point and month\n");
  printTable(rep.reviews.map((v) => ({ cp: v.contactPoint, month: v.month, due: v.due, renewed: v.renewed, lapsed: v.lapsed })), ["cp", "month", "due", "renewed", "lapsed"]);
  out.write("\nLegal holds in force\n");
  printTable(rep.holds.map((h) => ({ object: `${h.objectType} ${h.objectId}`, by: h.setBy, reason: h.reason, since: when(h.setAtMs), until: when(h.untilMs) || "lifted by hand" })), ["object", "by", "reason", "since", "until"]);
}

export function register(program: Command): void {
  const r = program.command("retention").description("retention, review and erasure");
  r.command("run")
    .description("sweep now: reminders, erasures due, hub copies of delivered messages")
    .option("--json")
    .action((o: { json?: boolean }) => answer(o, async () => pb.SweepResult.decode(await ask("run")), printSweep, (res) => pb.SweepResult.toObject(res, { defaults: true })));
  r.command("report")
    .description("the compliance report: overdue erasures (must be 0), erasures by rule, reviews, holds")
    .option("--json")
    .action((o: { json?: boolean }) => answer(o, async () => pb.ComplianceReport.decode(await ask("report")), printReport, (rep) => pb.ComplianceReport.toObject(rep, { defaults: true })));
  r.command("rules")
    .description("how long Liaison keeps what it keeps")
    .option("--json")
    .action((o: { json?: boolean }) => (o.json ? printJson(RETENTION_RULES) : printTable(RETENTION_RULES.map((x) => ({ ...x })), ["id", "applies", "keep", "basis"])));
  r.command("rotate-kek")
    .description("replace the key-encryption key now and re-wrap every data key")
    .action(async () => {
      try {
        process.stdout.write(new TextDecoder().decode(await ask("rotate-kek", 600_000)) + "\n");
      } catch (err) {
        fail(err);
      }
    });
}
