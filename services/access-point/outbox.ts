// What the access point sends: messages sealed for their recipients, signed in bursts, stored here
// (sealed) before they are submitted to the hub, and resubmitted while the hub has not taken them;
// and our own receipts (delivered, read, answered), signed and submitted for routing.
//
// Messages sent in the same turn of the event loop are signed with one batch signature, stored as
// one item and submitted as one JetStream message per priority.
import { setImmediate } from "node:timers";
import { BatchSigner, decodeAs, Ed25519Signer, newId, Sealer, type ContactPointKeys, type RecipientKey } from "../../src/crypto/mod.js";
import { checkSend, chunk, effectivePriority, MAX_SUBMIT_ENVELOPES, MAX_SUBMIT_RECEIPT_REFS, MAX_SUBMIT_RECEIPTS } from "../../src/domain/mod.js";
import { LiaisonError } from "../../src/errors.js";
import type { Logger } from "../../src/log/mod.js";
import { subjects, type JsPublisher, type PriorityToken } from "../../src/nats/mod.js";
import { pb } from "../../src/proto/mod.js";
import type { RegistryView } from "../../src/registry/mod.js";
import type { Entry, MessageIndex } from "./message-index.js";
import type { ApStore } from "./store.js";

/** Envelopes per submission: what the exchange takes in one. */
const MAX_BATCH = MAX_SUBMIT_ENVELOPES;
const RESUBMIT_EVERY_MS = 15_000;
/** A send younger than this is still in flight, not unconfirmed. */
const RESUBMIT_AFTER_MS = 5_000;

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

export interface OutboxDeps {
  readonly cp: string;
  readonly keys: ContactPointKeys;
  readonly registry: () => RegistryView;
  readonly publisher: JsPublisher;
  readonly store: ApStore;
  readonly index: MessageIndex;
  readonly log: Logger;
  readonly now: () => number;
  /** Resubmit unconfirmed sends created within this window (below the hub's replay window). */
  readonly resubmitWindowMs?: number;
  /** How often unconfirmed sends are tried again while running (the hub was unreachable). */
  readonly resubmitEveryMs?: number;
}

interface Outgoing {
  readonly header: pb.EnvelopeHeader;
  readonly sealed: Uint8Array;
  resolve(e: Entry): void;
  reject(err: unknown): void;
}

export class Outbox {
  readonly #d: OutboxDeps;
  readonly #cp: string;
  readonly #now: () => number;
  readonly #sealer = new Sealer();
  readonly #signer: BatchSigner;
  #queue: Outgoing[] = [];
  #flushScheduled = false;
  #flushing = 0;
  #resubmitTimer: NodeJS.Timeout | undefined;
  #resubmitting: Promise<void> | undefined;

  constructor(d: OutboxDeps) {
    this.#d = d;
    this.#cp = d.cp;
    this.#now = d.now;
    this.#signer = new BatchSigner(new Ed25519Signer(d.keys.signing), { now: this.#now });
  }

  /** Resubmits unconfirmed sends, then keeps doing so while running. */
  async start(): Promise<void> {
    await this.#resubmitUnconfirmed();
    // Sends the hub did not take (it was unreachable: a leaf node cut off, a restart) are tried
    // again while they are still inside the hub's replay window.
    this.#resubmitTimer = setInterval(() => {
      if (this.#resubmitting) return;
      this.#resubmitting = this.#resubmitUnconfirmed().finally(() => (this.#resubmitting = undefined));
    }, this.#d.resubmitEveryMs ?? RESUBMIT_EVERY_MS);
    this.#resubmitTimer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#resubmitTimer);
    await this.#resubmitting;
  }

  /** Seals a message for its recipients; resolves once it is stored here (sealed) and on the hub's stream. */
  send(req: SendRequest): Promise<Entry> {
    const refusal = checkSend(req, this.#now());
    if (refusal) throw new LiaisonError(refusal.code, refusal.detail);
    const reg = this.#d.registry();
    const to = req.to.length === 1 && req.to[0] === "*" ? reg.active().filter((c) => c !== this.#cp) : [...req.to];
    if (to.length === 0) throw new LiaisonError("LIAISON_UNKNOWN_CONTACT_POINT", "no other active contact point");
    for (const r of to) reg.requireActive(r);
    const recipients: RecipientKey[] = to.map((r) => reg.encryptionKey(r));
    const own = this.#d.keys.encryption[0];
    if (!own) throw new LiaisonError("LIAISON_INTERNAL", "no encryption key of our own");
    // Wrapped for ourselves too, so our sent copy can be opened here later.
    recipients.push({ cp: this.#cp, keyId: own.keyId, publicKey: own.publicKey });

    const id = newId();
    const header = pb.EnvelopeHeader.create({
      id,
      sender: this.#cp,
      recipients: to,
      kind: req.kind,
      createdAtMs: this.#now(),
      priority: effectivePriority(req.kind, req.priority),
      replyByMs: req.replyByMs ?? 0,
      caseRef: req.caseRef || newCaseRef(this.#cp, id),
      handlingCodes: req.handlingCodes,
      senderKeyId: this.#d.keys.signing.keyId,
      inReplyTo: req.inReplyTo ?? "",
    });
    const sealed = this.#sealer.seal(header, pb.Payload.encode(req.payload).finish(), recipients);
    return new Promise((resolve, reject) => {
      this.#queue.push({ header, sealed, resolve, reject });
      this.#scheduleFlush();
    });
  }

  /** At most two bursts in flight: under load, what waits meanwhile goes out as one bigger burst. */
  #scheduleFlush(): void {
    if (this.#flushScheduled || this.#flushing >= 2 || this.#queue.length === 0) return;
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
    const batch = this.#queue.splice(0, MAX_BATCH);
    if (batch.length === 0) return;
    try {
      const sigs = this.#signer.signMany(batch.map((o) => ({ type: "envelope" as const, bytes: o.sealed })));
      const envelopes = batch.map((o, i) => pb.Envelope.encode({ sealed: o.sealed, signature: sigs[i] ?? null }).finish());
      // The sealed copies are stored before they are submitted: a crash between the two is healed
      // by the resubmission at start, never by losing track of a message.
      const batchId = newId();
      const seq = await this.#d.store.append("sent", batchId, pb.EnvelopeBatch.encode({ envelopes }).finish());
      this.#d.index.setBatchId(seq, batchId);
      const now = this.#now();
      const entries = batch.map((o, i) => this.#d.index.add("sent", seq, i, o.header, now));
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
          this.#d.publisher.publish(subjects.submit(this.#cp, p), pb.SubmitItem.encode({ envelopes: { envelopes: list } }).finish(), {
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
    for (const e of this.#d.index.values()) {
      if (e.box !== "sent" || e.header.createdAtMs < horizon || e.header.createdAtMs > now - RESUBMIT_AFTER_MS) continue;
      if ([...e.recipients.values()].some((r) => r.state !== "submitted")) continue;
      bySeq.set(e.seq, [...(bySeq.get(e.seq) ?? []), e]);
    }
    for (const [seq, list] of bySeq) {
      // One unreadable or unsubmittable item does not hold back the others.
      await (async () => {
        const stored = decodeAs((b) => pb.EnvelopeBatch.decode(b), await this.#d.store.get(seq), "EnvelopeBatch").envelopes;
        // The batch's own id again: if the first submission did reach the hub, JetStream drops this one.
        await this.#submit(this.#d.index.batchId(seq) ?? newId(), list.map((e) => e.header), list.map((e) => stored[e.pos] as Uint8Array));
      })().catch((err: unknown) => this.#d.log.warn({ err, seq }, "resubmission failed"));
    }
  }

  /** Signs receipts of ours (delivered, read, answered) and submits them for routing to their addressees. */
  async sendReceipts(receipts: pb.IReceipt[]): Promise<void> {
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
        this.#d.publisher.publish(subjects.submit(this.#cp, "normal"), pb.SubmitItem.encode({ receipts: { receipts: part } }).finish(), { msgID: `rcpt.${newId()}`, expectStream: "SUBMIT" }),
      ),
    );
  }

  /** A receipt of ours about envelopes, to their sender. */
  receipt(kind: pb.ReceiptKind, addressee: string, envelopeIds: string[], extra: Partial<pb.IReceipt> = {}): pb.IReceipt {
    const name = pb.ReceiptKind[kind].replace("RECEIPT_KIND_", "").toLowerCase();
    const id = envelopeIds.length === 1 ? `${envelopeIds[0]}.${name}.${this.#cp}` : `${newId()}.${name}.${this.#cp}`;
    return { id, kind, envelopeIds, issuer: this.#cp, recipient: this.#cp, addressee, atMs: this.#now(), ...extra };
  }

  /** One delivered receipt per sender for what arrived together. */
  deliveredReceipts(entries: readonly Entry[]): pb.IReceipt[] {
    const bySender = new Map<string, string[]>();
    for (const e of entries) bySender.set(e.header.sender, [...(bySender.get(e.header.sender) ?? []), e.id]);
    return [...bySender].flatMap(([sender, ids]) => chunk(ids, MAX_SUBMIT_RECEIPT_REFS).map((part) => this.receipt(pb.ReceiptKind.RECEIPT_KIND_DELIVERED, sender, part)));
  }
}

export function newCaseRef(cp: string, id: string): string {
  return `${cp}-${new Date().getUTCFullYear()}-${id.slice(-8)}`;
}
