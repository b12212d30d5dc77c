// The in-memory blind index a hub data service answers queries from: blind-index reference →
// object ids. Rebuilt at start from the index headers of the KV bucket (not from the encrypted
// content), and kept current by following the bucket's stream.
//
// Kept in typed arrays, not in JavaScript objects: with 1,000,000 records the old index kept some
// 7 million small objects (by count of what it held: reference strings, arrays, a record per
// object) in a 566 MiB heap that every full garbage collection had to trace while queries waited
// (222 MiB with this one, bench/records). Here an object is a slot
// number, each (object, reference) pair an entry in flat arrays, and a reference's entries a
// doubly linked chain found through an open-addressing hash table keyed by the reference itself
// (an HMAC, so its first bytes are already a uniform hash). What is left on the heap per object is
// its id string.
import type { pb } from "../proto/mod.js";

/** A blind-index reference is an HMAC-SHA256 output. */
const REF_BYTES = 32;
/** Hash-table cells: empty, or once used and since vacated (probing continues past it). */
const EMPTY = -1;
const VACATED = -2;
/** End of a chain, and the mark of a free slot or entry. */
const NONE = -1;
const MAX_LOAD = 0.6;

/** A flat copy of a string built from pieces (protobufjs decodes short strings as ropes). */
const flat = (s: string): string => Buffer.from(s, "utf8").toString("utf8");

/** Small tables of repeated names (suppliers, identifier types), each name to a number. */
class Names {
  readonly #codes = new Map<string, number>();
  readonly #names: string[] = [];
  code(name: string): number {
    let c = this.#codes.get(name);
    if (c === undefined) {
      if (this.#names.length >= 0xffff) throw new RangeError("more than 65,535 distinct names in a blind index");
      c = this.#names.length;
      this.#names.push(flat(name));
      this.#codes.set(this.#names[c] as string, c);
    }
    return c;
  }
  name(code: number): string {
    return this.#names[code] ?? "";
  }
}

function grown<T extends Int32Array | Uint16Array | Uint8Array>(a: T, min: number, fill?: number): T {
  if (a.length >= min) return a;
  let n = a.length;
  while (n < min) n *= 2;
  const b = new (a.constructor as new (n: number) => T)(n);
  b.set(a);
  if (fill !== undefined) b.fill(fill, a.length);
  return b;
}

/** The first four bytes of a reference, as an unsigned number. */
const hashOf = (b: Uint8Array, at: number): number => ((b[at] as number) | ((b[at + 1] as number) << 8) | ((b[at + 2] as number) << 16) | ((b[at + 3] as number) << 24)) >>> 0;

export interface IndexedObject {
  readonly supplier: string;
  readonly category: number;
  /** Its references' identifier types, one per reference. */
  readonly types: readonly string[];
}

export class MemoryIndex {
  readonly #suppliers = new Names();
  readonly #types = new Names();

  // Objects, by slot.
  readonly #slotOf = new Map<string, number>();
  #ids: Array<string | undefined> = [];
  #supplier = new Uint16Array(1_024);
  #category = new Int32Array(1_024);
  /** An object's first entry; its entries chain through #nextOfObject. */
  #firstEntry = new Int32Array(1_024).fill(NONE);
  #freeSlots: number[] = [];

  // Entries, one per (object, reference).
  #ref = new Uint8Array(4_096 * REF_BYTES);
  #object = new Int32Array(4_096).fill(NONE);
  #type = new Uint16Array(4_096);
  #nextOfObject = new Int32Array(4_096).fill(NONE);
  #nextSameRef = new Int32Array(4_096).fill(NONE);
  #prevSameRef = new Int32Array(4_096).fill(NONE);
  #entries = 0;
  #freeEntries: number[] = [];

  // Reference → the newest entry of its chain.
  #table = new Int32Array(8_192).fill(EMPTY);
  /** Cells not EMPTY (live or vacated), and live ones. */
  #usedCells = 0;
  #liveCells = 0;

  get size(): number {
    return this.#slotOf.size;
  }

  /** Distinct references held. */
  get references(): number {
    return this.#liveCells;
  }

  upsert(e: pb.IIndexEntry): void {
    const refs = e.blindIndexes ?? [];
    const types = e.indexTypes ?? [];
    for (const ref of refs) if (ref.length !== REF_BYTES) throw new RangeError(`a blind-index reference has ${REF_BYTES} bytes, not ${ref.length}`);
    const id = flat(e.id ?? "");
    this.remove(id);
    const slot = this.#freeSlots.pop() ?? this.#ids.length;
    if (slot === this.#ids.length) {
      this.#ids.push(id);
      this.#supplier = grown(this.#supplier, slot + 1);
      this.#category = grown(this.#category, slot + 1);
      this.#firstEntry = grown(this.#firstEntry, slot + 1, NONE);
    } else this.#ids[slot] = id;
    this.#slotOf.set(id, slot);
    this.#supplier[slot] = this.#suppliers.code(e.supplier ?? "");
    this.#category[slot] = e.category ?? 0;
    this.#firstEntry[slot] = NONE;
    refs.forEach((ref, k) => {
      // The same reference twice in one object (the same identifier given twice) is one entry.
      for (let x = this.#firstEntry[slot] as number; x !== NONE; x = this.#nextOfObject[x] as number) if (this.#sameRef(x, ref, 0)) return;
      this.#add(slot, ref, this.#types.code(types[k] ?? ""));
    });
  }

  remove(id: string): void {
    const slot = this.#slotOf.get(id);
    if (slot === undefined) return;
    this.#slotOf.delete(id);
    for (let e = this.#firstEntry[slot] as number; e !== NONE; ) {
      const next = this.#nextOfObject[e] as number;
      this.#unlink(e);
      this.#object[e] = NONE;
      this.#nextOfObject[e] = NONE;
      this.#freeEntries.push(e);
      e = next;
    }
    this.#firstEntry[slot] = NONE;
    this.#ids[slot] = undefined;
    this.#freeSlots.push(slot);
  }

  /** What the index holds about an object. */
  get(id: string): IndexedObject | undefined {
    const slot = this.#slotOf.get(id);
    if (slot === undefined) return undefined;
    const types: string[] = [];
    for (let e = this.#firstEntry[slot] as number; e !== NONE; e = this.#nextOfObject[e] as number) types.push(this.#types.name(this.#type[e] as number));
    return { supplier: this.#suppliers.name(this.#supplier[slot] as number), category: this.#category[slot] as number, types: types.reverse() };
  }

  /**
   * Objects matching any of the references, with the identifier types each matched on (newest
   * first). With `limit`, no object past the first `limit` found is added (those found still
   * collect every type they match on).
   */
  lookup(refs: ReadonlyArray<{ ref: Uint8Array; type: string }>, category = 0, limit = Number.POSITIVE_INFINITY): Map<string, Set<string>> {
    const out = new Map<string, Set<string>>();
    for (const { ref, type } of refs) {
      if (ref.length !== REF_BYTES) continue;
      const cell = this.#find(ref, 0);
      if (cell < 0) continue;
      for (let e = this.#table[cell] as number; e !== NONE; e = this.#nextSameRef[e] as number) {
        const slot = this.#object[e] as number;
        if (category && this.#category[slot] !== category) continue;
        const id = this.#ids[slot] as string;
        const set = out.get(id);
        if (set) set.add(type);
        else if (out.size < limit) out.set(id, new Set([type]));
      }
    }
    return out;
  }

  #sameRef(e: number, ref: Uint8Array, at: number): boolean {
    const base = e * REF_BYTES;
    for (let i = 0; i < REF_BYTES; i++) if (this.#ref[base + i] !== ref[at + i]) return false;
    return true;
  }

  /** The table cell holding the reference's chain, or -1. */
  #find(ref: Uint8Array, at: number): number {
    const mask = this.#table.length - 1;
    for (let i = hashOf(ref, at) & mask; ; i = (i + 1) & mask) {
      const e = this.#table[i] as number;
      if (e === EMPTY) return -1;
      if (e >= 0 && this.#sameRef(e, ref, at)) return i;
    }
  }

  #add(slot: number, ref: Uint8Array, type: number): void {
    const e = this.#freeEntries.pop() ?? this.#entries++;
    if (e >= this.#object.length) {
      const n = e + 1;
      this.#ref = grown(this.#ref, n * REF_BYTES);
      this.#object = grown(this.#object, n, NONE);
      this.#type = grown(this.#type, n);
      this.#nextOfObject = grown(this.#nextOfObject, n, NONE);
      this.#nextSameRef = grown(this.#nextSameRef, n, NONE);
      this.#prevSameRef = grown(this.#prevSameRef, n, NONE);
    }
    this.#ref.set(ref, e * REF_BYTES);
    this.#object[e] = slot;
    this.#type[e] = type;
    this.#nextOfObject[e] = this.#firstEntry[slot] as number;
    this.#firstEntry[slot] = e;
    this.#prevSameRef[e] = NONE;
    const cell = this.#find(ref, 0);
    if (cell >= 0) {
      const head = this.#table[cell] as number;
      this.#nextSameRef[e] = head;
      this.#prevSameRef[head] = e;
      this.#table[cell] = e;
      return;
    }
    this.#nextSameRef[e] = NONE;
    if ((this.#usedCells + 1) / this.#table.length > MAX_LOAD) this.#rehash(this.#liveCells + 1);
    const mask = this.#table.length - 1;
    let i = hashOf(ref, 0) & mask;
    while ((this.#table[i] as number) >= 0) i = (i + 1) & mask;
    if (this.#table[i] === EMPTY) this.#usedCells++;
    this.#table[i] = e;
    this.#liveCells++;
  }

  /** Takes an entry out of its reference's chain (the chain's cell is vacated if it was the last). */
  #unlink(e: number): void {
    const prev = this.#prevSameRef[e] as number;
    const next = this.#nextSameRef[e] as number;
    if (next !== NONE) this.#prevSameRef[next] = prev;
    if (prev !== NONE) this.#nextSameRef[prev] = next;
    else {
      const cell = this.#find(this.#ref, e * REF_BYTES);
      if (next !== NONE) this.#table[cell] = next;
      else {
        this.#table[cell] = VACATED;
        this.#liveCells--;
      }
    }
    this.#nextSameRef[e] = NONE;
    this.#prevSameRef[e] = NONE;
  }

  /** A new table for `live` references at most half full, without vacated cells. */
  #rehash(live: number): void {
    let n = 8_192;
    while (live / n > MAX_LOAD / 2) n *= 2;
    const old = this.#table;
    this.#table = new Int32Array(n).fill(EMPTY);
    const mask = n - 1;
    for (const head of old) {
      if (head < 0) continue;
      let i = hashOf(this.#ref, head * REF_BYTES) & mask;
      while (this.#table[i] !== EMPTY) i = (i + 1) & mask;
      this.#table[i] = head;
    }
    this.#usedCells = this.#liveCells;
  }
}
