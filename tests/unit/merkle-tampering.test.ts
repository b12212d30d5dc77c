// A proof that was altered in any way must not verify (RFC 9162 §2.1.3.2, §2.1.4.2), and a
// caller's malformed arguments must fail loudly rather than be read as "not proven".
import { describe, expect, it } from "vitest";
import {
  HASH_SIZE,
  MerkleLog,
  MerkleProofError,
  consistencyPath,
  emptyRoot,
  inclusionPath,
  isMerkleProofError,
  leafHash,
  nodeHash,
  rootFromInclusion,
  rootOf,
  verifyConsistency,
  verifyInclusion,
} from "../../src/merkle/mod.js";

const leaves = Array.from({ length: 48 }, (_, i) => leafHash(new TextEncoder().encode(`declaration ${i}`)));
const log = new MerkleLog(leaves);
// A mix of perfect and ragged trees, so both proof shapes are tampered with; the log holds a
// few more leaves so that roots of larger trees are at hand.
const SIZES = [2, 3, 7, 8, 13, 16, 21, 40];

function flipped(hash: Uint8Array, bit: number): Uint8Array {
  const copy = hash.slice();
  copy[bit >> 3] = (copy[bit >> 3] as number) ^ (1 << (bit & 7));
  return copy;
}
const replaced = (path: readonly Uint8Array[], i: number, h: Uint8Array) => path.map((p, j) => (j === i ? h : p));

function faultOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (err) {
    if (isMerkleProofError(err)) return err.fault;
    throw err;
  }
  return undefined;
}

describe("inclusion proofs under tampering", () => {
  it("rejects a leaf with any one of its 256 bits flipped", () => {
    for (const n of SIZES) {
      const index = n - 2;
      const path = log.inclusion(index, n);
      for (let bit = 0; bit < 8 * HASH_SIZE; bit++) {
        expect(verifyInclusion(flipped(leaves[index] as Uint8Array, bit), index, n, path, log.rootAt(n)), `size ${n} bit ${bit}`).toBe(false);
      }
    }
  });

  it("rejects a path with a bit flipped in any of its elements", () => {
    for (const n of SIZES) {
      for (let index = 0; index < n; index++) {
        const path = log.inclusion(index, n);
        path.forEach((element, i) => {
          for (const bit of [0, 7, 100, 255]) {
            const bad = replaced(path, i, flipped(element, bit));
            expect(verifyInclusion(leaves[index] as Uint8Array, index, n, bad, log.rootAt(n)), `leaf ${index} of ${n}, element ${i}`).toBe(false);
          }
        });
      }
    }
  });

  it("rejects a proof presented for any other leaf index", () => {
    for (const n of SIZES) {
      for (let index = 0; index < n; index++) {
        const path = log.inclusion(index, n);
        for (let other = 0; other < n + 2; other++) {
          if (other === index) continue;
          expect(verifyInclusion(leaves[index] as Uint8Array, other, n, path, log.rootAt(n)), `leaf ${index} as ${other} of ${n}`).toBe(false);
        }
      }
    }
  });

  it("rejects an inclusion proof whose path was truncated", () => {
    for (const n of SIZES) {
      for (let index = 0; index < n; index++) {
        const path = log.inclusion(index, n);
        const leaf = leaves[index] as Uint8Array;
        for (const bad of [path.slice(0, -1), path.slice(1), []]) {
          expect(verifyInclusion(leaf, index, n, bad, log.rootAt(n)), `leaf ${index} of ${n}`).toBe(false);
          expect(faultOf(() => rootFromInclusion(leaf, index, n, bad)), `leaf ${index} of ${n}`).toBe("path-too-short");
        }
      }
    }
  });

  it("rejects an inclusion proof whose path was extended at either end", () => {
    for (const n of SIZES) {
      for (let index = 0; index < n; index++) {
        const path = log.inclusion(index, n);
        const leaf = leaves[index] as Uint8Array;
        const root = log.rootAt(n);
        for (const bad of [[...path, root], [...path, new Uint8Array(32)], [root, ...path], [...path, ...path]]) {
          expect(verifyInclusion(leaf, index, n, bad, root), `leaf ${index} of ${n}`).toBe(false);
          expect(faultOf(() => rootFromInclusion(leaf, index, n, bad)), `leaf ${index} of ${n}`).toBe("path-too-long");
        }
      }
    }
  });

  it("rejects a proof checked against another tree's root", () => {
    for (const n of SIZES) {
      const path = log.inclusion(0, n);
      for (const root of [log.rootAt(n - 1), log.rootAt(n + 1), emptyRoot(), leaves[0] as Uint8Array, flipped(log.rootAt(n), 3)]) {
        expect(verifyInclusion(leaves[0] as Uint8Array, 0, n, path, root), `size ${n}`).toBe(false);
      }
    }
  });

  it("rejects the path of one leaf presented with a sibling leaf", () => {
    const path = log.inclusion(4, 13);
    expect(verifyInclusion(leaves[5] as Uint8Array, 4, 13, path, log.rootAt(13))).toBe(false);
    expect(verifyInclusion(leaves[5] as Uint8Array, 5, 13, path, log.rootAt(13))).toBe(false);
  });

  it("reports an index outside the tree as a MerkleProofError from rootFromInclusion and as false from verifyInclusion", () => {
    const leaf = leaves[0] as Uint8Array;
    expect(() => rootFromInclusion(leaf, 5, 5, [])).toThrow(MerkleProofError);
    expect(faultOf(() => rootFromInclusion(leaf, 5, 5, []))).toBe("index-out-of-range");
    expect(faultOf(() => rootFromInclusion(leaf, 0, 0, []))).toBe("index-out-of-range");
    expect(verifyInclusion(leaf, 0, 0, [], emptyRoot())).toBe(false);
    expect(verifyInclusion(leaf, 8, 8, log.inclusion(7, 8), log.rootAt(8))).toBe(false);
  });

  it("treats a path element that is not a 32-byte hash as a malformed proof", () => {
    const path = log.inclusion(3, 13);
    const leaf = leaves[3] as Uint8Array;
    for (const bad of [new Uint8Array(31), new Uint8Array(33), new Uint8Array(0), "not bytes" as unknown as Uint8Array]) {
      expect(faultOf(() => rootFromInclusion(leaf, 3, 13, replaced(path, 1, bad)))).toBe("bad-path-element");
      expect(verifyInclusion(leaf, 3, 13, replaced(path, 1, bad), log.rootAt(13))).toBe(false);
    }
  });
});

describe("consistency proofs under tampering", () => {
  const pairs: Array<[number, number]> = [];
  for (const n of SIZES) for (let m = 1; m < n; m++) pairs.push([m, n]);

  it("rejects a proof with a bit flipped in any of its elements", () => {
    for (const [m, n] of pairs) {
      const proof = log.consistency(m, n);
      proof.forEach((element, i) => {
        for (const bit of [0, 31, 200]) {
          expect(verifyConsistency(m, n, log.rootAt(m), log.rootAt(n), replaced(proof, i, flipped(element, bit))), `${m} -> ${n}, element ${i}`).toBe(false);
        }
      });
    }
  });

  it("rejects a consistency proof whose path was truncated or extended", () => {
    for (const [m, n] of pairs) {
      const proof = log.consistency(m, n);
      const [r1, r2] = [log.rootAt(m), log.rootAt(n)];
      for (const bad of [proof.slice(0, -1), proof.slice(1), [], [...proof, r1], [...proof, r2], [r1, ...proof], [r2, ...proof], [proof[0] as Uint8Array, ...proof]]) {
        expect(verifyConsistency(m, n, r1, r2, bad), `${m} -> ${n}`).toBe(false);
      }
    }
  });

  it("rejects swapped roots, a bit flipped in either root, and roots of other sizes", () => {
    for (const [m, n] of pairs) {
      const proof = log.consistency(m, n);
      const [r1, r2] = [log.rootAt(m), log.rootAt(n)];
      expect(verifyConsistency(m, n, r2, r1, proof), `${m} -> ${n} swapped`).toBe(false);
      expect(verifyConsistency(m, n, flipped(r1, 9), r2, proof), `${m} -> ${n} root1`).toBe(false);
      expect(verifyConsistency(m, n, r1, flipped(r2, 9), proof), `${m} -> ${n} root2`).toBe(false);
      expect(verifyConsistency(m, n, r1, log.rootAt(n + 1), proof), `${m} -> ${n} later root2`).toBe(false);
      if (m > 1) expect(verifyConsistency(m, n, log.rootAt(m - 1), r2, proof), `${m} -> ${n} earlier root1`).toBe(false);
    }
  });

  it("rejects a proof between trees that are not prefixes of each other", () => {
    // Same sizes, but the second tree rewrote leaf 2: exactly what the proof exists to catch.
    const forked = leaves.slice(0, 13);
    forked[2] = leafHash(new TextEncoder().encode("rewritten"));
    const honest = consistencyPath(leaves, 5, 13);
    expect(verifyConsistency(5, 13, log.rootAt(5), rootOf(forked), honest)).toBe(false);
    expect(verifyConsistency(5, 13, log.rootAt(5), rootOf(forked), consistencyPath(forked, 5, 13))).toBe(false);
  });

  it("rejects a first size larger than the second, and unequal roots for equal sizes", () => {
    expect(verifyConsistency(8, 7, log.rootAt(8), log.rootAt(7), log.consistency(7, 8))).toBe(false);
    expect(verifyConsistency(7, 7, log.rootAt(7), log.rootAt(8), [])).toBe(false);
    expect(verifyConsistency(7, 7, log.rootAt(7), log.rootAt(7), [log.rootAt(7)])).toBe(false);
  });

  it("accepts growth from the empty tree only with the empty root and an empty proof", () => {
    expect(verifyConsistency(0, 8, emptyRoot(), log.rootAt(8), [])).toBe(true);
    expect(verifyConsistency(0, 8, log.rootAt(1), log.rootAt(8), [])).toBe(false);
    expect(verifyConsistency(0, 8, emptyRoot(), log.rootAt(8), [emptyRoot()])).toBe(false);
    expect(verifyConsistency(0, 0, emptyRoot(), emptyRoot(), [])).toBe(true);
  });

  it("treats a path element that is not a 32-byte hash as a failed proof", () => {
    const proof = log.consistency(5, 13);
    expect(verifyConsistency(5, 13, log.rootAt(5), log.rootAt(13), replaced(proof, 0, new Uint8Array(31)))).toBe(false);
  });
});

describe("argument guards", () => {
  const h = leaves[0] as Uint8Array;

  it("refuses hashes that are not 32 bytes with a RangeError, and non-bytes with a TypeError", () => {
    expect(() => nodeHash(new Uint8Array(31), h)).toThrow(RangeError);
    expect(() => nodeHash(h, new Uint8Array(33))).toThrow(RangeError);
    expect(() => nodeHash("ab" as unknown as Uint8Array, h)).toThrow(TypeError);
    expect(() => leafHash("ab" as unknown as Uint8Array)).toThrow(TypeError);
    expect(() => rootOf([h, new Uint8Array(31)])).toThrow(/leafHashes\[1\]/);
    expect(() => rootOf("nope" as unknown as Uint8Array[])).toThrow(TypeError);
    expect(() => new MerkleLog().append(new Uint8Array(16))).toThrow(RangeError);
  });

  it("fails loudly, not with false, when the caller's own leaf hash or root is malformed", () => {
    const path = log.inclusion(0, 8);
    expect(() => verifyInclusion(new Uint8Array(31), 0, 8, path, log.rootAt(8))).toThrow(RangeError);
    expect(() => verifyInclusion(h, 0, 8, path, new Uint8Array(0))).toThrow(RangeError);
    expect(() => verifyConsistency(4, 8, new Uint8Array(12), log.rootAt(8), [])).toThrow(RangeError);
    expect(() => verifyInclusion(h, 0, 8, "path" as unknown as Uint8Array[], log.rootAt(8))).toThrow(TypeError);
  });

  it("refuses indices and sizes that are negative, fractional, NaN or beyond 2^53", () => {
    const root = log.rootAt(8);
    for (const bad of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53]) {
      expect(() => inclusionPath(leaves, bad), String(bad)).toThrow(RangeError);
      expect(() => rootFromInclusion(h, bad, 8, []), String(bad)).toThrow(RangeError);
      expect(() => verifyInclusion(h, 0, bad, [], root), String(bad)).toThrow(RangeError);
      expect(() => verifyConsistency(bad, 8, root, root, []), String(bad)).toThrow(RangeError);
      expect(() => consistencyPath(leaves, 1, bad), String(bad)).toThrow(RangeError);
      expect(() => log.rootAt(bad), String(bad)).toThrow(RangeError);
    }
  });

  it("refuses to generate proofs for leaves or sizes the tree does not have", () => {
    expect(() => inclusionPath(leaves.slice(0, 8), 8)).toThrow(RangeError);
    expect(() => inclusionPath([], 0)).toThrow(RangeError);
    expect(() => consistencyPath(leaves.slice(0, 8), 3, 9)).toThrow(RangeError);
    expect(() => consistencyPath(leaves, 9, 8)).toThrow(RangeError);
  });

  it("names its errors and lets callers test for them without matching text", () => {
    const err = new MerkleProofError("path-too-long", "x");
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe("MerkleProofError");
    expect(isMerkleProofError(err)).toBe(true);
    expect(isMerkleProofError(new RangeError("x"))).toBe(false);
  });
});
