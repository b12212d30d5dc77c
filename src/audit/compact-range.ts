// RFC 9162 §2.1 tree hashes around a range of leaves: the hub hands out the maximal subtrees left
// and right of an exported range [from, to) (a compact range, as transparency-dev/merkle calls
// it), and the verifier rebuilds MTH(D[0:n]) from those, the range's own leaves, and nothing else.
import { hash } from "node:crypto";
import { HASH_SIZE, emptyRoot, type MerkleLog } from "../merkle/mod.js";

/** A node of the RFC 9162 tree of some size: the leaves [lo, hi). */
export type NodeRange = readonly [lo: number, hi: number];

/** k of RFC 9162 §2.1.1: the largest power of two smaller than n (n >= 2). */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/**
 * The maximal nodes of the tree of `size` leaves lying wholly inside [lo, hi), left to right:
 * the nodes the RFC's recursion reaches first when it stops at that range's edges.
 */
export function maximalNodes(size: number, lo: number, hi: number): NodeRange[] {
  const out: NodeRange[] = [];
  const walk = (a: number, b: number) => {
    if (b <= lo || a >= hi) return;
    if (a >= lo && b <= hi) {
      out.push([a, b]);
      return;
    }
    const k = splitPoint(b - a);
    walk(a, a + k);
    walk(a + k, b);
  };
  if (size > 0 && lo < hi) walk(0, size);
  return out;
}

/** The frontier of a tree: its maximal complete subtrees, left to right (one per set bit of size). */
export function frontierRanges(size: number): NodeRange[] {
  const out: NodeRange[] = [];
  let at = 0;
  for (let bit = 2 ** Math.floor(Math.log2(Math.max(size, 1))); bit >= 1; bit /= 2) {
    if (size - at >= bit) {
      out.push([at, at + bit]);
      at += bit;
    }
  }
  return size === 0 ? [] : out;
}

/** Whether the audit path element `step` of leaf `index` in a tree of `size` is a left sibling. */
function leftSiblings(index: number, size: number, pathLength: number): boolean[] {
  // The walk of RFC 9162 §2.1.3.2, recording only which side each sibling is on.
  const sides: boolean[] = [];
  let fn = index;
  let sn = size - 1;
  for (let i = 0; i < pathLength; i++) {
    if (fn % 2 === 1 || fn === sn) {
      sides.push(true);
      while (fn % 2 === 0 && fn !== 0) {
        fn /= 2;
        sn = Math.floor(sn / 2);
      }
    } else {
      sides.push(false);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sides;
}

/**
 * The subtree hashes that complete the tree of `size` leaves around [from, to): the maximal
 * nodes left of `from` and right of `to`, each list left to right. They are the left siblings on
 * the audit path of leaf `from` and the right siblings on that of leaf `to - 1`, so the log
 * serves them in O(log n) without a node lookup of its own.
 */
export function rangeNeighbours(log: MerkleLog, from: number, to: number, size: number): { left: Uint8Array[]; right: Uint8Array[] } {
  if (!(0 <= from && from <= to && to <= size && size <= log.size)) throw new RangeError(`bad range [${from}, ${to}) of ${size}`);
  let left: Uint8Array[] = [];
  if (from === size && size > 0) left = [log.rootAt(size)];
  else if (from > 0) {
    const path = log.inclusion(from, size);
    const sides = leftSiblings(from, size, path.length);
    left = path.filter((_, i) => sides[i]).reverse();
  }
  let right: Uint8Array[] = [];
  if (to === 0 && size > 0) right = [log.rootAt(size)];
  else if (to < size) {
    const path = log.inclusion(to - 1, size);
    const sides = leftSiblings(to - 1, size, path.length);
    right = path.filter((_, i) => !sides[i]);
  }
  return { left, right };
}

/** The frontier hashes of the tree of `size` leaves (see frontierRanges), O(log² n). */
export function frontierOf(log: MerkleLog, size: number): Uint8Array[] {
  return frontierRanges(size).map(([lo, hi]) => {
    if (lo === 0) return log.rootAt(hi);
    // [lo, hi) is the one right sibling on the path of leaf lo - 1 in the tree of hi leaves.
    const path = log.inclusion(lo - 1, hi);
    const sides = leftSiblings(lo - 1, hi, path.length);
    const right = path.filter((_, i) => !sides[i]);
    if (right.length !== 1) throw new Error(`internal: frontier node [${lo}, ${hi}) not found`);
    return right[0] as Uint8Array;
  });
}

// One reusable buffer for node hashes: nothing yields between filling and hashing it. Digests are
// taken as latin1 strings and written into place: a Buffer digest allocates an ArrayBuffer per
// hash, which costs more than the hash.
const nodeInput = Buffer.alloc(1 + 2 * HASH_SIZE);
nodeInput[0] = 0x01;

/** SHA-256(0x01 ‖ left ‖ right), RFC 9162 §2.1.1. */
export function hashChildren(left: Uint8Array, right: Uint8Array): Uint8Array {
  nodeInput.set(left, 1);
  nodeInput.set(right, 1 + HASH_SIZE);
  return new Uint8Array(hash("sha256", nodeInput, "buffer"));
}

/** MTH of `count` leaf hashes stored back to back in `flat` from hash number `first` on. */
export function flatTreeHash(flat: Uint8Array, first: number, count: number): Uint8Array {
  if (count === 0) return emptyRoot();
  const start = first * HASH_SIZE;
  if (count === 1) return flat.slice(start, start + HASH_SIZE);
  // Pairing neighbours level by level and lifting an odd last node builds the RFC's tree.
  const work = Buffer.alloc(Math.ceil(count / 2) * HASH_SIZE);
  let src = Buffer.from(flat.buffer, flat.byteOffset, flat.byteLength);
  let at = start;
  let n = count;
  while (n > 1) {
    const pairs = Math.floor(n / 2);
    for (let i = 0; i < pairs; i++) {
      src.copy(nodeInput, 1, at + 2 * i * HASH_SIZE, at + (2 * i + 2) * HASH_SIZE);
      work.write(hash("sha256", nodeInput, "binary"), i * HASH_SIZE, "latin1");
    }
    if (n % 2 === 1) src.copy(work, pairs * HASH_SIZE, at + (n - 1) * HASH_SIZE, at + n * HASH_SIZE);
    src = work;
    at = 0;
    n = pairs + (n % 2);
  }
  return new Uint8Array(work.subarray(0, HASH_SIZE));
}

/** Where the hashes of a partly known tree come from. */
export interface TreeParts {
  /** Leaves [from, to) are known. */
  readonly from: number;
  readonly to: number;
  /** MTH(D[lo:hi]) for from <= lo < hi <= to. */
  readonly inner: (lo: number, hi: number) => Uint8Array;
  /** Known nodes outside [from, to), keyed `${lo}:${hi}`. */
  readonly outer: ReadonlyMap<string, Uint8Array>;
}

export class MissingNodeError extends Error {
  override readonly name = "MissingNodeError";
}

/**
 * MTH(D[lo:hi]) of the tree in which [lo, hi) is a node, following the RFC's recursion and
 * stopping at known nodes. Throws MissingNodeError when a needed hash was not supplied.
 */
export function nodeHashFrom(parts: TreeParts, lo: number, hi: number): Uint8Array {
  if (lo >= parts.from && hi <= parts.to) return parts.inner(lo, hi);
  const known = parts.outer.get(`${lo}:${hi}`);
  if (known) return known;
  if (hi - lo <= 1) throw new MissingNodeError(`no hash for leaf ${lo}`);
  const k = splitPoint(hi - lo);
  return hashChildren(nodeHashFrom(parts, lo, lo + k), nodeHashFrom(parts, lo + k, hi));
}

/** MTH of the first `size` leaves, from the parts (size 0 is the hash of the empty string). */
export function rootFrom(parts: TreeParts, size: number): Uint8Array {
  return size === 0 ? emptyRoot() : nodeHashFrom(parts, 0, size);
}

/** Pairs supplied neighbour hashes with the ranges they must cover; undefined if the counts differ. */
export function outerNodes(size: number, from: number, to: number, left: readonly Uint8Array[], right: readonly Uint8Array[]): Map<string, Uint8Array> | undefined {
  const leftRanges = maximalNodes(size, 0, from);
  const rightRanges = maximalNodes(size, to, size);
  if (leftRanges.length !== left.length || rightRanges.length !== right.length) return undefined;
  if (![...left, ...right].every((h) => h instanceof Uint8Array && h.length === HASH_SIZE)) return undefined;
  const out = new Map<string, Uint8Array>();
  leftRanges.forEach(([lo, hi], i) => out.set(`${lo}:${hi}`, left[i] as Uint8Array));
  rightRanges.forEach(([lo, hi], i) => out.set(`${lo}:${hi}`, right[i] as Uint8Array));
  return out;
}
