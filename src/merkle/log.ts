// An append-only RFC 9162 §2.1 Merkle tree for audit logs of millions of leaves. It keeps the
// hash of every complete subtree, one flat Uint8Array per level (node j of level L covers leaves
// [j·2^L, (j+1)·2^L)), so roots of past sizes and proofs cost O(log n) hashes, never a rebuild.
import { HASH_SIZE, emptyRoot, hashNode, hashPairInto } from "./hash.js";
import { assertCount, assertHash } from "./guards.js";
import { proofFor } from "./consistency.js";
import { pathFor } from "./inclusion.js";

// Small enough that a log of a few leaves stays small, large enough that growth is rare.
const INITIAL_CAPACITY = 1024;

/** An append-only tree for millions of leaves. */
export class MerkleLog {
  // levels[L] holds floor(size / 2^L) hashes, with room to grow (capacity doubles when full,
  // so appends stay amortised O(1) and all levels together take about 2 × 32 bytes a leaf).
  readonly #levels: Uint8Array[] = [];
  #size = 0;

  constructor(leafHashes?: Iterable<Uint8Array>) {
    if (leafHashes === undefined) return;
    if (Array.isArray(leafHashes)) this.#reserve(leafHashes.length);
    for (const h of leafHashes) this.append(h);
  }

  get size(): number {
    return this.#size;
  }

  /** Adds a leaf hash and returns its index; amortised O(1) hashes. */
  append(leafHash: Uint8Array): number {
    assertHash(leafHash, "leafHash");
    const index = this.#size;
    this.#slot(0, index).set(leafHash, index * HASH_SIZE);
    // Each time the new node is a right child, its parent's subtree is now complete: store it.
    let level = 0;
    let i = index;
    while (i % 2 === 1) {
      const parent = (i - 1) / 2;
      const below = this.#levels[level] as Uint8Array;
      hashPairInto(below, (i - 1) * HASH_SIZE, this.#slot(level + 1, parent), parent * HASH_SIZE);
      level++;
      i = parent;
    }
    this.#size = index + 1;
    return index;
  }

  leafHash(index: number): Uint8Array {
    this.#checkIndex(index, this.#size);
    return this.#node(0, index);
  }

  /** The current root, O(log n). */
  root(): Uint8Array {
    return this.rootAt(this.#size);
  }

  /** The root of the tree of the first `size` leaves, O(log n). */
  rootAt(size: number): Uint8Array {
    this.#checkSize(size, "size");
    return size === 0 ? emptyRoot() : this.#rangeHash(0, size);
  }

  /** The RFC 9162 §2.1.3.1 proof for leaf `index` in the tree of `size` leaves (default: all). */
  inclusion(index: number, size: number = this.#size): Uint8Array[] {
    this.#checkSize(size, "size");
    this.#checkIndex(index, size);
    return pathFor(index, size, (lo, hi) => this.#rangeHash(lo, hi));
  }

  /** The RFC 9162 §2.1.4.1 proof that the tree of `first` leaves is a prefix of that of `second`. */
  consistency(first: number, second: number = this.#size): Uint8Array[] {
    this.#checkSize(second, "second");
    assertCount(first, "first");
    if (first > second) throw new RangeError(`first size ${first} exceeds second size ${second}`);
    return proofFor(first, second, (lo, hi) => this.#rangeHash(lo, hi));
  }

  /** Leaf hashes [from, to) concatenated, for persisting in chunks. */
  leafRange(from: number, to: number): Uint8Array {
    this.#checkSize(to, "to");
    assertCount(from, "from");
    if (from > to) throw new RangeError(`from ${from} exceeds to ${to}`);
    const level0 = this.#levels[0];
    return level0 === undefined ? new Uint8Array(0) : level0.slice(from * HASH_SIZE, to * HASH_SIZE);
  }

  /**
   * MTH(D[lo:hi]) from stored nodes. Only valid where lo is a multiple of the smallest power of
   * two >= hi - lo, which holds for every range the RFC recursions visit (each is a node of the
   * tree, whole or cut at the right edge): then [lo, hi) splits left to right into complete
   * subtrees of strictly decreasing size, each stored, and the RFC's tree over the range folds
   * them from the right.
   */
  #rangeHash(lo: number, hi: number): Uint8Array {
    const parts: Array<[level: number, index: number]> = [];
    let pos = lo;
    for (let level = Math.floor(Math.log2(hi - lo)) + 1; level >= 0; level--) {
      const width = 2 ** level;
      if (hi - pos >= width) {
        if (pos % width !== 0) throw new Error(`internal: [${lo}, ${hi}) is not a subtree of the log`);
        parts.push([level, pos / width]);
        pos += width;
      }
    }
    let [level, index] = parts[parts.length - 1] as [number, number];
    let hash = this.#node(level, index);
    for (let p = parts.length - 2; p >= 0; p--) {
      [level, index] = parts[p] as [number, number];
      hash = hashNode(this.#node(level, index), hash);
    }
    return hash;
  }

  #node(level: number, index: number): Uint8Array {
    const at = index * HASH_SIZE;
    return (this.#levels[level] as Uint8Array).slice(at, at + HASH_SIZE);
  }

  // The level buffer with room for node `index`, grown (doubled) if needed.
  #slot(level: number, index: number): Uint8Array {
    const current = this.#levels[level];
    const needed = (index + 1) * HASH_SIZE;
    if (current !== undefined && current.length >= needed) return current;
    const capacity = Math.max(INITIAL_CAPACITY * HASH_SIZE, needed, 2 * (current?.length ?? 0));
    const grown = new Uint8Array(capacity);
    if (current !== undefined) grown.set(current.subarray(0, Math.floor(this.#size / 2 ** level) * HASH_SIZE));
    this.#levels[level] = grown;
    return grown;
  }

  // Sizes every level for `leaves` leaves up front, so a bulk load never copies.
  #reserve(leaves: number): void {
    for (let level = 0; 2 ** level <= leaves; level++) {
      this.#levels[level] = new Uint8Array(Math.floor(leaves / 2 ** level) * HASH_SIZE);
    }
  }

  #checkSize(size: number, what: string): void {
    assertCount(size, what);
    if (size > this.#size) throw new RangeError(`${what} ${size} exceeds the log's ${this.#size} leaves`);
  }

  #checkIndex(index: number, size: number): void {
    assertCount(index, "index");
    if (index >= size) throw new RangeError(`index ${index} is not a leaf of a tree of size ${size}`);
  }
}
