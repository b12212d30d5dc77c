// A fuzzer over the NATS side of the hub: the submit subject (as a member, through its account) and
// every endpoint of every running hub service (discovered through $SRV, called as the operator).
// Payloads: random bytes, protobuf-shaped noise (random tags and wire types, nested), mutations of
// a valid submission, deep nesting (nested groups and length-delimited fields), and one body near
// max_payload. Must hold: every service still answers, no request is answered LIAISON_INTERNAL or
// with a code src/errors.ts does not register, every refused submission is logged once (one
// refusal event per refused item, no event twice), and memory stays bounded.
// LIAISON_FUZZ_SEED replays a run; LIAISON_FUZZ_ROUNDS scales it (default 3 payloads per kind and endpoint).
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/nats-core";
import { Svcm } from "@nats-io/services";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isErrorCode } from "../../src/errors.js";
import { serviceErrorOf, subjects } from "../../src/nats/mod.js";
import { pb } from "../../src/proto/mod.js";
import { startTestHub, until, type TestAccessPoint, type TestHub } from "../support/hub.js";

const ROUNDS = Number(process.env.LIAISON_FUZZ_ROUNDS ?? 3);
let seed = Number(process.env.LIAISON_FUZZ_SEED ?? 20261206);
/** mulberry32: a seeded generator, so a failing run can be replayed. */
function rand(): number {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const int = (n: number) => Math.floor(rand() * n);
const bytes = (n: number) => Uint8Array.from({ length: n }, () => int(256));

function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return out;
}

/** Protobuf-shaped noise: fields with random numbers and wire types, nested up to `depth`. */
function protoNoise(depth: number): Uint8Array {
  const out: number[] = [];
  for (let f = int(8); f >= 0; f--) {
    const field = 1 + int(40);
    const wire = [0, 1, 2, 5][int(4)] as number;
    out.push(...varint((field << 3) | wire));
    if (wire === 0) out.push(...varint(int(2 ** 31)));
    else if (wire === 1) out.push(...bytes(8));
    else if (wire === 5) out.push(...bytes(4));
    else {
      const inner = depth > 0 && rand() < 0.5 ? protoNoise(depth - 1) : bytes(int(64));
      out.push(...varint(inner.length), ...inner);
    }
  }
  return Uint8Array.from(out);
}

/** Flips, drops or inserts a few bytes of a valid message. */
function mutate(valid: Uint8Array): Uint8Array {
  const b = [...valid];
  for (let k = 1 + int(4); k > 0; k--) {
    const at = int(Math.max(1, b.length));
    const op = int(3);
    if (op === 0) b[at] = int(256);
    else if (op === 1) b.splice(at, 1 + int(8));
    else b.splice(at, 0, ...bytes(1 + int(8)));
  }
  return Uint8Array.from(b);
}

/** 100,000 nested groups (field 1, start-group), then as many nested length-delimited fields. */
function deepGroups(): Uint8Array {
  return new Uint8Array(100_000).fill(0x0b);
}
function deepLengths(levels: number): Uint8Array {
  let inner = new Uint8Array(0);
  for (let i = 0; i < levels; i++) {
    const len = varint(inner.length);
    const next = new Uint8Array(1 + len.length + inner.length);
    next[0] = 0x0a; // field 1, length-delimited
    next.set(len, 1);
    next.set(inner, 1 + len.length);
    inner = next;
  }
  return inner;
}

function manyEnvelopes(n: number): Uint8Array {
  const one = [0x0a, 40, ...bytes(40)];
  const batch = new Uint8Array(one.length * n);
  for (let i = 0; i < n; i++) batch.set(one, i * one.length);
  const len = varint(batch.length);
  const out = new Uint8Array(1 + len.length + batch.length);
  out[0] = 0x1a; // field 3, length-delimited
  out.set(len, 1);
  out.set(batch, 1 + len.length);
  return out;
}

function payloads(valid: Uint8Array, maxPayload: number): Array<{ kind: string; data: Uint8Array }> {
  const out: Array<{ kind: string; data: Uint8Array }> = [];
  for (let r = 0; r < ROUNDS; r++) {
    out.push({ kind: "random", data: bytes(int(4096)) });
    out.push({ kind: "proto-noise", data: protoNoise(4) });
    out.push({ kind: "mutated", data: mutate(valid) });
  }
  out.push({ kind: "empty", data: new Uint8Array(0) });
  out.push({ kind: "deep-groups", data: deepGroups() });
  out.push({ kind: "deep-lengths", data: deepLengths(3_000) });
  out.push({ kind: "near-max-payload", data: bytes(maxPayload - 4096) });
  // One submission carrying 80,000 small envelopes (SubmitItem.envelopes = 3, EnvelopeBatch.envelopes = 1).
  out.push({ kind: "many-envelopes", data: manyEnvelopes(80_000) });
  return out;
}

describe("the hub's NATS side, fuzzed", () => {
  let hub: TestHub;
  let be: TestAccessPoint;
  let valid: Uint8Array;

  beforeAll(async () => {
    hub = await startTestHub({ cps: ["BE", "NL"] });
    await hub.startAudit();
    await hub.startExchange();
    await hub.startRecords();
    await hub.startFiles();
    await hub.startUsage({ timers: false });
    await hub.startRetention();
    be = await hub.startAp("BE");
    await hub.startAp("NL");
    // A valid submission to mutate: the one BE's access point stores when it sends.
    const sent = await be.mailbox.send({ kind: pb.MessageKind.MESSAGE_KIND_SPONTANEOUS, to: ["NL"], payload: { subject: "fuzz seed", body: "x", spontaneous: { basis: pb.SpontaneousBasis.SPONTANEOUS_BASIS_INFORMATION } }, priority: pb.Priority.PRIORITY_NORMAL, handlingCodes: [], caseRef: "FUZZ" });
    const jsm = await jetstreamManager(hub.admin);
    const last = await jsm.streams.getMessage("SUBMIT", { last_by_subj: subjects.submit("BE", "normal") });
    valid = last?.data ?? new Uint8Array();
    expect(valid.length, `the submission of ${sent.id}`).toBeGreaterThan(100);
  }, 60_000);
  afterAll(async () => {
    await hub?.stop();
  });

  it("refuses every malformed submission once, with a registered code, and stays up", async () => {
    const nc: NatsConnection = be.nc;
    const js = jetstream(nc);
    const jsm = await jetstreamManager(hub.admin);
    const heapBefore = process.memoryUsage().heapUsed;
    const sent: number[] = [];
    for (const p of payloads(valid, nc.info?.max_payload ?? 1_048_576)) {
      try {
        const ack = await js.publish(subjects.submit("BE", "normal"), p.data, { timeout: 10_000 });
        sent.push(ack.seq);
      } catch (err) {
        // Refused before it was stored (over the stream's or the server's limit): nothing to log.
        expect(String(err), p.kind).toMatch(/maximum|payload|exceed/i);
      }
    }
    expect(sent.length).toBeGreaterThan(5);
    // Every stored one is handled: refused and logged as a refusal, or (a mutation that still
    // verifies) routed; each logged once.
    const refusalsFor = async () => (await hub.auditEvents()).filter((e) => e.service === "exchange" && e.action === pb.AuditAction.AUDIT_ACTION_REFUSAL && e.authority === "BE");
    await until(async () => {
      const c = await jsm.consumers.info("SUBMIT", "exchange-normal");
      return c.delivered.stream_seq >= (sent.at(-1) ?? 0) && c.num_ack_pending === 0 && c.num_pending === 0;
    }, "the exchange to handle every fuzzed submission", 60_000);
    // A refusal's event id names the SUBMIT sequence of the item it refuses (refusal.submit.<seq>.<i>).
    const seqOf = (id: string) => Number(/^refusal\.submit\.(\d+)\./.exec(id)?.[1] ?? -1);
    await until(async () => {
      const logged = new Set((await refusalsFor()).map((e) => seqOf(e.id ?? "")));
      return sent.every((seq) => logged.has(seq));
    }, "a refusal event for every fuzzed submission", 30_000);
    const events = (await refusalsFor()).filter((e) => sent.includes(seqOf(e.id ?? "")));
    const ids = events.map((e) => e.id);
    expect(new Set(ids).size, "no refusal logged twice").toBe(ids.length);
    for (const e of events) expect(isErrorCode(e.reasonCode ?? ""), `${e.reasonCode}`).toBe(true);
    expect(events.filter((e) => e.reasonCode === "LIAISON_INTERNAL")).toEqual([]);
    expect(events.length, "a bounded number of events for the fuzzed submissions").toBeLessThanOrEqual(sent.length * 2);
    // Still up: BE's next real message reaches NL.
    const after = await be.mailbox.send({ kind: pb.MessageKind.MESSAGE_KIND_SPONTANEOUS, to: ["NL"], payload: { subject: "after the fuzz", body: "y", spontaneous: { basis: pb.SpontaneousBasis.SPONTANEOUS_BASIS_INFORMATION } }, priority: pb.Priority.PRIORITY_NORMAL, handlingCodes: [], caseRef: "FUZZ" });
    await until(() => be.mailbox.get(after.id).recipients.get("NL")?.state === "delivered", "the next real message delivered", 30_000);
    expect(process.memoryUsage().heapUsed - heapBefore, "heap growth").toBeLessThan(256 * 1024 * 1024);
  }, 180_000);

  it("answers garbage on every endpoint of every hub service with a registered refusal, never an internal error", async () => {
    const endpoints: Array<{ service: string; subject: string }> = [];
    for await (const info of await new Svcm(hub.admin).client({ strategy: "timer", maxWait: 1_000 }).info()) {
      for (const e of info.endpoints ?? []) if (!endpoints.some((x) => x.subject === e.subject)) endpoints.push({ service: info.name, subject: e.subject.replace(/\*/g, "BE").replace(/>$/, "fuzz") });
    }
    expect(endpoints.map((e) => e.service)).toEqual(expect.arrayContaining(["exchange", "records", "files", "audit", "usage", "retention"]));
    const maxPayload = hub.admin.info?.max_payload ?? 1_048_576;
    const bad: string[] = [];
    for (const ep of endpoints) {
      // Endpoints that act rather than answer (a sweep, a key rotation) get the smaller kinds only.
      for (const p of payloads(valid, maxPayload)) {
        if (/retention\.api\.(run|rotate-kek)/.test(ep.subject) && p.kind === "near-max-payload") continue;
        try {
          const reply = await hub.admin.request(ep.subject, p.data, { timeout: 30_000 });
          const err = serviceErrorOf(reply);
          if (err && (err.code === "LIAISON_INTERNAL" || !isErrorCode(err.code))) bad.push(`${ep.subject} ${p.kind}: ${err.code} ${err.message}`);
        } catch (err) {
          bad.push(`${ep.subject} ${p.kind}: no answer (${(err as Error).message})`);
        }
      }
    }
    expect(bad).toEqual([]);
    // Every service still answers.
    const alive = new Set<string>();
    for await (const s of await new Svcm(hub.admin).client({ strategy: "timer", maxWait: 1_000 }).ping()) alive.add(s.name);
    expect([...alive].sort()).toEqual(expect.arrayContaining(["audit", "exchange", "files", "records", "retention", "usage"]));
  }, 600_000);
});
