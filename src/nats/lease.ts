// A lease in a KV bucket: one holder at a time, taken and renewed by compare-and-swap on the key's
// revision, lapsing when its holder stops renewing. Replicas of a service use it so that only one
// of them does work that must not be done twice (a retention sweep, a key rotation).
import type { KV } from "@nats-io/kv";

/**
 * How long a lease lasts unless renewed. A holder renews it every LEASE_RENEW_MS, so a replica
 * that crashed (and could not release it) is replaced within this long, not minutes later.
 */
export const LEASE_TTL_MS = 15_000;
export const LEASE_RENEW_MS = 5_000;

export class Lease {
  #revision = 0;
  /** Calls run one after another: two overlapping renewals by one holder must not race each other's CAS. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly kv: KV,
    private readonly key: string,
    private readonly holder: string,
    private readonly ttlMs: number = LEASE_TTL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes or renews the lease; false when someone else holds it. */
  acquire(): Promise<boolean> {
    return this.#serial(() => this.#acquire());
  }

  /** Gives the lease up (on shutdown) so another replica need not wait for it to lapse; true when it was held and is now free. */
  release(): Promise<boolean> {
    return this.#serial(async () => {
      if (!this.#revision) return false;
      const rev = this.#revision;
      this.#revision = 0;
      return this.kv.delete(this.key, { previousSeq: rev }).then(
        () => true,
        () => false,
      );
    });
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.#queue.then(fn, fn);
    this.#queue = next.catch(() => undefined);
    return next;
  }

  async #acquire(): Promise<boolean> {
    const value = new TextEncoder().encode(JSON.stringify({ holder: this.holder, untilMs: this.now() + this.ttlMs }));
    const cur = await this.kv.get(this.key);
    try {
      if (!cur || cur.operation !== "PUT") {
        this.#revision = cur ? await this.kv.update(this.key, value, cur.revision) : await this.kv.create(this.key, value);
        return true;
      }
      const held = JSON.parse(new TextDecoder().decode(cur.value)) as { holder: string; untilMs: number };
      if (held.holder !== this.holder && held.untilMs > this.now()) return false;
      this.#revision = await this.kv.update(this.key, value, cur.revision);
      return true;
    } catch {
      return false; // someone else won the race
    }
  }
}
