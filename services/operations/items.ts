// What members exchange inside a joint customs operation, as the hub keeps it (issue #18, items 2
// to 4): versioned documents with a comment round, the closed group's messages and the
// recommendations. The hub stores the sealed envelope and the clear metadata only: it checks the
// author's signature, that the author is a member, and that the envelope is sealed to exactly the
// operation's members now; it serves an item only to a member it was sealed to. Each read and
// change is an audit event, logged before it is answered.
import type { KV } from "@nats-io/kv";
import { AuditAction, AuditOutcome, type AuditEmitter } from "../../src/audit/mod.js";
import { BatchVerifier } from "../../src/crypto/mod.js";
import {
  checkMarking,
  CP_CODE_PATTERN,
  isObjectId,
  DOCUMENT_KINDS,
  GROUP_TEMPLATES,
  ITEM_KINDS,
  ITEMS_PAGE_BYTES,
  MAX_ITEM_ENVELOPE_BYTES,
  MAX_ITEMS_PER_OPERATION,
  operationMembers,
  RECOMMENDATION_STATES,
  requireObjectId,
  sameParties,
  strayMetaFields,
  type ItemKind,
  type Operation,
} from "../../src/domain/mod.js";
import { LiaisonError } from "../../src/errors.js";
import { OPERATION_ITEMS_STORE } from "../../src/hub-data/mod.js";
import { sealedTo, verifyItemEnvelope, type HubCall } from "../../src/hub-rpc/mod.js";
import { pb } from "../../src/proto/mod.js";
import type { RegistryView } from "../../src/registry/mod.js";

export interface OperationItemsDeps {
  readonly kv: KV;
  readonly audit: AuditEmitter;
  readonly registry: () => RegistryView;
  /** An operation as stored now (throws LIAISON_NOT_FOUND), and as the domain reads it. */
  readonly operation: (id: string) => Promise<{ stored: pb.StoredOperation; op: Operation }>;
  /** Every stored operation's id and name. */
  readonly operations: () => Iterable<{ id: string; name: string }>;
  readonly now: () => number;
  /** Whether the operation's items were erased or are due for erasure: then it takes no more. */
  readonly itemsClosed: (operationId: string) => Promise<boolean>;
  /** The caps (tests lower them; MAX_ITEM_ENVELOPE_BYTES, MAX_ITEMS_PER_OPERATION and ITEMS_PAGE_BYTES by default). */
  readonly limits?: Partial<ItemLimits>;
}

export interface ItemLimits {
  readonly envelopeBytes: number;
  readonly itemsPerOperation: number;
  readonly pageBytes: number;
}

const S = OPERATION_ITEMS_STORE;

/** Where an item stands in the oldest-first order, as a cursor: its time and id. */
const cursorOf = (i: pb.StoredOperationItem) => `${String(i.createdAtMs)}.${i.id}`;

/**
 * One page of `sorted` (oldest first): the items after the cursor `after` ("" for the first page)
 * up to `pageBytes` of stored bytes (at least one), and the cursor of its last item when more
 * follow. A cursor is a position, not an index, so items posted meanwhile do not shift a page.
 */
function itemsPage(sorted: readonly pb.StoredOperationItem[], after: string, pageBytes: number): { items: pb.StoredOperationItem[]; next: string } {
  let rest = sorted;
  if (after) {
    const m = /^(\d{1,16})\.(.+)$/.exec(after);
    if (!m?.[1] || !m[2]) throw new LiaisonError("LIAISON_VALIDATION", "after: the next of the page before");
    const [at, id] = [Number(m[1]), m[2]];
    rest = sorted.filter((i) => Number(i.createdAtMs) > at || (Number(i.createdAtMs) === at && i.id.localeCompare(id) > 0));
  }
  return fill(rest, pageBytes, cursorOf);
}

/** The recommendations' order across operations, as a cursor that sorts as a plain string: operation, time, id. */
const recKey = (i: pb.StoredOperationItem) => `${i.meta?.operationId ?? ""}.${String(i.createdAtMs).padStart(16, "0")}.${i.id}`;

/** One page of recommendations (sorted by recKey) after the cursor `after`, as itemsPage. */
function recommendationsPage(sorted: readonly pb.StoredOperationItem[], after: string, pageBytes: number): { items: pb.StoredOperationItem[]; next: string } {
  return fill(after ? sorted.filter((i) => recKey(i) > after) : sorted, pageBytes, recKey);
}

/** The first of `rest` up to `pageBytes` of stored bytes (at least one), and the cursor of the last when more follow. */
function fill(rest: readonly pb.StoredOperationItem[], pageBytes: number, cursor: (i: pb.StoredOperationItem) => string): { items: pb.StoredOperationItem[]; next: string } {
  const items: pb.StoredOperationItem[] = [];
  let bytes = 0;
  for (const i of rest) {
    const size = pb.StoredOperationItem.encode(i).finish().length;
    if (items.length > 0 && bytes + size > pageBytes) break;
    items.push(i);
    bytes += size;
  }
  const last = items[items.length - 1];
  return { items, next: last && items.length < rest.length ? cursor(last) : "" };
}
const oneOf = (words: readonly string[], w: string) => words.includes(w);

export class OperationItems {
  readonly #verifier: BatchVerifier;
  readonly #limits: ItemLimits;

  constructor(private readonly d: OperationItemsDeps) {
    this.#verifier = new BatchVerifier((keyId) => d.registry().signingKey(keyId));
    this.#limits = { envelopeBytes: MAX_ITEM_ENVELOPE_BYTES, itemsPerOperation: MAX_ITEMS_PER_OPERATION, pageBytes: ITEMS_PAGE_BYTES, ...d.limits };
  }

  /** The operation's members now: its leaders and participants that are contact points in the registry. */
  #members(op: Operation): string[] {
    return operationMembers(op, this.d.registry().active());
  }

  async #audit(call: HubCall, action: pb.AuditAction, objectType: string, objectId: string, details: Record<string, string>): Promise<void> {
    await this.d.audit.emit({ action, authority: call.cp, userId: call.userId, objectType, objectId, outcome: AuditOutcome.AUDIT_OUTCOME_SUCCESS, details });
  }

  /** Every item of one operation, oldest first. */
  async #all(operationId: string): Promise<pb.StoredOperationItem[]> {
    const keys: string[] = [];
    for await (const k of await this.d.kv.keys(S.operationKeys(operationId))) keys.push(k);
    const out: pb.StoredOperationItem[] = [];
    for (const k of keys) {
      const e = await this.d.kv.get(k);
      if (e && e.operation === "PUT") out.push(S.decode(e.value));
    }
    return out.sort((a, b) => Number(a.createdAtMs) - Number(b.createdAtMs) || a.id.localeCompare(b.id));
  }

  async #item(operationId: string, itemId: string): Promise<{ item: pb.StoredOperationItem; revision: number }> {
    requireObjectId(itemId, "item id");
    const e = await this.d.kv.get(S.key(operationId, itemId));
    if (!e || e.operation !== "PUT") throw new LiaisonError("LIAISON_NOT_FOUND", `no item ${itemId} in operation ${operationId}`);
    return { item: S.decode(e.value), revision: e.revision };
  }

  async #replace(operationId: string, item: pb.IStoredOperationItem, revision: number): Promise<void> {
    try {
      await this.d.kv.update(S.key(operationId, item.id ?? ""), pb.StoredOperationItem.encode(item).finish(), revision);
    } catch (err) {
      if (err instanceof Error && /wrong last sequence/i.test(err.message)) throw new LiaisonError("LIAISON_CONFLICT", `item ${item.id ?? ""} changed meanwhile`, { cause: err });
      throw err;
    }
  }

  /** The versions of one document, oldest first. */
  #versions(items: readonly pb.StoredOperationItem[], documentId: string): pb.StoredOperationItem[] {
    return items.filter((i) => i.meta?.kind === "document" && (i.meta.documentId || i.id) === documentId).sort((a, b) => (a.meta?.version ?? 0) - (b.meta?.version ?? 0));
  }

  /** The metadata's own rules, by kind, against the operation's items so far. */
  #checkMeta(call: HubCall, meta: pb.IOperationItemMeta, op: Operation, items: readonly pb.StoredOperationItem[]): void {
    const bad = (detail: string) => new LiaisonError("LIAISON_VALIDATION", detail);
    const kind = meta.kind ?? "";
    if (!oneOf(ITEM_KINDS, kind)) throw bad(`kind: one of ${ITEM_KINDS.join(", ")}`);
    // Only the fields of its kind, so nothing unchecked is stored or copied into the audit log.
    const stray = strayMetaFields(kind as ItemKind, meta as Record<string, unknown>);
    if (stray.length > 0) throw bad(`${stray.join(", ")}: not a field of a ${kind}`);
    if (meta.documentId && !isObjectId(meta.documentId)) throw bad("documentId: an object id");
    if (meta.inReplyTo && !isObjectId(meta.inReplyTo)) throw bad("inReplyTo: an object id");
    if (meta.owner && !CP_CODE_PATTERN.test(meta.owner)) throw bad("owner: a party code such as DE or OLAF");
    const marking = checkMarking(meta.classification ?? "", meta.handlingCodes ?? []);
    if (marking.length > 0) throw bad(marking.join("; "));
    const now = this.d.now();
    if (kind === "document") {
      if (!oneOf(DOCUMENT_KINDS, meta.documentKind ?? "")) throw bad(`documentKind: one of ${DOCUMENT_KINDS.join(", ")}`);
      const deadline = Number(meta.commentDeadlineMs ?? 0);
      if (deadline !== 0 && deadline <= now) throw bad("commentDeadline: a time still to come");
      if (!meta.documentId) {
        if ((meta.version ?? 0) !== 1) throw bad("version: a new document is version 1");
        return;
      }
      const versions = this.#versions(items, meta.documentId);
      const first = versions[0];
      const last = versions[versions.length - 1];
      if (!first || !last) throw new LiaisonError("LIAISON_NOT_FOUND", `no document ${meta.documentId}`);
      if (first.author !== call.cp && !op.leaders.includes(call.cp)) throw new LiaisonError("LIAISON_FORBIDDEN", "a new version is written by the document's author or a leader");
      if (versions.some((v) => Number(v.adoptedAtMs) > 0)) throw new LiaisonError("LIAISON_CONFLICT", `document ${meta.documentId} is adopted: it takes no new version`);
      if (meta.documentKind !== first.meta?.documentKind) throw bad("documentKind: a new version keeps its document's kind");
      if (meta.version !== (last.meta?.version ?? 0) + 1) throw bad(`version: the next version is ${(last.meta?.version ?? 0) + 1}`);
      return;
    }
    if (kind === "comment") {
      const version = this.#versions(items, meta.documentId ?? "").find((v) => v.meta?.version === meta.version);
      if (!version) throw new LiaisonError("LIAISON_NOT_FOUND", `no version ${meta.version ?? 0} of document ${meta.documentId ?? ""}`);
      if (Number(version.adoptedAtMs) > 0) throw new LiaisonError("LIAISON_CONFLICT", "the document is adopted: its comment round is over");
      const deadline = Number(version.meta?.commentDeadlineMs ?? 0);
      if (deadline !== 0 && now > deadline) throw new LiaisonError("LIAISON_DEADLINE_PASSED", `the comment round closed at ${new Date(deadline).toISOString()}`);
      return;
    }
    if (kind === "message") {
      if (!oneOf(GROUP_TEMPLATES, meta.template ?? "")) throw bad(`template: one of ${GROUP_TEMPLATES.join(", ")}`);
      if (meta.inReplyTo && !items.some((i) => i.id === meta.inReplyTo && i.meta?.kind === "message")) throw new LiaisonError("LIAISON_NOT_FOUND", `no message ${meta.inReplyTo} in this operation`);
      if (meta.template === "feedback" && !meta.inReplyTo) throw bad("inReplyTo: feedback answers a message");
      return;
    }
    // A recommendation: a leader writes it and names its owner, a party to the operation.
    if (!op.leaders.includes(call.cp)) throw new LiaisonError("LIAISON_FORBIDDEN", "recommendations are written by the operation's leaders");
    if (![...op.leaders, ...op.participants].includes(meta.owner ?? "")) throw bad("owner: a leader or participant of the operation");
  }

  // ------------------------------------------------------------------ operations

  async post(call: HubCall<pb.OperationItemPost>): Promise<pb.IStoredOperationItem> {
    const meta = call.request.meta;
    if (!meta) throw new LiaisonError("LIAISON_MISSING_FIELD", "meta");
    const operationId = requireObjectId(meta.operationId ?? "", "operation id");
    const { op } = await this.d.operation(operationId);
    const members = this.#members(op);
    if (!members.includes(call.cp)) throw new LiaisonError("LIAISON_NOT_MEMBER", `${call.cp} is not a member of operation ${operationId}`);
    if (await this.d.itemsClosed(operationId)) throw new LiaisonError("LIAISON_ERASED", `operation ${operationId}'s items were erased or are due for erasure: it takes no more`);
    const max = this.#limits.envelopeBytes;
    if (call.request.envelope.length > max) throw new LiaisonError("LIAISON_OVERSIZED", `the item's envelope is ${call.request.envelope.length} bytes; at most ${max}`);
    const dec = verifyItemEnvelope(this.#verifier, call.request.envelope, meta, call.cp);
    const id = requireObjectId(dec.header.id, "item id");
    const to = sealedTo(dec);
    if (!sameParties(to.header, members) || !sameParties(to.keys, members) || to.keys.length !== members.length) {
      throw new LiaisonError("LIAISON_NOT_SEALED_TO_MEMBERS", `sealed to ${[...new Set(to.keys)].sort().join(",")}; the members now are ${members.join(",")}`);
    }
    const items = await this.#all(operationId);
    if (items.length >= this.#limits.itemsPerOperation) throw new LiaisonError("LIAISON_OPERATION_FULL", `operation ${operationId} holds ${items.length} items; at most ${this.#limits.itemsPerOperation}`);
    this.#checkMeta(call, meta, op, items);
    const now = this.d.now();
    const stored: pb.IStoredOperationItem = {
      id,
      author: call.cp,
      createdAtMs: now,
      meta,
      envelope: call.request.envelope,
      recipients: members,
      ...(meta.kind === "recommendation" ? { owner: meta.owner, state: "open", updatedAtMs: now } : {}),
    };
    try {
      await this.d.kv.create(S.key(operationId, id), pb.StoredOperationItem.encode(stored).finish());
    } catch (err) {
      if (err instanceof Error && /wrong last sequence|exists/i.test(err.message)) throw new LiaisonError("LIAISON_DUPLICATE", `item ${id} was posted before`, { cause: err });
      throw err;
    }
    await this.#audit(call, AuditAction.AUDIT_ACTION_SUBMIT, `operation-${meta.kind}`, id, {
      operation: operationId,
      ...(meta.template ? { template: meta.template } : {}),
      ...(meta.documentKind ? { documentKind: meta.documentKind, version: String(meta.version) } : {}),
      ...(meta.classification ? { classification: meta.classification } : {}),
      recipients: members.join(","),
    });
    return stored;
  }

  async items(call: HubCall<pb.OperationItemQuery>): Promise<pb.IOperationItemList> {
    const operationId = requireObjectId(call.request.operationId, "operation id");
    const { op } = await this.d.operation(operationId);
    const members = this.#members(op);
    const all = await this.#all(operationId);
    const mine = all.filter((i) => i.recipients.includes(call.cp));
    // A removed member keeps what was sealed to it while it was one; anyone else gets a refusal.
    if (!members.includes(call.cp) && mine.length === 0) throw new LiaisonError("LIAISON_NOT_MEMBER", `${call.cp} is not a member of operation ${operationId}`);
    const page = itemsPage(mine, call.request.after, this.#limits.pageBytes);
    await this.#audit(call, AuditAction.AUDIT_ACTION_READ, "operation-items", operationId, { items: String(page.items.length), member: String(members.includes(call.cp)), ...(call.request.after ? { after: call.request.after } : {}) });
    return { items: page.items, operationNames: { [operationId]: op.name }, members, next: page.next };
  }

  async adopt(call: HubCall<pb.DocumentAdopt>): Promise<pb.IStoredOperationItem> {
    const operationId = requireObjectId(call.request.operationId, "operation id");
    const { op } = await this.d.operation(operationId);
    if (!op.leaders.includes(call.cp) || !this.#members(op).includes(call.cp)) throw new LiaisonError("LIAISON_FORBIDDEN", "a document is adopted by a leader of the operation");
    const versions = this.#versions(await this.#all(operationId), call.request.documentId);
    const last = versions[versions.length - 1];
    if (!last) throw new LiaisonError("LIAISON_NOT_FOUND", `no document ${call.request.documentId}`);
    if (Number(last.adoptedAtMs) > 0) throw new LiaisonError("LIAISON_CONFLICT", `document ${call.request.documentId} is adopted already`);
    const { revision } = await this.#item(operationId, last.id);
    const next: pb.IStoredOperationItem = { ...last, adoptedAtMs: this.d.now(), adoptedBy: call.cp };
    await this.#replace(operationId, next, revision);
    await this.#audit(call, AuditAction.AUDIT_ACTION_AMEND, "operation-document", call.request.documentId, { operation: operationId, adopted: String(last.meta?.version ?? 0) });
    return next;
  }

  async track(call: HubCall<pb.RecommendationChange>): Promise<pb.IStoredOperationItem> {
    const { operationId, recommendationId, state, owner } = call.request;
    requireObjectId(operationId, "operation id");
    const { op } = await this.d.operation(operationId);
    const { item, revision } = await this.#item(operationId, recommendationId);
    if (item.meta?.kind !== "recommendation") throw new LiaisonError("LIAISON_NOT_FOUND", `no recommendation ${recommendationId}`);
    const isLeader = op.leaders.includes(call.cp);
    if (!isLeader && item.owner !== call.cp) throw new LiaisonError("LIAISON_FORBIDDEN", "a recommendation is changed by a leader or its owner");
    if (state && !oneOf(RECOMMENDATION_STATES, state)) throw new LiaisonError("LIAISON_VALIDATION", `state: one of ${RECOMMENDATION_STATES.join(", ")}`);
    if (owner && !isLeader) throw new LiaisonError("LIAISON_FORBIDDEN", "a leader names a recommendation's owner");
    if (owner && ![...op.leaders, ...op.participants].includes(owner)) throw new LiaisonError("LIAISON_VALIDATION", "owner: a leader or participant of the operation");
    if (!state && !owner) throw new LiaisonError("LIAISON_VALIDATION", "change the state or the owner");
    const next: pb.IStoredOperationItem = { ...item, ...(state ? { state } : {}), ...(owner ? { owner } : {}), updatedAtMs: this.d.now() };
    await this.#replace(operationId, next, revision);
    await this.#audit(call, AuditAction.AUDIT_ACTION_AMEND, "operation-recommendation", recommendationId, { operation: operationId, ...(state ? { state } : {}), ...(owner ? { owner } : {}) });
    return next;
  }

  async recommendations(call: HubCall<pb.RecommendationQuery>): Promise<pb.IOperationItemList> {
    const { operationId, openOnly, after } = call.request;
    if (operationId) requireObjectId(operationId, "operation id");
    const ops = [...this.d.operations()].filter((o) => !operationId || o.id === operationId);
    const items: pb.StoredOperationItem[] = [];
    const operationNames: Record<string, string> = {};
    for (const o of ops) {
      const recs = (await this.#all(o.id)).filter((i) => i.meta?.kind === "recommendation" && i.recipients.includes(call.cp) && (!openOnly || i.state === "open" || i.state === "in-progress"));
      if (recs.length > 0) operationNames[o.id] = o.name;
      items.push(...recs);
    }
    const page = recommendationsPage(items.sort((a, b) => (recKey(a) < recKey(b) ? -1 : recKey(a) > recKey(b) ? 1 : 0)), after, this.#limits.pageBytes);
    const names = Object.fromEntries(Object.entries(operationNames).filter(([id]) => page.items.some((i) => i.meta?.operationId === id)));
    await this.#audit(call, AuditAction.AUDIT_ACTION_READ, "operation-recommendations", operationId || "all", { items: String(page.items.length), openOnly: String(openOnly), ...(after ? { after } : {}) });
    return { items: page.items, operationNames: names, members: [], next: page.next };
  }

  /** Deletes every item of an operation (the retention service's erasure, through this service); how many there were. */
  async eraseOperation(operationId: string): Promise<{ items: number }> {
    requireObjectId(operationId, "operation id");
    const keys: string[] = [];
    for await (const k of await this.d.kv.keys(S.operationKeys(operationId))) keys.push(k);
    for (const k of keys) await this.d.kv.purge(k);
    return { items: keys.length };
  }
}
