// The Merkle Tree Hash MTH of RFC 9162 §2.1.1, computed bottom-up over flat buffers: pairing
// neighbours level by level and carrying an odd last node up unchanged gives the same tree as
// the RFC's recursion with k = the largest power of two smaller than n.
import { HASH_SIZE, emptyRoot, hashPairInto } from "./hash.js";
import { flattenHashes } from "./guards.js";

/** MTH over already-hashed leaves (RFC 9162 §2.1.1). */
export function rootOf(leafHashes: readonly Uint8Array[]): Uint8Array {
  const flat = flattenHashes(leafHashes);
  return flatRoot(flat, 0, leafHashes.length);
}

/**
 * MTH of the `count` hashes stored back to back in `src` from leaf `first` on. Leaves `src`
 * untouched: the first level is written to a scratch buffer that later levels reuse in place.
 */
export function flatRoot(src: Uint8Array, first: number, count: number): Uint8Array {
  if (count === 0) return emptyRoot();
  const start = first * HASH_SIZE;
  if (count === 1) return src.slice(start, start + HASH_SIZE);
  const work = new Uint8Array(Math.ceil(count / 2) * HASH_SIZE);
  let n = reduceLevel(src, start, count, work);
  while (n > 1) n = reduceLevel(work, 0, n, work);
  return work.slice(0, HASH_SIZE);
}

// One level up: node i of the result is H(src[2i], src[2i+1]); an odd last node moves up as is.
// Writing result i in place is safe because it only overwrites nodes already consumed.
function reduceLevel(src: Uint8Array, start: number, count: number, dst: Uint8Array): number {
  const pairs = Math.floor(count / 2);
  for (let i = 0; i < pairs; i++) hashPairInto(src, start + 2 * i * HASH_SIZE, dst, i * HASH_SIZE);
  if (count % 2 === 1) {
    const last = start + (count - 1) * HASH_SIZE;
    dst.set(src.subarray(last, last + HASH_SIZE), pairs * HASH_SIZE);
  }
  return pairs + (count % 2);
}

/** k of RFC 9162 §2.1.1: the largest power of two smaller than n (n >= 2). */
export function splitPoint(n: number): number {
  if (n - 1 <= 0xffff_ffff) return 2 ** (31 - Math.clz32(n - 1));
  let k = 2 ** 32;
  while (k * 2 < n) k *= 2;
  return k;
}
