// Cross-checks src/merkle against a deliberately simple reference written straight from the
// recursive definitions of RFC 9162 §2.1 (MTH, PATH, PROOF/SUBPROOF) for every tree size from
// 0 to 1,000. The published vectors (merkle-vectors.test.ts) stop at 130 leaves; this covers
// the rest. The reference shares no code with the module: its own hashing, its own recursion.
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  MerkleLog,
  consistencyPath,
  emptyRoot,
  inclusionPath,
  leafHash,
  nodeHash,
  rootFromInclusion,
  rootOf,
  verifyConsistency,
  verifyInclusion,
} from "../../src/merkle/mod.js";

// ---- The reference (RFC 9162 §2.1, recursively, no optimisation but a memo of MTH) ----------
// D[lo:hi] is written as the pair (lo, hi) over one fixed list of entries d(i).

const MAX = 1000;
const entry = (i: number) => new TextEncoder().encode(`customs record ${i}`);

function HASH(...parts: Uint8Array[]): Uint8Array {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

/** k: the largest power of two smaller than n (n > 1). */
function largestPowerOfTwoBelow(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

const mthMemo = new Map<string, Uint8Array>();
/** MTH(D[lo:hi]) of §2.1.1. */
function MTH(lo: number, hi: number): Uint8Array {
  const key = `${lo}:${hi}`;
  const known = mthMemo.get(key);
  if (known) return known;
  const n = hi - lo;
  let result: Uint8Array;
  if (n === 0) result = HASH();
  else if (n === 1) result = HASH(Uint8Array.of(0x00), entry(lo));
  else {
    const k = largestPowerOfTwoBelow(n);
    result = HASH(Uint8Array.of(0x01), MTH(lo, lo + k), MTH(lo + k, hi));
  }
  mthMemo.set(key, result);
  return result;
}

/** PATH(m, D[lo:hi]) of §2.1.3.1, m relative to lo. */
function PATH(m: number, lo: number, hi: number): Uint8Array[] {
  const n = hi - lo;
  if (n === 1) return [];
  const k = largestPowerOfTwoBelow(n);
  if (m < k) return [...PATH(m, lo, lo + k), MTH(lo + k, hi)];
  return [...PATH(m - k, lo + k, hi), MTH(lo, lo + k)];
}

/** PROOF(m, D[n]) = SUBPROOF(m, D[n], true) of §2.1.4.1. */
function PROOF(m: number, n: number): Uint8Array[] {
  return SUBPROOF(m, 0, n, true);
}

function SUBPROOF(m: number, lo: number, hi: number, b: boolean): Uint8Array[] {
  const n = hi - lo;
  if (m === n) return b ? [] : [MTH(lo, hi)];
  const k = largestPowerOfTwoBelow(n);
  if (m <= k) return [...SUBPROOF(m, lo, lo + k, b), MTH(lo + k, hi)];
  return [...SUBPROOF(m - k, lo + k, hi, false), MTH(lo, lo + k)];
}

// ---- Helpers -------------------------------------------------------------------------------

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const hexes = (list: readonly Uint8Array[]) => list.map(hex);

/** Leaf hashes as the reference computes them; the module gets only these, never entry(). */
const leaves = Array.from({ length: MAX }, (_, i) => MTH(i, i + 1));

/** A seeded generator, so a failure names a case that reproduces. */
function random(seed: number): (below: number) => number {
  let s = seed >>> 0;
  return (below) => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * below);
  };
}

/** Sizes above 64 worth a look: near every power of two, plus a seeded sample of the rest. */
function sampledSizes(from: number, to: number, count: number, seed: number): number[] {
  const pick = random(seed);
  const sizes = new Set<number>([to]);
  for (let p = 64; p <= to * 2; p *= 2) for (const n of [p - 1, p, p + 1]) if (n >= from && n <= to) sizes.add(n);
  while (sizes.size < count) sizes.add(from + pick(to - from + 1));
  return [...sizes].sort((a, b) => a - b);
}

// ---- The checks ----------------------------------------------------------------------------

describe("RFC 9162 recursive reference cross-check", () => {
  it("hashes leaves, nodes and the empty tree with the RFC's domain-separation prefixes", () => {
    expect(hex(leafHash(entry(7)))).toBe(hex(HASH(Uint8Array.of(0), entry(7))));
    expect(hex(nodeHash(leaves[0] as Uint8Array, leaves[1] as Uint8Array))).toBe(hex(MTH(0, 2)));
    expect(hex(emptyRoot())).toBe(hex(HASH()));
    expect(hex(emptyRoot())).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  });

  it("computes the same root as MTH for every tree size from 0 to 1,000", () => {
    for (let n = 0; n <= MAX; n++) expect(hex(rootOf(leaves.slice(0, n))), `size ${n}`).toBe(hex(MTH(0, n)));
  });

  it("produces PATH for every leaf of every tree of up to 64 leaves, and verifyInclusion accepts each", () => {
    for (let n = 1; n <= 64; n++) {
      const prefix = leaves.slice(0, n);
      for (let m = 0; m < n; m++) {
        const path = inclusionPath(prefix, m);
        expect(hexes(path), `leaf ${m} of ${n}`).toEqual(hexes(PATH(m, 0, n)));
        expect(hex(rootFromInclusion(prefix[m] as Uint8Array, m, n, path)), `leaf ${m} of ${n}`).toBe(hex(MTH(0, n)));
        expect(verifyInclusion(prefix[m] as Uint8Array, m, n, path, MTH(0, n)), `leaf ${m} of ${n}`).toBe(true);
      }
    }
  });

  it("produces PATH for sampled leaves of trees from 65 to 1,000 leaves, and verifyInclusion accepts each", () => {
    const pick = random(1);
    for (const n of sampledSizes(65, MAX, 90, 2)) {
      const prefix = leaves.slice(0, n);
      const k = largestPowerOfTwoBelow(n);
      for (const m of new Set([0, 1, k - 1, k, Math.floor(n / 2), n - 2, n - 1, pick(n), pick(n)])) {
        const path = inclusionPath(prefix, m);
        expect(hexes(path), `leaf ${m} of ${n}`).toEqual(hexes(PATH(m, 0, n)));
        expect(verifyInclusion(prefix[m] as Uint8Array, m, n, path, MTH(0, n)), `leaf ${m} of ${n}`).toBe(true);
      }
    }
  });

  it("produces PROOF for every pair of tree sizes up to 64, and verifyConsistency accepts each", () => {
    for (let n = 1; n <= 64; n++) {
      for (let m = 1; m < n; m++) {
        const proof = consistencyPath(leaves, m, n);
        expect(hexes(proof), `${m} -> ${n}`).toEqual(hexes(PROOF(m, n)));
        expect(verifyConsistency(m, n, MTH(0, m), MTH(0, n), proof), `${m} -> ${n}`).toBe(true);
      }
    }
  });

  it("produces PROOF for sampled pairs of tree sizes up to 1,000, and verifyConsistency accepts each", () => {
    const pick = random(3);
    for (const n of sampledSizes(65, MAX, 90, 4)) {
      const k = largestPowerOfTwoBelow(n);
      for (const m of new Set([1, 2, 3, k - 1, k, k + 1, n - 1, 1 + pick(n - 1), 1 + pick(n - 1)])) {
        const proof = consistencyPath(leaves, m, n);
        expect(hexes(proof), `${m} -> ${n}`).toEqual(hexes(PROOF(m, n)));
        expect(verifyConsistency(m, n, MTH(0, m), MTH(0, n), proof), `${m} -> ${n}`).toBe(true);
      }
    }
  });

  it("gives empty consistency proofs where the RFC needs none: from the empty tree, and between equal sizes", () => {
    for (const n of [0, 1, 2, 7, 64, 1000]) {
      expect(consistencyPath(leaves, 0, n)).toEqual([]);
      expect(consistencyPath(leaves, n, n)).toEqual([]);
      expect(verifyConsistency(0, n, HASH(), MTH(0, n), [])).toBe(true);
      expect(verifyConsistency(n, n, MTH(0, n), MTH(0, n), [])).toBe(true);
    }
  });

  it("serves roots, PATH and PROOF from a 1,000-leaf log for every size, matching the reference", () => {
    const log = new MerkleLog(leaves);
    const pick = random(5);
    for (let n = 0; n <= MAX; n++) {
      expect(hex(log.rootAt(n)), `rootAt(${n})`).toBe(hex(MTH(0, n)));
      if (n === 0) continue;
      for (const m of new Set([0, n - 1, pick(n)])) {
        expect(hexes(log.inclusion(m, n)), `leaf ${m} of ${n}`).toEqual(hexes(PATH(m, 0, n)));
      }
      for (const m of new Set([1, n, 1 + pick(n)])) {
        expect(hexes(log.consistency(m, n)), `${m} -> ${n}`).toEqual(hexes(PROOF(m, n)));
      }
    }
  });
});
