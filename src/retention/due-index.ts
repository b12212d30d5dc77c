// The retention index: what falls due, bucketed by the hour it falls due in (stream DUE, one subject
// per item: liaison.v1.due.<hour>.<kind>.<id>). A sweep reads only the buckets up to now, so its
// cost follows the number of items due, not the number stored. An item is never filed under an
// hour already swept: one due in the past goes into the current hour.
import { DeliverPolicy, jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/nats-core";
import { JsPublisher, STREAMS, subjects } from "../nats/mod.js";

const STREAM = STREAMS.DUE.name;
export const HOUR_MS = 3_600_000;

export interface DueItem {
  readonly kind: string;
  readonly id: string;
  readonly dueAtMs: number;
  /** Non-personal facts the sweeper needs (supplier, stage). */
  readonly meta: Readonly<Record<string, string>>;
}

export const hourBucket = (ms: number) => Math.floor(ms / HOUR_MS);

export class DueIndex {
  readonly #js: JetStreamClient;
  readonly #jsm: JetStreamManager;
  readonly #pub: JsPublisher;

  private constructor(js: JetStreamClient, jsm: JetStreamManager, pub: JsPublisher) {
    this.#js = js;
    this.#jsm = jsm;
    this.#pub = pub;
  }

  static async open(nc: NatsConnection): Promise<DueIndex> {
    return new DueIndex(jetstream(nc), await jetstreamManager(nc, { checkAPI: false }), new JsPublisher(nc));
  }

  /** Files an item under its due hour (never under an hour before `nowMs`); replaces an earlier filing. */
  async schedule(item: DueItem, nowMs: number, previousDueAtMs?: number): Promise<void> {
    const bucket = Math.max(hourBucket(item.dueAtMs), hourBucket(nowMs));
    const subject = subjects.due(String(bucket), item.kind, item.id);
    await this.#pub.publish(subject, new TextEncoder().encode(JSON.stringify(item)), { expectStream: STREAM });
    if (previousDueAtMs !== undefined) {
      const old = Math.max(hourBucket(previousDueAtMs), hourBucket(nowMs));
      if (old !== bucket) await this.cancel(item.kind, item.id, previousDueAtMs, nowMs, old);
    }
  }

  /** Removes an item's filing (it was renewed, erased or is no longer due). */
  async cancel(kind: string, id: string, dueAtMs: number, nowMs: number, bucket = Math.max(hourBucket(dueAtMs), hourBucket(nowMs))): Promise<void> {
    await this.#remove(subjects.due(String(bucket), kind, id));
  }

  /**
   * Removes an item's filing from whichever of the candidate hours holds it. Literal subjects only:
   * a wildcard purge would scan the whole stream. A filing missed here is harmless: when its hour
   * comes the sweeper finds the object gone or changed and drops it.
   */
  async cancelAll(kind: string, id: string, candidateTimesMs: readonly number[]): Promise<void> {
    const buckets = new Set(candidateTimesMs.filter((t) => Number.isFinite(t) && t > 0).map(hourBucket));
    await Promise.all([...buckets].map((b) => this.#remove(subjects.due(String(b), kind, id))));
  }

  async #remove(subject: string): Promise<void> {
    const m = await this.#pub.directGet(STREAM, { last_by_subj: subject }).catch(() => null);
    if (m) await this.#pub.deleteMessage(STREAM, m.seq, false).catch(() => undefined);
  }

  /** Every item filed in one hour bucket, with the sequence that removes it. */
  async bucket(bucket: number): Promise<Array<DueItem & { seq: number; subject: string }>> {
    const filter = subjects.dueBucket(String(bucket));
    const info = await this.#jsm.streams.info(STREAM, { subjects_filter: filter });
    if (!info.state.subjects || Object.keys(info.state.subjects).length === 0) return [];
    const c = await this.#js.consumers.get(STREAM, { filter_subjects: filter, deliver_policy: DeliverPolicy.All });
    const out: Array<DueItem & { seq: number; subject: string }> = [];
    const iter = await c.consume({ max_messages: 1_000 });
    const total = Object.values(info.state.subjects).reduce((a, b) => a + b, 0);
    for await (const m of iter) {
      out.push({ ...(JSON.parse(new TextDecoder().decode(m.data)) as DueItem), seq: m.seq, subject: m.subject });
      if (m.info.pending === 0 || out.length >= total) break;
    }
    await iter.close();
    return out;
  }

  /** Removes a swept item. */
  async done(seq: number): Promise<void> {
    await this.#pub.deleteMessage(STREAM, seq, false).catch(() => undefined);
  }

  close(): void {
    this.#pub.close();
  }
}
