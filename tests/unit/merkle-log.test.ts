// MerkleLog, the append-only audit-log tree, must agree with the pure RFC 9162 §2.1 functions
// at every size it passes through, across its storage growth, and keep old proofs valid.
import { describe, expect, it } from "vitest";
import {
  MerkleLog,
  batchProofs,
  consistencyPath,
  emptyRoot,
  inclusionPath,
  leafHash,
  rootOf,
  verifyConsistency,
  verifyInclusion,
} from "../../src/merkle/mod.js";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const hexes = (list: readonly Uint8Array[]) => list.map(hex);
const leafOf = (i: number) => leafHash(new TextEncoder().encode(`audit event ${i}`));
const leaves = Array.from({ length: 5000 }, (_, i) => leafOf(i));

/** Leaf indices and first sizes worth checking in a tree of n leaves, plus a few seeded ones. */
function probes(n: number, seed: number): number[] {
  let s = seed >>> 0;
  const next = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) % n;
  let k = 1;
  while (k * 2 < n) k *= 2;
  return [...new Set([0, 1, k - 1, k, n - 2, n - 1, next(), next()])].filter((i) => i >= 0 && i < n);
}

describe("MerkleLog", () => {
  it("agrees with rootOf, inclusionPath and consistencyPath at every size up to 300", () => {
    const log = new MerkleLog();
    expect(hex(log.root())).toBe(hex(emptyRoot()));
    for (let n = 1; n <= 300; n++) {
      expect(log.append(leaves[n - 1] as Uint8Array)).toBe(n - 1);
      expect(log.size).toBe(n);
      const prefix = leaves.slice(0, n);
      expect(hex(log.root()), `root at ${n}`).toBe(hex(rootOf(prefix)));
      for (const i of probes(n, n).slice(0, 5)) {
        expect(hexes(log.inclusion(i)), `leaf ${i} of ${n}`).toEqual(hexes(inclusionPath(prefix, i)));
      }
      for (const m of [0, ...probes(n, n + 1).slice(1, 6), n]) {
        expect(hexes(log.consistency(m)), `${m} -> ${n}`).toEqual(hexes(consistencyPath(prefix, m, n)));
      }
    }
    for (let n = 0; n <= 300; n++) expect(hex(log.rootAt(n)), `rootAt(${n})`).toBe(hex(rootOf(leaves.slice(0, n))));
  });

  it("agrees with the pure functions at sampled sizes up to 5,000, across several storage growths", () => {
    const log = new MerkleLog();
    for (const h of leaves) log.append(h);
    for (const n of [511, 512, 513, 1023, 1024, 1025, 2047, 2049, 3001, 4096, 4999, 5000]) {
      const prefix = leaves.slice(0, n);
      expect(hex(log.rootAt(n)), `rootAt(${n})`).toBe(hex(rootOf(prefix)));
      for (const i of probes(n, n).slice(0, 4)) {
        expect(hexes(log.inclusion(i, n)), `leaf ${i} of ${n}`).toEqual(hexes(inclusionPath(prefix, i)));
      }
      for (const m of probes(n, n + 7).slice(2, 6)) {
        if (m === 0) continue;
        expect(hexes(log.consistency(m, n)), `${m} -> ${n}`).toEqual(hexes(consistencyPath(prefix, m, n)));
      }
    }
  });

  it("builds the same tree from an array, from any iterable, or by appending, and keeps growing after a bulk load", () => {
    const appended = new MerkleLog();
    for (const h of leaves.slice(0, 1500)) appended.append(h);
    const fromArray = new MerkleLog(leaves.slice(0, 1000));
    const fromIterable = new MerkleLog((function* () { yield* leaves.slice(0, 1000); })());
    for (const h of leaves.slice(1000, 1500)) {
      fromArray.append(h);
      fromIterable.append(h);
    }
    for (const n of [1, 999, 1000, 1001, 1024, 1500]) {
      expect(hex(fromArray.rootAt(n)), `array, size ${n}`).toBe(hex(appended.rootAt(n)));
      expect(hex(fromIterable.rootAt(n)), `iterable, size ${n}`).toBe(hex(appended.rootAt(n)));
    }
    expect(hexes(fromArray.inclusion(1499))).toEqual(hexes(appended.inclusion(1499)));
  });

  it("keeps proofs issued at an earlier size valid, and proves the old head consistent with the new", () => {
    const log = new MerkleLog(leaves.slice(0, 77));
    const oldRoot = log.root();
    const oldProof = log.inclusion(40);
    for (const h of leaves.slice(77, 300)) log.append(h);
    expect(verifyInclusion(leaves[40] as Uint8Array, 40, 77, oldProof, oldRoot)).toBe(true);
    expect(hexes(log.inclusion(40, 77))).toEqual(hexes(oldProof));
    expect(verifyConsistency(77, 300, oldRoot, log.root(), log.consistency(77))).toBe(true);
    expect(verifyInclusion(leaves[40] as Uint8Array, 40, 300, log.inclusion(40), log.root())).toBe(true);
  });

  it("returns leaf hashes and ranges as copies, so callers cannot alter the log", () => {
    const log = new MerkleLog(leaves.slice(0, 10));
    const before = hex(log.root());
    log.leafHash(3).fill(0);
    log.leafRange(0, 10).fill(0);
    log.inclusion(3).forEach((p) => p.fill(0));
    expect(hex(log.root())).toBe(before);
    expect(hex(log.leafHash(3))).toBe(hex(leaves[3] as Uint8Array));
  });

  it("returns leaf hashes [from, to) concatenated for persisting in chunks", () => {
    const log = new MerkleLog(leaves.slice(0, 100));
    const range = log.leafRange(10, 13);
    expect(range.length).toBe(3 * 32);
    expect(hex(range)).toBe(hex(leaves[10] as Uint8Array) + hex(leaves[11] as Uint8Array) + hex(leaves[12] as Uint8Array));
    expect(log.leafRange(50, 50).length).toBe(0);
    expect(new MerkleLog().leafRange(0, 0).length).toBe(0);
    // Reloading from persisted chunks gives back the same tree.
    const chunks = [log.leafRange(0, 64), log.leafRange(64, 100)];
    const reloaded = new MerkleLog();
    for (const chunk of chunks) for (let at = 0; at < chunk.length; at += 32) reloaded.append(chunk.subarray(at, at + 32));
    expect(hex(reloaded.root())).toBe(hex(log.root()));
  });

  it("refuses leaves, sizes and ranges it does not have", () => {
    const log = new MerkleLog(leaves.slice(0, 10));
    expect(() => log.leafHash(10)).toThrow(RangeError);
    expect(() => log.rootAt(11)).toThrow(RangeError);
    expect(() => log.inclusion(10)).toThrow(RangeError);
    expect(() => log.inclusion(3, 3)).toThrow(RangeError);
    expect(() => log.inclusion(0, 11)).toThrow(RangeError);
    expect(() => log.consistency(5, 11)).toThrow(RangeError);
    expect(() => log.consistency(6, 5)).toThrow(RangeError);
    expect(() => log.leafRange(5, 11)).toThrow(RangeError);
    expect(() => log.leafRange(6, 5)).toThrow(RangeError);
    expect(() => new MerkleLog().inclusion(0)).toThrow(RangeError);
    expect(() => new MerkleLog([leaves[0] as Uint8Array, new Uint8Array(31)])).toThrow(RangeError);
  });
});

describe("batchProofs", () => {
  it("gives the batch root and every item's inclusion path, equal to rootOf and inclusionPath", () => {
    for (const n of [1, 2, 3, 5, 8, 33, 100]) {
      const batch = leaves.slice(0, n);
      const { root, paths } = batchProofs(batch);
      expect(hex(root), `size ${n}`).toBe(hex(rootOf(batch)));
      expect(paths.length).toBe(n);
      paths.forEach((path, i) => {
        expect(hexes(path), `leaf ${i} of ${n}`).toEqual(hexes(inclusionPath(batch, i)));
        expect(verifyInclusion(batch[i] as Uint8Array, i, n, path, root)).toBe(true);
      });
    }
  });

  it("gives an empty batch the empty root and no paths", () => {
    expect(batchProofs([])).toEqual({ root: emptyRoot(), paths: [] });
  });
});
