// The live throughput sample: what the audit log showed in the last minute (messages routed,
// receipts, queries, refusals), published every few seconds while this replica counts.
import type { NatsConnection } from "@nats-io/nats-core";
import { pb } from "../../src/proto/mod.js";
import { THROUGHPUT_SUBJECT } from "../../src/usage/mod.js";
import type { Tally } from "./counting.js";

const WINDOW_MS = 60_000;
/** Events kept while a backlog is being caught up. */
const MAX_EVENTS = 500_000;

export class Throughput {
  readonly #window: Array<{ atMs: number; tally: Tally }> = [];
  #timer: NodeJS.Timeout | undefined;

  constructor(private readonly now: () => number) {}

  /** An event counted for the first time. */
  add(atMs: number, tally: Tally): void {
    this.#window.push({ atMs, tally });
    if (this.#window.length > MAX_EVENTS) this.#window.splice(0, this.#window.length - MAX_EVENTS);
  }

  sample(): pb.IThroughputSample {
    const t = this.now();
    const w = this.#window;
    while (w.length > 0 && (w[0]?.atMs ?? 0) < t - WINDOW_MS) w.shift();
    const n = (k: Tally) => w.filter((e) => e.atMs >= t - WINDOW_MS && e.tally === k).length;
    return { atMs: t, messagesRouted: n("routed"), receipts: n("receipts"), queries: n("queries"), refusals: n("refusals"), auditEvents: w.length };
  }

  /** Publishes a sample every `intervalMs` while `counting()` says this replica counts. */
  publishEvery(nc: NatsConnection, intervalMs: number, counting: () => boolean): void {
    this.#timer = setInterval(() => {
      if (counting()) nc.publish(THROUGHPUT_SUBJECT, pb.ThroughputSample.encode(this.sample()).finish());
    }, intervalMs);
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
  }
}
