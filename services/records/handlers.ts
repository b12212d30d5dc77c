// The CIS records service's operations (Council Decision 2009/917/JHA): submit, read, query with
// hit notices to the supplier, amend, renew, erase and legal holds, and the hit outcome report.
// Content is encrypted under a data key of its own; identifiers exist here only as blind indexes.
import type { ObjectStore } from "@nats-io/obj";
import { AuditAction } from "../../src/audit/mod.js";
import type { ErasureSteps, ShredOptions } from "../../src/blindstore/mod.js";
import { aeadOpen, aeadOpenPacked, aeadSeal, aeadSealPacked, hex, newId, Sealer, sha256, utf8 } from "../../src/crypto/mod.js";
import {
  answeredAsStub,
  assessMatch,
  HUB,
  holdInForce,
  matchStrengthName,
  nextRecordEvent,
  recordReviewDue,
  requireObjectId,
  splitStubs,
  type RetentionSettings,
} from "../../src/domain/mod.js";
import { LiaisonError } from "../../src/errors.js";
import { indexRefs, RECORDS_STORE, type HubDataDeps } from "../../src/hub-data/mod.js";
import type { HubCall, HubHandlers } from "../../src/hub-rpc/mod.js";
import { readMatches } from "../../src/notices/mod.js";
import { pb } from "../../src/proto/mod.js";

export interface RecordsDeps extends HubDataDeps {
  readonly attachments: ObjectStore;
  readonly retention: RetentionSettings;
  readonly maxAttachmentBytes: number;
}

/** The associated data of a record's encrypted content: its id (a ciphertext moved to another record does not open). */
export const contentAad = (id: string) => utf8(`liaison.v1.record\0${id}`);
const attachmentAad = (id: string, n: number) => utf8(`liaison.v1.record-attachment\0${id}\0${n}`);
export const RECORD_DUE_KIND = "record";

export class RecordsHandlers implements HubHandlers<"records"> {
  /** Seals hit outcomes to their supplier (one ephemeral key per burst, as access points do). */
  readonly #sealer = new Sealer();

  constructor(private readonly d: RecordsDeps) {}

  // ------------------------------------------------------------------ helpers

  #validate(content: pb.ICisRecordContent | null | undefined): pb.ICisRecordContent {
    if (!content) throw new LiaisonError("LIAISON_MISSING_FIELD", "content");
    const category = content.category ?? 0;
    if (!pb.RecordCategory[category] || category === pb.RecordCategory.RECORD_CATEGORY_UNSPECIFIED) {
      throw new LiaisonError("LIAISON_UNKNOWN_CATEGORY", String(category));
    }
    const purpose = content.purpose ?? 0;
    if (!pb.RecordPurpose[purpose] || purpose === pb.RecordPurpose.RECORD_PURPOSE_UNSPECIFIED) throw new LiaisonError("LIAISON_VALIDATION", "the record's purpose (Art. 5 action) is required");
    return content;
  }

  async #load(id: string): Promise<{ stored: pb.StoredRecord; revision: number; key: Uint8Array }> {
    requireObjectId(id, "record id");
    // The data key is read in the same moment as the record (its id follows from the record's).
    const early = this.d.dataKeys.prefetch(id);
    const got = await this.d.store.get(id);
    if (!got) throw new LiaisonError("LIAISON_NOT_FOUND", `no record ${id}`);
    const stored = RECORDS_STORE.decode(got.bytes);
    const key = await this.d.dataKeys.load(stored.dataKeyId, id, early);
    return { stored, revision: got.revision, key };
  }

  #decrypt(stored: pb.StoredRecord, key: Uint8Array): pb.CisRecordContent {
    return pb.CisRecordContent.decode(aeadOpen(key, stored.nonce, stored.ciphertext, contentAad(stored.id)));
  }

  async #write(id: string, supplier: string, content: pb.ICisRecordContent, key: { keyId: string; key: Uint8Array }, base: Partial<pb.IStoredRecord>, expectRevision: number): Promise<pb.IStoredRecord> {
    const refs = indexRefs(this.d.blind, content.identifiers ?? [], "identifiers");
    const sealed = aeadSeal(key.key, pb.CisRecordContent.encode(content).finish(), contentAad(id));
    const stored: pb.IStoredRecord = {
      ...base,
      id,
      supplier,
      category: content.category ?? 0,
      dataKeyId: key.keyId,
      nonce: sealed.nonce,
      ciphertext: sealed.ciphertext,
      blindIndexes: refs.map((r) => hex(r.ref)),
    };
    await this.d.store.put(id, pb.StoredRecord.encode(stored).finish(), { id, supplier, category: stored.category ?? 0, blindIndexes: refs.map((r) => r.ref), indexTypes: refs.map((r) => r.type) }, expectRevision);
    return stored;
  }

  async #attachments(id: string, key: Uint8Array, list: readonly pb.IAttachmentData[]): Promise<pb.IAttachmentRef[]> {
    const total = list.reduce((n, a) => n + (a.content?.length ?? 0), 0);
    if (total > this.d.maxAttachmentBytes) throw new LiaisonError("LIAISON_ATTACHMENT_TOO_LARGE", `${total} bytes, limit ${this.d.maxAttachmentBytes}`);
    const refs: pb.IAttachmentRef[] = [];
    for (const [n, a] of list.entries()) {
      const content = a.content ?? new Uint8Array();
      const object = `${id}/${n}`;
      await this.d.attachments.putBlob({ name: object }, aeadSealPacked(key, content, attachmentAad(id, n)));
      refs.push({ name: a.name ?? `attachment-${n}`, mediaType: a.mediaType ?? "application/octet-stream", object, size: content.length, sha256: sha256(content) });
    }
    return refs;
  }

  async #readAttachments(id: string, key: Uint8Array, refs: readonly pb.IAttachmentRef[]): Promise<pb.IAttachmentData[]> {
    const out: pb.IAttachmentData[] = [];
    for (const [n, ref] of refs.entries()) {
      const blob = await this.d.attachments.getBlob(ref.object ?? "");
      if (!blob) continue;
      out.push({ name: ref.name ?? "", mediaType: ref.mediaType ?? "", content: aeadOpenPacked(key, blob, attachmentAad(id, n)) });
    }
    return out;
  }

  #view(stored: pb.StoredRecord, content: pb.CisRecordContent, attachments: pb.IAttachmentData[] = []): pb.IRecordView {
    return {
      recordId: stored.id,
      supplier: stored.supplier,
      createdAtMs: stored.createdAtMs,
      updatedAtMs: stored.updatedAtMs,
      reviewDueMs: stored.reviewDueMs,
      renewals: stored.renewals,
      content,
      attachments,
      ...(stored.hold ? { hold: stored.hold } : {}),
    };
  }

  /** One due entry per record, at its next event (a reminder, or the review date). */
  async #schedule(stored: pb.IStoredRecord, previousAtMs?: number): Promise<void> {
    const now = this.d.now();
    const next = nextRecordEvent(Number(stored.reviewDueMs), now, this.d.retention.reminderDays);
    await this.d.due.schedule(
      { kind: RECORD_DUE_KIND, id: stored.id ?? "", dueAtMs: next.atMs, meta: { supplier: stored.supplier ?? "", stage: next.stage, reviewDueMs: String(stored.reviewDueMs) } },
      now,
      previousAtMs,
    );
  }

  // ------------------------------------------------------------------ operations

  async submit(call: HubCall<pb.RecordSubmit>): Promise<pb.IRecordSubmitted> {
    const req = call.request;
    const content = this.#validate(req.content);
    indexRefs(this.d.blind, content.identifiers ?? [], "identifiers"); // refuse malformed identifiers before anything is stored
    const id = newId();
    const now = this.d.now();
    return this.d.steps.withNewDataKey(id, async (key) => {
      const attachments = await this.#attachments(id, key.key, req.attachments);
      const full = pb.CisRecordContent.create({ ...content, attachments });
      const reviewDueMs = recordReviewDue(now, full.category, this.d.retention);
      const stored = await this.#write(id, call.cp, full, key, { createdAtMs: now, updatedAtMs: now, reviewDueMs, renewals: 0, attachmentCount: attachments.length }, 0);
      await this.#schedule(stored);
      await this.d.steps.audit(call, AuditAction.AUDIT_ACTION_SUBMIT, id, { details: { category: pb.RecordCategory[full.category] ?? "", reviewDueMs: String(reviewDueMs) } });
      return { recordId: id, reviewDueMs };
    });
  }

  async get(call: HubCall<pb.RecordRef>): Promise<pb.IRecordView> {
    const { recordId } = call.request;
    const { stored, key } = await this.#load(recordId);
    const content = this.#decrypt(stored, key);
    const attachments = await this.#readAttachments(stored.id, key, content.attachments);
    await this.d.steps.audit(call, AuditAction.AUDIT_ACTION_READ, recordId, { details: { supplier: stored.supplier } });
    return this.#view(stored, content, attachments);
  }

  async query(call: HubCall<pb.RecordQuery>): Promise<pb.IRecordQueryResult> {
    const q = call.request;
    const query = this.d.steps.query(call, q.purpose, q.identifiers, "identifiers");
    const found = [...this.d.store.index.lookup(query.refs, q.category, this.d.maxQueryMatches)];
    // How strong each match is, from the index alone: a surname-only match on another supplier's
    // record is answered with a stub (no content, not even its id), at most MAX_SURNAME_ONLY_MATCHES.
    const { full, stubs, leftOut } = splitStubs(found, (id, types) => {
      const entry = this.d.store.index.get(id);
      const assessed = assessMatch(types, q.identifiers, entry?.types ?? []);
      return { ...assessed, stub: answeredAsStub(assessed.strength, entry?.supplier === call.cp) };
    });
    const matches: Array<pb.IRecordMatch & { recordId: string }> = [];
    // Every full match is read at once, each record with its data key.
    for (const m of await readMatches(full, (id) => this.#load(id))) {
      const { stored, key } = m.value;
      const content = this.#decrypt(stored, key);
      const hit = query.hitFor(m.id, stored.supplier, false);
      const { strength, matchedOn } = assessMatch(m.types, q.identifiers, this.d.store.index.get(m.id)?.types ?? []);
      matches.push({ recordId: m.id, record: this.#view(stored, content), hitId: hit?.hitId ?? "", matchedOn, strength });
    }
    // A stub's record is read (it may be gone since it was indexed), never its data key nor its content.
    for (const m of await readMatches(stubs, (id) => this.#stored(id))) {
      const hit = query.hitFor(m.id, m.value.supplier, true);
      const { strength, matchedOn } = assessMatch(m.types, q.identifiers, this.d.store.index.get(m.id)?.types ?? []);
      matches.push({ recordId: m.id, hitId: hit?.hitId ?? "", matchedOn, strength, supplier: m.value.supplier, category: m.value.category });
    }
    // Strongest first (a stable sort keeps the lookup's order within a strength).
    matches.sort((a, b) => (a.strength || 99) - (b.strength || 99));
    await query.settle({
      objectType: "record-query",
      matched: matches.map((m) => m.recordId),
      // One strength per matched record, in the order of `matched`: how strong, never what name.
      // Which of them were answered as stubs, and how many surname-only matches were left out.
      details: {
        matches: String(matches.length),
        strengths: matches.map((m) => matchStrengthName(m.strength)).join(","),
        stubs: matches.map((m) => (m.record ? "0" : "1")).join(","),
        surnameOnlyLeftOut: String(leftOut),
      },
    });
    return { matches: matches.map(({ recordId: _, ...m }) => m), surnameOnlyLeftOut: leftOut };
  }

  /** A stored record, without its data key (a stub's supplier and category). */
  async #stored(id: string): Promise<pb.StoredRecord> {
    const got = await this.d.store.get(requireObjectId(id, "record id"));
    if (!got) throw new LiaisonError("LIAISON_NOT_FOUND", `no record ${id}`);
    return RECORDS_STORE.decode(got.bytes);
  }

  async amend(call: HubCall<pb.RecordAmend>): Promise<pb.IRecordView> {
    const req = call.request;
    const { stored, revision, key } = await this.#load(req.recordId);
    this.d.steps.supplierOnly(call, stored, "amend");
    const old = this.#decrypt(stored, key);
    const content = this.#validate(pb.CisRecordContent.create({ ...req.content, attachments: old.attachments }));
    const next = await this.#write(stored.id, stored.supplier, content, { keyId: stored.dataKeyId, key }, { ...stored, updatedAtMs: this.d.now() }, revision);
    await this.d.steps.audit(call, AuditAction.AUDIT_ACTION_AMEND, stored.id);
    return this.#view(pb.StoredRecord.create(next), pb.CisRecordContent.create(content));
  }

  async renew(call: HubCall<pb.RecordRenew>): Promise<pb.IRecordView> {
    const req = call.request;
    if (req.reason.trim().length < 3) throw new LiaisonError("LIAISON_VALIDATION", "a renewal records its reason");
    const { stored, revision, key } = await this.#load(req.recordId);
    this.d.steps.supplierOnly(call, stored, "renew");
    const now = this.d.now();
    const reviewDueMs = recordReviewDue(now, stored.category, this.d.retention);
    const content = this.#decrypt(stored, key);
    const next = await this.#write(
      stored.id,
      stored.supplier,
      content,
      { keyId: stored.dataKeyId, key },
      { ...stored, updatedAtMs: now, reviewDueMs, renewals: stored.renewals + 1, lastRenewalReason: req.reason },
      revision,
    );
    await this.#schedule(next, nextRecordEvent(Number(stored.reviewDueMs), stored.updatedAtMs, this.d.retention.reminderDays).atMs);
    await this.d.steps.audit(call, AuditAction.AUDIT_ACTION_RENEW, stored.id, { details: { reason: req.reason, reviewDueMs: String(reviewDueMs), previousDueMs: String(stored.reviewDueMs) } });
    return this.#view(pb.StoredRecord.create(next), content);
  }

  async erase(call: HubCall<pb.RecordErase>): Promise<pb.IRecordErased> {
    const req = call.request;
    const got = await this.d.store.get(requireObjectId(req.recordId, "record id"));
    if (!got) throw new LiaisonError("LIAISON_NOT_FOUND", `no record ${req.recordId}`);
    const stored = RECORDS_STORE.decode(got.bytes);
    const certified = await this.d.steps.supplierErasure(call, stored, () => this.eraseStored(stored, "cis-supplier-erasure", this.d.now(), { revision: got.revision }), { reason: call.request.reason });
    return { recordId: stored.id, certificate: certified };
  }

  /** How a retention order erases a record (carryOutErasureOrder: the endpoint `erase-due`). */
  readonly erasure: ErasureSteps<pb.StoredRecord> = {
    objectType: "record",
    noun: "record",
    decode: RECORDS_STORE.decode,
    check: (stored, order) => {
      if (Number(stored.reviewDueMs) > Number(order.dueAtMs)) throw new LiaisonError("LIAISON_CONFLICT", `record ${stored.id} was renewed`);
      if (holdInForce(stored.hold, this.d.now())) throw new LiaisonError("LIAISON_ON_HOLD", `record ${stored.id} is under a legal hold`);
    },
    erase: (stored, order, o) => this.eraseStored(stored, order.rule, Number(order.dueAtMs), o),
  };

  /**
   * Crypto-shredding (BlindStore.shred): the data key and the attachments, the record (every
   * revision), and its due entry. Returns the erasure certificate (the caller logs it). With
   * `overwriteLater` (the retention sweep) the record's stored revision is left under a delete
   * marker that names it, and the sweep overwrites it on disk once the erasures of its page are
   * certified (the certificate names the revision): an erasure then waits for one disk flush (the
   * data key's) instead of two.
   */
  async eraseStored(stored: pb.StoredRecord, rule: string, dueAtMs: number, o: ShredOptions & { keepDueEntry?: boolean } = {}): Promise<pb.IErasureCertificate> {
    const { key, pending } = await this.d.store.shred(
      stored.id,
      async () => {
        const k = await this.d.dataKeys.erase(stored.dataKeyId);
        for (let n = 0; n < stored.attachmentCount; n++) await this.d.attachments.delete(`${stored.id}/${n}`).catch(() => undefined);
        return k;
      },
      o,
    );
    if (!o.keepDueEntry) {
      // The sweeper removes the entry it is handling itself; a supplier's erasure removes it here.
      const now = this.d.now();
      const reviewDue = Number(stored.reviewDueMs);
      await this.d.due.cancelAll(RECORD_DUE_KIND, stored.id, [nextRecordEvent(reviewDue, now, this.d.retention.reminderDays).atMs, reviewDue, now]);
    }
    return this.d.steps.certificate(stored, rule, dueAtMs, { key, pending });
  }

  async hold(call: HubCall<pb.RecordHold>): Promise<pb.IRecordView> {
    const { stored, revision, key } = await this.#load(call.request.recordId);
    return this.d.steps.supplierHold(call, stored, async (hold) => {
      const content = this.#decrypt(stored, key);
      const next = await this.#write(stored.id, stored.supplier, content, { keyId: stored.dataKeyId, key }, { ...stored, hold }, revision);
      return this.#view(pb.StoredRecord.create(next), content);
    });
  }

  /** A supervisor's hold, set or lifted (HUB_SUPERVISION, from the console): logged as the supervisor's. */
  async supervisorHold(req: pb.SupervisorHoldChange): Promise<pb.IHoldState> {
    const { stored, revision, key } = await this.#load(req.objectId);
    return this.d.steps.supervisorHold(req, stored, (hold) => this.#write(stored.id, stored.supplier, this.#decrypt(stored, key), { keyId: stored.dataKeyId, key }, { ...stored, hold }, revision));
  }

  async outcome(call: HubCall<pb.HitOutcome>): Promise<pb.IHitOutcome> {
    const req = call.request;
    if (req.outcome.trim().length < 3) throw new LiaisonError("LIAISON_VALIDATION", "describe the action taken");
    const bytes = await this.d.store.getSide(`hit.${requireObjectId(req.hitId, "hit id")}`);
    if (!bytes) throw new LiaisonError("LIAISON_NOT_FOUND", `no hit ${req.hitId}`);
    const hit = pb.StoredHit.decode(bytes);
    if (hit.matchedBy !== call.cp) throw new LiaisonError("LIAISON_FORBIDDEN", "only the contact point whose query hit may report its outcome");
    // The outcome is content ("subject sighted at Rotterdam..."): it travels sealed to the
    // supplier, like a message, and the hub keeps only that it was reported.
    const now = this.d.now();
    const noticeId = newId();
    const sealed = this.#sealer.seal(
      { id: noticeId, sender: HUB, recipients: [hit.supplier], createdAtMs: now },
      utf8(req.outcome),
      [this.d.registry().encryptionKey(hit.supplier)],
    );
    hit.outcomeAtMs = now;
    await this.d.store.putSide(`hit.${hit.hitId}`, pb.StoredHit.encode(hit).finish());
    await this.d.notices.send({
      id: noticeId,
      kind: pb.NoticeKind.NOTICE_KIND_HIT_OUTCOME,
      addressee: hit.supplier,
      objectType: hit.objectType,
      objectId: hit.objectId,
      matchedBy: call.cp,
      details: { hitId: hit.hitId },
      sealed,
    });
    await this.d.steps.audit(call, AuditAction.AUDIT_ACTION_HIT, hit.objectId, { details: { hitId: hit.hitId, outcome: "reported" } });
    return { hitId: hit.hitId, outcome: req.outcome };
  }
}
