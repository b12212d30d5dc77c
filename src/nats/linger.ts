// Work that may wait a moment so that more of it can be done at once: acknowledgements, receipts
// and audit events collected for a few milliseconds and sent together. Off the latency path (a
// message is already stored or routed when its follow-up work lingers), and never lost: what
// lingers is acknowledged to JetStream only after it is done, so a crash means a redelivery.
import type { Logger } from "../log/mod.js";

export interface LingerOptions<T> {
  readonly delayMs?: number;
  /** Flush at once when this many items wait. */
  readonly maxItems?: number;
  readonly log: Logger;
  /** What to do with items whose flush failed (for example, nak their messages). */
  readonly onError?: (items: T[], err: unknown) => void;
}

export class Linger<T> {
  readonly #flush: (items: T[]) => Promise<void>;
  readonly #delayMs: number;
  readonly #maxItems: number;
  readonly #opts: LingerOptions<T>;
  #items: T[] = [];
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> = Promise.resolve();

  constructor(flush: (items: T[]) => Promise<void>, opts: LingerOptions<T>) {
    this.#flush = flush;
    this.#delayMs = opts.delayMs ?? 20;
    this.#maxItems = opts.maxItems ?? 2_000;
    this.#opts = opts;
  }

  add(...items: T[]): void {
    this.#items.push(...items);
    if (this.#items.length >= this.#maxItems) void this.#run();
    else this.#timer ??= setTimeout(() => void this.#run(), this.#delayMs);
  }

  /** One flush at a time, in order: what was added first is finished first. */
  #run(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    const items = this.#items;
    this.#items = [];
    this.#running = this.#running.then(async () => {
      if (items.length === 0) return;
      try {
        await this.#flush(items);
      } catch (err) {
        this.#opts.log.error({ err, items: items.length }, "deferred work failed");
        this.#opts.onError?.(items, err);
      }
    });
    return this.#running;
  }

  /** Does everything waiting now (on shutdown). */
  drain(): Promise<void> {
    return this.#run();
  }
}
