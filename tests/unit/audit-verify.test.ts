// The supervisor's offline verifier: a clean export verifies, and every kind of tampering (edit,
// deletion, insertion, reordering, truncation, a forked or rolled-back head) is caught and placed
// at the first leaf index where the export departs from the log the hub signed.
import { describe, expect, it } from "vitest";
import {
  headFileText,
  headerLine,
  eventLine,
  expiredLine,
  leavesLine,
  parseHeadFile,
  rangeNeighbours,
  frontierOf,
  scanExport,
  signTreeHead,
  treeHeadFromJson,
  treeHeadToJson,
  verifyExport,
  type TrustedReference,
  type VerifyResult,
} from "../../src/audit/mod.js";
import { Ed25519Signer, b64u, fromB64u, generateSigningKey } from "../../src/crypto/mod.js";
import { MerkleLog, leafHash } from "../../src/merkle/mod.js";
import { pb } from "../../src/proto/mod.js";

const signer = new Ed25519Signer(generateSigningKey("AUDIT"));
const otherSigner = new Ed25519Signer(generateSigningKey("AUDIT"));

function event(i: number, user = `user-${i % 7}`): Uint8Array {
  return pb.AuditEvent.encode({
    id: `ev-${i}`,
    atMs: 1_700_000_000_000 + i * 1000,
    authority: ["BE", "NL", "DE"][i % 3],
    userId: user,
    action: pb.AuditAction.AUDIT_ACTION_READ,
    objectType: "message",
    objectId: `msg-${i}`,
    purpose: "case 2024/17",
    outcome: pb.AuditOutcome.AUDIT_OUTCOME_SUCCESS,
    service: "access-point",
    details: { route: "GET /v1/messages/:id" },
  }).finish();
}

const EVENTS = Array.from({ length: 300 }, (_, i) => event(i));

interface ExportOpts {
  from?: number;
  to?: number;
  size?: number;
  page?: number;
  consistencyFrom?: number[];
  signWith?: Ed25519Signer;
  expired?: number[];
}

/** An export as the console writes it, built straight from a tree of the given events. */
function exportOf(events: readonly Uint8Array[], o: ExportOpts = {}): string {
  const log = new MerkleLog(events.map((e) => leafHash(e)));
  const size = o.size ?? events.length;
  const from = o.from ?? 0;
  const to = o.to ?? size;
  const head = signTreeHead(o.signWith ?? signer, size, log.rootAt(size), 1_700_000_999_000);
  const { left, right } = rangeNeighbours(log, from, to, size);
  const consistency = (o.consistencyFrom ?? []).map((f) => ({ firstSize: f, secondSize: size, path: log.consistency(f, size).map(b64u) }));
  let text = headerLine({ from, to, head: treeHeadToJson(head), left: left.map(b64u), right: right.map(b64u), consistency });
  const page = o.page ?? 64;
  for (let start = from; start < to; start += page) {
    const end = Math.min(to, start + page);
    text += leavesLine(start, log.leafRange(start, end));
    for (let i = start; i < end; i++) text += o.expired?.includes(i) ? expiredLine(i) : eventLine(i, events[i] as Uint8Array);
  }
  return text;
}

function headFile(events: readonly Uint8Array[], size: number): string {
  const log = new MerkleLog(events.map((e) => leafHash(e)));
  const head = signTreeHead(signer, size, log.rootAt(size), 1_700_000_500_000);
  return headFileText({ head: treeHeadToJson(head), frontier: frontierOf(log, size).map(b64u) });
}

const bytes = (text: string) => new TextEncoder().encode(text);
const verify = (text: string, o: { trusted?: TrustedReference; allowExpired?: boolean; key?: Uint8Array } = {}): VerifyResult =>
  verifyExport(scanExport(bytes(text)), { publicKey: o.key ?? signer.publicKey, ...(o.trusted ? { trusted: o.trusted } : {}), ...(o.allowExpired ? { allowExpired: true } : {}) });

/** Applies `f` to the export's lines (header first), keeping the trailing newline. */
function editLines(text: string, f: (lines: string[]) => string[]): string {
  return f(text.trimEnd().split("\n")).join("\n") + "\n";
}
const lineOfLeaf = (lines: string[], i: number) => lines.findIndex((l) => l.startsWith(`{"i":${i},`));

function trustedFrom(text: string): TrustedReference {
  const r = verify(text);
  expect(r.ok).toBe(true);
  return { head: r.head!, leaves: { from: r.from, flat: r.leafHashes!, count: r.to - r.from } };
}

describe("audit export verifier", () => {
  it("accepts a clean export of the whole log, and reports its head", () => {
    const r = verify(exportOf(EVENTS));
    expect(r.faults).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.head?.treeSize).toBe(300);
    expect(r.leaves).toBe(300);
  });

  it("accepts a clean export of a range inside a larger tree", () => {
    for (const [from, to] of [
      [0, 1],
      [37, 201],
      [128, 256],
      [299, 300],
      [100, 100],
    ] as const) {
      const r = verify(exportOf(EVENTS, { from, to }));
      expect(r.faults, `[${from}, ${to})`).toEqual([]);
    }
  });

  it("accepts an export in which lines carry extra whitespace (read as JSON)", () => {
    const text = editLines(exportOf(EVENTS.slice(0, 20)), (ls) => ls.map((l) => (l.startsWith('{"i":5,') ? l.replace('{"i":5,', '{ "i": 5, ') : l)));
    expect(verify(text).ok).toBe(true);
  });

  it("catches an edited event at its index", () => {
    const forged = pb.AuditEvent.decode(EVENTS[137] as Uint8Array);
    forged.userId = "someone-else";
    const text = editLines(exportOf(EVENTS), (ls) => {
      ls[lineOfLeaf(ls, 137)] = eventLine(137, pb.AuditEvent.encode(forged).finish()).trimEnd();
      return ls;
    });
    const r = verify(text);
    expect(r.ok).toBe(false);
    expect(r.firstBad).toMatchObject({ kind: "altered", index: 137 });
  });

  it("catches a deleted event at its index, even when later lines are renumbered", () => {
    const deleted = editLines(exportOf(EVENTS), (ls) => ls.filter((_, k) => k !== lineOfLeaf(ls, 42)));
    expect(verify(deleted).firstBad).toMatchObject({ kind: "deleted", index: 42 });

    const renumbered = editLines(deleted, (ls) => ls.map((l) => l.replace(/^\{"i":(\d+),/, (_, i: string) => `{"i":${Number(i) > 42 ? Number(i) - 1 : Number(i)},`)));
    const r = verify(renumbered);
    expect(r.firstBad).toMatchObject({ kind: "deleted", index: 42 });
  });

  it("catches an inserted event at its index", () => {
    const text = editLines(exportOf(EVENTS), (ls) => {
      ls.splice(lineOfLeaf(ls, 200), 0, eventLine(200, event(9999, "intruder")).trimEnd());
      return ls;
    });
    expect(verify(text).firstBad).toMatchObject({ kind: "inserted", index: 200 });
  });

  it("catches a copy of an earlier event inserted later", () => {
    const text = editLines(exportOf(EVENTS), (ls) => {
      ls.splice(lineOfLeaf(ls, 250), 0, eventLine(250, EVENTS[10] as Uint8Array).trimEnd());
      return ls;
    });
    expect(verify(text).firstBad).toMatchObject({ kind: "inserted", index: 250 });
  });

  it("catches reordered events at the first moved index", () => {
    const text = editLines(exportOf(EVENTS), (ls) => {
      const a = lineOfLeaf(ls, 50);
      const b = lineOfLeaf(ls, 60);
      [ls[a], ls[b]] = [ls[b] as string, ls[a] as string];
      return ls;
    });
    expect(verify(text).firstBad).toMatchObject({ kind: "reordered", index: 50 });

    const adjacent = editLines(exportOf(EVENTS), (ls) => {
      const a = lineOfLeaf(ls, 7);
      [ls[a], ls[a + 1]] = [ls[a + 1] as string, ls[a] as string];
      return ls;
    });
    expect(verify(adjacent).firstBad).toMatchObject({ kind: "reordered", index: 7 });
  });

  it("catches a truncated export at the first missing index", () => {
    const text = editLines(exportOf(EVENTS), (ls) => ls.slice(0, lineOfLeaf(ls, 270)));
    expect(verify(text).firstBad).toMatchObject({ kind: "truncated", index: 270 });

    // Cut in the middle of a line, as a broken download would.
    const full = exportOf(EVENTS);
    const cut = full.slice(0, full.indexOf('{"i":111,') + 20);
    const r = verify(cut);
    expect(r.ok).toBe(false);
    expect(r.firstBad).toMatchObject({ kind: "truncated", index: 111 });
  });

  it("catches a head that forked from the supervisor's kept export at the leaf where it forked", () => {
    const trusted = trustedFrom(exportOf(EVENTS.slice(0, 200)));
    const forkedEvents = EVENTS.map((e, i) => (i === 123 ? event(123, "rewritten") : e));
    const forked = exportOf(forkedEvents);
    // The forked log is internally consistent and properly signed...
    expect(verify(forked).ok).toBe(true);
    // ...but not an extension of what the supervisor kept.
    const r = verify(forked, { trusted });
    expect(r.ok).toBe(false);
    expect(r.firstBad).toMatchObject({ kind: "forked", index: 123 });
  });

  it("places a fork within the subtree of a kept head file's frontier that differs", () => {
    const file = parseHeadFile(headFile(EVENTS, 200))!;
    const trusted: TrustedReference = { head: treeHeadFromJson(file.head), frontier: file.frontier.map(fromB64u) };
    expect(verify(exportOf(EVENTS), { trusted }).ok).toBe(true);

    const forkedEvents = EVENTS.map((e, i) => (i === 195 ? event(195, "rewritten") : e));
    const r = verify(exportOf(forkedEvents), { trusted });
    // The frontier of 200 leaves is [0,128) [128,192) [192,200): leaf 195 lies in the last.
    expect(r.firstBad).toMatchObject({ kind: "forked", index: 192, range: [192, 200] });
  });

  it("shows consistency with a kept head through the export's proof when the range starts after it", () => {
    const file = parseHeadFile(headFile(EVENTS, 100))!;
    const trusted: TrustedReference = { head: treeHeadFromJson(file.head), frontier: file.frontier.map(fromB64u) };
    const withProof = verify(exportOf(EVENTS, { from: 150, to: 300, consistencyFrom: [100] }), { trusted });
    expect(withProof.ok).toBe(true);
    expect(withProof.consistentWith).toBe(100);

    const withoutProof = verify(exportOf(EVENTS, { from: 150, to: 300 }), { trusted });
    expect(withoutProof.firstBad).toMatchObject({ kind: "no-consistency-proof" });

    const forkedEvents = EVENTS.map((e, i) => (i === 20 ? event(20, "rewritten") : e));
    const forked = verify(exportOf(forkedEvents, { from: 150, to: 300, consistencyFrom: [100] }), { trusted });
    expect(forked.firstBad).toMatchObject({ kind: "forked" });
  });

  it("catches a head smaller than the supervisor's kept head as rolled back at the first lost index", () => {
    const trusted = trustedFrom(exportOf(EVENTS));
    const r = verify(exportOf(EVENTS.slice(0, 250)), { trusted });
    expect(r.firstBad).toMatchObject({ kind: "rolled-back", index: 250 });
  });

  it("refuses a head signed by another key, or whose signature was changed", () => {
    expect(verify(exportOf(EVENTS, { signWith: otherSigner })).firstBad).toMatchObject({ kind: "wrong-key" });
    const text = editLines(exportOf(EVENTS), (ls) => {
      const h = JSON.parse(ls[0] as string);
      h.head.timestampMs += 1;
      ls[0] = JSON.stringify(h);
      return ls;
    });
    expect(verify(text).firstBad).toMatchObject({ kind: "bad-signature" });
  });

  it("tells a changed stored leaf hash apart from a changed event", () => {
    const text = editLines(exportOf(EVENTS, { page: 300 }), (ls) => {
      const o = JSON.parse(ls[1] as string);
      const hashes = fromB64u(o.hashes);
      hashes[77 * 32] = (hashes[77 * 32] as number) ^ 1;
      o.hashes = b64u(hashes);
      ls[1] = JSON.stringify(o);
      return ls;
    });
    expect(verify(text).firstBad).toMatchObject({ kind: "leaf-hashes-altered", index: 77 });
  });

  it("refuses an event changed together with its stored hash, and places it against a kept export", () => {
    const forged = event(88, "forger");
    const text = editLines(exportOf(EVENTS, { page: 300 }), (ls) => {
      const o = JSON.parse(ls[1] as string);
      const hashes = fromB64u(o.hashes);
      hashes.set(leafHash(forged), 88 * 32);
      o.hashes = b64u(hashes);
      ls[1] = JSON.stringify(o);
      ls[lineOfLeaf(ls, 88)] = eventLine(88, forged).trimEnd();
      return ls;
    });
    // Nothing in the export itself says which leaf is false: only that the root does not follow.
    const alone = verify(text);
    expect(alone.ok).toBe(false);
    expect(alone.firstBad).toMatchObject({ kind: "root-mismatch" });
    // The supervisor's earlier export pins it down.
    const trusted = trustedFrom(exportOf(EVENTS.slice(0, 200)));
    expect(verify(text, { trusted }).firstBad).toMatchObject({ kind: "altered", index: 88 });
  });

  it("refuses expired events unless told to accept them, then checks their stored hashes", () => {
    const text = exportOf(EVENTS, { expired: [0, 1, 2] });
    expect(verify(text).firstBad).toMatchObject({ kind: "missing-content", index: 0 });
    expect(verify(text, { allowExpired: true }).ok).toBe(true);
    // An expired line cannot hide a changed stored hash.
    const tampered = editLines(text, (ls) => {
      const o = JSON.parse(ls[1] as string);
      const hashes = fromB64u(o.hashes);
      hashes[1 * 32] = (hashes[1 * 32] as number) ^ 1;
      o.hashes = b64u(hashes);
      ls[1] = JSON.stringify(o);
      return ls;
    });
    expect(verify(tampered, { allowExpired: true }).ok).toBe(false);
  });

  it("reports a malformed line with its line number", () => {
    const text = editLines(exportOf(EVENTS.slice(0, 10)), (ls) => {
      ls.splice(3, 0, "not json at all");
      return ls;
    });
    const r = verify(text);
    expect(r.ok).toBe(false);
    expect(r.faults).toContainEqual(expect.objectContaining({ kind: "malformed", line: 4 }));
  });
});
