// Inclusion proof generation, PATH(m, D[n]) of RFC 9162 §2.1.3.1, over any source of subtree
// hashes: the pure function below hashes leaves afresh, MerkleLog reads stored nodes.
import { assertCount, flattenHashes } from "./guards.js";
import { flatRoot, splitPoint } from "./tree-hash.js";

/** MTH(D[lo:hi]) for a range the RFC recursion visits. */
export type RangeHash = (lo: number, hi: number) => Uint8Array;

/** The audit path for leaf `index` in the tree of all `leafHashes` (RFC 9162 §2.1.3.1). */
export function inclusionPath(leafHashes: readonly Uint8Array[], index: number): Uint8Array[] {
  const flat = flattenHashes(leafHashes);
  const size = leafHashes.length;
  assertCount(index, "index");
  if (index >= size) throw new RangeError(`index ${index} is not a leaf of a tree of size ${size}`);
  return pathFor(index, size, (lo, hi) => flatRoot(flat, lo, hi - lo));
}

/**
 * PATH(m, D[n]) unrolled: walk down from the root, and at each split record the hash of the
 * half the leaf is not in. The RFC appends the sibling of the top split last, so the walk's
 * list comes out reversed. Requires 0 <= index < size.
 */
export function pathFor(index: number, size: number, rangeHash: RangeHash): Uint8Array[] {
  const path: Uint8Array[] = [];
  let lo = 0;
  let hi = size;
  while (hi - lo > 1) {
    const k = splitPoint(hi - lo);
    if (index < lo + k) {
      path.push(rangeHash(lo + k, hi));
      hi = lo + k;
    } else {
      path.push(rangeHash(lo, lo + k));
      lo += k;
    }
  }
  return path.reverse();
}
