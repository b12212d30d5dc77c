// Known-answer tests: src/merkle against results published by independent RFC 6962 / RFC 9162
// implementations (tests/vectors/merkle/, provenance in tests/vectors/README.md).
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  MerkleLog,
  batchProofs,
  consistencyPath,
  emptyRoot,
  inclusionPath,
  leafHash,
  rootFromInclusion,
  rootOf,
  verifyConsistency,
  verifyInclusion,
} from "../../src/merkle/mod.js";

function vectors<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`../vectors/merkle/${name}`, import.meta.url), "utf8")) as T;
}
const bytes = (hex: string) => new Uint8Array(Buffer.from(hex, "hex"));
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const hexes = (list: readonly Uint8Array[]) => list.map(hex);
const utf8 = (s: string) => new TextEncoder().encode(s);

interface InclusionVector { leafIndex: number; treeSize: number; path: string[]; rootHex?: string }
interface ConsistencyVector { first: number; second: number; path: string[]; firstRootHex?: string; secondRootHex?: string }

describe("transparency-dev/merkle: the RFC 6962 example tree of 8 leaves", () => {
  const v = vectors<{
    leafInputsHex: string[];
    nodeHashesByLevel: string[][];
    rootHashesBySize: string[];
    inclusionProofs: InclusionVector[];
    consistencyProofs: ConsistencyVector[];
  }>("transparency-dev-rfc6962.json");
  const leaves = v.leafInputsHex.map((h) => leafHash(bytes(h)));
  const log = new MerkleLog(leaves);
  const rootAt = (n: number) => bytes(v.rootHashesBySize[n] as string);

  it("hashes each leaf input as SHA-256(0x00 ‖ input)", () => {
    expect(hexes(leaves)).toEqual(v.nodeHashesByLevel[0]);
  });

  it("computes every complete subtree's hash", () => {
    v.nodeHashesByLevel.forEach((level, l) => {
      level.forEach((want, j) => {
        expect(hex(rootOf(leaves.slice(j * 2 ** l, (j + 1) * 2 ** l))), `level ${l} node ${j}`).toBe(want);
      });
    });
  });

  it("computes the published root for every tree size from 0 to 8, in both the pure functions and the log", () => {
    expect(hex(emptyRoot())).toBe(v.rootHashesBySize[0]);
    v.rootHashesBySize.forEach((want, n) => {
      expect(hex(rootOf(leaves.slice(0, n))), `rootOf size ${n}`).toBe(want);
      expect(hex(log.rootAt(n)), `rootAt(${n})`).toBe(want);
    });
  });

  it("generates the published inclusion proofs, and verifies them", () => {
    for (const p of v.inclusionProofs) {
      const at = `leaf ${p.leafIndex} of ${p.treeSize}`;
      expect(hexes(inclusionPath(leaves.slice(0, p.treeSize), p.leafIndex)), at).toEqual(p.path);
      expect(hexes(log.inclusion(p.leafIndex, p.treeSize)), at).toEqual(p.path);
      const leaf = leaves[p.leafIndex] as Uint8Array;
      expect(verifyInclusion(leaf, p.leafIndex, p.treeSize, p.path.map(bytes), rootAt(p.treeSize)), at).toBe(true);
    }
  });

  it("generates the published consistency proofs, and verifies them", () => {
    for (const p of v.consistencyProofs) {
      const at = `${p.first} -> ${p.second}`;
      expect(hexes(consistencyPath(leaves, p.first, p.second)), at).toEqual(p.path);
      expect(hexes(log.consistency(p.first, p.second)), at).toEqual(p.path);
      expect(verifyConsistency(p.first, p.second, rootAt(p.first), rootAt(p.second), p.path.map(bytes)), at).toBe(true);
    }
  });

  // The corruptions transparency-dev's own verifier test (proof/verify_test.go) applies to
  // these proofs; each must be rejected. Hashes of a wrong length are a caller error here and
  // throw instead (see merkle-tampering.test.ts), so those probes use 32-byte stand-ins.
  const someHash = bytes("abacaba000000000000000000000000000000000000000000060061e00123456");
  const wrongLeaf = createHash("sha256").update("WrongLeaf").digest();

  it("rejects every corruption of the published inclusion proofs that transparency-dev's verifier rejects", () => {
    for (const p of v.inclusionProofs) {
      const leaf = leaves[p.leafIndex] as Uint8Array;
      const root = rootAt(p.treeSize);
      const path = p.path.map(bytes);
      const probes: Array<[string, number, number, Uint8Array, Uint8Array[], Uint8Array]> = [
        ["index - 1", p.leafIndex - 1, p.treeSize, leaf, path, root],
        ["index + 1", p.leafIndex + 1, p.treeSize, leaf, path, root],
        ["index ^ 2", p.leafIndex ^ 2, p.treeSize, leaf, path, root],
        ["size * 2", p.leafIndex, p.treeSize * 2, leaf, path, root],
        ["size / 2", p.leafIndex, Math.floor(p.treeSize / 2), leaf, path, root],
        ["wrong leaf", p.leafIndex, p.treeSize, wrongLeaf, path, root],
        ["empty root", p.leafIndex, p.treeSize, leaf, path, emptyRoot()],
        ["random root", p.leafIndex, p.treeSize, leaf, path, someHash],
        ["trailing root", p.leafIndex, p.treeSize, leaf, [...path, root], root],
        ["preceding root", p.leafIndex, p.treeSize, leaf, [root, ...path], root],
        ...path.map((_, i): [string, number, number, Uint8Array, Uint8Array[], Uint8Array] => [
          `proof[${i}] bit 3 flipped`, p.leafIndex, p.treeSize, leaf, flipBit(path, i, 0, 3), root,
        ]),
      ];
      if (path.length > 0) probes.push(["removed component", p.leafIndex, p.treeSize, leaf, path.slice(0, -1), root]);
      if (path.length > 1) probes.push(["inserted component", p.leafIndex, p.treeSize, leaf, [path[0] as Uint8Array, someHash, ...path.slice(1)], root]);
      for (const [what, index, size, l, pa, r] of probes) {
        if (index < 0) continue; // an index of -1 is a caller error, covered in merkle-tampering.test.ts
        expect(verifyInclusion(l, index, size, pa, r), `leaf ${p.leafIndex} of ${p.treeSize}: ${what}`).toBe(false);
      }
    }
  });

  it("rejects every corruption of the published consistency proofs that transparency-dev's verifier rejects", () => {
    for (const p of v.consistencyProofs) {
      if (p.path.length === 0) continue; // transparency-dev corrupts only non-trivial proofs
      const [r1, r2] = [rootAt(p.first), rootAt(p.second)];
      const path = p.path.map(bytes);
      const probes: Array<[string, number, number, Uint8Array, Uint8Array, Uint8Array[]]> = [
        ["size1 - 1", p.first - 1, p.second, r1, r2, path],
        ["size1 + 1", p.first + 1, p.second, r1, r2, path],
        ["size1 ^ 2", p.first ^ 2, p.second, r1, r2, path],
        ["size2 * 2", p.first, p.second * 2, r1, r2, path],
        ["size2 / 2", p.first, Math.floor(p.second / 2), r1, r2, path],
        ["wrong root1", p.first, p.second, wrongLeaf, r2, path],
        ["wrong root2", p.first, p.second, r1, wrongLeaf, path],
        ["swapped roots", p.first, p.second, r2, r1, path],
        ["empty proof", p.first, p.second, r1, r2, []],
        ["trailing root1", p.first, p.second, r1, r2, [...path, r1]],
        ["trailing root2", p.first, p.second, r1, r2, [...path, r2]],
        ["preceding root1", p.first, p.second, r1, r2, [r1, ...path]],
        ["preceding root2", p.first, p.second, r1, r2, [r2, ...path]],
        ["preceding proof[0]", p.first, p.second, r1, r2, [path[0] as Uint8Array, ...path]],
        ["truncated proof", p.first, p.second, r1, r2, path.slice(0, -1)],
        ...path.map((_, i): [string, number, number, Uint8Array, Uint8Array, Uint8Array[]] => [
          `proof[${i}] bit 4 flipped`, p.first, p.second, r1, r2, flipBit(path, i, 0, 4),
        ]),
      ];
      for (const [what, first, second, a, b, pa] of probes) {
        expect(verifyConsistency(first, second, a, b, pa), `${p.first} -> ${p.second}: ${what}`).toBe(false);
      }
    }
  });
});

describe("sigstore-js: a real Rekor entry 21 million leaves into the log", () => {
  const v = vectors<{ canonicalizedBodyBase64: string; leafIndex: number; treeSize: number; rootHex: string; pathHex: string[] }>(
    "sigstore-rekor-inclusion.json",
  );
  const body = new Uint8Array(Buffer.from(v.canonicalizedBodyBase64, "base64"));
  const path = v.pathHex.map(bytes);
  const root = bytes(v.rootHex);

  it("recomputes the checkpoint's root from the entry and its 21-hash inclusion proof", () => {
    expect(hex(rootFromInclusion(leafHash(body), v.leafIndex, v.treeSize, path))).toBe(v.rootHex);
    expect(verifyInclusion(leafHash(body), v.leafIndex, v.treeSize, path, root)).toBe(true);
  });

  it("rejects the proof for an altered entry, a neighbouring index or another tree size", () => {
    const altered = body.slice();
    altered[10] = (altered[10] as number) ^ 1;
    expect(verifyInclusion(leafHash(altered), v.leafIndex, v.treeSize, path, root)).toBe(false);
    expect(verifyInclusion(leafHash(utf8("invalid")), v.leafIndex, v.treeSize, path, root)).toBe(false);
    expect(verifyInclusion(leafHash(body), v.leafIndex + 1, v.treeSize, path, root)).toBe(false);
    expect(verifyInclusion(leafHash(body), v.leafIndex - 1, v.treeSize, path, root)).toBe(false);
    expect(verifyInclusion(leafHash(body), v.leafIndex, v.treeSize * 2, path, root)).toBe(false);
    expect(verifyInclusion(leafHash(body), v.leafIndex, v.treeSize, path.slice(0, 1), root)).toBe(false);
  });

  it("verifies the smallest possible tree: one leaf, an empty path, the leaf hash as root", () => {
    const foo = leafHash(utf8("foo"));
    expect(verifyInclusion(foo, 0, 1, [], createHash("sha256").update(Buffer.from([0])).update("foo").digest())).toBe(true);
  });
});

describe("transmute-industries/rfc9162: interoperability trees over text leaves", () => {
  type Tree = { rootsBySize: Record<string, string>; inclusionProofs: InclusionVector[]; consistencyProofs: ConsistencyVector[] };
  const v = vectors<{ entryTree: Tree & { leafCount: number }; smallTree: Tree & { leafStrings: string[] } }>("transmute-interop.json");

  const cases: Array<[string, Tree, Uint8Array[]]> = [
    ["entry-0 .. entry-19", v.entryTree, Array.from({ length: v.entryTree.leafCount }, (_, i) => leafHash(utf8(`entry-${i}`)))],
    ["L123456, L789, L012", v.smallTree, v.smallTree.leafStrings.map((s) => leafHash(utf8(s)))],
  ];

  for (const [name, tree, leaves] of cases) {
    it(`computes the published roots, inclusion and consistency proofs for ${name}`, () => {
      const log = new MerkleLog(leaves);
      for (const [size, want] of Object.entries(tree.rootsBySize)) {
        expect(hex(rootOf(leaves.slice(0, Number(size)))), `size ${size}`).toBe(want);
        expect(hex(log.rootAt(Number(size))), `size ${size}`).toBe(want);
      }
      for (const p of tree.inclusionProofs) {
        const prefix = leaves.slice(0, p.treeSize);
        expect(hexes(inclusionPath(prefix, p.leafIndex))).toEqual(p.path);
        expect(hexes(log.inclusion(p.leafIndex, p.treeSize))).toEqual(p.path);
        const root = p.rootHex ? bytes(p.rootHex) : rootOf(prefix);
        if (p.rootHex) expect(hex(rootOf(prefix))).toBe(p.rootHex);
        expect(verifyInclusion(leaves[p.leafIndex] as Uint8Array, p.leafIndex, p.treeSize, p.path.map(bytes), root)).toBe(true);
      }
      for (const p of tree.consistencyProofs) {
        expect(hexes(consistencyPath(leaves, p.first, p.second))).toEqual(p.path);
        expect(hexes(log.consistency(p.first, p.second))).toEqual(p.path);
        const [r1, r2] = [p.firstRootHex ?? hex(rootOf(leaves.slice(0, p.first))), p.secondRootHex ?? hex(rootOf(leaves.slice(0, p.second)))];
        expect(verifyConsistency(p.first, p.second, bytes(r1), bytes(r2), p.path.map(bytes))).toBe(true);
      }
    });
  }
});

describe("draft-ietf-plants-merkle-tree-certs appendix: accumulated subtree vectors over 130 leaves", () => {
  const v = vectors<{ leafCount: number; subtreeHashes: { sha256Hex: string }; subtreeInclusionProofs: { sha256Hex: string } }>(
    "mtc-subtree-accumulated.json",
  );
  const leaves = Array.from({ length: v.leafCount }, (_, i) => leafHash(Uint8Array.of(i)));
  // A valid subtree starts at a multiple of the smallest power of two >= its size.
  const valid: Array<[number, number]> = [];
  for (let end = 1; end <= v.leafCount; end++) {
    for (let start = 0; start < end; start++) {
      let ceil = 1;
      while (ceil < end - start) ceil *= 2;
      if (start % ceil === 0) valid.push([start, end]);
    }
  }

  it("reproduces the digest over the hash of every valid subtree (MTH of its leaves)", () => {
    const digest = createHash("sha256");
    for (const [start, end] of valid) digest.update(`[${start}, ${end}) ${hex(rootOf(leaves.slice(start, end)))}\n`);
    expect(digest.digest("hex")).toBe(v.subtreeHashes.sha256Hex);
  });

  it("reproduces the digest over the inclusion proof of every entry of every valid subtree", () => {
    const digest = createHash("sha256");
    for (const [start, end] of valid) {
      const { paths } = batchProofs(leaves.slice(start, end));
      paths.forEach((path, i) => digest.update(`${start + i} [${start}, ${end})${path.map((h) => ` ${hex(h)}`).join("")}\n`));
    }
    expect(digest.digest("hex")).toBe(v.subtreeInclusionProofs.sha256Hex);
  });
});

function flipBit(path: readonly Uint8Array[], element: number, byte: number, bit: number): Uint8Array[] {
  return path.map((h, i) => {
    if (i !== element) return h;
    const copy = h.slice();
    copy[byte] = (copy[byte] as number) ^ (1 << bit);
    return copy;
  });
}
