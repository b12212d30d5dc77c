// The exchange's routing of submitted items (ARCHITECTURE.md step 3): verify each envelope against
// the registry, check sender, recipients, kind, size and time, route it to every recipient's inbox
// (Nats-Msg-Id per envelope and recipient, so nothing is delivered twice), answer with a signed
// receipt, and log it. Refused input is answered with a reason code, logged, and routed nowhere.
import type { JsMsg } from "@nats-io/jetstream";
import { AuditAction, AuditOutcome, type AuditEmitter, type AuditInput } from "../../src/audit/mod.js";
import { decodeAs, decodeEnvelopeBytes, inboxItemOfEnvelope, newId, type BatchSigner, type BatchVerifier, type SignItem } from "../../src/crypto/mod.js";
import { checkKind, effectivePriority, HUB } from "../../src/domain/mod.js";
import { LiaisonError, toLiaisonError, type ErrorCode } from "../../src/errors.js";
import type { Logger } from "../../src/log/mod.js";
import { Linger, parseRoutedSubject, subjects, type JsPublisher, type PriorityToken, type PubAck } from "../../src/nats/mod.js";
import { pb } from "../../src/proto/mod.js";
import type { RegistryView } from "../../src/registry/mod.js";

export interface RouterDeps {
  readonly publisher: JsPublisher;
  readonly registry: () => RegistryView;
  readonly verifier: BatchVerifier;
  readonly hubSigner: BatchSigner;
  readonly audit: AuditEmitter;
  readonly log: Logger;
  readonly now: () => number;
  readonly replayWindowMs: number;
  readonly clockSkewMs: number;
  readonly maxEnvelopeBytes: number;
  /** Counts outcomes for metrics: "routed", or the refusal's code. */
  readonly onOutcome?: (outcome: string, kind: "envelope" | "receipt") => void;
}

/** One envelope's (or one unreadable message's) fate, decided synchronously in arrival order. */
type Outcome =
  | { kind: "routed"; msg: JsMsg; from: string; prio: PriorityToken; header: pb.EnvelopeHeader; size: number; publishes: Promise<PubAck>[] }
  | { kind: "receipts"; msg: JsMsg; from: string; routed: pb.Receipt[]; refused: Array<{ receipt?: pb.Receipt; code: ErrorCode; detail: string }>; publishes: Promise<PubAck>[] }
  | { kind: "refused"; msg: JsMsg; from: string; prio: PriorityToken; envelopeId: string; error: LiaisonError; index: number };

export class Router {
  /** Receipts, audit events and SUBMIT acks of routed batches, done together every few ms. */
  readonly #followUp: Linger<{ msgs: JsMsg[]; outcomes: Outcome[] }>;

  constructor(private readonly d: RouterDeps) {
    this.#followUp = new Linger((items) => this.#finish(items), {
      log: d.log,
      onError: (items) => items.forEach((i) => i.msgs.forEach((m) => m.nak(1_000))),
    });
  }

  /** Finishes what is waiting (on shutdown). */
  drain(): Promise<void> {
    return this.#followUp.drain();
  }

  /** Handles one batch from a SUBMIT consumer (see consumeBatches for the ordering contract). */
  async handle(msgs: JsMsg[]): Promise<void> {
    const outcomes = msgs.flatMap((m) => this.#decide(m));
    const settled = await Promise.all(outcomes.map((o) => (o.kind === "refused" ? Promise.resolve([]) : Promise.all(o.publishes))));

    const final: Outcome[] = outcomes.map((o, i) => {
      if (o.kind !== "routed") return o;
      // A first delivery whose every inbox copy is a duplicate is a replay of an id routed before;
      // a redelivery after our own crash legitimately finds its copies already there.
      const acks = settled[i] ?? [];
      if (!o.msg.info.redelivered && acks.length > 0 && acks.every((a) => a.duplicate)) {
        return { kind: "refused", msg: o.msg, from: o.from, prio: o.prio, envelopeId: o.header.id, index: i, error: new LiaisonError("LIAISON_REPLAY", `envelope ${o.header.id} was routed before`) };
      }
      return o;
    });

    // Routed (or refused) now; the receipts, the log and the acknowledgement follow within ms.
    this.#followUp.add({ msgs, outcomes: final });
  }

  async #finish(items: Array<{ msgs: JsMsg[]; outcomes: Outcome[] }>): Promise<void> {
    const outcomes = items.flatMap((i) => i.outcomes);
    const audits = outcomes.flatMap((o) => this.#auditEvents(o));
    await Promise.all([this.#publishHubReceipts(outcomes), ...audits.map((a) => this.d.audit.emit(a))]);
    for (const o of outcomes) this.d.onOutcome?.(o.kind === "refused" ? o.error.code : "routed", o.kind === "receipts" ? "receipt" : "envelope");
    for (const i of items) for (const m of i.msgs) m.ack();
  }

  #decide(msg: JsMsg): Outcome[] {
    const route = parseRoutedSubject(msg.subject);
    const from = route?.cp ?? "?";
    const prio = route?.prio ?? "normal";
    const refuse = (err: unknown, envelopeId: string, index = 0): Outcome => {
      const error = toLiaisonError(err);
      if (error.code === "LIAISON_INTERNAL") this.d.log.error({ err, seq: msg.info.streamSequence }, "unexpected failure checking a submission");
      return { kind: "refused", msg, from, prio, envelopeId, error, index };
    };
    let item: pb.SubmitItem;
    try {
      if (!route) throw new LiaisonError("LIAISON_FORBIDDEN_SUBJECT", msg.subject);
      if (msg.data.length > this.d.maxEnvelopeBytes) throw new LiaisonError("LIAISON_OVERSIZED", `${msg.data.length} bytes, limit ${this.d.maxEnvelopeBytes}`);
      item = decodeAs((b) => pb.SubmitItem.decode(b), msg.data, "SubmitItem");
      this.d.registry().requireActive(from);
    } catch (err) {
      return [refuse(err, msg.headers?.get("Nats-Msg-Id") || `submit-${msg.info.streamSequence}`)];
    }
    if (item.receipts) return [this.#receipts(msg, from, item.receipts)];
    const envelopes = item.envelopes?.envelopes ?? (item.envelope ? [pb.Envelope.encode(item.envelope).finish()] : []);
    if (envelopes.length === 0) return [refuse(new LiaisonError("LIAISON_MISSING_FIELD", "submit item is empty"), `submit-${msg.info.streamSequence}`)];
    return envelopes.map((env, index) => {
      let header: pb.EnvelopeHeader | undefined;
      try {
        const dec = decodeEnvelopeBytes(env);
        header = dec.header;
        this.#check(dec.header, dec.sealed, from, prio, msg);
        this.d.verifier.verify("envelope", dec.envelope.sealed, dec.envelope.signature, from);
        // The envelope's own bytes go on, framed as an InboxItem: nothing is re-encoded.
        const bytes = inboxItemOfEnvelope(env);
        const publishes = dec.header.recipients.map((r) =>
          this.d.publisher.publish(subjects.inbox(r, prio), bytes, { msgID: `${dec.header.id}.${r}`, expectStream: "INBOX" }),
        );
        return { kind: "routed", msg, from, prio, header: dec.header, size: bytes.length, publishes };
      } catch (err) {
        return refuse(err, header?.id || `submit-${msg.info.streamSequence}-${index}`, index);
      }
    });
  }

  #check(h: pb.EnvelopeHeader, sealed: pb.SealedContent, from: string, prio: PriorityToken, msg: JsMsg): void {
    const reg = this.d.registry();
    if (h.sender !== from) throw new LiaisonError("LIAISON_FORGED_SENDER", `envelope names ${h.sender}, arrived from ${from}`);
    const refusal = checkKind(h);
    if (refusal) throw new LiaisonError(refusal.code, refusal.detail);
    if ((effectivePriority(h.kind, h.priority) === pb.Priority.PRIORITY_URGENT ? "urgent" : "normal") !== prio) {
      throw new LiaisonError("LIAISON_BAD_REQUEST", `priority ${prio} on the subject does not match the envelope's`);
    }
    for (const r of h.recipients) reg.requireActive(r);
    for (const r of h.recipients) {
      const keys = sealed.keys.filter((k) => k.recipient === r);
      if (keys.length !== 1 || !reg.isEncryptionKeyOf(r, keys[0]?.keyId ?? "")) {
        throw new LiaisonError("LIAISON_UNKNOWN_KEY", `the content key is not wrapped to a current key of ${r}`);
      }
    }
    const extra = sealed.keys.find((k) => k.recipient !== from && !h.recipients.includes(k.recipient ?? ""));
    if (extra) throw new LiaisonError("LIAISON_BAD_REQUEST", `a content key is wrapped for ${extra.recipient}, who is not a recipient`);
    // Time is judged against when JetStream stored the submission, not when we got to it, so a
    // backlog after an outage is not mistaken for replays.
    const storedAt = Math.floor(msg.info.timestampNanos / 1e6);
    if (h.createdAtMs < storedAt - this.d.replayWindowMs) {
      throw new LiaisonError("LIAISON_REPLAY", `created ${Math.round((storedAt - h.createdAtMs) / 1000)} s before it arrived`);
    }
    if (h.createdAtMs > storedAt + this.d.clockSkewMs) {
      throw new LiaisonError("LIAISON_CLOCK_SKEW", `created ${Math.round((h.createdAtMs - storedAt) / 1000)} s after it arrived`);
    }
  }

  /** Delivery, read and answer receipts from a recipient's access point, routed to the sender. */
  #receipts(msg: JsMsg, from: string, batch: pb.IReceiptBatch): Outcome {
    const reg = this.d.registry();
    const routed: pb.Receipt[] = [];
    const refused: Array<{ receipt?: pb.Receipt; code: ErrorCode; detail: string }> = [];
    const byAddressee = new Map<string, pb.ISignedReceipt[]>();
    for (const sr of batch.receipts ?? []) {
      let receipt: pb.Receipt | undefined;
      try {
        if (!sr.receipt?.length) throw new LiaisonError("LIAISON_MISSING_FIELD", "receipt");
        receipt = decodeAs((b) => pb.Receipt.decode(b), sr.receipt, "Receipt");
        const allowed = [pb.ReceiptKind.RECEIPT_KIND_DELIVERED, pb.ReceiptKind.RECEIPT_KIND_READ, pb.ReceiptKind.RECEIPT_KIND_ANSWERED];
        if (!allowed.includes(receipt.kind)) throw new LiaisonError("LIAISON_KIND_NOT_ALLOWED", "a contact point may only issue delivered, read and answered receipts");
        if (receipt.issuer !== from || receipt.recipient !== from) throw new LiaisonError("LIAISON_FORGED_SENDER", `receipt issued as ${receipt.issuer} arrived from ${from}`);
        reg.requireActive(receipt.addressee);
        this.d.verifier.verify("receipt", sr.receipt, sr.signature, from);
        routed.push(receipt);
        byAddressee.set(receipt.addressee, [...(byAddressee.get(receipt.addressee) ?? []), sr]);
      } catch (err) {
        const e = toLiaisonError(err);
        refused.push({ ...(receipt ? { receipt } : {}), code: e.code, detail: e.detail });
      }
    }
    const publishes = [...byAddressee].map(([to, list]) =>
      this.d.publisher.publish(subjects.inbox(to, "normal"), pb.InboxItem.encode({ receipts: { receipts: list } }).finish(), {
        msgID: `rcpt.${from}.${msg.info.streamSequence}.${to}`,
        expectStream: "INBOX",
      }),
    );
    return { kind: "receipts", msg, from, routed, refused, publishes };
  }

  /** The hub's own receipts: one accepted receipt per sender and priority for what it routed, a rejection per refusal. */
  async #publishHubReceipts(outcomes: Outcome[]): Promise<void> {
    const at = this.d.now();
    const reg = this.d.registry();
    const groups = new Map<string, { to: string; prio: PriorityToken; receipts: pb.IReceipt[] }>();
    const add = (to: string, prio: PriorityToken, r: pb.IReceipt) => {
      const key = `${to}|${prio}`;
      const g = groups.get(key) ?? { to, prio, receipts: [] };
      g.receipts.push(r);
      groups.set(key, g);
    };
    const accepted = new Map<string, { to: string; prio: PriorityToken; ids: string[] }>();
    for (const o of outcomes) {
      if (o.kind === "routed") {
        const key = `${o.from}|${o.prio}`;
        const a = accepted.get(key) ?? { to: o.from, prio: o.prio, ids: [] };
        a.ids.push(o.header.id);
        accepted.set(key, a);
      } else if (o.kind === "refused" && reg.get(o.from)) {
        add(o.from, o.prio, {
          id: `${o.envelopeId}.rejected.${o.msg.info.streamSequence}.${o.index}`,
          kind: pb.ReceiptKind.RECEIPT_KIND_REJECTED,
          envelopeIds: [o.envelopeId],
          issuer: HUB,
          addressee: o.from,
          reasonCode: o.error.code,
          reason: o.error.detail,
          atMs: at,
        });
      }
    }
    for (const a of accepted.values()) {
      add(a.to, a.prio, { id: `${newId()}.accepted`, kind: pb.ReceiptKind.RECEIPT_KIND_ACCEPTED, envelopeIds: a.ids, issuer: HUB, addressee: a.to, atMs: at });
    }
    const all = [...groups.values()];
    if (all.length === 0) return;
    const bytes = all.map((g) => g.receipts.map((r) => pb.Receipt.encode(r).finish()));
    const sigs = this.d.hubSigner.signMany(bytes.flat().map((b): SignItem => ({ type: "receipt", bytes: b })));
    let k = 0;
    await Promise.all(
      all.map((g, gi) => {
        const receipts = (bytes[gi] ?? []).map((b) => ({ receipt: b, signature: sigs[k++] ?? null }));
        return this.d.publisher.publish(subjects.inbox(g.to, g.prio), pb.InboxItem.encode({ receipts: { receipts } }).finish(), {
          msgID: `hub-rcpt.${g.receipts[0]?.id}.${receipts.length}`,
          expectStream: "INBOX",
        });
      }),
    );
  }

  #auditEvents(o: Outcome): AuditInput[] {
    if (o.kind === "routed") {
      const h = o.header;
      return [
        {
          id: `route.${h.id}`,
          action: AuditAction.AUDIT_ACTION_ROUTE,
          authority: o.from,
          userId: `access-point:${o.from}`,
          objectType: "message",
          objectId: h.id,
          outcome: AuditOutcome.AUDIT_OUTCOME_SUCCESS,
          matched: h.recipients,
          details: {
            kind: pb.MessageKind[h.kind] ?? String(h.kind),
            priority: o.prio,
            size: String(o.size),
            createdAtMs: String(h.createdAtMs),
            ...(h.replyByMs ? { replyByMs: String(h.replyByMs) } : {}),
            ...(h.inReplyTo ? { inReplyTo: h.inReplyTo } : {}),
            ...(h.caseRef ? { caseRef: h.caseRef } : {}),
          },
        },
      ];
    }
    if (o.kind === "refused") {
      return [
        {
          id: `refusal.submit.${o.msg.info.streamSequence}.${o.index}`,
          action: AuditAction.AUDIT_ACTION_REFUSAL,
          authority: o.from,
          userId: `access-point:${o.from}`,
          objectType: "message",
          objectId: o.envelopeId,
          outcome: AuditOutcome.AUDIT_OUTCOME_REFUSED,
          reasonCode: o.error.code,
          details: { reason: o.error.detail, subject: o.msg.subject, size: String(o.msg.data.length) },
        },
      ];
    }
    // One event per message a receipt speaks of: usage counts deliveries and answers per message.
    const events: AuditInput[] = o.routed.flatMap((r) =>
      r.envelopeIds.map((eid) => ({
        id: `receipt.${r.id}.${eid}`,
        action: r.kind === pb.ReceiptKind.RECEIPT_KIND_DELIVERED ? AuditAction.AUDIT_ACTION_DELIVERY : AuditAction.AUDIT_ACTION_RECEIPT,
        authority: o.from,
        userId: `access-point:${o.from}`,
        objectType: "message",
        objectId: eid,
        outcome: AuditOutcome.AUDIT_OUTCOME_SUCCESS,
        details: { receipt: pb.ReceiptKind[r.kind] ?? String(r.kind), addressee: r.addressee, atMs: String(r.atMs), ...(r.answerId ? { answerId: r.answerId } : {}) },
      })),
    );
    o.refused.forEach((f, i) =>
      events.push({
        id: `refusal.receipt.${o.msg.info.streamSequence}.${i}`,
        action: AuditAction.AUDIT_ACTION_REFUSAL,
        authority: o.from,
        userId: `access-point:${o.from}`,
        objectType: "receipt",
        objectId: f.receipt?.id ?? "",
        outcome: AuditOutcome.AUDIT_OUTCOME_REFUSED,
        reasonCode: f.code,
        details: { reason: f.detail },
      }),
    );
    return events;
  }
}
