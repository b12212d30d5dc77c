// The retention index: what falls due, bucketed by the hour it falls due in (stream DUE, one
// subject per hour: liaison.v1.due.<hour>, an item per message). A sweep reads only the hours up
// to now, each through the server's per-subject index, so its cost follows the number of items
// due, not the number stored. An item is never filed under an hour already swept: one due in the
// past goes into the current hour.
//
// A filing that is replaced (renewal, status change, erasure) is removed from its hour when that
// hour holds at most CANCEL_SCAN_LIMIT items; a larger hour (a bulk load files a million records
// under the same hour) keeps it, and the sweeper drops it as stale when its hour comes: it checks
// every item against the object as it is then. Both ways nothing is erased early or twice.
import { DeliverPolicy, jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/nats-core";
import { JsPublisher, STREAMS, subjects } from "../nats/mod.js";

const STREAM = STREAMS.DUE.name;
export const HOUR_MS = 3_600_000;
/** The largest hour a replaced filing is looked for in at once (reading it takes about 20 ms per 1,000). */
export const CANCEL_SCAN_LIMIT = 5_000;
/** Items asked for in one batch direct get. */
const DIRECT_BATCH = 1_000;

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
    if (previousDueAtMs !== undefined) await this.#removeFrom(Math.max(hourBucket(previousDueAtMs), hourBucket(nowMs)), item.kind, item.id);
    await this.#pub.publish(subjects.dueHour(String(bucket)), new TextEncoder().encode(JSON.stringify(item)), { expectStream: STREAM });
  }

  /**
   * Removes an object's filings from whichever of the candidate hours holds them (it was renewed,
   * erased or is no longer due). A filing left here is harmless: see the top of this file.
   */
  async cancelAll(kind: string, id: string, candidateTimesMs: readonly number[]): Promise<void> {
    const buckets = new Set(candidateTimesMs.filter((t) => Number.isFinite(t) && t > 0).map(hourBucket));
    await Promise.all([...buckets].map((b) => this.#removeFrom(b, kind, id)));
  }

  async #removeFrom(bucket: number, kind: string, id: string): Promise<void> {
    const n = await this.count(bucket);
    if (n === 0 || n > CANCEL_SCAN_LIMIT) return;
    const mine = (await this.bucket(bucket, n)).filter((i) => i.kind === kind && i.id === id);
    await Promise.all(mine.map((i) => this.done(i.seq)));
  }

  /**
   * The hours that hold items, with how many each: the stream's subjects, which are hours, so one
   * call however many items are stored.
   */
  async hours(): Promise<Map<number, number>> {
    const info = await this.#jsm.streams.info(STREAM, { subjects_filter: subjects.dueAll });
    const prefix = subjects.dueAll.slice(0, -1);
    const out = new Map<number, number>();
    for (const [subject, n] of Object.entries(info.state.subjects ?? {})) {
      const hour = Number(subject.slice(prefix.length));
      if (Number.isSafeInteger(hour) && n > 0) out.set(hour, n);
    }
    return out;
  }

  /** How many items are filed under one hour (from the per-subject index: no message is read). */
  async count(bucket: number): Promise<number> {
    const subject = subjects.dueHour(String(bucket));
    const info = await this.#jsm.streams.info(STREAM, { subjects_filter: subject });
    return info.state.subjects?.[subject] ?? 0;
  }

  /** Every item filed in one hour bucket, with the sequence that removes it (`known`: its count, when just read). */
  async bucket(bucket: number, known?: number): Promise<Array<DueItem & { seq: number }>> {
    const total = known ?? (await this.count(bucket));
    const out: Array<DueItem & { seq: number }> = [];
    for await (const page of this.pages(bucket, total, 1_000)) out.push(...page);
    return out;
  }

  /**
   * The items of one hour in order, `size` at a time, until `total` (its count, as listed) are
   * read: a sweep reads a large hour page by page instead of all at once. A page ends when the
   * server has no more to give, so filings removed while the hour is read (a sweep, a cancel)
   * end it early instead of being waited for; the count, not a short page, says when it is done.
   */
  async *pages(bucket: number, total: number, size: number): AsyncGenerator<Array<DueItem & { seq: number }>> {
    let after = 0;
    for (let read = 0; read < total; ) {
      const page = await this.#page(bucket, after, Math.min(size, total - read));
      if (page.length === 0) return;
      read += page.length;
      after = (page[page.length - 1] as { seq: number }).seq;
      yield page;
    }
  }

  /**
   * Up to `limit` items of one hour after sequence `afterSeq`: batch direct gets on the hour's
   * subject (nats-server 2.11+), DIRECT_BATCH at a time, each one request answered from the
   * per-subject index. (On 2.9 this took a consumer per page; a page is now one round trip per
   * DIRECT_BATCH items and leaves nothing behind on the server.)
   */
  async #page(bucket: number, afterSeq: number, limit: number): Promise<Array<DueItem & { seq: number }>> {
    const subject = subjects.dueHour(String(bucket));
    const out: Array<DueItem & { seq: number }> = [];
    let from = afterSeq + 1;
    while (out.length < limit) {
      const want = Math.min(DIRECT_BATCH, limit - out.length);
      let got = 0;
      try {
        const iter = await this.#jsm.direct.getBatch(STREAM, { seq: from, next_by_subj: subject, batch: want });
        for await (const m of iter) {
          out.push({ ...(JSON.parse(new TextDecoder().decode(m.data)) as DueItem), seq: m.seq });
          from = m.seq + 1;
          got++;
        }
      } catch (err) {
        // Nothing (more) on the subject from there: the server answers 404.
        if (!/no message|not found|404/i.test((err as Error).message)) throw err;
      }
      if (got < want) break;
    }
    return out;
  }

  /**
   * Moves filings of the earlier layout (a subject per item: liaison.v1.due.<hour>.<kind>.<id>)
   * under their hour's subject, so that a store written before the change is still swept. One
   * wildcard read, once per start; returns how many it moved.
   */
  async migrateLegacy(): Promise<number> {
    const filter = `${subjects.dueAll.slice(0, -1)}*.*.*`;
    const info = await this.#jsm.streams.info(STREAM, { subjects_filter: filter });
    const total = Object.values(info.state.subjects ?? {}).reduce((a, b) => a + b, 0);
    if (total === 0) return 0;
    const c = await this.#js.consumers.get(STREAM, { filter_subjects: filter, deliver_policy: DeliverPolicy.All });
    const iter = await c.consume({ max_messages: 1_000 });
    let moved = 0;
    const inFlight: Promise<void>[] = [];
    for await (const m of iter) {
      const hour = m.subject.split(".")[3] ?? "";
      // Published before the old one is deleted: a crash in between leaves a duplicate (dropped
      // as stale when its hour comes), never a gap.
      const seq = m.seq;
      inFlight.push(this.#pub.publish(subjects.dueHour(hour), m.data, { expectStream: STREAM }).then(() => this.done(seq)));
      if (inFlight.length >= 256) await Promise.all(inFlight.splice(0));
      moved++;
      if (m.info.pending === 0 || moved >= total) break;
    }
    await Promise.all(inFlight);
    await iter.close();
    return moved;
  }

  /**
   * Removes every filing of one hour up to and including `seq`, in one call: the sweeper does this
   * for a page when everything filed in that hour up to there is handled. (nats-server 2.9 moved
   * every consumer of the stream past a filtered purge, whatever its filter; 2.10+ does not, so a
   * reader of another hour is not disturbed: tests/integration/due-index.test.ts.)
   */
  async purgeThrough(bucket: number, seq: number): Promise<number> {
    const r = await this.#jsm.streams.purge(STREAM, { filter: subjects.dueHour(String(bucket)), seq: seq + 1 });
    return r.purged;
  }

  /** Removes a swept item. */
  async done(seq: number): Promise<void> {
    await this.#pub.deleteMessage(STREAM, seq, false).catch(() => undefined);
  }

  close(): void {
    this.#pub.close();
  }
}
