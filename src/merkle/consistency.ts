// Consistency proof generation, PROOF(m, D[n]) = SUBPROOF(m, D[n], true) of RFC 9162 §2.1.4.1,
// over any source of subtree hashes (see inclusion.ts for the two sources).
import { assertCount, flattenHashes } from "./guards.js";
import type { RangeHash } from "./inclusion.js";
import { flatRoot, splitPoint } from "./tree-hash.js";

/**
 * The proof that the tree of the first `first` leaves is a prefix of the tree of the first
 * `second` leaves of `leafHashes` (RFC 9162 §2.1.4.1). Empty when first is 0 or equals second:
 * the RFC defines proofs for 0 < first < second only, and those two cases need none.
 */
export function consistencyPath(leafHashes: readonly Uint8Array[], first: number, second: number): Uint8Array[] {
  const flat = flattenHashes(leafHashes);
  assertCount(first, "first");
  assertCount(second, "second");
  if (second > leafHashes.length) throw new RangeError(`second size ${second} exceeds the ${leafHashes.length} leaves given`);
  if (first > second) throw new RangeError(`first size ${first} exceeds second size ${second}`);
  return proofFor(first, second, (lo, hi) => flatRoot(flat, lo, hi - lo));
}

/**
 * SUBPROOF unrolled: walk down from the root of the second tree. While the first tree lies in
 * the left half, record the right half; once it spills into the right half, record the (then
 * complete) left half and go right, where the first tree is no longer a whole subtree
 * (b = false). The list comes out in reverse of the RFC's order. Requires 0 <= first <= second.
 */
export function proofFor(first: number, second: number, rangeHash: RangeHash): Uint8Array[] {
  if (first === 0 || first === second) return [];
  const proof: Uint8Array[] = [];
  let lo = 0;
  let hi = second;
  let m = first;
  let wholeSubtree = true;
  for (;;) {
    const n = hi - lo;
    if (m === n) {
      if (!wholeSubtree) proof.push(rangeHash(lo, hi));
      break;
    }
    const k = splitPoint(n);
    if (m <= k) {
      proof.push(rangeHash(lo + k, hi));
      hi = lo + k;
    } else {
      proof.push(rangeHash(lo, lo + k));
      lo += k;
      m -= k;
      wholeSubtree = false;
    }
  }
  return proof.reverse();
}
