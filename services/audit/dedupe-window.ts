// Skips a retried audit event: emitters that crash and retry reuse deterministic event ids
// (`route.<envelopeId>`, `receipt.<id>`), possibly in another batch that JetStream's Nats-Msg-Id
// window cannot catch. An event whose id is among the ids of the last `capacity` leaves is not
// appended again. The window is defined by the log alone (leaf counts, not clocks), so every
// replica and every restart, rebuilding it from the log's tail, makes the same decision.
export const DEFAULT_DEDUPE_WINDOW = 200_000;

export class DedupeWindow {
  readonly #ring: Array<string | undefined>;
  readonly #counts = new Map<string, number>();
  #next = 0;

  constructor(capacity = DEFAULT_DEDUPE_WINDOW) {
    this.#ring = new Array<string | undefined>(Math.max(1, capacity));
  }

  /** Whether an event with this id was appended within the window. Events without an id never are. */
  has(id: string): boolean {
    return id !== "" && this.#counts.has(id);
  }

  /** Records the id of the leaf just appended (empty ids take a slot too, so the window counts leaves). */
  add(id: string): void {
    const slot = this.#next;
    const old = this.#ring[slot];
    if (old !== undefined && old !== "") {
      const c = (this.#counts.get(old) ?? 1) - 1;
      if (c <= 0) this.#counts.delete(old);
      else this.#counts.set(old, c);
    }
    this.#ring[slot] = id;
    if (id !== "") this.#counts.set(id, (this.#counts.get(id) ?? 0) + 1);
    this.#next = (slot + 1) % this.#ring.length;
  }

  get size(): number {
    return this.#counts.size;
  }
}
