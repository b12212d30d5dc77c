// The access point's push log (stream AP_<CP>_PUSH, in its own account or on its leaf node): each
// event before anything is attempted with it, its sequence the event's id, and the last state of
// each webhook delivery. Bounded by count and age (src/nats/streams.ts); it holds no content.
import { createHash } from "node:crypto";
import { DeliverPolicy, jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/nats-core";
import type { DeliveryOut, PushEventOut } from "../../../src/api/mod.js";
import { apPushStream, JsPublisher, provisionMemberPushLog, subjects } from "../../../src/nats/mod.js";
import type { NewPushEvent } from "./events.js";

/** On an event stored for the webhook: a delivery is due even if none was recorded yet. */
const WEBHOOK_HEADER = "Liaison-Webhook";

/** A delivery's state as stored: its API shape plus when the next attempt is due. */
export type DeliveryRecord = Omit<DeliveryOut, "nextAttemptAt"> & { nextAttemptAtMs?: number };

export type LoggedItem = { kind: "event"; event: PushEventOut; forWebhook: boolean } | { kind: "delivery"; delivery: DeliveryRecord };

const json = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));

export class PushLog {
  readonly stream: string;
  readonly #cp: string;
  readonly #js: JetStreamClient;
  readonly #jsm: JetStreamManager;
  /** Publishes in the order of issue (sequences follow the order events happened in), retrying a leaderless stream. */
  readonly #pub: JsPublisher;
  /** Appends resolve in the order they were issued. */
  #tail: Promise<unknown> = Promise.resolve();

  private constructor(cp: string, js: JetStreamClient, jsm: JetStreamManager, pub: JsPublisher) {
    this.#cp = cp;
    this.stream = apPushStream(cp).name;
    this.#js = js;
    this.#jsm = jsm;
    this.#pub = pub;
  }

  static async open(nc: NatsConnection, cp: string, replicas = 1): Promise<PushLog> {
    await provisionMemberPushLog(nc, cp, { replicas });
    return new PushLog(cp, jetstream(nc), await jetstreamManager(nc, { checkAPI: false }), new JsPublisher(nc));
  }

  close(): void {
    this.#pub.close();
  }

  /**
   * Stores an event; its sequence becomes its id. Undefined when it was stored already (the same
   * key within the duplicate window: a redelivered inbox item, a receipt seen twice).
   */
  append(e: NewPushEvent, forWebhook: boolean): Promise<PushEventOut | undefined> {
    // The key holds ids from outside; its hash is always a safe subject token.
    const subject = subjects.apPush(this.#cp, "event", createHash("sha256").update(e.key).digest("hex").slice(0, 40));
    const acked = this.#pub.publish(subject, json(e.event), { msgID: e.key, expectStream: this.stream, ...(forWebhook ? { headers: { [WEBHOOK_HEADER]: "1" } } : {}) });
    const p = this.#tail.then(
      () => acked,
      () => acked,
    );
    this.#tail = p.catch(() => undefined);
    return p.then((ack) => (ack.duplicate ? undefined : { id: String(ack.seq), ...e.event }));
  }

  async putDelivery(d: DeliveryRecord): Promise<void> {
    await this.#pub.publish(subjects.apPush(this.#cp, "delivery", d.id), json(d), { expectStream: this.stream });
  }

  /** Calls `each` for every item stored after sequence `after`, oldest first; resolves to the last sequence read. */
  async read(after: number, each: (item: LoggedItem, seq: number) => void): Promise<number> {
    const info = await this.#jsm.streams.info(this.stream);
    const last = info.state.last_seq;
    if (info.state.messages === 0 || last <= after) return after;
    const consumer = await this.#js.consumers.get(this.stream, { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: Math.max(after + 1, info.state.first_seq) });
    const iter = await consumer.consume({ max_messages: 1_000 });
    let seq = after;
    try {
      for await (const m of iter) {
        seq = m.seq;
        const kind = m.subject.split(".")[4];
        try {
          if (kind === "event") each({ kind, event: { id: String(m.seq), ...(m.json<Omit<PushEventOut, "id">>()) }, forWebhook: m.headers?.get(WEBHOOK_HEADER) === "1" }, m.seq);
          else if (kind === "delivery") each({ kind, delivery: m.json<DeliveryRecord>() }, m.seq);
        } catch {
          // An unreadable item is skipped: the log is a convenience record, the messages are in the store.
        }
        if (m.seq >= last || m.info.pending === 0) break;
      }
    } finally {
      await iter.close();
    }
    return seq;
  }
}
