// A contact point's mailbox, the one face routes and tests use: it composes the outbox (what its
// users send, and our receipts), the intake (what the hub routes here), the index of messages with
// their status from the receipts, and the notice box; and it opens a message only when a user reads it.
import { EventEmitter } from "node:events";
import type { JetStreamClient } from "@nats-io/jetstream";
import type { AuditEmitter } from "../../src/audit/mod.js";
import { decodeAs, Opener, type ContactPointKeys } from "../../src/crypto/mod.js";
import { messageStatus } from "../../src/domain/mod.js";
import { LiaisonError } from "../../src/errors.js";
import type { Logger } from "../../src/log/mod.js";
import type { JsPublisher } from "../../src/nats/mod.js";
import { pb } from "../../src/proto/mod.js";
import type { RegistryView } from "../../src/registry/mod.js";
import { Intake } from "./intake.js";
import { MessageIndex, type Entry, type ReceiptView } from "./message-index.js";
import { NoticeBox, type KeptNotice } from "./notice-box.js";
import { Outbox, type SendRequest } from "./outbox.js";
import type { SearchIndex } from "./search-index.js";
import type { ApStore, StoredItem } from "./store.js";

export { INBOX_PULL_WINDOW } from "./intake.js";
export type { Box, Entry, ReceiptView, RecipientState } from "./message-index.js";
export { newCaseRef, type SendRequest } from "./outbox.js";

export interface OpenedMessage {
  readonly entry: Entry;
  readonly payload: pb.Payload;
}

export interface MailboxDeps {
  /** The hub's JetStream, for this contact point's inbox consumers (imported under subjects.hubJsApi). */
  readonly js: JetStreamClient;
  readonly publisher: JsPublisher;
  readonly store: ApStore;
  readonly cp: string;
  readonly keys: ContactPointKeys;
  readonly registry: () => RegistryView;
  readonly audit: AuditEmitter;
  readonly log: Logger;
  readonly now?: () => number;
  /** Resubmit unconfirmed sends created within this window (below the hub's replay window). */
  readonly resubmitWindowMs?: number;
  /** How often unconfirmed sends are tried again while running (the hub was unreachable). */
  readonly resubmitEveryMs?: number;
}

/**
 * Events for tests, benchmarks, live views and the push to the back office (push/): "delivered" (an
 * envelope stored here), "receipt" (applied to a sent message), "notice" (stored here), "replayed"
 * (start() has read the store back, and takes the inbox next). The store's replay emits "receipt"
 * for every stored receipt: what comes after "replayed" is new.
 */
export type MailboxEvents = { delivered: [Entry]; receipt: [Entry, ReceiptView]; notice: [pb.Notice]; replayed: [] };

export class Mailbox extends EventEmitter<MailboxEvents> {
  readonly cp: string;
  readonly #d: MailboxDeps;
  readonly #now: () => number;
  readonly #opener: Opener;
  readonly #index: MessageIndex;
  readonly #notices: NoticeBox;
  readonly #outbox: Outbox;
  readonly #intake: Intake;
  #replayed = false;

  constructor(d: MailboxDeps) {
    super();
    this.cp = d.cp;
    this.#d = d;
    const now = (this.#now = d.now ?? Date.now);
    this.#opener = new Opener(d.cp, d.keys.encryption);
    this.#index = new MessageIndex(d.cp, (e, r) => this.emit("receipt", e, r));
    this.#notices = new NoticeBox(d.store, this.#opener, (n) => this.emit("notice", n));
    this.#outbox = new Outbox({ ...d, index: this.#index, now });
    this.#intake = new Intake({ ...d, index: this.#index, notices: this.#notices, outbox: this.#outbox, opener: this.#opener, now, onDelivered: (e) => this.emit("delivered", e) });
  }

  /** Replays the store into the index, resubmits unconfirmed sends, then starts taking the inbox. */
  async start(): Promise<void> {
    await this.#d.store.replay((item) => this.#replay(item));
    this.#replayed = true;
    this.emit("replayed");
    await this.#outbox.start();
    await this.#intake.start();
  }

  async stop(): Promise<void> {
    await this.#outbox.stop();
    await this.#intake.stop();
  }

  #replay(item: StoredItem): void {
    try {
      if (item.kind === "note") this.#notices.replay(item);
      else this.#index.replay(item);
    } catch (err) {
      this.#d.log.error({ err, seq: item.seq }, "unreadable item in the access point's store");
    }
  }

  /** Whether start() has read the store back: events from now on are new. */
  get replayed(): boolean {
    return this.#replayed;
  }

  get size(): number {
    return this.#index.size;
  }

  /** Seals a message for its recipients; resolves once it is stored here (sealed) and on the hub's stream. */
  send(req: SendRequest): Promise<Entry> {
    return this.#outbox.send(req);
  }

  get(id: string): Entry {
    return this.#index.get(id);
  }

  /** Every message here, in no particular order. */
  entries(): Entry[] {
    return this.#index.entries();
  }

  has(id: string): boolean {
    return this.#index.has(id);
  }

  notices(): ReadonlyArray<KeptNotice> {
    return this.#notices.list();
  }

  /** What a notice carries sealed to this contact point, opened here; undefined when it carries nothing sealed. */
  noticeContent(n: pb.Notice): string | undefined {
    return this.#notices.content(n);
  }

  /** Opens a message for a user; the first read of a received message sends a read receipt. */
  async open(id: string): Promise<OpenedMessage> {
    const entry = this.get(id);
    const bytes = pb.EnvelopeBatch.decode(await this.#d.store.get(entry.seq)).envelopes[entry.pos];
    if (!bytes) throw new LiaisonError("LIAISON_INTERNAL", `stored copy of ${id} is missing`);
    const opened = this.#opener.open(pb.SealedContent.decode(pb.Envelope.decode(bytes).sealed));
    const payload = decodeAs((b) => pb.Payload.decode(b), opened.payload, "Payload");
    if (entry.box === "inbox" && entry.readAtMs === undefined) {
      entry.readAtMs = this.#now();
      await this.#outbox.sendReceipts([this.#outbox.receipt(pb.ReceiptKind.RECEIPT_KIND_READ, entry.header.sender, [entry.id])]);
    }
    return { entry, payload };
  }

  /**
   * The search index (search-index.ts), with these entries in it: each not yet indexed is opened
   * here for it, which is not a read (no read receipt, no READ event), and its plaintext dropped.
   */
  async searchIndex(entries: readonly Entry[]): Promise<SearchIndex> {
    const search = this.#index.search;
    await this.#openEach(
      entries.filter((e) => !search.has(e.id)),
      (e, payload) => search.add(e.id, payload),
    );
    return search;
  }

  /**
   * The subjects of these entries, for a listing: each is opened here for it, which is not a read
   * (no read receipt; the listing's own READ event covers it), and nothing else of it is kept.
   */
  async subjects(entries: readonly Entry[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    await this.#openEach(entries, (e, payload) => out.set(e.id, payload.subject ?? ""));
    return out;
  }

  /** Opens each entry's stored copy (one store read per stored item, not per message), hands its payload to `each`, then wipes the plaintext. */
  async #openEach(entries: readonly Entry[], each: (e: Entry, payload: pb.Payload) => void): Promise<void> {
    const items = new Map<number, Uint8Array[]>();
    for (const e of entries) {
      const batch = items.get(e.seq) ?? pb.EnvelopeBatch.decode(await this.#d.store.get(e.seq)).envelopes;
      items.set(e.seq, batch);
      const bytes = batch[e.pos];
      if (!bytes) throw new LiaisonError("LIAISON_INTERNAL", `stored copy of ${e.id} is missing`);
      const plaintext = this.#opener.open(pb.SealedContent.decode(pb.Envelope.decode(bytes).sealed)).payload;
      each(e, decodeAs((b) => pb.Payload.decode(b), plaintext, "Payload"));
      plaintext.fill(0);
    }
  }

  /**
   * Replies to a received message: a reply envelope to its sender, then an answered receipt. A reply
   * without a subject gets one from the original's clear header (its case), not from its content:
   * reading the original would be a read nobody asked for, with a read receipt and no READ event.
   */
  async reply(id: string, req: Omit<SendRequest, "kind" | "to" | "inReplyTo" | "caseRef">): Promise<Entry> {
    const original = this.get(id);
    if (original.box !== "inbox") throw new LiaisonError("LIAISON_BAD_REQUEST", "only a received message can be replied to");
    const sent = await this.send({
      ...req,
      payload: { ...req.payload, subject: req.payload.subject || `Re: case ${original.header.caseRef}` },
      kind: pb.MessageKind.MESSAGE_KIND_REPLY,
      to: [original.header.sender],
      inReplyTo: original.id,
      caseRef: original.header.caseRef,
    });
    original.answerId = sent.id;
    original.readAtMs ??= this.#now();
    await this.#outbox.sendReceipts([this.#outbox.receipt(pb.ReceiptKind.RECEIPT_KIND_ANSWERED, original.header.sender, [original.id], { answerId: sent.id })]);
    return sent;
  }

  /** Status words for lists and filters (src/domain/receipt-status.ts). */
  status(e: Entry): { status: string; overdue: boolean } {
    const { kind, replyByMs } = e.header;
    return messageStatus(
      e.box === "inbox"
        ? { box: "inbox", kind, replyByMs, read: e.readAtMs !== undefined, answered: e.answerId !== undefined || this.#index.isReplied(e.id) }
        : { box: "sent", kind, replyByMs, states: [...e.recipients.values()].map((r) => r.state) },
      this.#now(),
    );
  }
}
