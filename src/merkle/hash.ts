// The three hashes of RFC 9162 §2.1.1 (SHA-256 with domain separation): leaf = H(0x00 ‖ d),
// node = H(0x01 ‖ left ‖ right), and the hash of the empty tree = H("").
import { hash } from "node:crypto";
import { assertHash } from "./guards.js";

export const HASH_SIZE = 32;

const LEAF_PREFIX = 0x00;
const NODE_PREFIX = 0x01;

// One reusable input buffer for node hashes. node:crypto's one-shot hash() is the cheapest
// call per hash (no Hash object), and filling a preallocated buffer avoids a concat per node;
// safe because nothing here yields between filling the buffer and hashing it.
const nodeInput = Buffer.alloc(1 + 2 * HASH_SIZE);
nodeInput[0] = NODE_PREFIX;

/** SHA-256(0x00 ‖ data): the hash of one log entry (RFC 9162 §2.1.1). */
export function leafHash(data: Uint8Array): Uint8Array {
  if (!(data instanceof Uint8Array)) throw new TypeError("leaf data must be a Uint8Array");
  const input = new Uint8Array(1 + data.length);
  input[0] = LEAF_PREFIX;
  input.set(data, 1);
  return fresh(hash("sha256", input, "buffer"));
}

/** SHA-256(0x01 ‖ left ‖ right): the hash of an interior node (RFC 9162 §2.1.1). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  assertHash(left, "left");
  assertHash(right, "right");
  return hashNode(left, right);
}

/** SHA-256 of the empty string: the Merkle Tree Hash of an empty list (RFC 9162 §2.1.1). */
export function emptyRoot(): Uint8Array {
  return fresh(hash("sha256", new Uint8Array(0), "buffer"));
}

/** nodeHash without the argument checks, for callers that already checked. */
export function hashNode(left: Uint8Array, right: Uint8Array): Uint8Array {
  nodeInput.set(left, 1);
  nodeInput.set(right, 1 + HASH_SIZE);
  return fresh(hash("sha256", nodeInput, "buffer"));
}

/**
 * Hashes the two adjacent hashes at `src[at .. at+64)` as a node and writes the result to
 * `dst[to .. to+32)`. Siblings sit side by side in the flat level buffers, so this is the
 * whole inner loop of building a tree; `src` and `dst` may be the same buffer.
 */
export function hashPairInto(src: Uint8Array, at: number, dst: Uint8Array, to: number): void {
  nodeInput.set(src.subarray(at, at + 2 * HASH_SIZE), 1);
  dst.set(hash("sha256", nodeInput, "buffer"), to);
}

/** Whether two hashes are byte for byte equal. Roots and proofs are public, so no constant time. */
export function hashesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

// Callers get a plain Uint8Array they own: not a Buffer (which compares and prints differently)
// and never a view into storage that a later hash could overwrite.
function fresh(digest: Uint8Array): Uint8Array {
  const out = new Uint8Array(HASH_SIZE);
  out.set(digest);
  return out;
}
