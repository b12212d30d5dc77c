// A lease in a KV bucket: one holder at a time, taken and renewed by compare-and-swap on the key's
// revision, lapsing when its holder stops renewing. Replicas of a service use it so that only one
// of them does work that must not be done twice (a retention sweep, a key rotation).
import type { KV } from "@nats-io/kv";

export class Lease {
  #revision = 0;

  constructor(
    private readonly kv: KV,
    private readonly key: string,
    private readonly holder: string,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes or renews the lease; false when someone else holds it. */
  async acquire(): Promise<boolean> {
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

  /** Gives the lease up (on shutdown) so another replica need not wait for it to lapse. */
  async release(): Promise<void> {
    if (this.#revision) await this.kv.delete(this.key, { previousSeq: this.#revision }).catch(() => undefined);
    this.#revision = 0;
  }
}
