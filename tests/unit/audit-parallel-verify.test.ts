// The verifier's worker threads compute exactly what the single-threaded reference computes (leaf
// hashes and block roots), including for lines that are not in the canonical form.
import { describe, expect, it } from "vitest";
import {
  BLOCK_LEAVES,
  computeLeafHashes,
  eventLine,
  headerLine,
  leavesLine,
  rangeNeighbours,
  scanAndHash,
  scanExport,
  signTreeHead,
  treeHeadToJson,
  verifyExport,
} from "../../src/audit/mod.js";
import { Ed25519Signer, b64u, generateSigningKey } from "../../src/crypto/mod.js";
import { MerkleLog, leafHash } from "../../src/merkle/mod.js";
import { pb } from "../../src/proto/mod.js";

const signer = new Ed25519Signer(generateSigningKey("AUDIT"));
const N = 2 * BLOCK_LEAVES + 1_234;
const FROM = 1_000;
const events = Array.from({ length: N }, (_, i) => pb.AuditEvent.encode({ id: `e${i}`, atMs: i, authority: "BE", userId: `u${i % 9}`, action: 2, objectType: "record", objectId: `r${i}` }).finish());
const log = new MerkleLog(events.map((e) => leafHash(e)));

function exportText(edit?: (line: string, i: number) => string): string {
  const head = signTreeHead(signer, N, log.root(), 1);
  const { left, right } = rangeNeighbours(log, FROM, N, N);
  let text = headerLine({ from: FROM, to: N, head: treeHeadToJson(head), left: left.map(b64u), right: right.map(b64u), consistency: [] });
  for (let start = FROM; start < N; start += 4096) {
    const end = Math.min(N, start + 4096);
    text += leavesLine(start, log.leafRange(start, end));
    for (let i = start; i < end; i++) text += edit ? edit(eventLine(i, events[i] as Uint8Array), i) : eventLine(i, events[i] as Uint8Array);
  }
  return text;
}

function shared(text: string): Uint8Array {
  const bytes = new TextEncoder().encode(text);
  const out = new Uint8Array(new SharedArrayBuffer(bytes.length));
  out.set(bytes);
  return out;
}

describe("parallel leaf hashing", () => {
  it("matches the single-threaded hashes and block roots, and the export verifies", async () => {
    const text = exportText((line, i) => (i === 20_000 ? line.replace('{"i":', '{ "i": ') : line));
    const reference = computeLeafHashes(scanExport(new TextEncoder().encode(text)));
    const { scanned, computed } = await scanAndHash(shared(text), { threads: 2, threshold: 0 });
    expect(Buffer.from(computed.flat).equals(Buffer.from(reference.flat))).toBe(true);
    expect([...computed.blockRoots.keys()].sort()).toEqual([...reference.blockRoots.keys()].sort());
    expect([...reference.blockRoots.keys()].length).toBeGreaterThan(0);
    for (const [b, root] of reference.blockRoots) expect(Buffer.from(computed.blockRoots.get(b) ?? []).equals(Buffer.from(root))).toBe(true);
    expect(verifyExport(scanned, { publicKey: signer.publicKey, computed }).faults).toEqual([]);
  });

  it("reads a line whose event text is not base64url as JSON, and names its index when it is not an event", async () => {
    const text = exportText((line, i) => (i === 30_000 ? line.replace(/"e":"(.)/, '"e":"!$1') : line));
    const { scanned, computed } = await scanAndHash(shared(text), { threads: 2, threshold: 0 });
    const r = verifyExport(scanned, { publicKey: signer.publicKey, computed });
    expect(r.ok).toBe(false);
    expect(r.firstBad).toMatchObject({ index: 30_000 });
  });

  it("gives the same result when the file arrives a piece at a time while it is being hashed", async () => {
    const text = exportText();
    const full = shared(text);
    // Only a prefix is "read" at first; each fill brings an odd-sized piece more, splitting lines.
    const partial = new Uint8Array(new SharedArrayBuffer(full.length));
    let loaded = 0;
    const fill = () => {
      const n = Math.min(full.length, loaded + 777_777);
      partial.set(full.subarray(loaded, n), loaded);
      loaded = n;
      return loaded;
    };
    fill();
    const a = await scanAndHash(partial, { threads: 2, threshold: 0, loaded, fill });
    const b = await scanAndHash(full, { threads: 2, threshold: 0 });
    expect(a.scanned.lines).toBe(b.scanned.lines);
    expect(Buffer.from(a.computed.flat).equals(Buffer.from(b.computed.flat))).toBe(true);
    expect(verifyExport(a.scanned, { publicKey: signer.publicKey, computed: a.computed }).faults).toEqual([]);
  });
});
