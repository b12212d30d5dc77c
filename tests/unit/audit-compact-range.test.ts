// The subtree hashes around an exported range (RFC 9162 §2.1 compact ranges) rebuild exactly the
// root of the whole tree, for every range of every small tree; frontiers fold to the root; and the
// signed tree head's bytes and signature behave as the verifier relies on.
import { describe, expect, it } from "vitest";
import {
  flatTreeHash,
  frontierOf,
  frontierRanges,
  maximalNodes,
  nodeHashFrom,
  outerNodes,
  rangeNeighbours,
  rootFrom,
  signTreeHead,
  treeHeadSigningInput,
  verifyTreeHead,
  TREE_HEAD_DOMAIN,
} from "../../src/audit/mod.js";
import { Ed25519Signer, generateSigningKey } from "../../src/crypto/mod.js";
import { HASH_SIZE, MerkleLog, leafHash, nodeHash, rootOf } from "../../src/merkle/mod.js";
import { pb } from "../../src/proto/mod.js";

const leaves = Array.from({ length: 70 }, (_, i) => leafHash(new TextEncoder().encode(`event ${i}`)));
const log = new MerkleLog(leaves);
const flat = new Uint8Array(leaves.length * HASH_SIZE);
leaves.forEach((l, i) => flat.set(l, i * HASH_SIZE));
const eq = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

describe("compact ranges", () => {
  it("rebuild the root of a tree from any range of it and its neighbours", () => {
    // Every range of every tree up to 24 leaves, and every range starting or ending on a few
    // edges of larger, ragged and perfect trees.
    const cases: Array<[number, number, number]> = [];
    for (let size = 1; size <= 24; size++) for (let from = 0; from <= size; from++) for (let to = from; to <= size; to++) cases.push([size, from, to]);
    for (const size of [31, 32, 33, 64, 70]) {
      for (const a of [0, 1, 7, 15, 16, 17, 31, size - 1, size]) {
        for (const b of [0, 1, 16, 30, 32, size - 1, size]) if (a <= b && b <= size) cases.push([size, a, b]);
      }
    }
    for (const [size, from, to] of cases) {
      const { left, right } = rangeNeighbours(log, from, to, size);
      const outer = outerNodes(size, from, to, left, right);
      expect(outer, `${size} [${from}, ${to})`).toBeDefined();
      const root = rootFrom({ from, to, inner: (lo, hi) => flatTreeHash(flat, lo, hi - lo), outer: outer as Map<string, Uint8Array> }, size);
      if (!eq(root, log.rootAt(size))) throw new Error(`size ${size} range [${from}, ${to}) rebuilt a different root`);
    }
  });

  it("list the maximal nodes left and right of a range, left to right", () => {
    expect(maximalNodes(7, 0, 3)).toEqual([
      [0, 2],
      [2, 3],
    ]);
    expect(maximalNodes(7, 5, 7)).toEqual([
      [5, 6],
      [6, 7],
    ]);
    expect(maximalNodes(8, 0, 8)).toEqual([[0, 8]]);
  });

  it("fold a tree's frontier to its root, one subtree per set bit of the size", () => {
    expect(frontierRanges(200)).toEqual([
      [0, 128],
      [128, 192],
      [192, 200],
    ]);
    for (const size of [1, 2, 3, 13, 64, 70]) {
      const f = frontierOf(log, size);
      expect(f).toHaveLength(frontierRanges(size).length);
      let folded = f[f.length - 1] as Uint8Array;
      for (let i = f.length - 2; i >= 0; i--) folded = nodeHash(f[i] as Uint8Array, folded);
      expect(eq(folded, log.rootAt(size))).toBe(true);
    }
  });

  it("hash a flat run of leaves as the RFC's tree of that list", () => {
    for (const [first, count] of [
      [0, 1],
      [0, 70],
      [5, 13],
      [64, 6],
    ] as const) {
      expect(eq(flatTreeHash(flat, first, count), rootOf(leaves.slice(first, first + count)))).toBe(true);
    }
  });

  it("refuse to build a node whose hash was not supplied", () => {
    expect(() => nodeHashFrom({ from: 10, to: 20, inner: () => new Uint8Array(32), outer: new Map() }, 0, 16)).toThrow(/no hash/);
  });
});

describe("signed tree heads", () => {
  const signer = new Ed25519Signer(generateSigningKey("AUDIT"));

  it("sign a domain-prefixed canonical TreeHead without its signature field", () => {
    const head = signTreeHead(signer, 70, log.root(), 1_735_689_600_000);
    const input = treeHeadSigningInput(head);
    const prefix = new TextEncoder().encode(TREE_HEAD_DOMAIN);
    expect(Buffer.from(input.subarray(0, prefix.length)).equals(Buffer.from(prefix))).toBe(true);
    const body = pb.TreeHead.decode(input.subarray(prefix.length));
    expect(Number(body.treeSize)).toBe(70);
    expect(body.signature).toHaveLength(0);
    expect(verifyTreeHead(signer.publicKey, head)).toBe(true);
  });

  it("fail to verify once any field changes, or under another key", () => {
    const head = signTreeHead(signer, 70, log.root(), 1_735_689_600_000);
    expect(verifyTreeHead(signer.publicKey, { ...head, treeSize: 69 })).toBe(false);
    expect(verifyTreeHead(signer.publicKey, { ...head, timestampMs: head.timestampMs + 1 })).toBe(false);
    expect(verifyTreeHead(signer.publicKey, { ...head, rootHash: log.rootAt(69) })).toBe(false);
    expect(verifyTreeHead(new Ed25519Signer(generateSigningKey("AUDIT")).publicKey, head)).toBe(false);
  });
});
