// The steps a data service's handlers take alike on one of their objects (a CIS record, a FIDE
// entry): a new object's data key is erased again if the object is not stored; only its supplier
// may change it; a change is logged as the caller's; a query states its purpose and settles its
// hits with its audit events; a legal hold, set by the supplier or a supervisor, is stored then
// logged; an erasure by the supplier is refused under a hold, certified in the audit log, and its
// certificate sent to the supplier as a notice.
import { AuditAction, AuditOutcome, type AuditEmitter, type AuditInput } from "../audit/mod.js";
import type { BlindStore } from "../blindstore/mod.js";
import { hex, newId, sha256, type BlindIndexer } from "../crypto/mod.js";
import { holdInForce, SUPERVISOR_AUTHORITY, supervisorHoldChange, supplierHoldChange } from "../domain/mod.js";
import { LiaisonError } from "../errors.js";
import type { HubCall } from "../hub-rpc/mod.js";
import type { DataKey, DataKeyStore } from "../keystore/mod.js";
import type { Logger } from "../log/mod.js";
import { erasureNotices, logErasure, settleHits, type NoticePublisher } from "../notices/mod.js";
import type { pb } from "../proto/mod.js";
import { queryRefs, type BlindRef } from "./blind-refs.js";

/** The parts of a data service the steps use (HubDataParts). */
export interface DataObjectParts {
  readonly store: BlindStore;
  readonly dataKeys: DataKeyStore;
  readonly blind: BlindIndexer;
  readonly notices: NoticePublisher;
  readonly audit: AuditEmitter;
  readonly log: Logger;
  readonly now: () => number;
}

/** What a data service calls its objects: in audit events and notices (`type`: "record", "file"), in messages (`noun`: "file entry"), in log lines (`logAs`: "entry"). */
export interface DataObjectNames {
  readonly type: string;
  readonly noun: string;
  readonly logAs: string;
}

/** What the steps read of a stored object. */
export interface HeldObject {
  readonly id: string;
  readonly supplier: string;
  readonly hold?: pb.ILegalHold | null;
}

/** A hold change as a supplier or a supervisor asks it. */
interface HoldRequest {
  readonly reason: string;
  readonly untilMs: number | { toNumber(): number };
  readonly lift: boolean;
}

/** A query under way (DataObjectSteps.query). */
export interface Query {
  readonly purpose: string;
  readonly refs: readonly BlindRef[];
  hitFor(id: string, supplier: string, stub: boolean): pb.IStoredHit | undefined;
  /** `event`: what the query's audit event records besides its purpose and search references. */
  settle(event: Partial<AuditInput>): Promise<void>;
}

export class DataObjectSteps {
  readonly objectType: string;
  readonly noun: string;
  readonly #logAs: string;

  constructor(private readonly d: DataObjectParts, names: DataObjectNames) {
    this.objectType = names.type;
    this.noun = names.noun;
    this.#logAs = names.logAs;
  }

  supplierOnly(call: HubCall, stored: HeldObject, action: string): void {
    if (stored.supplier !== call.cp) throw new LiaisonError("LIAISON_NOT_SUPPLIER", `only ${stored.supplier} may ${action} ${this.noun} ${stored.id}`);
  }

  /** An event of the caller's on one of these objects (or on none: objectId ""). */
  async audit(call: HubCall, action: pb.AuditAction, objectId: string, extra: Partial<AuditInput> = {}): Promise<void> {
    await this.d.audit.emit({ action, authority: call.cp, userId: call.userId, objectType: this.objectType, objectId, outcome: AuditOutcome.AUDIT_OUTCOME_SUCCESS, ...extra });
  }

  /** A new object's data key, for `store` to store the object with: erased again if it fails, so nothing is left half-stored. */
  async withNewDataKey<T>(id: string, store: (key: DataKey) => Promise<T>): Promise<T> {
    const key = await this.d.dataKeys.create(id);
    try {
      return await store(key);
    } catch (err) {
      await this.d.dataKeys.erase(key.keyId).catch(() => undefined);
      throw err;
    }
  }

  /**
   * A query by `call`: its purpose (stated, at least 3 characters) and what it looks up, refusing
   * an empty list of `field`. `hitFor` makes a hit on an object of another supplier's (none on the
   * caller's own); `settle` stores the hits and notifies their suppliers while the query and each
   * hit are logged, one audit batch, so that no answer goes back before every part is stored.
   */
  query(call: HubCall, purposeText: string, identifiers: readonly pb.IIdentifier[], field: string): Query {
    const purpose = purposeText.trim();
    if (purpose.length < 3) throw new LiaisonError("LIAISON_PURPOSE_REQUIRED", "state why you search (at least 3 characters)");
    if (identifiers.length === 0) throw new LiaisonError("LIAISON_MISSING_FIELD", field);
    const refs = queryRefs(this.d.blind, identifiers, field);
    const now = this.d.now();
    const hits: pb.IStoredHit[] = [];
    return {
      purpose,
      refs,
      hitFor: (id, supplier, stub) => {
        if (supplier === call.cp) return undefined;
        const hit: pb.IStoredHit = { hitId: newId(), objectType: this.objectType, objectId: id, supplier, matchedBy: call.cp, purpose, atMs: now, ...(stub ? { stub: true } : {}) };
        hits.push(hit);
        return hit;
      },
      settle: (event) =>
        settleHits(this.d.store, this.d.notices, hits, [
          this.audit(call, AuditAction.AUDIT_ACTION_QUERY, "", { purpose, searchRefs: refs.map((r) => hex(r.ref)), ...event }),
          ...hits.map((h) => this.audit(call, AuditAction.AUDIT_ACTION_HIT, h.objectId ?? "", { purpose, details: { supplier: h.supplier ?? "", hitId: h.hitId ?? "", ...(h.stub ? { stub: "true" } : {}) } })),
        ]),
    };
  }

  /** The supplier sets a hold or lifts its own: `save` stores the object with the new hold (and gives the answer), then the change is logged. */
  async supplierHold<V>(call: HubCall<HoldRequest>, stored: HeldObject, save: (hold: pb.ILegalHold | null) => Promise<V>): Promise<V> {
    const req = call.request;
    this.supplierOnly(call, stored, req.lift ? "lift a hold on" : "hold");
    const hold = supplierHoldChange(stored.hold, { reason: req.reason, untilMs: Number(req.untilMs), lift: req.lift }, `${call.cp}:${call.userId}`, this.d.now(), `${this.noun} ${stored.id}`);
    const answer = await save(hold);
    await this.audit(call, req.lift ? AuditAction.AUDIT_ACTION_LEGAL_HOLD_LIFTED : AuditAction.AUDIT_ACTION_LEGAL_HOLD_SET, stored.id, {
      details: { reason: req.reason, ...(req.untilMs ? { untilMs: String(req.untilMs) } : {}) },
    });
    return answer;
  }

  /** A supervisor's hold, set or lifted (HUB_SUPERVISION, from the console): stored by `save`, then logged as the supervisor's. */
  async supervisorHold(req: HoldRequest & { readonly supervisor: string }, stored: HeldObject, save: (hold: pb.ILegalHold | null) => Promise<unknown>): Promise<pb.IHoldState> {
    const hold = supervisorHoldChange(stored.hold, { reason: req.reason, untilMs: Number(req.untilMs), lift: req.lift }, req.supervisor, this.d.now(), `${this.noun} ${stored.id}`);
    await save(hold);
    await this.d.audit.emit({
      action: req.lift ? AuditAction.AUDIT_ACTION_LEGAL_HOLD_LIFTED : AuditAction.AUDIT_ACTION_LEGAL_HOLD_SET,
      authority: SUPERVISOR_AUTHORITY,
      userId: req.supervisor,
      objectType: this.objectType,
      objectId: stored.id,
      outcome: AuditOutcome.AUDIT_OUTCOME_SUCCESS,
      details: { reason: req.reason, supplier: stored.supplier, ...(req.untilMs ? { untilMs: String(req.untilMs) } : {}) },
    });
    return { objectType: this.objectType, objectId: stored.id, supplier: stored.supplier, ...(hold ? { hold } : {}) };
  }

  /**
   * The supplier erases its object (an erasure order, or a change that erases it such as a FIDE
   * entry's subject cleared), with `details` for its audit event: refused under a hold; `erase` shreds it and gives the
   * certificate, which is logged (certified) and sent to the supplier as a notice. The object is
   * gone whatever happens to the notice, so a failure to send it does not fail the erasure: the
   * answer carries the certificate.
   */
  async supplierErasure(call: HubCall, stored: HeldObject, erase: () => Promise<pb.IErasureCertificate>, details: Record<string, string>): Promise<pb.ICertifiedErasure> {
    this.supplierOnly(call, stored, "erase");
    if (holdInForce(stored.hold, this.d.now())) throw new LiaisonError("LIAISON_ON_HOLD", `${this.noun} ${stored.id} is under a legal hold: ${stored.hold?.reason}`);
    const cert = await erase();
    const certified = await logErasure(this.d.audit, {
      action: AuditAction.AUDIT_ACTION_ERASE,
      authority: call.cp,
      userId: call.userId,
      objectType: this.objectType,
      objectId: stored.id,
      erasure: cert,
      details,
    });
    for (const n of erasureNotices(stored.supplier, this.objectType, cert.rule ?? "", [certified])) {
      await this.d.notices.send(n).catch((err: unknown) => this.d.log.error({ err, [this.#logAs]: stored.id }, "the erasure notice could not be sent"));
    }
    return certified;
  }

  /** The certificate of a shredded object (BlindStore.shred): it commits to the erased ciphertext and wrapped data key. */
  certificate(stored: HeldObject & { readonly ciphertext: Uint8Array }, rule: string, dueAtMs: number, shredded: { readonly key: { readonly wrapped: Uint8Array } | undefined; readonly pending: number }): pb.IErasureCertificate {
    return {
      objectType: this.objectType,
      objectId: stored.id,
      supplier: stored.supplier,
      rule,
      dueAtMs,
      erasedAtMs: this.d.now(),
      contentCommitment: sha256(new Uint8Array([...stored.ciphertext, ...(shredded.key?.wrapped ?? [])])),
      overwritePendingRevision: shredded.pending,
    };
  }
}
