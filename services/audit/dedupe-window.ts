// Skips a retried audit event: emitters that crash and retry reuse deterministic event ids
// (`route.<envelopeId>`, `receipt.<id>`), possibly in another batch that JetStream's Nats-Msg-Id
// window cannot catch. An event whose emitter appended the same id among the last `capacity`
// leaves is not appended again. Ids are kept apart by emitter, so no emitter's id can make another
// emitter's event a duplicate. The window is defined by the log alone (leaf counts, not clocks), so
// every replica and every restart, rebuilding it from the log's tail, makes the same decision.
export const DEFAULT_DEDUPE_WINDOW = 200_000;

export class DedupeWindow {
  readonly #ids: Array<string | undefined>;
  /** The emitter of each slot, as an index into #emitters. */
  readonly #owners: Uint16Array;
  /** Per emitter (a handful: the hub services and the members), how many slots hold each id. */
  readonly #counts: Array<Map<string, number>> = [];
  readonly #emitters = new Map<string, number>();
  #next = 0;

  constructor(capacity = DEFAULT_DEDUPE_WINDOW) {
    const n = Math.max(1, capacity);
    this.#ids = new Array<string | undefined>(n);
    this.#owners = new Uint16Array(n);
  }

  #emitter(source: string): number {
    let i = this.#emitters.get(source);
    if (i === undefined) {
      i = this.#counts.length;
      if (i > 0xffff) throw new RangeError("more than 65,536 audit emitters");
      this.#emitters.set(source, i);
      this.#counts.push(new Map());
    }
    return i;
  }

  /** Whether `source` appended an event with this id within the window. Events without an id never are. */
  has(source: string, id: string): boolean {
    if (id === "") return false;
    const i = this.#emitters.get(source);
    return i !== undefined && (this.#counts[i] as Map<string, number>).has(id);
  }

  /** Records the leaf just appended (empty ids take a slot too, so the window counts leaves). */
  add(source: string, id: string): void {
    const slot = this.#next;
    const old = this.#ids[slot];
    if (old !== undefined && old !== "") {
      const counts = this.#counts[this.#owners[slot] as number] as Map<string, number>;
      const c = (counts.get(old) ?? 1) - 1;
      if (c <= 0) counts.delete(old);
      else counts.set(old, c);
    }
    const owner = this.#emitter(source);
    this.#ids[slot] = id;
    this.#owners[slot] = owner;
    if (id !== "") {
      const counts = this.#counts[owner] as Map<string, number>;
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    this.#next = (slot + 1) % this.#ids.length;
  }

  /** Distinct (emitter, id) pairs in the window. */
  get size(): number {
    let n = 0;
    for (const m of this.#counts) n += m.size;
    return n;
  }
}
