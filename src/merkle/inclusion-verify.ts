// Inclusion proof verification, the algorithm of RFC 9162 §2.1.3.2 step by step. Sizes may
// exceed 2^32, so halving is done with arithmetic, not with 32-bit shift operators.
import { MerkleProofError } from "./errors.js";
import { hashNode, hashesEqual } from "./hash.js";
import { assertArray, assertCount, assertHash } from "./guards.js";
import { pathSides } from "./path-walk.js";

/**
 * Recomputes the root from a leaf hash and its path (RFC 9162 §2.1.3.2); throws
 * MerkleProofError on a malformed path (wrong length, index >= size).
 */
export function rootFromInclusion(
  leafHash: Uint8Array,
  index: number,
  size: number,
  path: readonly Uint8Array[],
): Uint8Array {
  assertHash(leafHash, "leafHash");
  assertCount(index, "index");
  assertCount(size, "size");
  assertArray(path, "path");
  if (index >= size) {
    throw new MerkleProofError("index-out-of-range", `leaf index ${index} is not in a tree of size ${size}`);
  }
  checkPathElements(path);

  const sides = pathSides(index, size - 1, path.length);
  if (sides === "path-too-long") throw new MerkleProofError("path-too-long", `path has more than the needed elements for leaf ${index} of ${size}`);
  if (sides === "path-too-short") throw new MerkleProofError("path-too-short", `path has ${path.length} elements, too few for leaf ${index} of ${size}`);
  let r = leafHash;
  path.forEach((p, i) => {
    r = sides[i] ? hashNode(p, r) : hashNode(r, p);
  });
  return r === leafHash ? leafHash.slice() : r;
}

/**
 * Whether `path` proves that `leafHash` is leaf `index` of the tree of `size` leaves with
 * `root`. A malformed proof is simply false; wrong argument types still throw.
 */
export function verifyInclusion(
  leafHash: Uint8Array,
  index: number,
  size: number,
  path: readonly Uint8Array[],
  root: Uint8Array,
): boolean {
  assertHash(root, "root");
  let computed: Uint8Array;
  try {
    computed = rootFromInclusion(leafHash, index, size, path);
  } catch (err) {
    if (err instanceof MerkleProofError) return false;
    throw err;
  }
  return hashesEqual(computed, root);
}

/** Path elements come from the other party, so a bad one is a bad proof, not a caller bug. */
export function checkPathElements(path: readonly unknown[]): void {
  for (let i = 0; i < path.length; i++) {
    const p = path[i];
    if (!(p instanceof Uint8Array) || p.length !== 32) {
      throw new MerkleProofError("bad-path-element", `path element ${i} is not a 32-byte hash`);
    }
  }
}
