// The exchange's routing of submitted items (ARCHITECTURE.md step 3): verify each envelope against
// the registry, check sender, recipients, kind, size and time, route it to every recipient's inbox
// (Nats-Msg-Id per recipient, so nothing is delivered twice), answer with a signed receipt, and
// log it. Refused input is answered with a reason code, logged, and routed nowhere.
import type { JetStreamClient, JsMsg, PubAck } from "@nats-io/jetstream";
import { AuditAction, AuditOutcome, type AuditEmitter, type AuditInput } from "../../src/audit/mod.js";
import { decodeAs, decodeEnvelope, type BatchSigner, type BatchVerifier, type SignItem } from "../../src/crypto/mod.js";
import { checkKind, effectivePriority, HUB } from "../../src/domain/mod.js";
import { LiaisonError, toLiaisonError, type ErrorCode } from "../../src/errors.js";
import type { Logger } from "../../src/log/mod.js";
import { parseRoutedSubject, subjects, type PriorityToken } from "../../src/nats/mod.js";
import { pb } from "../../src/proto/mod.js";
import type { RegistryView } from "../../src/registry/mod.js";

export interface RouterDeps {
  readonly js: JetStreamClient;
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

/** One submitted message's fate, decided synchronously; `publishes` were issued in arrival order. */
type Outcome =
  | { kind: "routed"; msg: JsMsg; from: string; prio: PriorityToken; header: pb.EnvelopeHeader; size: number; publishes: Promise<PubAck>[] }
  | { kind: "receipts"; msg: JsMsg; from: string; routed: pb.Receipt[]; refused: Array<{ receipt?: pb.Receipt; code: ErrorCode; detail: string }>; publishes: Promise<PubAck>[] }
  | { kind: "refused"; msg: JsMsg; from: string; prio: PriorityToken; envelopeId: string; header?: pb.EnvelopeHeader; error: LiaisonError };

const prioOf = (p: pb.Priority): PriorityToken => (p === pb.Priority.PRIORITY_URGENT ? "urgent" : "normal");

export class Router {
  constructor(private readonly d: RouterDeps) {}

  /** Handles one batch from a SUBMIT consumer (see consumeBatches for the ordering contract). */
  async handle(msgs: JsMsg[]): Promise<void> {
    const outcomes = msgs.map((m) => this.#decide(m));
    const settled = await Promise.all(outcomes.map((o) => (o.kind === "refused" ? Promise.resolve([]) : Promise.all(o.publishes))));

    const final: Outcome[] = outcomes.map((o, i) => {
      if (o.kind !== "routed") return o;
      // A first delivery whose every inbox copy is a duplicate is a replay of an id routed before;
      // a redelivery after our own crash legitimately finds its copies already there.
      const acks = settled[i] ?? [];
      if (!o.msg.info.redelivered && acks.length > 0 && acks.every((a) => a.duplicate)) {
        return { kind: "refused", msg: o.msg, from: o.from, prio: o.prio, envelopeId: o.header.id, header: o.header, error: new LiaisonError("LIAISON_REPLAY", `envelope ${o.header.id} was routed before`) };
      }
      return o;
    });

    const receipts = this.#hubReceipts(final);
    const audits = final.flatMap((o) => this.#auditEvents(o));
    await Promise.all([this.#publishReceipts(receipts), ...audits.map((a) => this.d.audit.emit(a))]);
    for (const o of final) {
      this.d.onOutcome?.(o.kind === "refused" ? o.error.code : "routed", o.kind === "receipts" ? "receipt" : "envelope");
      o.msg.ack();
    }
  }

  #decide(msg: JsMsg): Outcome {
    const route = parseRoutedSubject(msg.subject);
    const from = route?.cp ?? "?";
    const prio = route?.prio ?? "normal";
    const fallbackId = msg.headers?.get("Nats-Msg-Id") || `submit-${msg.info.streamSequence}`;
    let header: pb.EnvelopeHeader | undefined;
    try {
      if (!route) throw new LiaisonError("LIAISON_FORBIDDEN_SUBJECT", msg.subject);
      const item = decodeAs((b) => pb.SubmitItem.decode(b), msg.data, "SubmitItem");
      if (item.receipts) return this.#receipts(msg, from, item.receipts);
      if (!item.envelope) throw new LiaisonError("LIAISON_MISSING_FIELD", "submit item is empty");
      if (msg.data.length > this.d.maxEnvelopeBytes) {
        throw new LiaisonError("LIAISON_OVERSIZED", `${msg.data.length} bytes, limit ${this.d.maxEnvelopeBytes}`);
      }
      const dec = decodeEnvelope(item.envelope);
      header = dec.header;
      this.#check(dec.header, dec.sealed, from, prio, msg);
      this.d.verifier.verify("envelope", dec.envelope.sealed, dec.envelope.signature, from);
      const bytes = pb.InboxItem.encode({ envelope: item.envelope }).finish();
      const publishes = dec.header.recipients.map((r) =>
        this.d.js.publish(subjects.inbox(r, prio), bytes, { msgID: `${dec.header.id}.${r}`, expect: { streamName: "INBOX" } }),
      );
      return { kind: "routed", msg, from, prio, header: dec.header, size: msg.data.length, publishes };
    } catch (err) {
      const error = toLiaisonError(err);
      if (error.code === "LIAISON_INTERNAL") this.d.log.error({ err, seq: msg.info.streamSequence }, "unexpected failure checking a submission");
      return { kind: "refused", msg, from, prio, envelopeId: header?.id || fallbackId, ...(header ? { header } : {}), error };
    }
  }

  #check(h: pb.EnvelopeHeader, sealed: pb.SealedContent, from: string, prio: PriorityToken, msg: JsMsg): void {
    const reg = this.d.registry();
    if (h.sender !== from) throw new LiaisonError("LIAISON_FORGED_SENDER", `envelope names ${h.sender}, arrived from ${from}`);
    reg.requireActive(from);
    const refusal = checkKind(h);
    if (refusal) throw new LiaisonError(refusal.code, refusal.detail);
    if (prioOf(effectivePriority(h.kind, h.priority)) !== prio) {
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
    const storedAt = Number(msg.info.timestampNanos / 1_000_000);
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
    reg.requireActive(from);
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
        const list = byAddressee.get(receipt.addressee) ?? [];
        list.push(sr);
        byAddressee.set(receipt.addressee, list);
      } catch (err) {
        const e = toLiaisonError(err);
        refused.push({ ...(receipt ? { receipt } : {}), code: e.code, detail: e.detail });
      }
    }
    const publishes = [...byAddressee].map(([to, list]) =>
      this.d.js.publish(subjects.inbox(to, "normal"), pb.InboxItem.encode({ receipts: { receipts: list } }).finish(), {
        msgID: `rcpt.${from}.${msg.info.streamSequence}.${to}`,
        expect: { streamName: "INBOX" },
      }),
    );
    return { kind: "receipts", msg, from, routed, refused, publishes };
  }

  /** The hub's own receipts: accepted or rejected, one signed batch per handled batch. */
  #hubReceipts(outcomes: Outcome[]): Array<{ to: string; prio: PriorityToken; receipt: pb.IReceipt }> {
    const at = this.d.now();
    const out: Array<{ to: string; prio: PriorityToken; receipt: pb.IReceipt }> = [];
    for (const o of outcomes) {
      if (o.kind === "routed") {
        out.push({
          to: o.from,
          prio: o.prio,
          receipt: { id: `${o.header.id}.accepted`, kind: pb.ReceiptKind.RECEIPT_KIND_ACCEPTED, envelopeId: o.header.id, issuer: HUB, addressee: o.from, atMs: at },
        });
      } else if (o.kind === "refused" && this.d.registry().get(o.from)) {
        out.push({
          to: o.from,
          prio: o.prio,
          receipt: {
            id: `${o.envelopeId}.rejected.${o.msg.info.streamSequence}`,
            kind: pb.ReceiptKind.RECEIPT_KIND_REJECTED,
            envelopeId: o.envelopeId,
            issuer: HUB,
            addressee: o.from,
            reasonCode: o.error.code,
            reason: o.error.detail,
            atMs: at,
          },
        });
      }
    }
    return out;
  }

  async #publishReceipts(list: Array<{ to: string; prio: PriorityToken; receipt: pb.IReceipt }>): Promise<void> {
    if (list.length === 0) return;
    const bytes = list.map((r) => pb.Receipt.encode(r.receipt).finish());
    const sigs = this.d.hubSigner.signMany(bytes.map((b): SignItem => ({ type: "receipt", bytes: b })));
    const groups = new Map<string, pb.ISignedReceipt[]>();
    list.forEach((r, i) => {
      const key = `${r.to}|${r.prio}`;
      const g = groups.get(key) ?? [];
      g.push({ receipt: bytes[i] ?? null, signature: sigs[i] ?? null });
      groups.set(key, g);
    });
    await Promise.all(
      [...groups].map(([key, receipts]) => {
        const [to = "", prio = "normal"] = key.split("|");
        const first = pb.Receipt.decode(receipts[0]?.receipt ?? new Uint8Array()).id;
        return this.d.js.publish(subjects.inbox(to, prio as PriorityToken), pb.InboxItem.encode({ receipts: { receipts } }).finish(), {
          msgID: `hub-rcpt.${first}.${receipts.length}`,
          expect: { streamName: "INBOX" },
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
          id: `refusal.submit.${o.msg.info.streamSequence}`,
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
    const events: AuditInput[] = o.routed.map((r) => ({
      id: `receipt.${r.id}`,
      action: r.kind === pb.ReceiptKind.RECEIPT_KIND_DELIVERED ? AuditAction.AUDIT_ACTION_DELIVERY : AuditAction.AUDIT_ACTION_RECEIPT,
      authority: o.from,
      userId: `access-point:${o.from}`,
      objectType: "message",
      objectId: r.envelopeId,
      outcome: AuditOutcome.AUDIT_OUTCOME_SUCCESS,
      details: { receipt: pb.ReceiptKind[r.kind] ?? String(r.kind), addressee: r.addressee, atMs: String(r.atMs), ...(r.answerId ? { answerId: r.answerId } : {}) },
    }));
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
