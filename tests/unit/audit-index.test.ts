// The audit service's in-memory parts: the supervisor's search index, the dedupe window for
// retried event ids, the leaf-chunk layout, and slicing events out of a batch without re-encoding.
import { describe, expect, it } from "vitest";
import { splitAuditBatch } from "../../src/audit/mod.js";
import { isMalformedProtobuf } from "../../src/errors.js";
import { pb } from "../../src/proto/mod.js";
import { DedupeWindow } from "../../services/audit/dedupe-window.js";
import { LEAF_CHUNK, decodeChunk, encodeChunk } from "../../services/audit/leaf-chunks.js";
import { LogState } from "../../services/audit/log-state.js";
import { QueryIndex } from "../../services/audit/query-index.js";

const A = pb.AuditAction;

function ev(i: number, over: Partial<pb.IAuditEvent> = {}): pb.IAuditEvent {
  return {
    id: `e${i}`,
    atMs: 1_000 + i,
    authority: i % 2 ? "BE" : "NL",
    userId: `u${i % 3}`,
    action: i % 4 === 0 ? A.AUDIT_ACTION_QUERY : A.AUDIT_ACTION_READ,
    objectType: "record",
    objectId: `r${i % 5}`,
    ...over,
  };
}

describe("query index", () => {
  const index = new QueryIndex();
  for (let i = 0; i < 60; i++) index.add(i, ev(i, i === 59 ? { action: A.AUDIT_ACTION_HIT, objectType: "query", objectId: "q1", matched: ["r2", "record:r3"] } : {}));

  it("finds events by user, authority and action, in leaf order", () => {
    const r = index.query({ userId: "u1", authority: "BE", actions: [A.AUDIT_ACTION_READ] }, 60, 100);
    const expected = Array.from({ length: 60 }, (_, i) => i).filter((i) => i % 3 === 1 && i % 2 === 1 && i % 4 !== 0 && i !== 59);
    expect(r.leaves).toEqual(expected);
    expect(r.more).toBe(false);
  });

  it("finds who touched an object, including queries that matched it", () => {
    expect(index.query({ objectType: "record", objectId: "r3" }, 60, 100).leaves).toEqual([3, 8, 13, 18, 23, 28, 33, 38, 43, 48, 53, 58, 59]);
    expect(index.query({ objectType: "record", objectId: "r2" }, 60, 100).leaves.at(-1)).toBe(59);
  });

  it("filters by time and pages forwards and backwards with a cursor", () => {
    const first = index.query({ fromMs: 1_010, toMs: 1_040 }, 60, 10);
    expect(first.leaves).toEqual([10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
    expect(first.more).toBe(true);
    const second = index.query({ fromMs: 1_010, toMs: 1_040, afterSet: true, afterIndex: 19 }, 60, 10);
    expect(second.leaves[0]).toBe(20);
    const newest = index.query({ userId: "u0", descending: true }, 60, 3);
    expect(newest.leaves).toEqual([57, 54, 51]);
    expect(index.query({ userId: "u0", descending: true, afterSet: true, afterIndex: 51 }, 60, 2).leaves).toEqual([48, 45]);
  });

  it("answers only within the committed tree size, and nothing for unknown values", () => {
    expect(index.query({ userId: "u0" }, 10, 100).leaves).toEqual([0, 3, 6, 9]);
    expect(index.query({ userId: "nobody" }, 60, 100).leaves).toEqual([]);
  });
});

describe("dedupe window", () => {
  it("remembers the ids of the last N leaves and forgets older ones", () => {
    const w = new DedupeWindow(3);
    for (const id of ["a", "b", "c"]) w.add("exchange", id);
    expect(w.has("exchange", "a")).toBe(true);
    w.add("exchange", "d");
    expect(w.has("exchange", "a")).toBe(false);
    expect(w.has("exchange", "d")).toBe(true);
    w.add("exchange", "");
    expect(w.has("exchange", "")).toBe(false);
  });

  it("keeps each emitter's ids apart, and counts leaves of every emitter in one window", () => {
    const w = new DedupeWindow(3);
    w.add("BE", "route.X");
    expect(w.has("BE", "route.X")).toBe(true);
    expect(w.has("exchange", "route.X")).toBe(false);
    w.add("exchange", "route.X");
    w.add("records", "r1");
    expect(w.size).toBe(3);
    w.add("records", "r2");
    expect(w.has("BE", "route.X")).toBe(false);
    expect(w.has("exchange", "route.X")).toBe(true);
  });
});

describe("log state", () => {
  const batch = (events: pb.IAuditEvent[]) => pb.AuditBatch.encode({ events }).finish();

  it("appends each event once, in batch order, skipping retried ids and garbage", () => {
    const s = new LogState(100);
    s.apply(1, batch([ev(1), ev(2), ev(1)]));
    s.apply(2, new Uint8Array([0xff, 0xff, 0xff]));
    s.apply(3, batch([ev(2), ev(3)]));
    s.apply(3, batch([ev(9)]));
    expect(s.size).toBe(3);
    expect(s.stats).toEqual({ appended: 3, duplicates: 2, malformed: 1, forged: 0 });
    expect(s.streamSeq).toBe(3);
    expect([...s.seqs.data.subarray(0, 3)]).toEqual([1, 1, 3]);
    expect([...s.positions.data.subarray(0, 3)]).toEqual([0, 1, 1]);
  });

  it("does not let a contact point log events for another authority, while hub services may", () => {
    const s = new LogState(100);
    s.apply(1, batch([ev(1, { authority: "BE", service: "BE" }), ev(2, { authority: "NL", service: "BE" })]), undefined, "liaison.v1.audit.events.BE");
    s.apply(2, batch([ev(3, { authority: "NL", service: "exchange" })]), undefined, "liaison.v1.audit.events.exchange");
    expect(s.size).toBe(2);
    expect(s.stats).toEqual({ appended: 2, duplicates: 0, malformed: 0, forged: 1 });
    expect(s.forged).toEqual([{ seq: 1, position: 1, source: "BE", id: "e2", reason: 'names authority "NL", published by BE' }]);
  });

  it("appends an event only from the emitter it names", () => {
    const s = new LogState(100);
    s.apply(1, batch([ev(1, { authority: "BE", service: "exchange" }), ev(2, { authority: "HUB", service: "records" })]), undefined, "liaison.v1.audit.events.records");
    expect(s.size).toBe(1);
    expect(s.forged.map((f) => f.reason)).toEqual(['names emitter "exchange", published by records']);
  });

  it("keeps the ids of each emitter apart: one emitter's id cannot make another's event a duplicate", () => {
    const s = new LogState(100);
    s.apply(1, batch([ev(1, { id: "route.X", authority: "BE", service: "BE" })]), undefined, "liaison.v1.audit.events.BE");
    s.apply(2, batch([ev(2, { id: "route.X", authority: "BE", service: "exchange" })]), undefined, "liaison.v1.audit.events.exchange");
    s.apply(3, batch([ev(3, { id: "route.X", authority: "BE", service: "exchange" })]), undefined, "liaison.v1.audit.events.exchange");
    expect(s.size).toBe(2);
    expect(s.stats.duplicates).toBe(1);
  });

  it("hashes the event bytes exactly as the emitter serialised them", () => {
    const events = [ev(1, { details: { b: "2", a: "1" } }), ev(2)];
    const sliced = splitAuditBatch(batch(events));
    expect(sliced.map((b) => Buffer.from(b).toString("hex"))).toEqual(events.map((e) => Buffer.from(pb.AuditEvent.encode(e).finish()).toString("hex")));
    expect(() => splitAuditBatch(new Uint8Array([0x0a, 0x05, 0x01]))).toThrow();
    try {
      splitAuditBatch(new Uint8Array([0x0a, 0x05, 0x01]));
    } catch (err) {
      expect(isMalformedProtobuf(err)).toBe(true);
    }
  });
});

describe("leaf chunks", () => {
  it("round-trip hashes, sequences and positions, and refuse a damaged chunk", () => {
    const hashes = new Uint8Array(3 * 32).map((_, i) => i);
    const bytes = encodeChunk(hashes, new Float64Array([5, 5, 9]), new Uint32Array([0, 1, 0]));
    const c = decodeChunk(bytes);
    expect(c.count).toBe(3);
    expect(c.hashes).toEqual(hashes);
    expect([...c.seqs]).toEqual([5, 5, 9]);
    expect([...c.positions]).toEqual([0, 1, 0]);
    expect(() => decodeChunk(bytes.subarray(0, bytes.length - 1))).toThrow(/malformed/);
    expect(LEAF_CHUNK).toBeGreaterThan(0);
  });
});
