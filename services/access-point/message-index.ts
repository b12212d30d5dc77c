// The access point's in-memory index of its messages: one entry per envelope stored here (sent or
// received), where its sealed copy is, and each recipient's progress from the receipts
// (src/domain/receipt-status.ts). Rebuilt from the store at start. Listing orders and cursors are
// defined here (`listed`), and the blind search index of the messages' words sits beside it.
import { advances, isOwnRead, receiptState, type RecipientState } from "../../src/domain/mod.js";
import { LiaisonError } from "../../src/errors.js";
import { pb } from "../../src/proto/mod.js";
import { SearchIndex } from "./search-index.js";
import type { StoredItem } from "./store.js";

export type Box = "inbox" | "sent";
export type { RecipientState };

export interface ReceiptView {
  readonly id: string;
  readonly envelopeIds: readonly string[];
  readonly kind: pb.ReceiptKind;
  readonly issuer: string;
  readonly recipient: string;
  readonly atMs: number;
  readonly reasonCode: string;
  readonly reason: string;
  readonly answerId: string;
}

export interface Entry {
  readonly id: string;
  readonly box: Box;
  /** Where the sealed copy is: the store item's sequence and the envelope's place in it. */
  readonly seq: number;
  readonly pos: number;
  readonly header: pb.EnvelopeHeader;
  readonly storedAtMs: number;
  readonly receipts: ReceiptView[];
  /** Sent: each recipient's progress. */
  readonly recipients: Map<string, { state: RecipientState; atMs: number; reasonCode?: string; reason?: string }>;
  /** Inbox: when a user here first opened it, and the reply sent. */
  readAtMs?: number;
  answerId?: string;
}

/**
 * "arrival": newest arrival first. "priority": urgent before normal, then newest arrival first.
 * Arrival is the place in the access point's store (store sequence, then position in the item),
 * which only grows: a message that arrives later sorts above every one already here in its group.
 */
export type ListOrder = "priority" | "arrival";

/** The arrival key: unique per entry, and larger for every later arrival. */
export const arrivalKey = (e: Entry): number => e.seq * 65_536 + e.pos;
const rank = (e: Entry): 0 | 1 => (e.header.priority === pb.Priority.PRIORITY_URGENT ? 1 : 0);

/** The cursor after an entry: "<key>" in arrival order, "<rank>.<key>" (1 urgent, 0 normal) in priority order. */
export function cursorOf(e: Entry, order: ListOrder): string {
  return order === "arrival" ? String(arrivalKey(e)) : `${rank(e)}.${arrivalKey(e)}`;
}

/**
 * The entries strictly after a cursor in a listing order, first to last. The order is total and an
 * entry's place in it never changes, so paging with the last entry's cursor lists each entry that
 * was there when paging began exactly once. One that arrives meanwhile takes the top of its group
 * (all of them in arrival order; its priority's in priority order): an urgent one is above any
 * cursor, seen on the next listing from the top; a normal one is seen in this pass if the pager is
 * still in the urgent ones, else on the next listing.
 */
export function listed(entries: Iterable<Entry>, order: ListOrder, cursor?: string): Entry[] {
  const at = cursor === undefined ? undefined : parseCursor(cursor, order);
  const before = (e: Entry) => at === undefined || (order === "arrival" ? arrivalKey(e) < at.key : rank(e) < at.rank || (rank(e) === at.rank && arrivalKey(e) < at.key));
  const out = [...entries].filter(before);
  return order === "arrival" ? out.sort((a, b) => arrivalKey(b) - arrivalKey(a)) : out.sort((a, b) => rank(b) - rank(a) || arrivalKey(b) - arrivalKey(a));
}

function parseCursor(cursor: string, order: ListOrder): { rank: number; key: number } {
  const m = /^(?:([01])\.)?(\d{1,15})$/.exec(cursor);
  if (!m || (order === "priority") !== (m[1] !== undefined)) {
    throw new LiaisonError("LIAISON_VALIDATION", `cursor ${cursor.slice(0, 20)} is not a cursor of the ${order} order: page with the order that gave it`);
  }
  return { rank: Number(m[1] ?? 0), key: Number(m[2]) };
}

export function receiptView(r: pb.Receipt): ReceiptView {
  return { id: r.id, envelopeIds: r.envelopeIds, kind: r.kind, issuer: r.issuer, recipient: r.recipient, atMs: r.atMs, reasonCode: r.reasonCode, reason: r.reason, answerId: r.answerId };
}

export class MessageIndex {
  readonly #cp: string;
  /** Called after a receipt is applied to an entry. */
  readonly #onReceipt: (e: Entry, r: ReceiptView) => void;
  readonly #entries = new Map<string, Entry>();
  readonly #receiptIds = new Set<string>();
  readonly #pendingReceipts = new Map<string, ReceiptView[]>();
  /** Store sequence of a sent batch → its id, which is its submission's message id (JetStream dedupe). */
  readonly #batchIds = new Map<number, string>();
  /** Received message id → our reply's id. */
  readonly #replies = new Map<string, string>();
  /** Blind words of the messages' content, filled when a search needs them (search-index.ts). */
  readonly search = new SearchIndex();

  constructor(cp: string, onReceipt: (e: Entry, r: ReceiptView) => void) {
    this.#cp = cp;
    this.#onReceipt = onReceipt;
  }

  get size(): number {
    return this.#entries.size;
  }

  get(id: string): Entry {
    const e = this.#entries.get(id);
    if (!e) throw new LiaisonError("LIAISON_NOT_FOUND", `no message ${id} at ${this.#cp}`);
    return e;
  }

  find(id: string): Entry | undefined {
    return this.#entries.get(id);
  }

  has(id: string): boolean {
    return this.#entries.has(id);
  }

  /** Every message here, in no particular order. */
  entries(): Entry[] {
    return [...this.#entries.values()];
  }

  values(): IterableIterator<Entry> {
    return this.#entries.values();
  }

  hasReceipt(id: string): boolean {
    return this.#receiptIds.has(id);
  }

  /** Whether a reply to this received message was sent from here (found in the store). */
  isReplied(id: string): boolean {
    return this.#replies.has(id);
  }

  batchId(seq: number): string | undefined {
    return this.#batchIds.get(seq);
  }

  setBatchId(seq: number, id: string): void {
    this.#batchIds.set(seq, id);
  }

  /** Indexes a stored sent, received or receipt item (replayed at start); throws if unreadable. */
  replay(item: StoredItem): void {
    if (item.kind === "sent") this.#batchIds.set(item.seq, item.id);
    if (item.kind === "sent" || item.kind === "recv") {
      pb.EnvelopeBatch.decode(item.data).envelopes.forEach((bytes, i) => {
        const header = pb.EnvelopeHeader.decode(pb.SealedContent.decode(pb.Envelope.decode(bytes).sealed).header);
        this.add(item.kind === "sent" ? "sent" : "inbox", item.seq, i, header, item.storedAtMs);
      });
    } else if (item.kind === "rcpt") {
      for (const sr of pb.ReceiptBatch.decode(item.data).receipts) this.applyReceipt(receiptView(pb.Receipt.decode(sr.receipt ?? new Uint8Array())));
    }
  }

  add(box: Box, seq: number, pos: number, header: pb.EnvelopeHeader, storedAtMs: number): Entry {
    const existing = this.#entries.get(header.id);
    if (existing) return existing;
    const entry: Entry = {
      id: header.id,
      box,
      seq,
      pos,
      header,
      storedAtMs,
      receipts: [],
      recipients: new Map(box === "sent" ? header.recipients.map((r) => [r, { state: "submitted" as RecipientState, atMs: header.createdAtMs }]) : []),
    };
    this.#entries.set(header.id, entry);
    if (box === "sent" && header.inReplyTo) this.#replies.set(header.inReplyTo, header.id);
    for (const r of this.#pendingReceipts.get(header.id) ?? []) this.#applyReceiptTo(entry, r);
    this.#pendingReceipts.delete(header.id);
    return entry;
  }

  applyReceipt(r: ReceiptView): void {
    if (this.#receiptIds.has(r.id)) return;
    this.#receiptIds.add(r.id);
    for (const id of r.envelopeIds) {
      const e = this.#entries.get(id);
      if (e) this.#applyReceiptTo(e, r);
      else {
        // A receipt can overtake the entry it belongs to (replayed out of order); keep it.
        const list = this.#pendingReceipts.get(id) ?? [];
        list.push(r);
        this.#pendingReceipts.set(id, list);
      }
    }
  }

  #applyReceiptTo(e: Entry, r: ReceiptView): void {
    if (e.box === "inbox") {
      if (isOwnRead(r.kind, r.issuer, this.#cp)) e.readAtMs ??= r.atMs;
      return;
    }
    e.receipts.push(r);
    const rs = receiptState(r.kind);
    if (rs) {
      const extra = rs.state === "rejected" ? { reasonCode: r.reasonCode, reason: r.reason } : {};
      for (const cp of rs.everyRecipient ? [...e.recipients.keys()] : [r.recipient]) {
        const cur = e.recipients.get(cp);
        if (cur && advances(cur.state, rs.state)) e.recipients.set(cp, { state: rs.state, atMs: r.atMs, ...extra });
      }
    }
    this.#onReceipt(e, r);
  }
}
