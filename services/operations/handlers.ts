// The operations service's operations for contact points: enter a joint customs operation (or an
// operation of another body, for coordination), move its dates or change it, read it, and read the
// calendar of a period with the overlaps in it (src/domain/operations.ts). Operations are not
// secret between members: the calendar exists so that every member sees what is planned. Each read
// and change is an audit event; each overlap a change makes or ends is a notice to the leaders of
// both operations.
import type { KV } from "@nats-io/kv";
import { OFFENCE_AREAS } from "../../src/api/mod.js";
import { AuditAction, AuditOutcome, type AuditEmitter } from "../../src/audit/mod.js";
import { newId } from "../../src/crypto/mod.js";
import {
  checkOperation,
  calendarOverlaps,
  dayMs,
  firstDay,
  inPeriod,
  OPERATION_KINDS,
  OPERATION_STATUSES,
  overlapChanges,
  overlapsOf,
  PHASE_KINDS,
  requireObjectId,
  retentionClockMove,
  type Operation,
  type Overlap,
} from "../../src/domain/mod.js";
import { LiaisonError } from "../../src/errors.js";
import type { HubCall, HubHandlers } from "../../src/hub-rpc/mod.js";
import type { Logger } from "../../src/log/mod.js";
import { overlapNotices, type NoticePublisher } from "../../src/notices/mod.js";
import { phasesOf } from "./erasure.js";
import { pb } from "../../src/proto/mod.js";
import type { RegistryView } from "../../src/registry/mod.js";

export interface OperationsDeps {
  readonly kv: KV;
  readonly audit: AuditEmitter;
  readonly notices: NoticePublisher;
  readonly registry: () => RegistryView;
  readonly log: Logger;
  readonly now: () => number;
}

/** The longest calendar one answer covers (days). */
export const MAX_CALENDAR_DAYS = 3 * 366;

const key = (id: string) => `op.${id}`;

/** The content fields an update may replace, by their proto name and their TypeScript name. */
const CONTENT_FIELDS = new Map<string, keyof pb.IOperationContent>(
  (["name", "kind", "leaders", "participants", "observers", "objectives", "riskAreas", "commodityCodes", "routes", "legalBasis", "phases", "status"] as const).flatMap((f) => [
    [f, f] as const,
    [f.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), f] as const,
  ]),
);

function contentField(name: string): keyof pb.IOperationContent {
  const f = CONTENT_FIELDS.get(name);
  if (!f) throw new LiaisonError("LIAISON_VALIDATION", `fields: no content field ${name}`);
  return f;
}

/** pb enum value ↔ the domain's word for it (OPERATION_KIND_FULL_SCALE_JCO ↔ full-scale-jco). */
function enumWord<K extends string>(e: Readonly<Record<string | number, string | number>>, prefix: string, words: readonly K[], v: number | null | undefined): K | undefined {
  const name = e[v ?? 0];
  if (typeof name !== "string") return undefined;
  const word = name.slice(prefix.length).toLowerCase().replace(/_/g, "-");
  return (words as readonly string[]).includes(word) ? (word as K) : undefined;
}

/** An operation as the domain rules read it; an unknown enum value becomes a word they refuse. */
export function toDomain(id: string, c: pb.IOperationContent): Operation {
  return {
    id,
    name: c.name ?? "",
    kind: enumWord(pb.OperationKind, "OPERATION_KIND_", OPERATION_KINDS, c.kind) ?? ("unspecified" as Operation["kind"]),
    leaders: c.leaders ?? [],
    participants: c.participants ?? [],
    observers: c.observers ?? [],
    objectives: (c.objectives ?? []).map((o) => ({ description: o.description ?? "", metric: o.metric ?? "", target: Number(o.target ?? 0) })),
    riskAreas: (c.riskAreas ?? []).map((r) => OFFENCE_AREAS.toApi(r) ?? "unspecified"),
    commodityCodes: c.commodityCodes ?? [],
    routes: (c.routes ?? []).map((r) => ({ from: r.from ?? "", to: r.to ?? "" })),
    legalBasis: c.legalBasis ?? "",
    phases: (c.phases ?? []).map((p) => ({ kind: enumWord(pb.PhaseKind, "PHASE_KIND_", PHASE_KINDS, p.kind) ?? ("unspecified" as "planning"), start: p.start ?? "", end: p.end ?? "" })),
    status: enumWord(pb.OperationStatus, "OPERATION_STATUS_", OPERATION_STATUSES, c.status) ?? ("unspecified" as Operation["status"]),
  };
}

export function overlapToProto(o: Overlap): pb.IOperationOverlap {
  return {
    aId: o.a.id,
    aName: o.a.name,
    bId: o.b.id,
    bName: o.b.name,
    periods: o.periods.map((p) => ({ ...p })),
    riskAreas: o.riskAreas.map((r) => OFFENCE_AREAS.toProto(r as (typeof OFFENCE_AREAS.keys)[number])),
    commodityCodes: o.commodityCodes.map((c) => ({ ...c })),
    routes: o.routes.map((r) => ({ ...r })),
    participants: [...o.participants],
    reasons: [...o.reasons],
  };
}

/** The operations on operations themselves (items inside them are in items.ts). */
export type OperationOps = "create" | "update" | "get" | "calendar";

export class OperationsHandlers implements Pick<HubHandlers<"operations">, OperationOps> {
  /** Every operation, as last read from the bucket (kept by follow()). */
  readonly #ops = new Map<string, pb.StoredOperation>();
  #stopFollowing: () => void = () => undefined;

  constructor(private readonly d: OperationsDeps) {}

  /** Loads every operation and keeps up with changes other replicas make. */
  async follow(): Promise<void> {
    const iter = await this.d.kv.watch({ key: "op.>" });
    const status = await this.d.kv.status();
    let loaded: () => void = () => undefined;
    const initial = new Promise<void>((r) => (loaded = r));
    if (status.values === 0) loaded();
    this.#stopFollowing = () => iter.stop();
    void (async () => {
      for await (const e of iter) {
        const id = e.key.slice("op.".length);
        if (e.operation === "PUT") {
          try {
            this.#ops.set(id, pb.StoredOperation.decode(e.value));
          } catch (err) {
            this.d.log.error({ err, key: e.key }, "an operation in the bucket does not decode; left out");
          }
        } else this.#ops.delete(id);
        if (e.delta === 0) loaded();
      }
    })();
    await initial;
  }

  stop(): void {
    this.#stopFollowing();
  }

  get size(): number {
    return this.#ops.size;
  }

  /** An operation as stored now, and as the domain reads it (LIAISON_NOT_FOUND if there is none). */
  async current(id: string): Promise<{ stored: pb.StoredOperation; op: Operation }> {
    const { stored } = await this.#load(id);
    return { stored, op: toDomain(stored.id, stored.content ?? {}) };
  }

  /** Every operation's id and name, as last read. */
  *names(): Iterable<{ id: string; name: string }> {
    for (const o of this.#ops.values()) yield { id: o.id, name: o.content?.name ?? "" };
  }

  // ------------------------------------------------------------------ helpers

  #check(id: string, content: pb.IOperationContent): Operation {
    const op = toDomain(id, content);
    const refusals = checkOperation(op);
    if (refusals.length > 0) throw new LiaisonError("LIAISON_VALIDATION", refusals.map((r) => `${r.field}: ${r.detail}`).join("; "));
    return op;
  }

  async #load(id: string): Promise<{ stored: pb.StoredOperation; revision: number }> {
    requireObjectId(id, "operation id");
    const got = await this.d.kv.get(key(id));
    if (!got || got.operation !== "PUT") throw new LiaisonError("LIAISON_NOT_FOUND", `no operation ${id}`);
    return { stored: pb.StoredOperation.decode(got.value), revision: got.revision };
  }

  /** Every other operation, as the domain reads it. */
  #others(id: string): Operation[] {
    return [...this.#ops.values()].filter((o) => o.id !== id).map((o) => toDomain(o.id, o.content ?? {}));
  }

  #view(stored: pb.IStoredOperation, overlaps: readonly Overlap[]): pb.IOperationView {
    return { operation: stored, overlaps: overlaps.map(overlapToProto) };
  }

  async #audit(call: HubCall, action: pb.AuditAction, objectType: string, objectId: string, details: Record<string, string>): Promise<void> {
    await this.d.audit.emit({ action, authority: call.cp, userId: call.userId, objectType, objectId, outcome: AuditOutcome.AUDIT_OUTCOME_SUCCESS, details });
  }

  /** Who hears about an operation's overlaps: its leaders that are contact points, and the member that entered it. */
  #addressees(op: pb.IStoredOperation): string[] {
    const members = new Set(this.d.registry().active());
    return [...(op.content?.leaders ?? []).filter((l) => members.has(l)), op.createdBy ?? ""].filter((c) => c !== "");
  }

  /**
   * Tells the leaders of both operations of each overlap a change made (flagged) or ended
   * (resolved). A notice names the two operations and the reasons, nothing else.
   */
  async #notify(changed: pb.IStoredOperation, flagged: readonly Overlap[], resolved: readonly Overlap[]): Promise<void> {
    const sends: Array<Promise<unknown>> = [];
    for (const [state, list] of [["flagged", flagged], ["resolved", resolved]] as const) {
      for (const o of list) {
        const other = this.#ops.get(o.b.id);
        const to = [...this.#addressees(changed), ...(other ? this.#addressees(other) : [])];
        for (const n of overlapNotices(to, state, o)) sends.push(this.d.notices.send(n));
      }
    }
    await Promise.all(sends);
  }

  // ------------------------------------------------------------------ operations

  async create(call: HubCall<pb.OperationCreate>): Promise<pb.IOperationView> {
    const content = call.request.content;
    if (!content) throw new LiaisonError("LIAISON_MISSING_FIELD", "content");
    const id = newId();
    const op = this.#check(id, content);
    // A joint operation is entered by one of its leaders; another body's, by any member, for coordination.
    if (op.kind !== "other-body" && !op.leaders.includes(call.cp)) throw new LiaisonError("LIAISON_FORBIDDEN", `a joint operation is entered by one of its leaders, and ${call.cp} is not among them`);
    const now = this.d.now();
    const stored: pb.IStoredOperation = { id, createdBy: call.cp, createdAtMs: now, updatedAtMs: now, content };
    const overlaps = overlapsOf(op, this.#others(id));
    const bytes = pb.StoredOperation.encode(stored).finish();
    await this.d.kv.create(key(id), bytes);
    this.#ops.set(id, pb.StoredOperation.decode(bytes));
    await Promise.all([
      this.#audit(call, AuditAction.AUDIT_ACTION_SUBMIT, "operation", id, { kind: op.kind, firstDay: firstDay(op), overlapsWith: overlaps.map((o) => o.b.id).join(",") }),
      this.#notify(stored, overlaps, []),
    ]);
    return this.#view(stored, overlaps);
  }

  async update(call: HubCall<pb.OperationUpdate>): Promise<pb.IOperationView> {
    const { operationId, fields } = call.request;
    const { stored, revision } = await this.#load(operationId);
    const before = stored.content ?? {};
    if (stored.createdBy !== call.cp && !(before.leaders ?? []).includes(call.cp)) {
      throw new LiaisonError("LIAISON_NOT_SUPPLIER", `only the member that entered operation ${operationId} or one of its leaders may change it`);
    }
    const patch = call.request.content ?? {};
    const replaced = fields.length === 0 ? [...new Set(CONTENT_FIELDS.values())] : fields.map((f) => contentField(f));
    const content: pb.IOperationContent = { ...pb.OperationContent.toObject(pb.OperationContent.create(before), { defaults: true }) };
    for (const f of replaced) (content as Record<string, unknown>)[f] = patch[f];
    const op = this.#check(operationId, content);
    const moved = retentionClockMove(phasesOf(stored), phasesOf({ content }), this.d.now());
    if (moved) throw new LiaisonError("LIAISON_RETENTION_STARTED", moved);
    const others = this.#others(operationId);
    const was = overlapsOf(toDomain(operationId, before), others);
    const overlaps = overlapsOf(op, others);
    const next: pb.IStoredOperation = { ...stored, updatedAtMs: this.d.now(), content };
    const bytes = pb.StoredOperation.encode(next).finish();
    try {
      await this.d.kv.update(key(operationId), bytes, revision);
    } catch (err) {
      if (err instanceof Error && /wrong last sequence/i.test(err.message)) throw new LiaisonError("LIAISON_CONFLICT", `operation ${operationId} changed meanwhile`, { cause: err });
      throw err;
    }
    this.#ops.set(operationId, pb.StoredOperation.decode(bytes));
    const { flagged, resolved } = overlapChanges(was, overlaps);
    await Promise.all([
      this.#audit(call, AuditAction.AUDIT_ACTION_AMEND, "operation", operationId, {
        fields: [...new Set(replaced)].join(","),
        overlapsWith: overlaps.map((o) => o.b.id).join(","),
        resolvedWith: resolved.map((o) => o.b.id).join(","),
      }),
      this.#notify(next, flagged, resolved),
    ]);
    return this.#view(next, overlaps);
  }

  async get(call: HubCall<pb.OperationRef>): Promise<pb.IOperationView> {
    const { stored } = await this.#load(call.request.operationId);
    const overlaps = overlapsOf(toDomain(stored.id, stored.content ?? {}), this.#others(stored.id));
    await this.#audit(call, AuditAction.AUDIT_ACTION_READ, "operation", stored.id, { createdBy: stored.createdBy });
    return this.#view(stored, overlaps);
  }

  async calendar(call: HubCall<pb.CalendarQuery>): Promise<pb.IOperationCalendar> {
    const { from, to } = call.request;
    const f = dayMs(from);
    const t = dayMs(to);
    if (f === undefined || t === undefined) throw new LiaisonError("LIAISON_VALIDATION", "from and to are dates (YYYY-MM-DD)");
    if (t < f) throw new LiaisonError("LIAISON_VALIDATION", "to is before from");
    if ((t - f) / 86_400_000 + 1 > MAX_CALENDAR_DAYS) throw new LiaisonError("LIAISON_VALIDATION", `a calendar covers at most ${MAX_CALENDAR_DAYS} days`);
    const shown = [...this.#ops.values()]
      .map((s) => ({ stored: s, op: toDomain(s.id, s.content ?? {}) }))
      .filter((x) => inPeriod(x.op, from, to))
      .sort((a, b) => firstDay(a.op).localeCompare(firstDay(b.op)) || a.op.name.localeCompare(b.op.name) || a.op.id.localeCompare(b.op.id));
    const overlaps = calendarOverlaps(shown.map((x) => x.op));
    await this.#audit(call, AuditAction.AUDIT_ACTION_READ, "operation-calendar", `${from}..${to}`, { operations: String(shown.length), overlaps: String(overlaps.length) });
    return { operations: shown.map((x) => x.stored), overlaps: overlaps.map(overlapToProto) };
  }
}
