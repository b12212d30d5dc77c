// Usage of joint customs operations per year (issue #18 item 6): operations by kind, parties per
// operation, and how often each member leads or takes part, counted from the operations' calendar
// entries (KV "operations", pb.StoredOperation: clear metadata, not secret between members). A
// member that takes part in no operation of a year is flagged, as a dormant member is: "not used at
// the expected level" (JSA). An operation counts in the year of its first day; a cancelled one
// does not count (it did not take place).
import { Kvm, type KV } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/nats-core";
import { OPERATION_USAGE_MAX_YEARS } from "../../src/api/mod.js";
import { LiaisonError } from "../../src/errors.js";
import { pb } from "../../src/proto/mod.js";
import type { RegistryView } from "../../src/registry/mod.js";

/** OPERATION_KIND_FULL_SCALE_JCO → full-scale-jco. */
function kindWord(kind: pb.OperationKind | null | undefined): string {
  const name = pb.OperationKind[kind ?? 0] ?? "OPERATION_KIND_UNSPECIFIED";
  return name.slice("OPERATION_KIND_".length).toLowerCase().replace(/_/g, "-");
}

/** The year of an operation's first day; undefined without a dated phase. */
function yearOf(op: pb.IStoredOperation): number | undefined {
  const starts = (op.content?.phases ?? []).map((p) => p.start ?? "").filter((d) => /^\d{4}-\d{2}-\d{2}$/.test(d));
  if (starts.length === 0) return undefined;
  return Number(starts.sort()[0]?.slice(0, 4));
}

/**
 * The figures of each year from `fromYear` to `toYear` for these operations; `members` are the
 * contact points every year lists (each with its counts, flagged when it takes part in nothing).
 */
export function operationYears(ops: readonly pb.IStoredOperation[], members: readonly string[], fromYear: number, toYear: number): pb.IOperationYearUsage[] {
  const counted = ops.filter((o) => o.content?.status !== pb.OperationStatus.OPERATION_STATUS_CANCELLED);
  const out: pb.IOperationYearUsage[] = [];
  for (let year = fromYear; year <= toYear; year++) {
    const ofYear = counted.filter((o) => yearOf(o) === year);
    const byKind = new Map<string, number>();
    const parties: number[] = [];
    const leads = new Map<string, number>();
    const takesPart = new Map<string, number>();
    for (const o of ofYear) {
      const kind = kindWord(o.content?.kind);
      byKind.set(kind, (byKind.get(kind) ?? 0) + 1);
      const leaders = new Set(o.content?.leaders ?? []);
      const taking = new Set([...leaders, ...(o.content?.participants ?? [])]);
      parties.push(taking.size);
      for (const l of leaders) leads.set(l, (leads.get(l) ?? 0) + 1);
      for (const p of taking) takesPart.set(p, (takesPart.get(p) ?? 0) + 1);
    }
    out.push({
      year,
      operations: ofYear.length,
      byKind: [...byKind].sort(([a], [b]) => a.localeCompare(b)).map(([kind, count]) => ({ kind, count })),
      participantsMean: parties.length ? parties.reduce((a, b) => a + b, 0) / parties.length : 0,
      participantsMin: parties.length ? Math.min(...parties) : 0,
      participantsMax: parties.length ? Math.max(...parties) : 0,
      members: [...new Set(members)].sort().map((cp) => ({ contactPoint: cp, leads: leads.get(cp) ?? 0, takesPart: takesPart.get(cp) ?? 0, notUsed: (takesPart.get(cp) ?? 0) === 0 })),
    });
  }
  return out;
}

export interface OperationUsageDeps {
  readonly nc: NatsConnection;
  readonly registry: () => RegistryView;
  readonly now: () => number;
}

export class OperationUsage {
  #kv: Promise<KV> | undefined;

  constructor(private readonly d: OperationUsageDeps) {}

  /** Every operation as the operations service stores it (read afresh: a few hundred a year). */
  async #operations(): Promise<pb.StoredOperation[]> {
    const kv = await (this.#kv ??= new Kvm(this.d.nc).open("operations"));
    const keys: string[] = [];
    for await (const k of await kv.keys("op.*")) keys.push(k);
    const out: pb.StoredOperation[] = [];
    for (const k of keys) {
      const e = await kv.get(k);
      if (e && e.operation === "PUT") out.push(pb.StoredOperation.decode(e.value));
    }
    return out;
  }

  /**
   * The years asked; a bound not given runs from the first year with an operation, or to this
   * year or the last planned, within OPERATION_USAGE_MAX_YEARS of the other.
   */
  async report(q: pb.IOperationUsageQuery = {}): Promise<pb.IOperationUsageReport> {
    const now = this.d.now();
    const ops = await this.#operations();
    const thisYear = new Date(now).getUTCFullYear();
    const years = ops.map(yearOf).filter((y): y is number => y !== undefined);
    const span = OPERATION_USAGE_MAX_YEARS - 1;
    let toYear = q.toYear || Math.max(thisYear, ...years, q.fromYear || 0);
    const fromYear = q.fromYear || Math.max(Math.min(thisYear, ...years, toYear), toYear - span);
    if (!q.toYear) toYear = Math.min(toYear, fromYear + span);
    if (toYear < fromYear) throw new LiaisonError("LIAISON_BAD_REQUEST", `toYear ${toYear} is before fromYear ${fromYear}`);
    if (toYear - fromYear > span) throw new LiaisonError("LIAISON_BAD_REQUEST", `a report covers at most ${OPERATION_USAGE_MAX_YEARS} years`);
    return { generatedAtMs: now, years: operationYears(ops, this.d.registry().active(), fromYear, toYear) };
  }
}
