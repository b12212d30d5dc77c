// The audit service against a real nats-server: events emitted with AuditEmitter are appended in
// stream order, proofs verify against signed heads, a restart resumes with the identical tree,
// retried event ids are appended once, queries find events, and an export verifies offline.
import { jetstream, jetstreamManager, DeliverPolicy } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/nats-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AuditAction,
  AuditClient,
  AuditEmitter,
  exportChunks,
  scanExport,
  splitAuditBatch,
  verifyExport,
  verifyTreeHead,
} from "../../src/audit/mod.js";
import { Ed25519Signer, generateSigningKey } from "../../src/crypto/mod.js";
import { createLogger } from "../../src/log/mod.js";
import { MerkleLog, leafHash, rootFromInclusion, verifyConsistency } from "../../src/merkle/mod.js";
import { STREAMS, provision } from "../../src/nats/mod.js";
import { pb } from "../../src/proto/mod.js";
import { startAuditService, type RunningAuditService } from "../../services/audit/service.js";
import { startTestNats, type TestNats } from "../support/nats.js";

const signer = new Ed25519Signer(generateSigningKey("AUDIT"));
const log = createLogger("audit-test", "silent");

async function start(nc: NatsConnection, instanceId = "instance-a"): Promise<RunningAuditService> {
  return startAuditService({ nc, signer, log, headIntervalMs: 200, dedupeWindow: 10_000, maxStepEvents: 512, takeoverAfterMs: 1_000, instanceId });
}

/** Every event in AUDIT, in stream order, with retried ids dropped as the service drops them. */
async function eventsInStream(nc: NatsConnection): Promise<Uint8Array[]> {
  const jsm = await jetstreamManager(nc);
  const last = (await jsm.streams.info(STREAMS.AUDIT.name)).state.last_seq;
  const out: Uint8Array[] = [];
  const seen = new Set<string>();
  if (last === 0) return out;
  const c = await jetstream(nc).consumers.get(STREAMS.AUDIT.name, { deliver_policy: DeliverPolicy.All });
  const it = await c.consume();
  for await (const m of it) {
    for (const e of splitAuditBatch(m.data)) {
      // The service's window is by emitter (the subject) and id.
      const id = pb.AuditEvent.decode(e).id;
      const key = `${m.subject}\u0000${id}`;
      if (id && seen.has(key)) continue;
      seen.add(key);
      out.push(e);
    }
    if (m.seq >= last) break;
  }
  await it.close();
  return out;
}

async function emitMany(emitter: AuditEmitter, n: number, prefix: string): Promise<void> {
  await Promise.all(
    Array.from({ length: n }, (_, i) =>
      emitter.emit({
        action: i % 2 ? AuditAction.AUDIT_ACTION_READ : AuditAction.AUDIT_ACTION_QUERY,
        authority: i % 3 ? "BE" : "NL",
        userId: `${prefix}-user-${i % 5}`,
        objectType: "message",
        objectId: `${prefix}-msg-${i % 50}`,
        purpose: "case 17",
      }),
    ),
  );
  await emitter.flush();
}

describe("audit service", () => {
  let nats: TestNats;
  let nc: NatsConnection;
  let svc: RunningAuditService | undefined;

  beforeAll(async () => {
    nats = await startTestNats({ own: true });
    nc = await nats.connect("audit-test");
    await provision(nc);
  });
  afterAll(async () => {
    await svc?.close();
    await nats?.stop();
  });

  it("appends emitted events in stream order and serves proofs that verify against a signed head", async () => {
    svc = await start(nc);
    const emitter = new AuditEmitter(nc, "exchange", { maxBatch: 100 });
    await emitMany(emitter, 1_500, "a");
    await svc.engine.waitForSize(1_500);

    const client = new AuditClient(nc);
    const head = await client.signHead();
    expect(head.treeSize).toBe(1_500);
    expect(verifyTreeHead(signer.publicKey, head)).toBe(true);

    const events = await eventsInStream(nc);
    expect(events).toHaveLength(1_500);
    const leaves = events.map((e) => leafHash(e));
    const reference = new MerkleLog(leaves);
    expect(Buffer.from(head.rootHash).equals(Buffer.from(reference.root()))).toBe(true);

    for (const i of [0, 1, 777, 1_499]) {
      const proof = await client.inclusion(i);
      expect(Number(proof.treeSize)).toBe(1_500);
      expect(Buffer.from(rootFromInclusion(leaves[i] as Uint8Array, i, 1_500, proof.auditPath)).equals(Buffer.from(head.rootHash))).toBe(true);
    }
    const c = await client.consistency(600, 1_500);
    expect(verifyConsistency(600, 1_500, reference.rootAt(600), head.rootHash, c.path)).toBe(true);
  });

  it("answers supervisor queries by user, object and action, page by page", async () => {
    const client = new AuditClient(nc);
    const byUser = await client.query({ userId: "a-user-3", limit: 1_000 });
    expect(byUser.records).toHaveLength(300);
    expect(byUser.records.every((r) => r.event?.userId === "a-user-3")).toBe(true);
    const indices = byUser.records.map((r) => Number(r.leafIndex));
    expect(indices).toEqual([...indices].sort((a, b) => a - b));

    const byObject = await client.query({ objectType: "message", objectId: "a-msg-7", actions: [AuditAction.AUDIT_ACTION_READ] });
    expect(byObject.records.length).toBeGreaterThan(0);
    expect(byObject.records.every((r) => r.event?.objectId === "a-msg-7" && r.event.action === AuditAction.AUDIT_ACTION_READ)).toBe(true);

    const first = await client.query({ authority: "NL", limit: 100 });
    expect(first.more).toBe(true);
    const second = await client.query({ authority: "NL", limit: 100, afterSet: true, afterIndex: first.records.at(-1)?.leafIndex ?? 0 });
    expect(Number(second.records[0]?.leafIndex)).toBeGreaterThan(Number(first.records.at(-1)?.leafIndex));
    expect(second.records.every((r) => r.event?.authority === "NL")).toBe(true);
  });

  it("exports a range that the offline verifier accepts", async () => {
    const client = new AuditClient(nc);
    let text = "";
    for await (const chunk of exportChunks((r) => client.exportPage(r), { from: 100, to: 1_200, pageLeaves: 300 })) text += chunk;
    const r = verifyExport(scanExport(new TextEncoder().encode(text)), { publicKey: signer.publicKey });
    expect(r.faults).toEqual([]);
    expect(r.leaves).toBe(1_100);
  });

  it("resumes after a restart with the identical tree and keeps appending", async () => {
    const client = new AuditClient(nc);
    const before = await client.signHead();
    await svc?.close();
    svc = await start(nc, "instance-b");
    expect(svc.engine.stableSize).toBe(before.treeSize);
    expect(Buffer.from(svc.engine.state.tree.root()).equals(Buffer.from(before.rootHash))).toBe(true);

    await emitMany(new AuditEmitter(nc, "records"), 40, "b");
    await svc.engine.waitForSize(before.treeSize + 40);
    const after = await client.signHead();
    const c = await client.consistency(before.treeSize, after.treeSize);
    expect(verifyConsistency(before.treeSize, after.treeSize, before.rootHash, after.rootHash, c.path)).toBe(true);
  });

  it("appends an event once when its emitter retries it with the same id in another batch", async () => {
    const size = svc?.engine.stableSize ?? 0;
    const retried = { action: AuditAction.AUDIT_ACTION_ROUTE, authority: "HUB", userId: "exchange", objectType: "message", objectId: "env-1", id: "route.env-1" };
    const first = new AuditEmitter(nc, "exchange");
    await first.emit({ ...retried, atMs: 1 });
    await first.emit({ action: AuditAction.AUDIT_ACTION_READ, authority: "BE", userId: "u", objectType: "message", objectId: "x" });
    // After a crash the exchange emits it again: another batch, another Nats-Msg-Id.
    const second = new AuditEmitter(nc, "exchange");
    await second.emit({ ...retried, atMs: 2 });
    await Promise.all([first.flush(), second.flush()]);
    await svc?.engine.waitForSize(size + 2);
    await new Promise((r) => setTimeout(r, 300));
    expect(svc?.engine.stableSize).toBe(size + 2);
    const found = await new AuditClient(nc).query({ objectType: "message", objectId: "env-1" });
    expect(found.records.map((r) => r.event?.id)).toEqual(["route.env-1"]);
    expect(found.records[0]?.event?.atMs).toBe(1);
  });

  it("lets only one of two replicas append while the other follows with the same tree, and fails over", async () => {
    const other = await start(nc, "instance-c");
    try {
      // The newcomer claimed the checkpoint; the previous appender finds itself fenced and follows.
      await emitMany(new AuditEmitter(nc, "files"), 200, "c");
      const target = (svc?.engine.stableSize ?? 0) + 200;
      await Promise.all([other.engine.waitForSize(target), svc?.engine.waitForSize(target)]);
      expect([svc?.engine.role, other.engine.role].sort()).toEqual(["follower", "leader"]);
      expect(Buffer.from(other.engine.state.tree.root()).equals(Buffer.from(svc?.engine.state.tree.root() ?? []))).toBe(true);
      const events = await eventsInStream(nc);
      expect(events).toHaveLength(target);

      // The appender goes away; the follower sees events wait and the checkpoint stand still, and takes over.
      const [leader, follower] = other.engine.role === "leader" ? [other, svc as RunningAuditService] : [svc as RunningAuditService, other];
      await leader.close();
      await emitMany(new AuditEmitter(nc, "files"), 50, "d");
      await follower.engine.waitForSize(target + 50, 15_000);
      expect(follower.engine.role).toBe("leader");
      svc = follower === other ? undefined : follower;
    } finally {
      if (svc !== other) await other.close().catch(() => undefined);
    }
  });

  it("signs its tree heads on the clock it is started with (its `now` option)", async () => {
    await svc?.close();
    const year = 365 * 86_400_000;
    const startedAt = Date.now();
    svc = await startAuditService({ nc, signer, log, headIntervalMs: 200, dedupeWindow: 10_000, maxStepEvents: 512, takeoverAfterMs: 1_000, instanceId: "instance-clock", now: () => Date.now() + year });
    const size = svc.engine.stableSize;
    await emitMany(new AuditEmitter(nc, "records"), 5, "clock");
    await svc.engine.waitForSize(size + 5);
    const head = await new AuditClient(nc).signHead();
    expect(head.treeSize).toBe(size + 5);
    expect(head.timestampMs).toBeGreaterThanOrEqual(startedAt + year);
  });

  it("keeps appending within seconds when the consumer it reads AUDIT with is lost (as when its cluster node dies)", async () => {
    await svc?.close();
    const running = (svc = await start(nc, "instance-lost"));
    const size = running.engine.stableSize;
    await emitMany(new AuditEmitter(nc, "records"), 5, "lost");
    await running.engine.waitForSize(size + 5);
    // Its ordered consumer goes from under it, as with the node it ran on. The client passes over
    // the server's notice of the deletion while it consumes: only missed heartbeats bring it back.
    const jsm = await jetstreamManager(nc);
    const ordered = (await jsm.consumers.list(STREAMS.AUDIT.name).next()).filter((c) => !c.config.durable_name);
    expect(ordered.length).toBeGreaterThan(0);
    for (const c of ordered) await jsm.consumers.delete(STREAMS.AUDIT.name, c.name);
    // Five AUDIT messages, one event each: the recreated consumer has to pull more than one.
    const after = new AuditEmitter(nc, "records");
    for (let i = 0; i < 5; i++) await emitMany(after, 1, `lost-after-${i}`);
    await running.engine.waitForSize(size + 10, 15_000);
  });
});
