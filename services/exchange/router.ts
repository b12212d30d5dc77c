// The exchange's routing of submitted items (docs/architecture.md, "Sending a message", step 3): verify each envelope against
// the registry, check sender, recipients, kind, size and time, route it to every recipient's inbox
// (Nats-Msg-Id per envelope and recipient, so nothing is delivered twice), answer with a signed
// receipt, and log it. Refused input is answered with a reason code, logged, and routed nowhere.
import type { JsMsg } from "@nats-io/jetstream";
import { AuditAction, AuditOutcome, type AuditInput } from "../../src/audit/mod.js";
import { decodeAs, decodeEnvelopeBytes, inboxItemOfEnvelope, newId, type BatchSigner, type BatchVerifier, type SignItem } from "../../src/crypto/mod.js";
import {
  briefDetail,
  checkKind,
  chunk,
  effectivePriority,
  HUB,
  isWellFormedId,
  MAX_HUB_BATCH_BYTES,
  MAX_SUBMIT_ENVELOPES,
  MAX_SUBMIT_RECEIPT_REFS,
  MAX_SUBMIT_RECEIPTS,
} from "../../src/domain/mod.js";
import { LiaisonError, toLiaisonError, type ErrorCode } from "../../src/errors.js";
import { Linger, parseRoutedSubject, redeliveryDelayMs, subjects, type JsPublisher, type PriorityToken, type PubAck } from "../../src/nats/mod.js";
import { pb } from "../../src/proto/mod.js";
import { routeRecord, type Routes, type RouteWrite } from "./routes.js";
import type { PartContext } from "../../src/runtime/mod.js";

export interface RouterDeps extends PartContext {
  readonly publisher: JsPublisher;
  /** What was routed from whom to whom (receipts are checked against it). */
  readonly routes: Routes;
  readonly verifier: BatchVerifier;
  readonly hubSigner: BatchSigner;
  readonly replayWindowMs: number;
  readonly clockSkewMs: number;
  readonly maxEnvelopeBytes: number;
  /** Counts outcomes for metrics: "routed", or the refusal's code. */
  readonly onOutcome?: (outcome: string, kind: "envelope" | "receipt") => void;
}

/** One envelope's (or one unreadable message's) fate, decided synchronously in arrival order. */
type Outcome =
  | { kind: "routed"; msg: JsMsg; from: string; prio: PriorityToken; header: pb.EnvelopeHeader; size: number; index: number; record: Promise<RouteWrite>; publishes: Promise<PubAck[]> }
  | { kind: "receipts"; msg: JsMsg; from: string; routed: pb.Receipt[]; refused: ReceiptRefusal[]; publishes: Promise<unknown>[] }
  | { kind: "refused"; msg: JsMsg; from: string; prio: PriorityToken; envelopeId: string; error: LiaisonError; index: number | "poison" };

type ReceiptRefusal = { receipt?: pb.Receipt; code: ErrorCode; detail: string };

/** A submission's follow-up: its receipts and audit events, then its acknowledgement (or, for poison, its termination). */
type FollowUp = { msg: JsMsg; outcomes: Outcome[]; term?: boolean };

/** Receipt ids: <envelope>.<kind>.<CP> or <id>.<kind>.<CP>, so dots are allowed; no other separator. */
const isWellFormedReceiptId = (id: string) => /^[A-Za-z0-9_.-]{1,128}$/.test(id);

/** How a submission is named in the log when its envelopes cannot be: its message id if that is a plain name. */
function submissionRef(msg: JsMsg): string {
  const id = msg.headers?.get("Nats-Msg-Id") ?? "";
  return /^[A-Za-z0-9_.-]{1,128}$/.test(id) ? id : `submit-${msg.info.streamSequence}`;
}

export class Router {
  /** Receipts, audit events and SUBMIT acks of routed batches, done together every few ms. */
  readonly #followUp: Linger<FollowUp>;

  constructor(private readonly d: RouterDeps) {
    this.#followUp = new Linger((items) => this.#finish(items), {
      log: d.log,
      // One submission whose follow-up cannot be done must not hold the others: each is done
      // alone, and only those that fail alone come back (and are given up as poison in the end).
      onError: (items) => void this.#finishOneByOne(items),
    });
  }

  /** Finishes what is waiting (on shutdown). */
  drain(): Promise<void> {
    return this.#followUp.drain();
  }

  /** Handles one batch from a SUBMIT consumer (see consumeBatches for the ordering contract). */
  async handle(msgs: JsMsg[]): Promise<void> {
    const decided = msgs.map((msg) => ({ msg, outcomes: this.#decide(msg) }));
    const settled = await Promise.all(
      decided.map((d) =>
        Promise.allSettled(
          d.outcomes.map((o) => (o.kind === "refused" ? Promise.resolve(undefined) : o.kind === "routed" ? Promise.all([o.record, o.publishes]).then(([w]) => w) : Promise.all(o.publishes))),
        ),
      ),
    );
    const items: FollowUp[] = [];
    decided.forEach(({ msg, outcomes }, k) => {
      const results = settled[k] ?? [];
      const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
      if (failed) {
        // Not routed (an inbox could not be written): it comes back alone; copies that did land are
        // found again as duplicates of a redelivery, which is fine.
        this.d.log.warn({ err: failed.reason, seq: msg.info.streamSequence, deliveries: msg.info.deliveryCount }, "a submission could not be routed; it will be redelivered");
        msg.nak(redeliveryDelayMs(msg.info.deliveryCount));
        return;
      }
      const final = outcomes.map((o, i): Outcome => {
        if (o.kind !== "routed") return o;
        // The same envelope again (a redelivery after our own crash, or the sender's resubmission
        // after it lost our receipt) finds its copies already there: nothing is delivered twice,
        // and it is answered as accepted, as the first time. Another envelope under a routed id is
        // a replay.
        const r = results[i];
        if (r?.status === "fulfilled" && r.value === "different") {
          return { kind: "refused", msg, from: o.from, prio: o.prio, envelopeId: o.header.id, index: o.index, error: new LiaisonError("LIAISON_REPLAY", `envelope id ${o.header.id} was routed before, for another envelope`) };
        }
        return o;
      });
      items.push({ msg, outcomes: final });
    });

    // Routed (or refused) now; the receipts, the log and the acknowledgement follow within ms.
    if (items.length > 0) this.#followUp.add(...items);
  }

  /**
   * Submissions delivered too often (their handling kept failing): not handled again, but refused
   * with one refusal each (the same event id every time, so it is logged once) and terminated.
   */
  poison(msgs: JsMsg[]): Promise<void> {
    this.#followUp.add(
      ...msgs.map((msg): FollowUp => {
        const route = parseRoutedSubject(msg.subject);
        const error = new LiaisonError("LIAISON_UNPROCESSABLE", `given up after ${msg.info.deliveryCount} deliveries`);
        return { msg, term: true, outcomes: [{ kind: "refused", msg, from: route?.cp ?? "?", prio: route?.prio ?? "normal", envelopeId: submissionRef(msg), error, index: "poison" }] };
      }),
    );
    return Promise.resolve();
  }

  async #finish(items: FollowUp[]): Promise<void> {
    const outcomes = items.flatMap((i) => i.outcomes);
    const audits = outcomes.flatMap((o) => this.#auditEvents(o));
    await Promise.all([this.#publishHubReceipts(outcomes), ...audits.map((a) => this.d.audit.emit(a))]);
    for (const o of outcomes) this.d.onOutcome?.(o.kind === "refused" ? o.error.code : "routed", o.kind === "receipts" ? "receipt" : "envelope");
    for (const i of items) {
      if (i.term) i.msg.term("given up: delivered too often");
      else i.msg.ack();
    }
  }

  async #finishOneByOne(items: FollowUp[]): Promise<void> {
    if (items.length === 1) {
      for (const i of items) i.msg.nak(redeliveryDelayMs(i.msg.info.deliveryCount));
      return;
    }
    for (const i of items) {
      try {
        await this.#finish([i]);
      } catch (err) {
        this.d.log.error({ err, seq: i.msg.info.streamSequence, deliveries: i.msg.info.deliveryCount }, "a submission's receipts or log could not be written; it will be redelivered");
        i.msg.nak(redeliveryDelayMs(i.msg.info.deliveryCount));
      }
    }
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
      return [refuse(err, submissionRef(msg))];
    }
    // A submission over a limit is refused whole, before any of it is looked at: one refusal.
    if (item.receipts) {
      const n = item.receipts.receipts?.length ?? 0;
      if (n > MAX_SUBMIT_RECEIPTS) return [refuse(new LiaisonError("LIAISON_TOO_MANY_ITEMS", `${n} receipts in one submission; at most ${MAX_SUBMIT_RECEIPTS}`), submissionRef(msg))];
      return [this.#receipts(msg, from, item.receipts, (err) => refuse(err, submissionRef(msg)))];
    }
    const envelopes = item.envelopes?.envelopes ?? (item.envelope ? [pb.Envelope.encode(item.envelope).finish()] : []);
    if (envelopes.length === 0) return [refuse(new LiaisonError("LIAISON_MISSING_FIELD", "submit item is empty"), `submit-${msg.info.streamSequence}`)];
    if (envelopes.length > MAX_SUBMIT_ENVELOPES) {
      return [refuse(new LiaisonError("LIAISON_TOO_MANY_ITEMS", `${envelopes.length} envelopes in one submission; at most ${MAX_SUBMIT_ENVELOPES}`), submissionRef(msg))];
    }
    return envelopes.map((env, index) => {
      let header: pb.EnvelopeHeader | undefined;
      try {
        const dec = decodeEnvelopeBytes(env);
        // The id names the envelope in receipts, the log and message ids: a plain name, never input to echo.
        if (!isWellFormedId(dec.header.id)) throw new LiaisonError("LIAISON_BAD_REQUEST", "the envelope id is not a plain name of 1 to 64 letters, digits, '-' and '_'");
        header = dec.header;
        this.#check(dec.header, dec.sealed, from, prio, msg);
        this.d.verifier.verify("envelope", dec.envelope.sealed, dec.envelope.signature, from);
        // The route is recorded first, and the copies go out only once it is stored (on a cluster
        // too, so no receipt can come back before it), and only for a new envelope or the same one
        // again: another envelope under a routed id is a replay and reaches no one.
        const record = this.d.routes.record(dec.header.id, routeRecord(from, dec.header.recipients, env));
        // The envelope's own bytes go on, framed as an InboxItem: nothing is re-encoded. The
        // publishes are issued as the records resolve, which is in submission order.
        const bytes = inboxItemOfEnvelope(env);
        const publishes = record.then((w) =>
          w === "different"
            ? []
            : Promise.all(dec.header.recipients.map((r) => this.d.publisher.publish(subjects.inbox(r, prio), bytes, { msgID: `${dec.header.id}.${r}`, expectStream: "INBOX" }))),
        );
        return { kind: "routed", msg, from, prio, header: dec.header, size: bytes.length, index, record, publishes };
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

  /**
   * Delivery, read and answer receipts from a recipient's access point, routed to the sender. What
   * a receipt says alone (kind, issuer, signature) is checked at once; whether its envelopes were
   * routed to the issuer from the addressee is looked up in the routes, then it is routed.
   */
  #receipts(msg: JsMsg, from: string, batch: pb.IReceiptBatch, refuseWhole: (err: LiaisonError) => Outcome): Outcome {
    const reg = this.d.registry();
    let refs = 0;
    const candidates: Array<{ receipt: pb.Receipt; signed: pb.ISignedReceipt }> = [];
    const refused: ReceiptRefusal[] = [];
    for (const sr of batch.receipts ?? []) {
      let receipt: pb.Receipt | undefined;
      try {
        if (!sr.receipt?.length) throw new LiaisonError("LIAISON_MISSING_FIELD", "receipt");
        receipt = decodeAs((b) => pb.Receipt.decode(b), sr.receipt, "Receipt");
        refs += receipt.envelopeIds.length;
        if (refs > MAX_SUBMIT_RECEIPT_REFS) return refuseWhole(new LiaisonError("LIAISON_TOO_MANY_ITEMS", `the receipts name more than ${MAX_SUBMIT_RECEIPT_REFS} envelopes`));
        if (!isWellFormedReceiptId(receipt.id)) throw new LiaisonError("LIAISON_BAD_REQUEST", "the receipt id is not a plain name");
        if (receipt.envelopeIds.length === 0) throw new LiaisonError("LIAISON_MISSING_FIELD", "envelope_ids");
        if (!receipt.envelopeIds.every(isWellFormedId)) throw new LiaisonError("LIAISON_BAD_REQUEST", "a receipt names an envelope id that is not a plain name");
        const allowed = [pb.ReceiptKind.RECEIPT_KIND_DELIVERED, pb.ReceiptKind.RECEIPT_KIND_READ, pb.ReceiptKind.RECEIPT_KIND_ANSWERED];
        if (!allowed.includes(receipt.kind)) throw new LiaisonError("LIAISON_KIND_NOT_ALLOWED", "a contact point may only issue delivered, read and answered receipts");
        if (receipt.issuer !== from || receipt.recipient !== from) throw new LiaisonError("LIAISON_FORGED_SENDER", `receipt issued as ${receipt.issuer} arrived from ${from}`);
        reg.requireActive(receipt.addressee);
        this.d.verifier.verify("receipt", sr.receipt, sr.signature, from);
        candidates.push({ receipt, signed: sr });
      } catch (err) {
        const e = toLiaisonError(err);
        refused.push({ ...(receipt && isWellFormedReceiptId(receipt.id) ? { receipt } : {}), code: e.code, detail: briefDetail(e.detail) });
      }
    }
    const outcome: Outcome = { kind: "receipts", msg, from, routed: [], refused, publishes: [] };
    if (candidates.length > 0) outcome.publishes.push(this.#routeReceipts(msg, from, candidates, outcome));
    return outcome;
  }

  /** Routes the receipts whose every envelope went from their addressee to their issuer; refuses the others. */
  async #routeReceipts(msg: JsMsg, from: string, candidates: Array<{ receipt: pb.Receipt; signed: pb.ISignedReceipt }>, o: { routed: pb.Receipt[]; refused: ReceiptRefusal[] }): Promise<PubAck[]> {
    const ids = [...new Set(candidates.flatMap((c) => c.receipt.envelopeIds))];
    const routes = new Map(await Promise.all(ids.map(async (id) => [id, await this.d.routes.get(id)] as const)));
    const byAddressee = new Map<string, pb.ISignedReceipt[]>();
    for (const { receipt, signed } of candidates) {
      const stranger = receipt.envelopeIds.find((eid) => {
        const r = routes.get(eid);
        return !r || r.sender !== receipt.addressee || !r.recipients.includes(from);
      });
      if (stranger !== undefined) {
        o.refused.push({ receipt, code: "LIAISON_NOT_ADDRESSED", detail: `envelope ${stranger} was not routed from ${receipt.addressee} to ${from}` });
        continue;
      }
      o.routed.push(receipt);
      byAddressee.set(receipt.addressee, [...(byAddressee.get(receipt.addressee) ?? []), signed]);
    }
    return Promise.all(
      [...byAddressee].map(([to, list]) =>
        this.d.publisher.publish(subjects.inbox(to, "normal"), pb.InboxItem.encode({ receipts: { receipts: list } }).finish(), {
          msgID: `rcpt.${from}.${msg.info.streamSequence}.${to}`,
          expectStream: "INBOX",
        }),
      ),
    );
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
          // A whole submission refused (over a limit, unreadable, poison) names no envelope of its own.
          envelopeIds: isWellFormedId(o.envelopeId) ? [o.envelopeId] : [],
          issuer: HUB,
          addressee: o.from,
          reasonCode: o.error.code,
          reason: briefDetail(o.error.detail),
          atMs: at,
        });
      }
    }
    for (const a of accepted.values()) {
      // Receipts name at most as many envelopes as a contact point's own receipts may.
      for (const ids of chunk(a.ids, MAX_SUBMIT_RECEIPT_REFS)) {
        add(a.to, a.prio, { id: `${newId()}.accepted`, kind: pb.ReceiptKind.RECEIPT_KIND_ACCEPTED, envelopeIds: ids, issuer: HUB, addressee: a.to, atMs: at });
      }
    }
    const all = [...groups.values()];
    if (all.length === 0) return;
    const bytes = all.map((g) => g.receipts.map((r) => pb.Receipt.encode(r).finish()));
    const sigs = this.d.hubSigner.signMany(bytes.flat().map((b): SignItem => ({ type: "receipt", bytes: b })));
    let k = 0;
    const publishes: Promise<PubAck>[] = [];
    all.forEach((g, gi) => {
      const receipts = (bytes[gi] ?? []).map((b, i) => ({ id: g.receipts[i]?.id ?? "", signed: { receipt: b, signature: sigs[k++] ?? null } }));
      // Split so that no batch comes near max_payload, however many receipts there are.
      for (const part of splitBySize(receipts, (r) => r.signed.receipt.length + 128, MAX_HUB_BATCH_BYTES)) {
        publishes.push(
          this.d.publisher.publish(subjects.inbox(g.to, g.prio), pb.InboxItem.encode({ receipts: { receipts: part.map((r) => r.signed) } }).finish(), {
            msgID: `hub-rcpt.${part[0]?.id}.${part.length}`,
            expectStream: "INBOX",
          }),
        );
      }
    });
    await Promise.all(publishes);
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
          details: { reason: briefDetail(o.error.detail), subject: o.msg.subject, size: String(o.msg.data.length) },
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

/** Consecutive runs of `items` whose estimated sizes add up to at most `limit` (an item bigger than it goes alone). */
function splitBySize<T>(items: readonly T[], size: (t: T) => number, limit: number): T[][] {
  const out: T[][] = [];
  let cur: T[] = [];
  let bytes = 0;
  for (const it of items) {
    const n = size(it);
    if (cur.length > 0 && bytes + n > limit) {
      out.push(cur);
      cur = [];
      bytes = 0;
    }
    cur.push(it);
    bytes += n;
  }
  if (cur.length > 0) out.push(cur);
  return out;
}
