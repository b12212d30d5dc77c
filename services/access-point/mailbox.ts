// A contact point's mailbox: seals, signs and submits what its users send; takes what the hub
// routes to it (verify, decrypt to check, store sealed, acknowledge, send a delivery receipt); keeps
// the status of every message from the receipts; opens a message only when a user reads it.
import { EventEmitter } from "node:events";
import type { JetStreamClient, JsMsg } from "@nats-io/jetstream";
import { v7 as uuidv7 } from "uuid";
import { AuditAction, AuditOutcome, type AuditEmitter } from "../../src/audit/mod.js";
import {
  BatchSigner,
  BatchVerifier,
  decodeAs,
  decodeEnvelope,
  Ed25519Signer,
  Opener,
  Sealer,
  type ContactPointKeys,
  type RecipientKey,
} from "../../src/crypto/mod.js";
import { effectivePriority, HUB } from "../../src/domain/mod.js";
import { LiaisonError, toLiaisonError } from "../../src/errors.js";
import type { Logger } from "../../src/log/mod.js";
import { consumeBatches, inboxConsumer, PRIORITY_TOKENS, subjects, type BatchConsumer, type PriorityToken } from "../../src/nats/mod.js";
import { pb } from "../../src/proto/mod.js";
import type { RegistryView } from "../../src/registry/mod.js";
import type { ApStore, StoredItem } from "./store.js";

export type Box = "inbox" | "sent";
export type RecipientState = "submitted" | "accepted" | "rejected" | "delivered" | "read" | "answered";
const RANK: Record<RecipientState, number> = { submitted: 0, accepted: 1, delivered: 2, read: 3, answered: 4, rejected: -1 };

export interface ReceiptView {
  readonly id: string;
  readonly envelopeId: string;
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
  readonly seq: number;
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
  readonly js: JetStreamClient;
  readonly store: ApStore;
  readonly cp: string;
  readonly keys: ContactPointKeys;
  readonly registry: () => RegistryView;
  readonly audit: AuditEmitter;
  readonly log: Logger;
  readonly now?: () => number;
  /** Resubmit unconfirmed sends created within this window after a restart (below the hub's replay window). */
  readonly resubmitWindowMs?: number;
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
  /** Received message id → our reply's id. */
  readonly #replies = new Map<string, string>();
  readonly #pendingReceipts = new Map<string, ReceiptView[]>();
  readonly #notices: Array<{ notice: pb.Notice; seq: number }> = [];
  #consumers: BatchConsumer[] = [];

  constructor(d: MailboxDeps) {
    super();
    this.cp = d.cp;
    this.#d = d;
    this.#now = d.now ?? Date.now;
    this.#signer = new BatchSigner(new Ed25519Signer(d.keys.signing), { now: this.#now });
    this.#opener = new Opener(d.cp, d.keys.encryption);
    this.#verifier = new BatchVerifier((keyId) => d.registry().signingKey(keyId));
  }

  /** Replays the store into the index, resubmits unconfirmed sends, then starts taking the inbox. */
  async start(): Promise<void> {
    await this.#d.store.replay((item) => this.#index(item));
    await this.#resubmitUnconfirmed();
    this.#consumers = await Promise.all(
      PRIORITY_TOKENS.map((p) =>
        consumeBatches(this.#d.js, "INBOX", inboxConsumer(this.cp, p).config.durable_name, (b) => this.#onInbox(b), { log: this.#d.log, maxBatch: 64 }),
      ),
    );
  }

  async stop(): Promise<void> {
    await Promise.all(this.#consumers.map((c) => c.stop()));
  }

  get size(): number {
    return this.#entries.size;
  }

  // ---------------------------------------------------------------- sending

  /** Seals, signs, stores (sealed) and submits a message; resolves once the hub's stream holds it. */
  async send(req: SendRequest): Promise<Entry> {
    const reg = this.#d.registry();
    const to = req.to.length === 1 && req.to[0] === "*" ? reg.active().filter((c) => c !== this.cp) : [...req.to];
    if (to.length === 0) throw new LiaisonError("LIAISON_UNKNOWN_CONTACT_POINT", "no other active contact point");
    for (const r of to) reg.requireActive(r);
    const recipients: RecipientKey[] = to.map((r) => reg.encryptionKey(r));
    const own = this.#d.keys.encryption[0];
    if (!own) throw new LiaisonError("LIAISON_INTERNAL", "no encryption key of our own");
    // Wrapped for ourselves too, so our sent copy can be opened here later.
    recipients.push({ cp: this.cp, keyId: own.keyId, publicKey: own.publicKey });

    const id = uuidv7();
    const priority = effectivePriority(req.kind, req.priority);
    const header = pb.EnvelopeHeader.create({
      id,
      sender: this.cp,
      recipients: to,
      kind: req.kind,
      createdAtMs: this.#now(),
      priority,
      replyByMs: req.replyByMs ?? 0,
      caseRef: req.caseRef || newCaseRef(this.cp, id),
      handlingCodes: req.handlingCodes,
      senderKeyId: this.#d.keys.signing.keyId,
      inReplyTo: req.inReplyTo ?? "",
    });
    const sealed = this.#sealer.seal(header, pb.Payload.encode(req.payload).finish(), recipients);
    const signature = await this.#signer.sign("envelope", sealed);
    const envelope: pb.IEnvelope = { sealed, signature };
    const envBytes = pb.Envelope.encode(envelope).finish();
    // The sealed copy is stored before it is submitted: a crash between the two is healed by the
    // resubmission at start, never by losing track of a message.
    const seq = await this.#d.store.append("sent", id, envBytes);
    const entry = this.#addEntry("sent", seq, header, this.#now());
    await this.#submit(header, envelope);
    return entry;
  }

  async #submit(header: pb.IEnvelopeHeader, envelope: pb.IEnvelope): Promise<void> {
    const prio: PriorityToken = header.priority === pb.Priority.PRIORITY_URGENT ? "urgent" : "normal";
    try {
      await this.#d.js.publish(subjects.submit(this.cp, prio), pb.SubmitItem.encode({ envelope }).finish(), {
        msgID: header.id ?? "",
        expect: { streamName: "SUBMIT" },
      });
    } catch (err) {
      throw new LiaisonError("LIAISON_UNAVAILABLE", "the hub did not take the message; it is kept and will be resubmitted", { cause: err });
    }
  }

  async #resubmitUnconfirmed(): Promise<void> {
    const horizon = this.#now() - (this.#d.resubmitWindowMs ?? 4 * 60_000);
    for (const e of this.#entries.values()) {
      if (e.box !== "sent" || e.header.createdAtMs < horizon) continue;
      if ([...e.recipients.values()].some((r) => r.state !== "submitted")) continue;
      const env = pb.Envelope.decode(await this.#d.store.get(e.seq));
      await this.#submit(e.header, env).catch((err: unknown) => this.#d.log.warn({ err, id: e.id }, "resubmission failed"));
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
    if (reads.length > 0) await this.#d.store.append("rcpt", `own-${uuidv7()}`, pb.ReceiptBatch.encode({ receipts: reads }).finish());
    const item = pb.SubmitItem.encode({ receipts: { receipts: signed } }).finish();
    await this.#d.js.publish(subjects.submit(this.cp, "normal"), item, { msgID: `rcpt.${receipts[0]?.id}.${receipts.length}`, expect: { streamName: "SUBMIT" } });
  }

  #receipt(kind: pb.ReceiptKind, e: Entry, extra: Partial<pb.IReceipt> = {}): pb.IReceipt {
    const name = pb.ReceiptKind[kind].replace("RECEIPT_KIND_", "").toLowerCase();
    return { id: `${e.id}.${name}.${this.cp}`, kind, envelopeId: e.id, issuer: this.cp, recipient: this.cp, addressee: e.header.sender, atMs: this.#now(), ...extra };
  }

  // ---------------------------------------------------------------- receiving

  async #onInbox(msgs: JsMsg[]): Promise<void> {
    const appends: Array<Promise<unknown>> = [];
    const delivered: Array<{ header: pb.EnvelopeHeader; seq: Promise<number> }> = [];
    const receiptBatches: Array<{ receipts: ReceiptView[]; seq: Promise<number> }> = [];
    const refusals: Array<{ error: LiaisonError; id: string; what: string }> = [];
    const redelivered: Entry[] = [];

    for (const m of msgs) {
      try {
        const item = decodeAs((b) => pb.InboxItem.decode(b), m.data, "InboxItem");
        if (item.envelope) {
          const dec = decodeEnvelope(item.envelope);
          const h = dec.header;
          if (!h.recipients.includes(this.cp)) throw new LiaisonError("LIAISON_BAD_REQUEST", `envelope ${h.id} is not addressed to ${this.cp}`);
          this.#verifier.verify("envelope", dec.envelope.sealed, dec.envelope.signature, h.sender);
          // Decrypt to prove it opens here before saying it was delivered; the plaintext is dropped.
          this.#opener.open(dec.sealed).payload.fill(0);
          const known = this.#entries.get(h.id);
          if (known) {
            // Stored before a crash that came before its acknowledgement: say delivered again.
            redelivered.push(known);
            continue;
          }
          const seq = this.#d.store.append("recv", h.id, pb.Envelope.encode(item.envelope).finish());
          appends.push(seq);
          delivered.push({ header: h, seq });
        } else if (item.receipts) {
          const ok = this.#verifyReceipts(item.receipts, refusals);
          if (ok.length > 0) {
            const kept = pb.ReceiptBatch.encode({ receipts: ok.map((r) => r.signed) }).finish();
            const seq = this.#d.store.append("rcpt", `inbox-${m.info.streamSequence}`, kept);
            appends.push(seq);
            receiptBatches.push({ receipts: ok.map((r) => r.view), seq });
          }
        } else if (item.notice) {
          const sn = item.notice;
          if (!sn.notice?.length) throw new LiaisonError("LIAISON_MISSING_FIELD", "notice");
          this.#verifier.verify("notice", sn.notice, sn.signature, HUB);
          const notice = pb.Notice.decode(sn.notice);
          const seq = this.#d.store.append("note", notice.id, pb.SignedNotice.encode(sn).finish());
          appends.push(seq.then((s) => this.#notices.push({ notice, seq: s })));
        }
      } catch (err) {
        refusals.push({ error: toLiaisonError(err), id: `inbox-${m.info.streamSequence}`, what: "inbox item" });
      }
    }
    await Promise.all(appends);

    const now = this.#now();
    const newEntries: Entry[] = [];
    for (const d of delivered) newEntries.push(this.#addEntry("inbox", await d.seq, d.header, now));
    for (const b of receiptBatches) for (const r of b.receipts) this.#applyReceipt(r);
    // The delivery receipts are on the hub's stream before the inbox items are acknowledged.
    await this.#sendReceipts([...newEntries, ...redelivered].map((e) => this.#receipt(pb.ReceiptKind.RECEIPT_KIND_DELIVERED, e)));
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
    for (const m of msgs) m.ack();
    for (const e of newEntries) this.emit("delivered", e);
  }

  #verifyReceipts(batch: pb.IReceiptBatch, refusals: Array<{ error: LiaisonError; id: string; what: string }>): Array<{ signed: pb.ISignedReceipt; view: ReceiptView }> {
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
          const e = this.#entries.get(r.envelopeId);
          if (e && !e.header.recipients.includes(r.recipient)) throw new LiaisonError("LIAISON_FORGED_SENDER", `${r.recipient} was not a recipient of ${r.envelopeId}`);
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
      if (item.kind === "sent" || item.kind === "recv") {
        const env = pb.Envelope.decode(item.data);
        const header = pb.EnvelopeHeader.decode(pb.SealedContent.decode(env.sealed).header);
        this.#addEntry(item.kind === "sent" ? "sent" : "inbox", item.seq, header, item.storedAtMs);
      } else if (item.kind === "rcpt") {
        for (const sr of pb.ReceiptBatch.decode(item.data).receipts) this.#applyReceipt(receiptView(pb.Receipt.decode(sr.receipt ?? new Uint8Array())));
      } else if (item.kind === "note") {
        this.#notices.push({ notice: pb.Notice.decode(pb.SignedNotice.decode(item.data).notice), seq: item.seq });
      }
    } catch (err) {
      this.#d.log.error({ err, seq: item.seq }, "unreadable item in the access point's store");
    }
  }

  #addEntry(box: Box, seq: number, header: pb.EnvelopeHeader, storedAtMs: number): Entry {
    const existing = this.#entries.get(header.id);
    if (existing) return existing;
    const entry: Entry = {
      id: header.id,
      box,
      seq,
      header,
      storedAtMs,
      receipts: [],
      recipients: new Map(box === "sent" ? header.recipients.map((r) => [r, { state: "submitted" as RecipientState, atMs: header.createdAtMs }]) : []),
    };
    this.#entries.set(header.id, entry);
    if (box === "sent" && header.inReplyTo) this.#replies.set(header.inReplyTo, header.id);
    for (const r of this.#pendingReceipts.get(header.id) ?? []) this.#applyReceipt(r);
    this.#pendingReceipts.delete(header.id);
    return entry;
  }

  #applyReceipt(r: ReceiptView): void {
    if (this.#receiptIds.has(r.id)) return;
    const e = this.#entries.get(r.envelopeId);
    if (!e) {
      // A receipt can overtake the index entry it belongs to (replayed out of order); keep it.
      const list = this.#pendingReceipts.get(r.envelopeId) ?? [];
      list.push(r);
      this.#pendingReceipts.set(r.envelopeId, list);
      return;
    }
    this.#receiptIds.add(r.id);
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
      } else if (cur.state !== "rejected" && RANK[state] > RANK[cur.state]) e.recipients.set(cp, { state, atMs: r.atMs });
      else if (cur.state === "rejected" && state === "accepted") e.recipients.set(cp, { state, atMs: r.atMs });
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

  /** Opens a message for a user; the first read of a received message sends a read receipt. */
  async open(id: string): Promise<OpenedMessage> {
    const entry = this.get(id);
    const env = pb.Envelope.decode(await this.#d.store.get(entry.seq));
    const opened = this.#opener.open(pb.SealedContent.decode(env.sealed));
    const payload = decodeAs((b) => pb.Payload.decode(b), opened.payload, "Payload");
    if (entry.box === "inbox" && entry.readAtMs === undefined) {
      entry.readAtMs = this.#now();
      await this.#sendReceipts([this.#receipt(pb.ReceiptKind.RECEIPT_KIND_READ, entry)]);
    }
    return { entry, payload };
  }

  /** Replies to a received message: a reply envelope to its sender, then an answered receipt. */
  async reply(id: string, req: Omit<SendRequest, "kind" | "to" | "inReplyTo" | "caseRef">): Promise<Entry> {
    const original = this.get(id);
    if (original.box !== "inbox") throw new LiaisonError("LIAISON_BAD_REQUEST", "only a received message can be replied to");
    const sent = await this.send({
      ...req,
      kind: pb.MessageKind.MESSAGE_KIND_REPLY,
      to: [original.header.sender],
      inReplyTo: original.id,
      caseRef: original.header.caseRef,
    });
    original.answerId = sent.id;
    original.readAtMs ??= this.#now();
    await this.#sendReceipts([this.#receipt(pb.ReceiptKind.RECEIPT_KIND_ANSWERED, original, { answerId: sent.id })]);
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
  return { id: r.id, envelopeId: r.envelopeId, kind: r.kind, issuer: r.issuer, recipient: r.recipient, atMs: r.atMs, reasonCode: r.reasonCode, reason: r.reason, answerId: r.answerId };
}
