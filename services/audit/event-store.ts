// Event bytes on demand: the index keeps where each leaf's event is (AUDIT sequence, position in
// its batch) and this fetches the batch from the stream, with a small cache because neighbouring
// leaves share a batch. A batch that aged out of AUDIT is simply absent.
import type { JetStreamManager } from "@nats-io/jetstream";
import { splitAuditBatch } from "../../src/audit/mod.js";
import { STREAMS } from "../../src/nats/mod.js";

export class EventStore {
  readonly #jsm: JetStreamManager;
  readonly #cache = new Map<number, Uint8Array[] | null>();
  readonly #capacity: number;

  constructor(jsm: JetStreamManager, capacity = 512) {
    this.#jsm = jsm;
    this.#capacity = capacity;
  }

  /** The serialised events of AUDIT message `seq`, or undefined when it is gone. */
  async batch(seq: number): Promise<Uint8Array[] | undefined> {
    let events = this.#cache.get(seq);
    if (events === undefined) {
      const m = await this.#jsm.streams.getMessage(STREAMS.AUDIT.name, { seq });
      events = m ? splitAuditBatch(m.data) : null;
      if (this.#cache.size >= this.#capacity) this.#cache.delete(this.#cache.keys().next().value as number);
      this.#cache.set(seq, events);
    } else {
      // Refresh its place in the insertion order (least recently used goes first).
      this.#cache.delete(seq);
      this.#cache.set(seq, events);
    }
    return events ?? undefined;
  }

  async event(seq: number, position: number): Promise<Uint8Array | undefined> {
    return (await this.batch(seq))?.[position];
  }
}
