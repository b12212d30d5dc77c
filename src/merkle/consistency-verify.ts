// Consistency proof verification, the algorithm of RFC 9162 §2.1.4.2 step by step, plus the
// two trivial cases the RFC leaves to the caller (equal sizes, and an empty first tree).
import { emptyRoot, hashNode, hashesEqual } from "./hash.js";
import { assertArray, assertCount, assertHash } from "./guards.js";
import { pathSides } from "./path-walk.js";

/**
 * Whether `path` proves that the tree of `first` leaves with `firstRoot` is a prefix of the
 * tree of `second` leaves with `secondRoot`. A malformed proof is simply false; wrong
 * argument types still throw.
 */
export function verifyConsistency(
  first: number,
  second: number,
  firstRoot: Uint8Array,
  secondRoot: Uint8Array,
  path: readonly Uint8Array[],
): boolean {
  assertCount(first, "first");
  assertCount(second, "second");
  assertHash(firstRoot, "firstRoot");
  assertHash(secondRoot, "secondRoot");
  assertArray(path, "path");
  if (!path.every((p) => p instanceof Uint8Array && p.length === 32)) return false;
  if (first > second) return false;
  // Nothing to prove, so anything but an empty proof is a malformed one.
  if (first === second) return path.length === 0 && hashesEqual(firstRoot, secondRoot);
  // Every tree extends the empty one, but only if the claimed empty root really is MTH({}).
  if (first === 0) return path.length === 0 && hashesEqual(firstRoot, emptyRoot());

  // Step 1.
  if (path.length === 0) return false;
  // Step 2: a first tree of 2^k leaves is a node of the second, so its root starts the path.
  const nodes = isPowerOfTwo(first) ? [firstRoot, ...path] : path;
  // Steps 3 and 4.
  let fn = first - 1;
  let sn = second - 1;
  while (fn % 2 === 1) {
    fn = (fn - 1) / 2;
    sn = Math.floor(sn / 2);
  }
  // Step 5.
  const [seed, ...rest] = nodes as [Uint8Array, ...Uint8Array[]];
  let fr = seed;
  let sr = seed;
  // Step 6.
  const sides = pathSides(fn, sn, rest.length);
  if (typeof sides === "string") return false;
  rest.forEach((c, i) => {
    if (sides[i]) {
      fr = hashNode(c, fr);
      sr = hashNode(c, sr);
    } else {
      sr = hashNode(sr, c);
    }
  });
  // Step 7.
  return hashesEqual(fr, firstRoot) && hashesEqual(sr, secondRoot);
}

function isPowerOfTwo(n: number): boolean {
  // Exact for every safe integer: a power of two has one significant bit, so 2^log2(n) is n.
  return n > 0 && 2 ** Math.round(Math.log2(n)) === n;
}
