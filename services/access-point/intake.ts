// What the hub routes to this contact point, taken from its inbox consumers: each envelope
// verified, decrypted to check that it opens here, stored sealed and indexed; receipts and notices
// verified and kept; then, together, one delivery receipt per sender, refusals audited, and acks.
//
// What arrives together is stored together: one store item per kind for a pulled batch.
import type { JetStreamClient, JsMsg } from "@nats-io/jetstream";
import { AuditAction, AuditOutcome } from "../../src/audit/mod.js";
import { BatchVerifier, decodeAs, decodeEnvelopeBytes, envelopeBytesOf, type Opener } from "../../src/crypto/mod.js";
import { HUB, isHubReceipt, receiptIssuer } from "../../src/domain/mod.js";
import { LiaisonError, toLiaisonError } from "../../src/errors.js";
import { consumeLanes, inboxConsumer, Linger, PRIORITY_TOKENS, type BatchConsumer } from "../../src/nats/mod.js";
import { pb } from "../../src/proto/mod.js";
import { receiptView, type Entry, type MessageIndex, type ReceiptView } from "./message-index.js";
import type { NoticeBox } from "./notice-box.js";
import type { Outbox } from "./outbox.js";
import type { ApStore } from "./store.js";
import type { PartContext } from "../../src/runtime/mod.js";

/** Inbox messages pulled ahead of handling, per priority lane. */
export const INBOX_PULL_WINDOW = 64;

export interface IntakeDeps extends PartContext {
  /** The hub's JetStream, for this contact point's inbox consumers (imported under subjects.hubJsApi). */
  readonly js: JetStreamClient;
  readonly cp: string;
  readonly store: ApStore;
  readonly index: MessageIndex;
  readonly notices: NoticeBox;
  /** Sends the delivery receipts. */
  readonly outbox: Outbox;
  readonly opener: Opener;
  /** Called for each envelope once it is stored here and indexed. */
  readonly onDelivered: (e: Entry) => void;
}

type Refusal = { error: LiaisonError; id: string; what: string };
type FollowUp = { msgs: JsMsg[]; delivered: Entry[]; refusals: Refusal[] };

export class Intake {
  readonly #d: IntakeDeps;
  readonly #cp: string;
  readonly #verifier: BatchVerifier;
  /** When the hub stored the inbox item being verified (JetStream's timestamp), in ms. */
  #acceptedAtMs: number | undefined;
  #consumer: BatchConsumer | undefined;
  /** Delivery receipts, refusals and inbox acknowledgements, sent together every few ms. */
  readonly #followUp: Linger<FollowUp>;

  constructor(d: IntakeDeps) {
    this.#d = d;
    this.#cp = d.cp;
    // A signing key is checked as of the time the hub accepted the item (its inbox timestamp), so
    // what was signed before a rotation's grace period ended still verifies when it arrives later.
    this.#verifier = new BatchVerifier((keyId) => d.registry().signingKeyAt(keyId, this.#acceptedAtMs ?? d.now()));
    this.#followUp = new Linger((items) => this.#finish(items), {
      log: d.log,
      onError: (items) => items.forEach((i) => i.msgs.forEach((m) => m.nak(1_000))),
    });
  }

  /** Starts taking the inbox. */
  async start(): Promise<void> {
    // Urgent first: a waiting urgent batch is always taken next. Small batches, two at a time,
    // bound how long an urgent message can wait behind normal ones already being handled.
    this.#consumer = await consumeLanes(
      this.#d.js,
      PRIORITY_TOKENS.map((p) => ({ stream: "INBOX", durable: inboxConsumer(this.#cp, p).config.durable_name, handle: (b: JsMsg[]) => this.#take(b) })),
      // Ordered: a batch that cannot be stored (its store has no leader during a node's loss) is
      // stored again before anything after it, so the inbox keeps the order the hub delivered in.
      // In stream order: deliveries a dead node had in transit come again only after the ack wait;
      // what came after them is held until they are stored (src/nats/in-order.ts), so the inbox's
      // arrival order is the hub's order and cursor paging needs nothing more. The pull window
      // bounds how many a dead node can have in transit.
      { log: this.#d.log, maxBatch: 32, maxInFlight: 2, ordered: true, buffer: INBOX_PULL_WINDOW, inStreamOrder: true },
    );
  }

  async stop(): Promise<void> {
    await this.#consumer?.stop();
    await this.#followUp.drain();
  }

  /** Takes in one pulled batch: verify, store, index; the follow-up goes out with the next ones. */
  async #take(msgs: JsMsg[]): Promise<void> {
    const accepted: Array<{ header: pb.EnvelopeHeader; envelope: Uint8Array }> = [];
    const receipts: Array<{ signed: pb.ISignedReceipt; view: ReceiptView }> = [];
    const notices: pb.ISignedNotice[] = [];
    const refusals: Refusal[] = [];
    const redelivered: Entry[] = [];
    const seen = new Set<string>();

    for (const m of msgs) {
      this.#acceptedAtMs = Number(m.timestampNanos / 1_000_000n);
      try {
        // Envelopes (nearly everything) are read straight from their framing, without decoding the item.
        const raw = envelopeBytesOf(m.data);
        const item = raw ? undefined : decodeAs((b) => pb.InboxItem.decode(b), m.data, "InboxItem");
        if (raw || item?.envelope) {
          const envelope = raw ?? pb.Envelope.encode(item?.envelope ?? {}).finish();
          const dec = decodeEnvelopeBytes(envelope);
          const h = dec.header;
          if (!h.recipients.includes(this.#cp)) throw new LiaisonError("LIAISON_BAD_REQUEST", `envelope ${h.id} is not addressed to ${this.#cp}`);
          this.#verifier.verify("envelope", dec.envelope.sealed, dec.envelope.signature, h.sender);
          // Decrypt to prove it opens here before saying it was delivered; the plaintext is dropped.
          this.#d.opener.open(dec.sealed).payload.fill(0);
          const known = this.#d.index.find(h.id);
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
    this.#acceptedAtMs = undefined;

    const tag = `inbox-${msgs[0]?.info.streamSequence ?? 0}-${msgs.length}`;
    const [recvSeq, rcptSeq] = await Promise.all([
      accepted.length ? this.#d.store.append("recv", tag, pb.EnvelopeBatch.encode({ envelopes: accepted.map((a) => a.envelope) }).finish()) : undefined,
      receipts.length ? this.#d.store.append("rcpt", tag, pb.ReceiptBatch.encode({ receipts: receipts.map((r) => r.signed) }).finish()) : undefined,
      ...notices.map((sn) => this.#d.notices.keep(sn)),
    ]);

    const now = this.#d.now();
    const newEntries = recvSeq === undefined ? [] : accepted.map((a, i) => this.#d.index.add("inbox", recvSeq, i, a.header, now));
    if (rcptSeq !== undefined) for (const r of receipts) this.#d.index.applyReceipt(r.view);
    // Stored here (sealed) and indexed: from now on a user can open it.
    for (const e of newEntries) this.#d.onDelivered(e);
    this.#followUp.add({ msgs, delivered: [...newEntries, ...redelivered], refusals });
  }

  /** The follow-up of what arrived: delivery receipts on the hub's stream, refusals logged, then acks. */
  async #finish(items: FollowUp[]): Promise<void> {
    await this.#d.outbox.sendReceipts(this.#d.outbox.deliveredReceipts(items.flatMap((i) => i.delivered)));
    const refusals = items.flatMap((i) => i.refusals);
    await Promise.all(
      refusals.map((r) =>
        this.#d.audit.emit({
          action: AuditAction.AUDIT_ACTION_REFUSAL,
          authority: this.#cp,
          userId: `access-point:${this.#cp}`,
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
        const issuer = receiptIssuer(r.kind, r.recipient);
        if (r.issuer !== issuer || r.addressee !== this.#cp) throw new LiaisonError("LIAISON_FORGED_SENDER", `receipt ${r.id} from ${r.issuer}`);
        this.#verifier.verify("receipt", sr.receipt, sr.signature, issuer);
        if (!isHubReceipt(r.kind)) {
          const stranger = r.envelopeIds.find((eid) => {
            const e = this.#d.index.find(eid);
            return e !== undefined && !e.header.recipients.includes(r.recipient);
          });
          if (stranger) throw new LiaisonError("LIAISON_FORGED_SENDER", `${r.recipient} was not a recipient of ${stranger}`);
        }
        if (this.#d.index.hasReceipt(r.id)) continue;
        out.push({ signed: sr, view: receiptView(r) });
      } catch (err) {
        refusals.push({ error: toLiaisonError(err), id: id || "receipt", what: "receipt" });
      }
    }
    return out;
  }
}
