// A contact point's mailbox: seals, signs and submits what its users send; takes what the hub
// routes to it (verify, decrypt to check, store sealed, acknowledge, send a delivery receipt); keeps
// the status of every message from the receipts; opens a message only when a user reads it.
//
// Work is done in bursts: messages sent in the same turn of the event loop are signed with one
// batch signature, stored as one item and submitted as one JetStream message; what arrives
// together is stored together and acknowledged with one delivery receipt per sender.
import { EventEmitter } from "node:events";
import { setImmediate } from "node:timers";
import type { JsMsg, JetStreamClient } from "@nats-io/jetstream";
import { AuditAction, AuditOutcome, type AuditEmitter } from "../../src/audit/mod.js";
import {
  BatchSigner,
  BatchVerifier,
  newId,
  decodeAs,
  decodeEnvelopeBytes,
  envelopeBytesOf,
  Ed25519Signer,
  Opener,
  Sealer,
  type ContactPointKeys,
  type RecipientKey,
} from "../../src/crypto/mod.js";
import { chunk, effectivePriority, HUB, MAX_SUBMIT_ENVELOPES, MAX_SUBMIT_RECEIPT_REFS, MAX_SUBMIT_RECEIPTS } from "../../src/domain/mod.js";
import { LiaisonError, toLiaisonError } from "../../src/errors.js";
import type { Logger } from "../../src/log/mod.js";
import { consumeLanes, inboxConsumer, Linger, PRIORITY_TOKENS, subjects, type BatchConsumer, type JsPublisher, type PriorityToken } from "../../src/nats/mod.js";
import { pb } from "../../src/proto/mod.js";
import type { RegistryView } from "../../src/registry/mod.js";
import type { ApStore, StoredItem } from "./store.js";

export type Box = "inbox" | "sent";
export type RecipientState = "submitted" | "accepted" | "rejected" | "delivered" | "read" | "answered";
const RANK: Record<RecipientState, number> = { submitted: 0, accepted: 1, delivered: 2, read: 3, answered: 4, rejected: -1 };
/** Envelopes per submission: what the exchange takes in one. */
const MAX_BATCH = MAX_SUBMIT_ENVELOPES;
const RESUBMIT_EVERY_MS = 15_000;
/** A send younger than this is still in flight, not unconfirmed. */
const RESUBMIT_AFTER_MS = 5_000;

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

/** Inbox messages pulled ahead of handling, per priority lane. */
export const INBOX_PULL_WINDOW = 64;

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

export interface SendRequest {
  readonly kind: pb.MessageKind;
  readonly to: readonly string[];
  readonly payload: pb.IPayload;
  readonly priority: pb.Priority;
  readonly replyByMs?: number;
  readonly caseRef?: string;
  readonly handlingCodes: pb.HandlingCode[];
  readonly inReplyTo?: string;
}

/** Events for tests, benchmarks and live views: "delivered" (an envelope stored here), "receipt". */
export type MailboxEvents = { delivered: [Entry]; receipt: [Entry, ReceiptView] };

interface Outgoing {
  readonly header: pb.EnvelopeHeader;
  readonly sealed: Uint8Array;
  resolve(e: Entry): void;
  reject(err: unknown): void;
}

type Refusal = { error: LiaisonError; id: string; what: string };
type FollowUp = { msgs: JsMsg[]; delivered: Entry[]; refusals: Refusal[] };

export class Mailbox extends EventEmitter<MailboxEvents> {
  readonly cp: string;
  readonly #d: MailboxDeps;
  readonly #now: () => number;
  readonly #sealer = new Sealer();
  readonly #signer: BatchSigner;
  readonly #opener: Opener;
  readonly #verifier: BatchVerifier;
  readonly #entries = new Map<string, Entry>();
  readonly #receiptIds = new Set<string>();
  readonly #pendingReceipts = new Map<string, ReceiptView[]>();
  /** Store sequence of a sent batch → its id, which is its submission's message id (JetStream dedupe). */
  readonly #batchIds = new Map<number, string>();
  #resubmitTimer: NodeJS.Timeout | undefined;
  #resubmitting: Promise<void> | undefined;
  /** Received message id → our reply's id. */
  readonly #replies = new Map<string, string>();
  readonly #notices: Array<{ notice: pb.Notice; seq: number }> = [];
  #outbox: Outgoing[] = [];
  #flushScheduled = false;
  #flushing = 0;
  #consumer: BatchConsumer | undefined;
  /** Delivery receipts, refusals and inbox acknowledgements, sent together every few ms. */
  readonly #followUp: Linger<FollowUp>;

  constructor(d: MailboxDeps) {
    super();
    this.cp = d.cp;
    this.#d = d;
    this.#now = d.now ?? Date.now;
    this.#signer = new BatchSigner(new Ed25519Signer(d.keys.signing), { now: this.#now });
    this.#opener = new Opener(d.cp, d.keys.encryption);
    this.#verifier = new BatchVerifier((keyId) => d.registry().signingKey(keyId));
    this.#followUp = new Linger((items) => this.#finishInbox(items), {
      log: d.log,
      onError: (items) => items.forEach((i) => i.msgs.forEach((m) => m.nak(1_000))),
    });
  }

  /** Replays the store into the index, resubmits unconfirmed sends, then starts taking the inbox. */
  async start(): Promise<void> {
    await this.#d.store.replay((item) => this.#index(item));
    await this.#resubmitUnconfirmed();
    // Sends the hub did not take (it was unreachable: a leaf node cut off, a restart) are tried
    // again while they are still inside the hub's replay window.
    this.#resubmitTimer = setInterval(() => {
      if (this.#resubmitting) return;
      this.#resubmitting = this.#resubmitUnconfirmed().finally(() => (this.#resubmitting = undefined));
    }, this.#d.resubmitEveryMs ?? RESUBMIT_EVERY_MS);
    this.#resubmitTimer.unref();
    // Urgent first: a waiting urgent batch is always taken next. Small batches, two at a time,
    // bound how long an urgent message can wait behind normal ones already being handled.
    this.#consumer = await consumeLanes(
      this.#d.js,
      PRIORITY_TOKENS.map((p) => ({ stream: "INBOX", durable: inboxConsumer(this.cp, p).config.durable_name, handle: (b: JsMsg[]) => this.#onInbox(b) })),
      // Ordered: a batch that cannot be stored (its store has no leader during a node's loss) is
      // stored again before anything after it, so the inbox keeps the order the hub delivered in.
      // The pull window bounds what a dead node can have in transit (lost, then redelivered after
      // the ack wait behind newer messages): at most INBOX_PULL_WINDOW per lane arrive late.
      { log: this.#d.log, maxBatch: 32, maxInFlight: 2, ordered: true, buffer: INBOX_PULL_WINDOW },
    );
  }

  async stop(): Promise<void> {
    clearInterval(this.#resubmitTimer);
    await this.#resubmitting;
    await this.#consumer?.stop();
    await this.#followUp.drain();
  }

  get size(): number {
    return this.#entries.size;
  }

  // ---------------------------------------------------------------- sending

  /** Seals a message for its recipients; resolves once it is stored here (sealed) and on the hub's stream. */
  send(req: SendRequest): Promise<Entry> {
    const reg = this.#d.registry();
    const to = req.to.length === 1 && req.to[0] === "*" ? reg.active().filter((c) => c !== this.cp) : [...req.to];
    if (to.length === 0) throw new LiaisonError("LIAISON_UNKNOWN_CONTACT_POINT", "no other active contact point");
    for (const r of to) reg.requireActive(r);
    const recipients: RecipientKey[] = to.map((r) => reg.encryptionKey(r));
    const own = this.#d.keys.encryption[0];
    if (!own) throw new LiaisonError("LIAISON_INTERNAL", "no encryption key of our own");
    // Wrapped for ourselves too, so our sent copy can be opened here later.
    recipients.push({ cp: this.cp, keyId: own.keyId, publicKey: own.publicKey });

    const id = newId();
    const header = pb.EnvelopeHeader.create({
      id,
      sender: this.cp,
      recipients: to,
      kind: req.kind,
      createdAtMs: this.#now(),
      priority: effectivePriority(req.kind, req.priority),
      replyByMs: req.replyByMs ?? 0,
      caseRef: req.caseRef || newCaseRef(this.cp, id),
      handlingCodes: req.handlingCodes,
      senderKeyId: this.#d.keys.signing.keyId,
      inReplyTo: req.inReplyTo ?? "",
    });
    const sealed = this.#sealer.seal(header, pb.Payload.encode(req.payload).finish(), recipients);
    return new Promise((resolve, reject) => {
      this.#outbox.push({ header, sealed, resolve, reject });
      this.#scheduleFlush();
    });
  }

  /** At most two bursts in flight: under load, what waits meanwhile goes out as one bigger burst. */
  #scheduleFlush(): void {
    if (this.#flushScheduled || this.#flushing >= 2 || this.#outbox.length === 0) return;
    this.#flushScheduled = true;
    setImmediate(() => {
      this.#flushScheduled = false;
      this.#flushing++;
      void this.#flush().finally(() => {
        this.#flushing--;
        this.#scheduleFlush();
      });
      this.#scheduleFlush();
    });
  }

  async #flush(): Promise<void> {
    const batch = this.#outbox.splice(0, MAX_BATCH);
    if (batch.length === 0) return;
    try {
      const sigs = this.#signer.signMany(batch.map((o) => ({ type: "envelope" as const, bytes: o.sealed })));
      const envelopes = batch.map((o, i) => pb.Envelope.encode({ sealed: o.sealed, signature: sigs[i] ?? null }).finish());
      // The sealed copies are stored before they are submitted: a crash between the two is healed
      // by the resubmission at start, never by losing track of a message.
      const batchId = newId();
      const seq = await this.#d.store.append("sent", batchId, pb.EnvelopeBatch.encode({ envelopes }).finish());
      this.#batchIds.set(seq, batchId);
      const now = this.#now();
      const entries = batch.map((o, i) => this.#addEntry("sent", seq, i, o.header, now));
      await this.#submit(batchId, batch.map((o) => o.header), envelopes);
      batch.forEach((o, i) => o.resolve(entries[i] as Entry));
    } catch (err) {
      for (const o of batch) o.reject(err);
    }
  }

  /** Submits envelopes, one JetStream message per priority. */
  async #submit(batchId: string, headers: readonly pb.IEnvelopeHeader[], envelopes: readonly Uint8Array[]): Promise<void> {
    const byPrio = new Map<PriorityToken, Uint8Array[]>();
    headers.forEach((h, i) => {
      const p: PriorityToken = h.priority === pb.Priority.PRIORITY_URGENT ? "urgent" : "normal";
      byPrio.set(p, [...(byPrio.get(p) ?? []), envelopes[i] as Uint8Array]);
    });
    try {
      await Promise.all(
        [...byPrio].map(([p, list]) =>
          this.#d.publisher.publish(subjects.submit(this.cp, p), pb.SubmitItem.encode({ envelopes: { envelopes: list } }).finish(), {
            msgID: `${batchId}.${p}`,
            expectStream: "SUBMIT",
          }),
        ),
      );
    } catch (err) {
      throw new LiaisonError("LIAISON_UNAVAILABLE", "the hub did not take the message; it is kept here, sealed, and resubmitted automatically as soon as the hub answers (within 4 minutes of sending)", { cause: err });
    }
  }

  async #resubmitUnconfirmed(): Promise<void> {
    const now = this.#now();
    const horizon = now - (this.#d.resubmitWindowMs ?? 4 * 60_000);
    const bySeq = new Map<number, Entry[]>();
    for (const e of this.#entries.values()) {
      if (e.box !== "sent" || e.header.createdAtMs < horizon || e.header.createdAtMs > now - RESUBMIT_AFTER_MS) continue;
      if ([...e.recipients.values()].some((r) => r.state !== "submitted")) continue;
      bySeq.set(e.seq, [...(bySeq.get(e.seq) ?? []), e]);
    }
    for (const [seq, list] of bySeq) {
      // One unreadable or unsubmittable item does not hold back the others.
      await (async () => {
        const stored = decodeAs((b) => pb.EnvelopeBatch.decode(b), await this.#d.store.get(seq), "EnvelopeBatch").envelopes;
        // The batch's own id again: if the first submission did reach the hub, JetStream drops this one.
        await this.#submit(this.#batchIds.get(seq) ?? newId(), list.map((e) => e.header), list.map((e) => stored[e.pos] as Uint8Array));
      })().catch((err: unknown) => this.#d.log.warn({ err, seq }, "resubmission failed"));
    }
  }

  /** Signs receipts of ours (delivered, read, answered) and submits them for routing to their addressees. */
  async #sendReceipts(receipts: pb.IReceipt[]): Promise<void> {
    if (receipts.length === 0) return;
    const bytes = receipts.map((r) => pb.Receipt.encode(r).finish());
    const sigs = this.#signer.signMany(bytes.map((b) => ({ type: "receipt" as const, bytes: b })));
    const signed = bytes.map((b, i) => ({ receipt: b, signature: sigs[i] ?? null }));
    // Our own read receipts are kept too: whether a message was read here survives a restart.
    const reads = signed.filter((_, i) => receipts[i]?.kind === pb.ReceiptKind.RECEIPT_KIND_READ);
    if (reads.length > 0) await this.#d.store.append("rcpt", `own-${newId()}`, pb.ReceiptBatch.encode({ receipts: reads }).finish());
    // Within what the exchange takes in one submission: receipts, and envelopes they name.
    const parts: Array<typeof signed> = [];
    let refs = MAX_SUBMIT_RECEIPT_REFS;
    signed.forEach((sr, i) => {
      const n = receipts[i]?.envelopeIds?.length ?? 0;
      const last = parts.at(-1);
      if (!last || last.length >= MAX_SUBMIT_RECEIPTS || refs + n > MAX_SUBMIT_RECEIPT_REFS) {
        parts.push([sr]);
        refs = n;
      } else {
        last.push(sr);
        refs += n;
      }
    });
    // A random message id: SUBMIT's duplicate window is shared by every member, and a receipt's own
    // id (<envelope>.<kind>.<CP>) is known to the envelope's sender, who could otherwise claim it first.
    await Promise.all(
      parts.map((part) =>
        this.#d.publisher.publish(subjects.submit(this.cp, "normal"), pb.SubmitItem.encode({ receipts: { receipts: part } }).finish(), { msgID: `rcpt.${newId()}`, expectStream: "SUBMIT" }),
      ),
    );
  }

  #receipt(kind: pb.ReceiptKind, addressee: string, envelopeIds: string[], extra: Partial<pb.IReceipt> = {}): pb.IReceipt {
    const name = pb.ReceiptKind[kind].replace("RECEIPT_KIND_", "").toLowerCase();
    const id = envelopeIds.length === 1 ? `${envelopeIds[0]}.${name}.${this.cp}` : `${newId()}.${name}.${this.cp}`;
    return { id, kind, envelopeIds, issuer: this.cp, recipient: this.cp, addressee, atMs: this.#now(), ...extra };
  }

  /** One delivered receipt per sender for what arrived together. */
  #deliveredReceipts(entries: readonly Entry[]): pb.IReceipt[] {
    const bySender = new Map<string, string[]>();
    for (const e of entries) bySender.set(e.header.sender, [...(bySender.get(e.header.sender) ?? []), e.id]);
    return [...bySender].flatMap(([sender, ids]) => chunk(ids, MAX_SUBMIT_RECEIPT_REFS).map((part) => this.#receipt(pb.ReceiptKind.RECEIPT_KIND_DELIVERED, sender, part)));
  }

  // ---------------------------------------------------------------- receiving

  async #onInbox(msgs: JsMsg[]): Promise<void> {
    const accepted: Array<{ header: pb.EnvelopeHeader; envelope: Uint8Array }> = [];
    const receipts: Array<{ signed: pb.ISignedReceipt; view: ReceiptView }> = [];
    const notices: pb.ISignedNotice[] = [];
    const refusals: Refusal[] = [];
    const redelivered: Entry[] = [];
    const seen = new Set<string>();

    for (const m of msgs) {
      try {
        // Envelopes (nearly everything) are read straight from their framing, without decoding the item.
        const raw = envelopeBytesOf(m.data);
        const item = raw ? undefined : decodeAs((b) => pb.InboxItem.decode(b), m.data, "InboxItem");
        if (raw || item?.envelope) {
          const envelope = raw ?? pb.Envelope.encode(item?.envelope ?? {}).finish();
          const dec = decodeEnvelopeBytes(envelope);
          const h = dec.header;
          if (!h.recipients.includes(this.cp)) throw new LiaisonError("LIAISON_BAD_REQUEST", `envelope ${h.id} is not addressed to ${this.cp}`);
          this.#verifier.verify("envelope", dec.envelope.sealed, dec.envelope.signature, h.sender);
          // Decrypt to prove it opens here before saying it was delivered; the plaintext is dropped.
          this.#opener.open(dec.sealed).payload.fill(0);
          const known = this.#entries.get(h.id);
          if (known) redelivered.push(known); // stored before a crash that came before its acknowledgement
          else if (!seen.has(h.id)) {
            seen.add(h.id);
            accepted.push({ header: h, envelope });
          }
        } else if (item?.receipts) {
          receipts.push(...this.#verifyReceipts(item.receipts, refusals));
        } else if (item?.notice) {
          const sn = item.notice;
          if (!sn.notice?.length) throw new LiaisonError("LIAISON_MISSING_FIELD", "notice");
          this.#verifier.verify("notice", sn.notice, sn.signature, HUB);
          notices.push(sn);
        }
      } catch (err) {
        refusals.push({ error: toLiaisonError(err), id: `inbox-${m.info.streamSequence}`, what: "inbox item" });
      }
    }

    const tag = `inbox-${msgs[0]?.info.streamSequence ?? 0}-${msgs.length}`;
    const [recvSeq, rcptSeq] = await Promise.all([
      accepted.length ? this.#d.store.append("recv", tag, pb.EnvelopeBatch.encode({ envelopes: accepted.map((a) => a.envelope) }).finish()) : undefined,
      receipts.length ? this.#d.store.append("rcpt", tag, pb.ReceiptBatch.encode({ receipts: receipts.map((r) => r.signed) }).finish()) : undefined,
      ...notices.map(async (sn) => {
        const notice = pb.Notice.decode(sn.notice ?? new Uint8Array());
        const seq = await this.#d.store.append("note", notice.id, pb.SignedNotice.encode(sn).finish());
        this.#notices.push({ notice, seq });
      }),
    ]);

    const now = this.#now();
    const newEntries = recvSeq === undefined ? [] : accepted.map((a, i) => this.#addEntry("inbox", recvSeq, i, a.header, now));
    if (rcptSeq !== undefined) for (const r of receipts) this.#applyReceipt(r.view);
    // Stored here (sealed) and indexed: from now on a user can open it.
    for (const e of newEntries) this.emit("delivered", e);
    this.#followUp.add({ msgs, delivered: [...newEntries, ...redelivered], refusals });
  }

  /** The follow-up of what arrived: delivery receipts on the hub's stream, refusals logged, then acks. */
  async #finishInbox(items: FollowUp[]): Promise<void> {
    await this.#sendReceipts(this.#deliveredReceipts(items.flatMap((i) => i.delivered)));
    const refusals = items.flatMap((i) => i.refusals);
    await Promise.all(
      refusals.map((r) =>
        this.#d.audit.emit({
          action: AuditAction.AUDIT_ACTION_REFUSAL,
          authority: this.cp,
          userId: `access-point:${this.cp}`,
          objectType: r.what,
          objectId: r.id,
          outcome: AuditOutcome.AUDIT_OUTCOME_REFUSED,
          reasonCode: r.error.code,
          details: { reason: r.error.detail },
        }),
      ),
    );
    for (const r of refusals) this.#d.log.warn({ code: r.error.code, id: r.id }, `refused an inbox item: ${r.error.detail}`);
    for (const i of items) for (const m of i.msgs) m.ack();
  }

  #verifyReceipts(batch: pb.IReceiptBatch, refusals: Refusal[]): Array<{ signed: pb.ISignedReceipt; view: ReceiptView }> {
    const out: Array<{ signed: pb.ISignedReceipt; view: ReceiptView }> = [];
    for (const sr of batch.receipts ?? []) {
      let id = "";
      try {
        if (!sr.receipt?.length) throw new LiaisonError("LIAISON_MISSING_FIELD", "receipt");
        const r = decodeAs((b) => pb.Receipt.decode(b), sr.receipt, "Receipt");
        id = r.id;
        const fromHub = r.kind === pb.ReceiptKind.RECEIPT_KIND_ACCEPTED || r.kind === pb.ReceiptKind.RECEIPT_KIND_REJECTED;
        const issuer = fromHub ? HUB : r.recipient;
        if (r.issuer !== issuer || r.addressee !== this.cp) throw new LiaisonError("LIAISON_FORGED_SENDER", `receipt ${r.id} from ${r.issuer}`);
        this.#verifier.verify("receipt", sr.receipt, sr.signature, issuer);
        if (!fromHub) {
          const stranger = r.envelopeIds.find((eid) => {
            const e = this.#entries.get(eid);
            return e !== undefined && !e.header.recipients.includes(r.recipient);
          });
          if (stranger) throw new LiaisonError("LIAISON_FORGED_SENDER", `${r.recipient} was not a recipient of ${stranger}`);
        }
        if (this.#receiptIds.has(r.id)) continue;
        out.push({ signed: sr, view: receiptView(r) });
      } catch (err) {
        refusals.push({ error: toLiaisonError(err), id: id || "receipt", what: "receipt" });
      }
    }
    return out;
  }

  // ---------------------------------------------------------------- index

  #index(item: StoredItem): void {
    try {
      if (item.kind === "sent") this.#batchIds.set(item.seq, item.id);
      if (item.kind === "sent" || item.kind === "recv") {
        pb.EnvelopeBatch.decode(item.data).envelopes.forEach((bytes, i) => {
          const header = pb.EnvelopeHeader.decode(pb.SealedContent.decode(pb.Envelope.decode(bytes).sealed).header);
          this.#addEntry(item.kind === "sent" ? "sent" : "inbox", item.seq, i, header, item.storedAtMs);
        });
      } else if (item.kind === "rcpt") {
        for (const sr of pb.ReceiptBatch.decode(item.data).receipts) this.#applyReceipt(receiptView(pb.Receipt.decode(sr.receipt ?? new Uint8Array())));
      } else if (item.kind === "note") {
        this.#notices.push({ notice: pb.Notice.decode(pb.SignedNotice.decode(item.data).notice), seq: item.seq });
      }
    } catch (err) {
      this.#d.log.error({ err, seq: item.seq }, "unreadable item in the access point's store");
    }
  }

  #addEntry(box: Box, seq: number, pos: number, header: pb.EnvelopeHeader, storedAtMs: number): Entry {
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

  #applyReceipt(r: ReceiptView): void {
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
      // On a received message the only receipts kept are our own reads.
      if (r.kind === pb.ReceiptKind.RECEIPT_KIND_READ && r.issuer === this.cp) e.readAtMs ??= r.atMs;
      return;
    }
    e.receipts.push(r);
    const set = (cp: string, state: RecipientState, extra: { reasonCode?: string; reason?: string } = {}) => {
      const cur = e.recipients.get(cp);
      if (!cur) return;
      if (state === "rejected") {
        // A rejection after acceptance is the echo of our own resubmission; acceptance stands.
        if (cur.state === "submitted") e.recipients.set(cp, { state, atMs: r.atMs, ...extra });
      } else if (cur.state === "rejected" || RANK[state] > RANK[cur.state]) {
        // What was routed outweighs a rejection: the hub's acceptance, or the recipient's own
        // signed word that it holds the message (a resubmission refused as a replay before the
        // exchange recognised resubmissions left such rejections in stores).
        e.recipients.set(cp, { state, atMs: r.atMs });
      }
    };
    switch (r.kind) {
      case pb.ReceiptKind.RECEIPT_KIND_ACCEPTED:
        for (const cp of e.recipients.keys()) set(cp, "accepted");
        break;
      case pb.ReceiptKind.RECEIPT_KIND_REJECTED:
        for (const cp of e.recipients.keys()) set(cp, "rejected", { reasonCode: r.reasonCode, reason: r.reason });
        break;
      case pb.ReceiptKind.RECEIPT_KIND_DELIVERED:
        set(r.recipient, "delivered");
        break;
      case pb.ReceiptKind.RECEIPT_KIND_READ:
        set(r.recipient, "read");
        break;
      case pb.ReceiptKind.RECEIPT_KIND_ANSWERED:
        set(r.recipient, "answered");
        break;
    }
    this.emit("receipt", e, r);
  }

  // ---------------------------------------------------------------- reading

  get(id: string): Entry {
    const e = this.#entries.get(id);
    if (!e) throw new LiaisonError("LIAISON_NOT_FOUND", `no message ${id} at ${this.cp}`);
    return e;
  }

  /** Every message here, in no particular order. */
  entries(): Entry[] {
    return [...this.#entries.values()];
  }

  has(id: string): boolean {
    return this.#entries.has(id);
  }

  notices(): ReadonlyArray<{ notice: pb.Notice; seq: number }> {
    return this.#notices;
  }

  /**
   * What a notice carries sealed to this contact point (a hit's reported outcome), opened here;
   * undefined when it carries nothing sealed. The hub sealed it under the notice's own id, and
   * signed the notice, so it cannot be moved to another notice.
   */
  noticeContent(n: pb.Notice): string | undefined {
    if (!n.sealed?.length) return undefined;
    const opened = this.#opener.open(decodeAs((b) => pb.SealedContent.decode(b), n.sealed, "SealedContent"));
    if (opened.header.sender !== HUB || opened.header.id !== n.id) throw new LiaisonError("LIAISON_DECRYPT_FAILED", `notice ${n.id}: sealed content belongs to ${opened.header.id}`);
    const text = new TextDecoder().decode(opened.payload);
    opened.payload.fill(0);
    return text;
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
      await this.#sendReceipts([this.#receipt(pb.ReceiptKind.RECEIPT_KIND_READ, entry.header.sender, [entry.id])]);
    }
    return { entry, payload };
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
    await this.#sendReceipts([this.#receipt(pb.ReceiptKind.RECEIPT_KIND_ANSWERED, original.header.sender, [original.id], { answerId: sent.id })]);
    return sent;
  }

  /** Status words for lists and filters. */
  status(e: Entry): { status: string; overdue: boolean } {
    const now = this.#now();
    const isRequest = e.header.kind === pb.MessageKind.MESSAGE_KIND_REQUEST && e.header.replyByMs > 0;
    if (e.box === "inbox") {
      const answered = e.answerId !== undefined || this.#replies.has(e.id);
      return { status: answered ? "answered" : e.readAtMs !== undefined ? "read" : "new", overdue: isRequest && !answered && now > e.header.replyByMs };
    }
    const states = [...e.recipients.values()].map((r) => r.state);
    const status = states.includes("rejected") ? "rejected" : states.reduce<RecipientState>((min, s) => (RANK[s] < RANK[min] ? s : min), "answered");
    return { status, overdue: isRequest && status !== "rejected" && states.some((s) => s !== "answered") && now > e.header.replyByMs };
  }
}

export function newCaseRef(cp: string, id: string): string {
  return `${cp}-${new Date().getUTCFullYear()}-${id.slice(-8)}`;
}

function receiptView(r: pb.Receipt): ReceiptView {
  return { id: r.id, envelopeIds: r.envelopeIds, kind: r.kind, issuer: r.issuer, recipient: r.recipient, atMs: r.atMs, reasonCode: r.reasonCode, reason: r.reason, answerId: r.answerId };
}
