// The counting replica: consumes the audit log (durable consumer "usage" on AUDIT) while it holds
// the lease, and adds each event to the counters in the store (see counting.ts for what counts).
// Each stored value carries the last AUDIT sequence counted into it, so a redelivered event is
// never counted twice.
import type { JetStreamClient, JetStreamManager, JsMsg } from "@nats-io/jetstream";
import { splitAuditBatch, type AuditClient } from "../../src/audit/mod.js";
import type { ServiceMetrics } from "../../src/metrics/mod.js";
import { consumeBatches, USAGE_CONSUMER, type BatchConsumer } from "../../src/nats/mod.js";
import { pb } from "../../src/proto/mod.js";
import { answerDelta, countEvent, type Delta, type RequestFacts } from "./counting.js";
import type { UsageParts } from "./parts.js";
import { monthKey } from "./store.js";
import type { Throughput } from "./throughput.js";

const REQUESTS_REMEMBERED = 200_000;
const { stream: STREAM, config: { durable_name: DURABLE } } = USAGE_CONSUMER;

export interface CounterDeps extends UsageParts {
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  /** Where a request counted before a restart is looked up. */
  readonly auditClient: AuditClient;
  readonly throughput: Throughput;
  readonly metrics: ServiceMetrics;
}

export class UsageCounter {
  readonly #cache = new Map<string, pb.IUsageCounters>();
  readonly #requests = new Map<string, RequestFacts>();
  #lastCountedSeq = 0;
  #consumer: BatchConsumer | undefined;
  #leaseTimer: NodeJS.Timeout | undefined;
  readonly #refusals;

  constructor(private readonly d: CounterDeps) {
    this.#refusals = d.metrics.counter("liaison_refusals_total", "Refusals in the audit log, by reason code (every service and access point)", ["reason"]);
  }

  get counting(): boolean {
    return this.#consumer !== undefined;
  }

  stats(): { counting: boolean; lastCountedSeq: number; backlog: number } {
    return { counting: this.counting, lastCountedSeq: this.#lastCountedSeq, backlog: this.#consumer?.backlog() ?? 0 };
  }

  /** Starts counting when this replica takes the lease; stops when another replica holds it. */
  async takeOrKeepLease(): Promise<void> {
    const held = await this.d.lease.acquire();
    if (held && !this.#consumer) {
      this.#consumer = await consumeBatches(this.d.js, STREAM, DURABLE, (msgs) => this.#handle(msgs), { log: this.d.log, maxInFlight: 1, maxBatch: 256, buffer: 1_024 });
      this.d.log.info("counting usage from the audit log");
    } else if (!held && this.#consumer) {
      const c = this.#consumer;
      this.#consumer = undefined;
      this.#cache.clear(); // another replica counts now: what we hold may go stale
      await c.stop();
    }
  }

  /** Renews the lease (or takes it over) every `intervalMs`. */
  keepLease(intervalMs: number): void {
    this.#leaseTimer = setInterval(() => void this.takeOrKeepLease().catch((err: unknown) => this.d.log.warn({ err }, "usage lease")), intervalMs);
  }

  /** Resolves once every AUDIT message published so far has been counted. */
  async caughtUp(timeoutMs = 10_000): Promise<void> {
    const deadline = this.d.now() + timeoutMs;
    for (;;) {
      const ci = await this.d.jsm.consumers.info(STREAM, DURABLE);
      if (ci.num_pending === 0 && ci.num_ack_pending === 0) return;
      if (this.d.now() > deadline) throw new Error(`usage still has ${ci.num_pending + ci.num_ack_pending} audit messages to count`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** Stops counting and hands the lease back, so that another replica takes over at once. */
  async stop(): Promise<void> {
    if (this.#leaseTimer) clearInterval(this.#leaseTimer);
    await this.#consumer?.stop();
    if (await this.d.lease.release()) this.d.log.info("counting lease released");
  }

  #remember(id: string, f: RequestFacts): void {
    this.#requests.set(id, f);
    if (this.#requests.size > REQUESTS_REMEMBERED) this.#requests.delete(this.#requests.keys().next().value as string);
  }

  async #counters(cp: string, month: string): Promise<pb.IUsageCounters> {
    const key = monthKey(cp, month);
    let c = this.#cache.get(key);
    if (!c) {
      c = (await this.d.store.month(cp, month)) ?? { contactPoint: cp, month };
      this.#cache.set(key, c);
    }
    return c;
  }

  async #requestFacts(id: string): Promise<RequestFacts | undefined> {
    const known = this.#requests.get(id);
    if (known) return known;
    // Counted before a restart: the ROUTE event is still in the log.
    try {
      const r = await this.d.auditClient.query({ objectType: "message", objectId: id, actions: [pb.AuditAction.AUDIT_ACTION_ROUTE], limit: 1 });
      const e = r.records[0]?.event;
      if (!e) return undefined;
      const details = e.details ?? {};
      return { from: e.authority ?? "", createdAtMs: Number(details.createdAtMs ?? e.atMs), replyByMs: Number(details.replyByMs ?? 0) };
    } catch (err) {
      this.d.log.warn({ err, id }, "request not found in the audit log; its answer is counted without a reply time");
      return undefined;
    }
  }

  async #handle(msgs: JsMsg[]): Promise<void> {
    const cps = new Set(this.d.registry().all().map((c) => c.code ?? ""));
    const dirty = new Set<string>();
    for (const m of msgs) {
      const seq = m.seq;
      const source = m.subject.slice(m.subject.lastIndexOf(".") + 1);
      let events: Uint8Array[] = [];
      try {
        events = splitAuditBatch(m.data);
      } catch (err) {
        this.d.log.warn({ err, seq }, "AUDIT message is not an AuditBatch; not counted");
      }
      const deltas: Delta[] = [];
      for (const bytes of events) {
        let e: pb.AuditEvent;
        try {
          e = pb.AuditEvent.decode(bytes);
        } catch {
          continue;
        }
        const counted = countEvent(e, source);
        deltas.push(...counted.deltas);
        if (counted.request) this.#remember(counted.request.id, counted.request.facts);
        if (counted.answer) deltas.push(answerDelta(counted.answer, await this.#requestFacts(counted.answer.requestId)));
        if (seq > this.#lastCountedSeq) {
          if (counted.tally) this.d.throughput.add(Number(e.atMs), counted.tally);
          if (counted.refusalReason) this.#refusals.inc({ reason: counted.refusalReason }, counted.refusalCount ?? 1);
        }
      }
      for (const d of deltas) {
        if (!cps.has(d.cp)) continue; // not a member (a console role, a mistyped authority)
        const c = await this.#counters(d.cp, d.month);
        if (Number(c.auditSeq ?? 0) >= seq) continue; // counted before a crash
        d.apply(c);
        dirty.add(monthKey(d.cp, d.month));
      }
      // Stamped after the whole message: a value's auditSeq covers every event of that message.
      for (const key of dirty) {
        const c = this.#cache.get(key);
        if (c && Number(c.auditSeq ?? 0) < seq) c.auditSeq = seq;
      }
      this.#lastCountedSeq = Math.max(this.#lastCountedSeq, seq);
    }
    const written = [...dirty].map((key) => this.#cache.get(key)).filter((c) => c !== undefined);
    await Promise.all(written.map((c) => this.d.store.putMonth(c)));
    for (const m of msgs) m.ack();
  }
}
