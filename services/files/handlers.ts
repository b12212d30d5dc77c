// The FIDE service's operations (Decision 2009/917/JHA Chapter VI, Art. 15–19): register an
// investigation file, hit/no-hit queries that return only whom to ask (Art. 16), status changes that
// move the Art. 19 retention limit, erasure at once when the subject is cleared, and erasure when due.
// Content is encrypted under a data key of its own; subject identifiers exist here only as blind indexes.
import { AuditAction } from "../../src/audit/mod.js";
import type { ErasureSteps, ShredOptions } from "../../src/blindstore/mod.js";
import { aeadOpen, aeadSeal, hex, newId, utf8 } from "../../src/crypto/mod.js";
import {
  answeredAsStub,
  assessMatch,
  DAY_MS,
  fileRetention,
  holdInForce,
  matchStrengthName,
  requireObjectId,
  splitStubs,
} from "../../src/domain/mod.js";
import { LiaisonError } from "../../src/errors.js";
import { FILES_STORE, indexRefs, type HubDataDeps } from "../../src/hub-data/mod.js";
import type { HubCall, HubHandlers } from "../../src/hub-rpc/mod.js";
import { readMatches } from "../../src/notices/mod.js";
import { pb } from "../../src/proto/mod.js";

export type FilesDeps = HubDataDeps;

const MAX_TEXT = 500;
/** No investigative act before this (a typo such as 0024 for 2024, or an unset date). */
const EARLIEST_ACT_MS = Date.UTC(1990, 0, 1);
const contentAad = (id: string) => utf8(`liaison.v1.file\0${id}`);
export const FILE_DUE_KIND = "file";
/** How far ahead of this service's clock the retention service's may be when it orders an erasure. */
const CLOCK_TOLERANCE_MS = 60_000;
/** The supplier erases its own entry (not an Art. 19 period: the supplier's decision, at once). */
export const FIDE_SUPPLIER_ERASURE = "fide-supplier-erasure";
const FS = pb.FileStatus;
const statusName = (s: number) => pb.FileStatus[s] ?? String(s);

function requireText(value: string | null | undefined, field: string): string {
  const v = (value ?? "").trim();
  if (!v) throw new LiaisonError("LIAISON_MISSING_FIELD", field);
  if (v.length > MAX_TEXT) throw new LiaisonError("LIAISON_VALIDATION", `${field}: at most ${MAX_TEXT} characters`);
  return v;
}

export class FilesHandlers implements HubHandlers<"files"> {
  constructor(private readonly d: FilesDeps) {}

  // ------------------------------------------------------------------ helpers

  #validate(content: pb.IFileEntryContent | null | undefined): pb.FileEntryContent {
    if (!content) throw new LiaisonError("LIAISON_MISSING_FIELD", "content");
    const area = content.offenceArea ?? 0;
    if (!pb.OffenceArea[area] || area === pb.OffenceArea.OFFENCE_AREA_UNSPECIFIED) throw new LiaisonError("LIAISON_VALIDATION", `offence area: unknown (${area})`);
    if (!content.subjects?.length) throw new LiaisonError("LIAISON_MISSING_FIELD", "subjects");
    return pb.FileEntryContent.create({
      fileReference: requireText(content.fileReference, "file reference"),
      investigatingService: requireText(content.investigatingService, "investigating service"),
      contact: requireText(content.contact, "contact"),
      subjects: content.subjects,
      offenceArea: area,
    });
  }

  /** A status a file may be registered with or moved to (cleared only by a status change). */
  #status(status: number, allowCleared: boolean): pb.FileStatus {
    if (!pb.FileStatus[status] || status === FS.FILE_STATUS_UNSPECIFIED) throw new LiaisonError("LIAISON_VALIDATION", `file status: unknown (${status})`);
    if (status === FS.FILE_STATUS_SUBJECT_CLEARED && !allowCleared) throw new LiaisonError("LIAISON_VALIDATION", "a file whose subject is cleared is not registered (Art. 19(2))");
    return status;
  }

  /** The date of the last investigative act: a real day, not in the future. */
  #actDate(ms: number, now: number): number {
    if (!Number.isSafeInteger(ms) || ms < EARLIEST_ACT_MS || ms > now + DAY_MS) {
      throw new LiaisonError("LIAISON_BAD_DATE", `the last investigative act must be a date between 1990 and today (got ${Number.isFinite(ms) ? new Date(ms).toISOString() : ms})`);
    }
    return ms;
  }

  async #load(id: string): Promise<{ stored: pb.StoredFileEntry; revision: number; key: Uint8Array }> {
    if (!id) throw new LiaisonError("LIAISON_MISSING_FIELD", "entry id");
    requireObjectId(id, "entry id");
    // The data key is read in the same moment as the entry (its id follows from the entry's).
    const early = this.d.dataKeys.prefetch(id);
    const got = await this.d.store.get(id);
    if (!got) throw new LiaisonError("LIAISON_NOT_FOUND", `no file entry ${id}`);
    const stored = FILES_STORE.decode(got.bytes);
    const key = await this.d.dataKeys.load(stored.dataKeyId, id, early);
    return { stored, revision: got.revision, key };
  }

  #decrypt(stored: pb.StoredFileEntry, key: Uint8Array): pb.FileEntryContent {
    return pb.FileEntryContent.decode(aeadOpen(key, stored.nonce, stored.ciphertext, contentAad(stored.id)));
  }

  async #write(stored: pb.IStoredFileEntry, content: pb.IFileEntryContent, key: Uint8Array, expectRevision: number): Promise<pb.StoredFileEntry> {
    const id = stored.id ?? "";
    const refs = indexRefs(this.d.blind, content.subjects ?? [], "subjects");
    const sealed = aeadSeal(key, pb.FileEntryContent.encode(content).finish(), contentAad(id));
    const next = pb.StoredFileEntry.create({
      ...stored,
      offenceArea: content.offenceArea ?? 0,
      nonce: sealed.nonce,
      ciphertext: sealed.ciphertext,
      blindIndexes: refs.map((r) => hex(r.ref)),
    });
    await this.d.store.put(
      id,
      pb.StoredFileEntry.encode(next).finish(),
      { id, supplier: next.supplier, category: next.offenceArea, blindIndexes: refs.map((r) => r.ref), indexTypes: refs.map((r) => r.type) },
      expectRevision,
    );
    return next;
  }

  #view(stored: pb.StoredFileEntry, content: pb.IFileEntryContent): pb.IFileEntryView {
    return {
      entryId: stored.id,
      supplier: stored.supplier,
      status: stored.status,
      createdAtMs: stored.createdAtMs,
      updatedAtMs: stored.updatedAtMs,
      lastInvestigativeActMs: stored.lastInvestigativeActMs,
      retentionUntilMs: stored.retentionUntilMs,
      retentionRule: stored.retentionRule,
      content,
      ...(stored.hold ? { hold: stored.hold } : {}),
    };
  }

  /** What a hit tells the querying contact point (Art. 16): whom to ask, and about which file. */
  #hit(stored: pb.StoredFileEntry, content: pb.IFileEntryContent, hitId: string, own: boolean): pb.IFileHit {
    return {
      ...(own ? { entryId: stored.id } : {}),
      supplier: stored.supplier,
      investigatingService: content.investigatingService ?? "",
      contact: content.contact ?? "",
      fileReference: content.fileReference ?? "",
      hitId,
    };
  }

  /** One due entry per file entry, at its Art. 19 limit; a later filing replaces the earlier one. */
  async #schedule(stored: pb.IStoredFileEntry, previousAtMs?: number): Promise<void> {
    await this.d.due.schedule(
      { kind: FILE_DUE_KIND, id: stored.id ?? "", dueAtMs: Number(stored.retentionUntilMs), meta: { supplier: stored.supplier ?? "", rule: stored.retentionRule ?? "" } },
      this.d.now(),
      previousAtMs,
    );
  }

  // ------------------------------------------------------------------ operations

  async register(call: HubCall<pb.FileRegister>): Promise<pb.IFileRegistered> {
    const req = call.request;
    const content = this.#validate(req.content);
    const status = this.#status(req.status, false);
    const now = this.d.now();
    if (!req.lastInvestigativeActMs) throw new LiaisonError("LIAISON_MISSING_FIELD", "date of the last investigative act");
    const lastAct = this.#actDate(Number(req.lastInvestigativeActMs), now);
    indexRefs(this.d.blind, content.subjects, "subjects"); // refuse malformed identifiers before anything is stored
    const retention = fileRetention({ status, registeredAtMs: now, lastInvestigativeActMs: lastAct, statusSetAtMs: now });
    if (retention.untilMs <= now) {
      throw new LiaisonError("LIAISON_VALIDATION", `under rule ${retention.rule} this entry would already be past its retention (${new Date(retention.untilMs).toISOString()})`);
    }
    const id = newId();
    return this.d.steps.withNewDataKey(id, async (key) => {
      const stored = await this.#write(
        {
          id,
          supplier: call.cp,
          status,
          createdAtMs: now,
          updatedAtMs: now,
          lastInvestigativeActMs: lastAct,
          statusSetAtMs: now,
          retentionUntilMs: retention.untilMs,
          retentionRule: retention.rule,
          dataKeyId: key.keyId,
        },
        content,
        key.key,
        0,
      );
      await this.#schedule(stored);
      await this.d.steps.audit(call, AuditAction.AUDIT_ACTION_SUBMIT, id, {
        details: { status: statusName(status), offenceArea: pb.OffenceArea[content.offenceArea] ?? "", retentionUntilMs: String(retention.untilMs), rule: retention.rule },
      });
      return { entryId: id, retentionUntilMs: retention.untilMs };
    });
  }

  /** The supplier reads its own entry; nobody else may (others learn of it only through a hit). */
  async get(call: HubCall<pb.FileRef>): Promise<pb.IFileEntryView> {
    const { entryId } = call.request;
    const { stored, key } = await this.#load(entryId);
    this.d.steps.supplierOnly(call, stored, "read");
    const content = this.#decrypt(stored, key);
    await this.d.steps.audit(call, AuditAction.AUDIT_ACTION_READ, entryId);
    return this.#view(stored, content);
  }

  async query(call: HubCall<pb.FileQuery>): Promise<pb.IFileQueryResult> {
    const q = call.request;
    const query = this.d.steps.query(call, q.purpose, q.subjects, "subjects");
    const found = [...this.d.store.index.lookup(query.refs, 0, this.d.maxQueryMatches)];
    // A surname-only hit on another supplier's entry is a stub: the supplier and the hit only (no
    // service, contact or reference), at most MAX_SURNAME_ONLY_MATCHES of them.
    const { full, stubs, leftOut } = splitStubs(found, (id, types) => {
      const entry = this.d.store.index.get(id);
      return { stub: answeredAsStub(assessMatch(types, q.subjects, entry?.types ?? []).strength, entry?.supplier === call.cp) };
    });
    const results: pb.IFileHit[] = [];
    const matched: string[] = [];
    // Every full hit is read at once, each entry with its data key.
    for (const m of await readMatches(full, (id) => this.#load(id))) {
      const { stored, key } = m.value;
      const own = stored.supplier === call.cp;
      const hit = query.hitFor(m.id, stored.supplier, false);
      matched.push(m.id);
      const { strength } = assessMatch(m.types, q.subjects, this.d.store.index.get(m.id)?.types ?? []);
      results.push({ ...this.#hit(stored, this.#decrypt(stored, key), hit?.hitId ?? "", own), strength });
    }
    // A stub's entry is read (it may be gone since it was indexed), never its data key nor its content.
    for (const m of await readMatches(stubs, (id) => this.#stored(id))) {
      const hit = query.hitFor(m.id, m.value.supplier, true);
      matched.push(m.id);
      results.push({ supplier: m.value.supplier, hitId: hit?.hitId ?? "", strength: pb.MatchStrength.MATCH_STRENGTH_SURNAME_ONLY });
    }
    await query.settle({
      objectType: "file-query",
      matched,
      // One strength per hit, in the order of `matched`: how strong, never what name; which
      // were answered as stubs, and how many surname-only hits were left out.
      details: {
        hits: String(results.length),
        strengths: results.map((r) => matchStrengthName(r.strength)).join(","),
        stubs: results.map((r) => (r.fileReference === undefined ? "1" : "0")).join(","),
        surnameOnlyLeftOut: String(leftOut),
      },
    });
    return { hits: results, surnameOnlyLeftOut: leftOut };
  }

  /** A stored entry, without its data key (a stub's supplier). */
  async #stored(id: string): Promise<pb.StoredFileEntry> {
    const got = await this.d.store.get(requireObjectId(id, "entry id"));
    if (!got) throw new LiaisonError("LIAISON_NOT_FOUND", `no file entry ${id}`);
    return FILES_STORE.decode(got.bytes);
  }

  /** A hit again, for the contact point whose query it answered (to address a request about it). */
  async hit(call: HubCall<pb.FileHitRef>): Promise<pb.IFileHit> {
    const { hitId } = call.request;
    if (!hitId) throw new LiaisonError("LIAISON_MISSING_FIELD", "hit id");
    requireObjectId(hitId, "hit id");
    const bytes = await this.d.store.getSide(`hit.${hitId}`);
    if (!bytes) throw new LiaisonError("LIAISON_NOT_FOUND", `no hit ${hitId}`);
    const h = pb.StoredHit.decode(bytes);
    if (h.matchedBy !== call.cp) throw new LiaisonError("LIAISON_FORBIDDEN", "only the contact point whose query hit may use it");
    // A stub stays a stub: the supplier resolves the hit id in a request quoting it.
    if (h.stub) {
      await this.d.steps.audit(call, AuditAction.AUDIT_ACTION_READ, h.objectId, { objectType: "file-hit", details: { hitId, supplier: h.supplier, stub: "true" } });
      return { supplier: h.supplier, hitId, strength: pb.MatchStrength.MATCH_STRENGTH_SURNAME_ONLY };
    }
    const early = this.d.dataKeys.prefetch(h.objectId);
    const got = await this.d.store.get(h.objectId);
    if (!got) throw new LiaisonError("LIAISON_ERASED", `the file entry behind hit ${hitId} has been erased`);
    const stored = FILES_STORE.decode(got.bytes);
    const content = this.#decrypt(stored, await this.d.dataKeys.load(stored.dataKeyId, stored.id, early));
    await this.d.steps.audit(call, AuditAction.AUDIT_ACTION_READ, h.objectId, { objectType: "file-hit", details: { hitId, supplier: h.supplier } });
    return this.#hit(stored, content, hitId, false);
  }

  /** Art. 19: a new status (or a later investigative act) moves the retention limit; cleared erases at once. */
  async status(call: HubCall<pb.FileStatusChange>): Promise<pb.IFileStatusChanged> {
    const req = call.request;
    const status = this.#status(req.status, true);
    const now = this.d.now();
    const actMs = req.lastInvestigativeActMs ? this.#actDate(Number(req.lastInvestigativeActMs), now) : undefined;
    const { stored, revision, key } = await this.#load(req.entryId);
    this.d.steps.supplierOnly(call, stored, "change the status of");

    if (status === FS.FILE_STATUS_SUBJECT_CLEARED) {
      // Erased at once, as by an erasure order: the certificate in the answer and as a notice.
      const certified = await this.d.steps.supplierErasure(call, stored, () => this.eraseStored(stored, "fide-cleared", now), { previousStatus: statusName(stored.status), status: statusName(status) });
      return { entryId: stored.id, status, retentionUntilMs: now, rule: "fide-cleared", certificate: certified };
    }

    const lastAct = actMs ?? Number(stored.lastInvestigativeActMs);
    const statusSetAtMs = status === stored.status ? Number(stored.statusSetAtMs) : now;
    const retention = fileRetention({ status, registeredAtMs: Number(stored.createdAtMs), lastInvestigativeActMs: lastAct, statusSetAtMs });
    const next = await this.#write(
      { ...stored, status, lastInvestigativeActMs: lastAct, statusSetAtMs, retentionUntilMs: retention.untilMs, retentionRule: retention.rule, updatedAtMs: now },
      this.#decrypt(stored, key),
      key,
      revision,
    );
    await this.#schedule(next, Number(stored.retentionUntilMs));
    await this.d.steps.audit(call, AuditAction.AUDIT_ACTION_AMEND, stored.id, {
      details: {
        status: statusName(status),
        previousStatus: statusName(stored.status),
        retentionUntilMs: String(retention.untilMs),
        previousRetentionUntilMs: String(stored.retentionUntilMs),
        rule: retention.rule,
      },
    });
    return { entryId: stored.id, status, retentionUntilMs: retention.untilMs, rule: retention.rule };
  }

  async erase(call: HubCall<pb.FileErase>): Promise<pb.IFileErased> {
    const req = call.request;
    if (!req.entryId) throw new LiaisonError("LIAISON_MISSING_FIELD", "entry id");
    const got = await this.d.store.get(requireObjectId(req.entryId, "entry id"));
    if (!got) throw new LiaisonError("LIAISON_NOT_FOUND", `no file entry ${req.entryId}`);
    const stored = FILES_STORE.decode(got.bytes);
    const certified = await this.d.steps.supplierErasure(call, stored, () => this.eraseStored(stored, FIDE_SUPPLIER_ERASURE, this.d.now()), { reason: req.reason });
    return { entryId: stored.id, certificate: certified };
  }

  /** The supplier sets a legal hold on its entry (no erasure while in force) or lifts its own. */
  async hold(call: HubCall<pb.FileHold>): Promise<pb.IFileEntryView> {
    const { stored, revision, key } = await this.#load(call.request.entryId);
    return this.d.steps.supplierHold(call, stored, async (hold) => {
      const content = this.#decrypt(stored, key);
      return this.#view(await this.#write({ ...stored, hold }, content, key, revision), content);
    });
  }

  /** A supervisor's hold, set or lifted (HUB_SUPERVISION, from the console): logged as the supervisor's. */
  async supervisorHold(req: pb.SupervisorHoldChange): Promise<pb.IHoldState> {
    const { stored, revision, key } = await this.#load(req.objectId);
    return this.d.steps.supervisorHold(req, stored, (hold) => this.#write({ ...stored, hold }, this.#decrypt(stored, key), key, revision));
  }

  /**
   * The retention service's order (hub-internal): erase an entry whose Art. 19 limit has come.
   * An order that no longer matches the entry (its status moved the limit since) is refused.
   */
  /** How a retention order erases an entry (carryOutErasureOrder: the endpoint `erase-due`). */
  readonly erasure: ErasureSteps<pb.StoredFileEntry> = {
    objectType: "file",
    noun: "file entry",
    decode: FILES_STORE.decode,
    check: (stored, order) => {
      const now = this.d.now();
      // Kept longer since it was filed (a status change moved its limit; its new filing stands), or
      // not due by this service's clock either. A minute's tolerance for the sweeper's clock being
      // ahead of this one: refused here, the filing would be dropped as no longer due.
      const until = Number(stored.retentionUntilMs);
      if (until > now + CLOCK_TOLERANCE_MS || (Number(order.dueAtMs) > 0 && until > Number(order.dueAtMs))) {
        throw new LiaisonError("LIAISON_CONFLICT", `file entry ${stored.id} is kept until ${new Date(until).toISOString()} (rule ${stored.retentionRule})`);
      }
      if (holdInForce(stored.hold, now)) throw new LiaisonError("LIAISON_ON_HOLD", `file entry ${stored.id} is under a legal hold: ${stored.hold?.reason}`);
    },
    // The sweeper removes the filing it is handling itself (keepDueEntry).
    erase: (stored, order, o) => this.eraseStored(stored, order.rule || stored.retentionRule || "fide-ongoing", Number(order.dueAtMs) || Number(stored.retentionUntilMs), o),
  };

  /**
   * Crypto-shredding (BlindStore.shred): the data key, the entry (every revision) and its due
   * entry. Returns the erasure certificate (the caller logs it). With `overwriteLater` (the
   * retention sweep) the stored revision's overwrite is the sweep's second step, as for records.
   */
  async eraseStored(stored: pb.StoredFileEntry, rule: string, dueAtMs: number, o: ShredOptions & { keepDueEntry?: boolean } = {}): Promise<pb.IErasureCertificate> {
    const { key, pending } = await this.d.store.shred(stored.id, () => this.d.dataKeys.erase(stored.dataKeyId), o);
    if (!o.keepDueEntry) await this.d.due.cancelAll(FILE_DUE_KIND, stored.id, [Number(stored.retentionUntilMs), this.d.now()]);
    return this.d.steps.certificate(stored, rule, dueAtMs, { key, pending });
  }
}
