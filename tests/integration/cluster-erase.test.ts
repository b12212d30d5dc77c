// Secure erase on a three-node cluster (issue #14) when a replica of the data-key streams is down
// while keys are erased and comes back through a stream snapshot: nats-server v2.15.3 applies a
// snapshot's deleted sequences with a plain remove (jetstream_cluster.go processSnapshotDeletes ->
// filestore.go SyncDeleted -> removeMsg(secure=false)), so that replica's block files kept the
// erased wrapped keys. The retention service records such a replica (services/retention/replicas.ts)
// and the administrator rebuilds it as operations do (`liaison provision --rebuild-stale-replicas`,
// src/nats/replica-rebuild.ts), whether it came back as a follower or has since become the streams' leader.
import { readdirSync, readFileSync } from "node:fs";
import { join, sep } from "node:path";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { keyIdFor, keyLocation } from "../../src/keystore/mod.js";
import { KEY_SHARDS, keyShardStream, rebuildStaleReplicas, type LocalCluster } from "../../src/nats/mod.js";
import { pb } from "../../src/proto/mod.js";
import { quiet, startTestHub, until, type TestAccessPoint, type TestHub } from "../support/hub.js";

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? filesUnder(join(dir, d.name)) : [join(dir, d.name)]));
}
const read = (f: string) => {
  try {
    return readFileSync(f);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return Buffer.alloc(0);
    throw err;
  }
};

describe("secure erase on a cluster whose key-stream replica was down during the erasure", () => {
  let hub: TestHub;
  let cluster: LocalCluster;
  let be: TestAccessPoint;
  const keyStreams = Array.from({ length: KEY_SHARDS }, (_, k) => keyShardStream(k));

  beforeAll(async () => {
    hub = await startTestHub({ cps: ["BE"], cluster: 3 });
    cluster = hub.nats.cluster as LocalCluster;
    await hub.startAudit();
    await hub.startExchange();
    await hub.startRecords({ reviewPeriod: "10s" });
    be = await hub.startAp("BE");
  }, 240_000);
  afterAll(async () => {
    await hub?.stop();
  });

  const replicasOf = async (stream: string) => {
    const c = (await (await jetstreamManager(hub.admin)).streams.info(stream)).cluster;
    return { leader: c?.leader ?? "", replicas: c?.replicas ?? [] };
  };
  /** Every key stream led, with its two other replicas current (and the ones named running). */
  const keyStreamsHealthy = (down?: string) =>
    until(
      async () => {
        for (const st of keyStreams) {
          const c = await replicasOf(st).catch(() => undefined);
          if (!c?.leader || c.leader === down) return false;
          const current = c.replicas.filter((r) => r.current && !r.offline).length;
          if (current < (down ? 1 : 2)) return false;
        }
        return true;
      },
      down ? `every key stream led without ${down}` : "every key stream on three current replicas",
      90_000,
    );

  const leader = "made the key streams' leader";
  const cutShort = "its first rebuild cut short";
  for (const role of ["back as a follower", leader, cutShort] as const) {
    it(`leaves no erased wrapped data key in the files of a replica that was down during the erasure and caught up from a snapshot (${role})`, async () => {
      const marker = `REPLICA-ERASE-${Math.random().toString(36).slice(2)}`;
      const run = Math.random().toString(36).slice(2, 8);
      // Live keys around the erased ones, so no block of a key stream ends empty (an emptied block's
      // file is deleted, which would hide the fault).
      const js = jetstream(hub.admin);
      const live: Array<{ subject: string; stream: string; data: string }> = [];
      const fill = async (tag: string) => {
        for (let i = 0; i < 40; i++) {
          const at = keyLocation(keyIdFor(`${tag}${run}${i}`));
          live.push({ ...at, data: `live data key ${tag} ${i}` });
          await js.publish(at.subject, new TextEncoder().encode(`live data key ${tag} ${i}`));
        }
      };
      await fill("before");
      const ids: string[] = [];
      for (let i = 0; i < 12; i++) {
        const r = await be.app.inject({ method: "POST", url: "/v1/records", headers: { authorization: `Bearer ${be.token}` }, payload: { category: "business", purpose: "sighting-and-reporting", identifiers: [{ type: "company-name", value: `Stale ${i}` }], freeText: `${marker} ${i}` } });
        expect(r.statusCode).toBe(201);
        ids.push((r.json() as { id: string }).id);
      }
      await fill("after");
      const kv = await new Kvm(hub.admin).open("records");
      const jsm = await jetstreamManager(hub.admin);
      const keys = await Promise.all(
        ids.map(async (id) => {
          const stored = pb.StoredRecord.decode((await kv.get(`rec.${id}`))?.value ?? new Uint8Array());
          const at = keyLocation(stored.dataKeyId);
          return { id, stream: at.stream, key: (await jsm.streams.getMessage(at.stream, { last_by_subj: at.subject }))?.data ?? new Uint8Array() };
        }),
      );
      await keyStreamsHealthy();
      // The follower: a node leading no key stream (else the one leading fewest).
      const leaders = await Promise.all(keyStreams.map(async (st) => (await replicasOf(st)).leader));
      const follower = [...cluster.nodes].sort((a, b) => leaders.filter((l) => l === a.name).length - leaders.filter((l) => l === b.name).length)[0]?.name as string;
      const others = cluster.nodes.map((n) => n.name).filter((n) => n !== follower);

      let offset = 0;
      const retention = await hub.startRetention({ now: () => Date.now() + offset });
      // Closed after each case, so the next one's service takes the sweep lease at once.
      onTestFinished(() => retention.close());
      await cluster.kill(follower);
      await keyStreamsHealthy(follower);
      // Down as the leaders see it: offline, or missing commits and unheard for longer than Raft's
      // heartbeats allow (never heard, for a leader elected since).
      await until(
        async () => {
          for (const st of keyStreams) {
            const r = (await replicasOf(st)).replicas.find((x) => x.name === follower);
            if (!r || !(r.offline || (!r.current && (!r.active || r.active > 2_000_000_000)))) return false;
          }
          return true;
        },
        `${follower} seen down`,
        30_000,
      );
      offset = 11_000; // every record past its 10-second review period
      await until(
        async () => {
          // A run can fail while the cluster settles after the kill; the next one finishes it.
          await retention.run().catch(() => undefined);
          return (await Promise.all(ids.map(async (id) => (await be.app.inject({ method: "GET", url: `/v1/records/${id}`, headers: { authorization: `Bearer ${be.token}` } })).statusCode))).every((s) => s === 404);
        },
        "every record erased while a replica is down",
        120_000,
      );
      // The two nodes that took the erasures snapshot every stream at a clean shutdown, which
      // compacts their Raft logs past the erasures: the returning replica is then caught up from a
      // stream snapshot, not from the log.
      for (const n of others) {
        await cluster.stopNode(n);
        await cluster.start(n);
        await cluster.waitReady();
        await keyStreamsHealthy(follower);
      }
      const t0 = Date.now();
      await cluster.start(follower);
      await keyStreamsHealthy();
      process.stdout.write(`replica ${follower} back with every key stream current ${Date.now() - t0} ms after its restart\n`);

      const storeDir = hub.nats.storeDir as string;
      const nodeDir = join(storeDir, follower);
      const streamFiles = (dir: string) => filesUnder(dir).filter((f) => !f.includes(`${sep}_js_${sep}`) && keyStreams.some((st) => f.includes(`${sep}streams${sep}${st}${sep}`)));
      const stale = (dir: string) => keys.filter((k) => streamFiles(dir).some((f) => read(f).includes(Buffer.from(k.key))));
      expect(streamFiles(nodeDir).length).toBeGreaterThan(0);
      const found = stale(nodeDir).length;
      process.stdout.write(`erased wrapped data keys in ${follower}'s key-stream files after its catch-up from a snapshot: ${found} of ${keys.length}\n`);
      // The fault this guards against (nats-server v2.15.3): were it gone, this test would not show the rebuild works.
      expect(found).toBeGreaterThan(0);

      if (role === leader) {
        // It leads every key stream now: its copy is the one the others follow. The retention
        // service's checks meanwhile may read a key stream without a leader, answered by a member
        // from its own view; it must still remember the node was behind (noteKeyReplicas).
        // A stream it leads already is left alone; the answer to a step-down can be lost in the change
        // of leader it causes, so each round asks again of the streams it does not lead yet.
        await until(
          async () => {
            const pending = (await Promise.all(keyStreams.map(async (st) => ({ st, leader: (await replicasOf(st)).leader })))).filter((x) => x.leader !== follower);
            for (const { st } of pending) {
              await hub.admin.request(`$JS.API.STREAM.LEADER.STEPDOWN.${st}`, JSON.stringify({ placement: { preferred: follower } }), { timeout: 5_000 }).catch(() => undefined);
            }
            return pending.length === 0;
          },
          `${follower} leading every key stream`,
          90_000,
        );
        await keyStreamsHealthy();
      }
      // The retention service's next run sees the replica that was behind during erasures, current
      // again, and records it, one per key stream that had an erasure while it was down.
      const erasedIn = new Set(keys.map((k) => k.stream)).size;
      await retention.run();
      expect(retention.staleReplicas()).toBe(erasedIn);
      const state = await new Kvm(hub.admin).open("state");
      if (role === cutShort) {
        // A rebuild that stops right after taking a stream down a replica (as if the administrator's
        // command died): it stops there, the stream is left a replica short, and the next run
        // finishes the rebuild.
        const stopped = await rebuildStaleReplicas({ nc: hub.admin, state, log: quiet, replicas: 3, settleMs: 0 });
        expect(stopped.map((r) => r.outcome)).toEqual(["failed"]);
        expect(stopped[0]?.reason).toMatch(/did not settle/);
        const short = await Promise.all(keyStreams.map(async (st) => (await jsm.streams.info(st)).config.num_replicas));
        expect(short.filter((n) => n === 2)).toHaveLength(1);
        // The retention service's checks meanwhile keep the record.
        await retention.run();
        expect(retention.staleReplicas()).toBe(erasedIn);
      }
      // The administrator rebuilds them, as operations do; nothing accepted is lost.
      const before = await Promise.all(keyStreams.map(async (st) => (await jsm.streams.info(st)).state));
      const t1 = Date.now();
      const results = await rebuildStaleReplicas({ nc: hub.admin, state, log: quiet, replicas: 3 });
      await keyStreamsHealthy();
      process.stdout.write(`${results.length} key-stream replicas rebuilt by the administrator in ${Date.now() - t1} ms\n`);
      expect(results.map((r) => [r.node, r.outcome])).toEqual(Array.from({ length: erasedIn }, () => [follower, "rebuilt"]));
      await retention.run();
      expect(retention.staleReplicas()).toBe(0);
      // No node's key-stream files hold an erased key; every live key is still there, in every node.
      expect(stale(storeDir).map((k) => k.id)).toEqual([]);
      for (const n of cluster.nodes) {
        const files = streamFiles(join(storeDir, n.name)).map(read);
        expect(live.filter((l) => !files.some((b) => b.includes(Buffer.from(l.data)))).map((l) => l.data), n.name).toEqual([]);
      }
      for (const l of live) expect(new TextDecoder().decode((await jsm.streams.getMessage(l.stream, { last_by_subj: l.subject }))?.data)).toBe(l.data);
      for (const [i, st] of keyStreams.entries()) {
        const now = (await jsm.streams.info(st)).state;
        expect(now.messages, st).toBe(before[i]?.messages);
        expect(now.last_seq, st).toBe(before[i]?.last_seq);
        expect((await replicasOf(st)).replicas.length, st).toBe(2);
      }
      expect(filesUnder(nodeDir).filter((f) => read(f).includes(Buffer.from(marker)))).toEqual([]);
    }, 400_000);
  }
});
