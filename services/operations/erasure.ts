// Erasure of a joint customs operation's data (issue #18 item 5), as the retention sweep orders
// it: hub-internal endpoints `due` (what is to be erased now, by the rules operationRetention and
// operationStageDue in src/domain/retention-rules.ts) and `erase-due` (erase it, like the records
// and files services' `erase-due`). First an operation's sealed items go ("operation-items"), later
// its calendar entry ("operation-entry"). Each erasure is certified once in the audit log (a fixed
// event id, and the event's bytes kept as a side record before it is sent, so a repeated order is
// answered with the same certificate), and every member of the operation gets an erasure notice.
// The side records stay in KV "operations" (a few hundred bytes each, no content).
import { createHash } from "node:crypto";
import type { KV } from "@nats-io/kv";
import { AuditAction } from "../../src/audit/mod.js";
import { decodeAs } from "../../src/crypto/mod.js";
import { HUB, operationStageDue, requireObjectId, type OperationRetentionSettings, type OperationStage } from "../../src/domain/mod.js";
import { LiaisonError } from "../../src/errors.js";
import { subjects, type EndpointDef } from "../../src/nats/mod.js";
import { erasureNotices, logErasure, relogErasure, type NoticePublisher } from "../../src/notices/mod.js";
import { pb } from "../../src/proto/mod.js";
import type { PartContext } from "../../src/runtime/mod.js";

/** What erases an operation's sealed items; the operations service's items store implements it. */
export interface ErasableItems {
  eraseOperation(operationId: string): Promise<{ items: number }>;
}

export interface OperationErasureDeps extends PartContext {
  /** KV "operations": the entries (`op.<id>`) and the certificates' side records (`erasure.<stage>.<id>`). */
  readonly kv: KV;
  readonly items: ErasableItems;
  readonly notices: NoticePublisher;
  readonly retention: OperationRetentionSettings;
}

const entryKey = (id: string) => `op.${id}`;
const sideKey = (stage: OperationStage, id: string) => `erasure.${stage}.${id}`;
/** Set once the items' erasure is certified and every member told. */
const doneKey = (id: string) => `erased.operation-items.${id}`;
const STAGES: readonly OperationStage[] = ["operation-items", "operation-entry"];

export class OperationErasure {
  constructor(private readonly d: OperationErasureDeps) {}

  /** The side record of a stage's certificate (the audit event's bytes), when that stage was certified. */
  async #side(stage: OperationStage, id: string): Promise<Uint8Array | undefined> {
    const e = await this.d.kv.get(sideKey(stage, id));
    return e && e.operation === "PUT" ? e.value : undefined;
  }

  /**
   * Every operation with something due now: its items (once), then its entry. Read from the
   * bucket itself, not a cache, so a replica that just started or missed a change answers alike;
   * operations are a few hundred a year.
   */
  async due(): Promise<pb.IOperationsDue> {
    const now = this.d.now();
    const ids: string[] = [];
    for await (const k of await this.d.kv.keys("op.*")) ids.push(k.slice("op.".length));
    const orders: pb.IErasureOrder[] = [];
    for (const id of ids.sort()) {
      const e = await this.d.kv.get(entryKey(id));
      if (!e || e.operation !== "PUT") continue;
      const op = pb.StoredOperation.decode(e.value);
      const due = operationStageDue(phasesOf(op), await this.#itemsCertified(id), now, this.d.retention);
      if (due) orders.push({ objectId: id, rule: due.stage, dueAtMs: due.dueAtMs });
    }
    return { orders };
  }

  /**
   * Erases what the order names, if it is still due (checked now, on this service's clock): the
   * items, or the items left and the entry. Refused with LIAISON_NOT_FOUND when the operation is
   * gone (erased before) and LIAISON_CONFLICT when the stage is not due (its dates moved).
   */
  async eraseDue(order: pb.ErasureOrder): Promise<pb.ICertifiedErasure> {
    const id = order.objectId;
    requireObjectId(id, "operation id");
    const stage = STAGES.find((s) => s === order.rule);
    if (!stage) throw new LiaisonError("LIAISON_VALIDATION", `rule: an operation is erased under operation-items or operation-entry, not ${order.rule || "(none)"}`);
    const logged = await this.#side(stage, id);
    const got = await this.d.kv.get(entryKey(id));
    const stored = got && got.operation === "PUT" ? pb.StoredOperation.decode(got.value) : undefined;
    if (logged) {
      // Certified before (a lost answer, a stop before the notices or the entry's deletion): the
      // same event again (the audit log keeps one), then what was left is done.
      const certified = await relogErasure(this.d.audit, logged);
      await this.#finish(stage, id, got && stored ? { stored, revision: got.revision } : undefined, certified);
      return certified;
    }
    if (!got || !stored) throw new LiaisonError("LIAISON_NOT_FOUND", `no operation ${id}`);
    const now = this.d.now();
    const due = operationStageDue(phasesOf(stored), await this.#itemsCertified(id), now, this.d.retention);
    // Items may go with an order for them once the entry is due too; the entry only when due.
    if (!due || (due.stage !== stage && !(stage === "operation-items" && due.stage === "operation-entry"))) {
      throw new LiaisonError("LIAISON_CONFLICT", `operation ${id}: ${stage} is not due now`);
    }
    const { items } = await this.d.items.eraseOperation(id);
    const cert: pb.IErasureCertificate = {
      objectType: stage,
      objectId: id,
      supplier: stored.createdBy,
      rule: stage,
      dueAtMs: due.stage === stage ? due.dueAtMs : Number(order.dueAtMs),
      erasedAtMs: now,
      // What is gone: the entry as stored (its revision) and how many items went with this order.
      contentCommitment: createHash("sha256").update(got.value).update(`|${got.revision}|items=${items}`).digest(),
    };
    const certified = await logErasure(
      this.d.audit,
      { id: `erasure.${stage}.${id}`, action: AuditAction.AUDIT_ACTION_ERASE, authority: HUB, userId: "retention", objectType: stage, objectId: id, details: { items: String(items) }, erasure: cert },
      // Kept before it is sent: a repeated order is answered with this event, which the log keeps.
      async (bytes) => void (await this.d.kv.put(sideKey(stage, id), bytes)),
    );
    await this.#finish(stage, id, { stored, revision: got.revision }, certified);
    return certified;
  }

  /**
   * Whether an operation's items take no more: their erasure is certified, or due now (the
   * operations service refuses `post` then, so nothing outlives the items' erasure).
   */
  async itemsClosed(id: string): Promise<boolean> {
    if ((await this.#itemsCertified(id)) || (await this.#side("operation-items", id))) return true;
    const e = await this.d.kv.get(entryKey(id));
    if (!e || e.operation !== "PUT") return false;
    return operationStageDue(phasesOf(pb.StoredOperation.decode(e.value)), false, this.d.now(), this.d.retention) !== undefined;
  }

  /** Whether the items' erasure is certified and told (the `due` listing then skips to the entry). */
  async #itemsCertified(id: string): Promise<boolean> {
    const e = await this.d.kv.get(doneKey(id));
    return e !== null && e.operation === "PUT";
  }

  /**
   * After the certificate is logged: the members are told, then the items' erasure is marked done,
   * or the entry is deleted. A stop before the end leaves the operation listed as due, and the next
   * order finishes it with the same certificate.
   */
  async #finish(stage: OperationStage, id: string, entry: { stored: pb.IStoredOperation; revision: number } | undefined, certified: pb.ICertifiedErasure): Promise<void> {
    if (entry) await this.#notify(entry.stored, stage, certified);
    if (stage === "operation-items") await this.d.kv.put(doneKey(id), new Uint8Array());
    else if (entry) await this.#deleteEntry(id, entry.revision);
  }

  /** Deletes the entry if it is still the revision checked (a change meanwhile is left for the next sweep). */
  async #deleteEntry(id: string, revision: number): Promise<void> {
    try {
      await this.d.kv.delete(entryKey(id), { previousSeq: revision });
    } catch (err) {
      if (err instanceof Error && /wrong last sequence/i.test(err.message)) throw new LiaisonError("LIAISON_CONFLICT", `operation ${id} changed during its erasure`, { cause: err });
      throw err;
    }
  }

  /** Each member of the operation (its leaders and participants that are contact points) gets the certificate. */
  async #notify(op: pb.IStoredOperation, stage: OperationStage, certified: pb.ICertifiedErasure): Promise<void> {
    const cps = new Set(this.d.registry().active());
    const members = [...new Set([...(op.content?.leaders ?? []), ...(op.content?.participants ?? []), op.createdBy ?? ""])].filter((c) => cps.has(c));
    await Promise.all(
      members.flatMap((cp) =>
        erasureNotices(cp, stage, stage, [certified]).map((n) => this.d.notices.send({ ...n, details: { ...n.details, operation: op.content?.name ?? "" } })),
      ),
    );
  }

  /** The hub-internal endpoints the retention sweep calls. */
  endpoints(): EndpointDef[] {
    return [
      { name: "due", subject: subjects.api("operations", "due"), handler: async () => pb.OperationsDue.encode(await this.due()).finish() },
      {
        name: "erase-due",
        subject: subjects.api("operations", "erase-due"),
        handler: async (msg) => pb.CertifiedErasure.encode(await this.eraseDue(decodeAs((b) => pb.ErasureOrder.decode(b), msg.data, "ErasureOrder"))).finish(),
      },
    ];
  }
}

/** An operation's phases as the retention rules read them: the final report phase, or another. */
export function phasesOf(op: pb.IStoredOperation): Array<{ kind: string; end: string }> {
  return (op.content?.phases ?? []).map((p) => ({ kind: p.kind === pb.PhaseKind.PHASE_KIND_FINAL_REPORT ? "final-report" : "other", end: p.end ?? "" }));
}
