// Failover on a three-node R3 cluster (issue #14), on real servers killed with SIGKILL: messages
// in flight through the access points while the node leading SUBMIT (then INBOX) dies; records
// queries while the node leading AUDIT dies, and the audit tree verified offline afterwards; the
// audit tree taking events in while the node of its AUDIT reader is down; a retention sweep while a
// node dies; secure erasure checked in every node's files.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, sep } from "node:path";
import { jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { AuditClient, exportChunks, scanExport, verifyExport } from "../../src/audit/mod.js";
import { Ed25519Signer, generateSigningKey, readHubSecrets } from "../../src/crypto/mod.js";
import { RECORDS_STORE } from "../../src/hub-data/mod.js";
import { keyLocation } from "../../src/keystore/mod.js";
import { exchangeConsumer, inboxConsumer, longestHoldsMs, PRIORITY_TOKENS, rebuildStaleReplicas, resolveNatsCli, subjects, type LocalCluster } from "../../src/nats/mod.js";
import { pb } from "../../src/proto/mod.js";
import { quiet, startTestHub, until, type TestAccessPoint, type TestHub } from "../support/hub.js";
import { startTestNats, untilClusterSettled } from "../support/nats.js";

type Json = Record<string, unknown>;

async function api(ap: TestAccessPoint, method: "GET" | "POST" | "DELETE", url: string, payload?: unknown) {
  const res = await ap.app.inject({ method, url, headers: { authorization: `Bearer ${ap.token}` }, ...(payload !== undefined ? { payload: payload as object } : {}) });
  return { status: res.statusCode, body: res.json() as Json };
}

const cliPath = resolveNatsCli(process.env.LIAISON_TOOLS);

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? filesUnder(join(dir, d.name)) : [join(dir, d.name)]));
}

describe("failover on a three-node cluster", () => {
  let hub: TestHub;
  let cluster: LocalCluster;
  let be: TestAccessPoint;
  let nl: TestAccessPoint;
  let audit: Awaited<ReturnType<TestHub["startAudit"]>>;
  const signer = new Ed25519Signer(generateSigningKey("AUDIT"));

  /** The pinned CLI as the hub's operator, against every node. */
  const natsCli = (args: string[]) =>
    spawnSync(cliPath ?? "nats", ["--server", hub.nats.url, "--nkey", hub.secrets.hub["stack-admin"].seedFile, "--timeout", "10s", ...args], { encoding: "utf8", timeout: 60_000 });
  /** The node leading a stream, asked again while the cluster elects. */
  const leaderOf = async (stream: string) => {
    let leader = "";
    await until(async () => !!(leader = (await (await jetstreamManager(hub.admin)).streams.info(stream).catch(() => undefined))?.cluster?.leader ?? ""), `${stream} led`, 30_000);
    return leader;
  };
  /**
   * Restarts every killed node and waits until every stream, and every consumer the exchange and the
   * access points read, has three current replicas again with nothing left unacknowledged: no test
   * starts while the cluster still elects or catches up after the one before.
   */
  const heal = async () => {
    for (const n of cluster.nodes) if (!n.running) await cluster.start(n.name);
    return untilClusterSettled(hub.admin, { consumersOf: ["SUBMIT", "INBOX"], drained: true, timeoutMs: 120_000 });
  };

  beforeAll(async () => {
    hub = await startTestHub({ cps: ["BE", "NL"], cluster: 3 });
    cluster = hub.nats.cluster as LocalCluster;
    audit = await hub.startAudit({ signer });
    await hub.startExchange();
    await hub.startRecords({ reviewPeriod: "10s" });
    [be, nl] = await Promise.all([hub.startAp("BE"), hub.startAp("NL")]);
  }, 120_000);
  afterAll(async () => {
    await hub?.stop();
  });
  beforeEach(async () => {
    await heal();
  }, 150_000);

  for (const stream of ["SUBMIT", "INBOX"] as const) {
    it(`delivers exactly the accepted messages, in order, when the node leading ${stream} dies with 1,000 in flight`, async () => {
      const caseRef = `FAILOVER-${stream}`;
      const accepted: string[] = [];
      const windowOf = new Map<string, number>();
      const refused: Array<{ status: number; code: string }> = [];
      let longest = 0;
      const send = async (i: number) => {
        const t = Date.now();
        const r = await api(be, "POST", "/v1/messages", { kind: "request", to: ["NL"], legalBasis: "enquiries", subject: `m${i}`, body: `message ${i}`, caseRef });
        longest = Math.max(longest, Date.now() - t);
        if (r.status === 202) {
          accepted.push(r.body.id as string);
          windowOf.set(r.body.id as string, Math.floor(i / 10));
        }
        else refused.push({ status: r.status, code: String(r.body.code) });
      };
      const victim = await leaderOf(stream);
      // The victim leads the consumers that read the stream too (moved there if need be), so its
      // death loses deliveries on their way to the exchange or to NL: what order has to survive.
      const readers = PRIORITY_TOKENS.map((p) => (stream === "SUBMIT" ? exchangeConsumer(p) : inboxConsumer("NL", p)).config.durable_name);
      const jsm = await jetstreamManager(hub.admin);
      for (const c of readers) {
        if ((await jsm.consumers.info(stream, c)).cluster?.leader === victim) continue;
        const r = natsCli(["consumer", "cluster", "step-down", stream, c, "--preferred", victim]);
        expect(r.status, r.stderr + r.stdout).toBe(0);
        await until(async () => (await jsm.consumers.info(stream, c)).cluster?.leader === victim, `${c} led by ${victim}`, 20_000);
        process.stdout.write(`${stream}/${c} moved to ${victim}\n`);
      }
      const started = Date.now();
      // Ten at a time, in order: each window is sent after the one before was answered. The node
      // dies while window 30 is on its way through the stream it leads: as soon as the first of it
      // is published to that stream (seen on the stream's subject; only 300 went before it).
      let seen = 0;
      let inTransit = () => {};
      const transit = new Promise<void>((r) => (inTransit = r));
      const tap = hub.admin.subscribe(stream === "SUBMIT" ? subjects.submitOf("BE") : subjects.inboxOf("NL"), {
        callback: (_, m) => {
          const n = stream === "SUBMIT" ? (pb.SubmitItem.decode(m.data).envelopes?.envelopes?.length ?? 0) : 1;
          if ((seen += n) > 300) inTransit();
        },
      });
      try {
        for (let i = 0; i < 1_000; i += 10) {
          const window = Promise.all(Array.from({ length: 10 }, (_, k) => send(i + k)));
          if (i === 300) {
            await Promise.race([transit, new Promise((r) => setTimeout(r, 10_000))]);
            // A submission carries the whole window: a few ms later SUBMIT has stored it and its
            // consumer is delivering it to the exchange (the moment a loss in transit can happen).
            if (stream === "SUBMIT") await new Promise((r) => setTimeout(r, 8));
            await cluster.kill(victim);
          }
          await window;
        }
      } catch (err) {
        await heal();
        throw err;
      } finally {
        tap.unsubscribe();
      }
      process.stdout.write(`${stream} leader ${victim} killed: ${accepted.length} accepted, ${refused.length} refused (${JSON.stringify(refused.slice(0, 3))}); longest wait for an answer ${longest} ms\n`);
      // Every refusal is a clear one.
      try {
      for (const r of refused) expect(["LIAISON_UNAVAILABLE", "LIAISON_TIMEOUT"]).toContain(r.code);
      // NL ends with every accepted message, none twice.
      const arrived = () => nl.mailbox.entries().filter((e) => e.box === "inbox" && e.header.caseRef === caseRef);
      await until(() => accepted.every((id) => nl.mailbox.has(id)), "every accepted message at NL", 120_000);
      const ids = arrived().map((e) => e.id);
      expect(new Set(ids).size).toBe(ids.length);
      // A refusal that was kept at BE (the hub did not take it yet) is resubmitted and arrives too;
      // nothing arrives that BE does not hold as sent.
      const sentAtBe = new Set(be.mailbox.entries().filter((e) => e.box === "sent" && e.header.caseRef === caseRef).map((e) => e.id));
      for (const id of ids) expect(sentAtBe.has(id)).toBe(true);
      expect(ids.length).toBe(sentAtBe.size);
      // In order, strictly: the windows were sent one after another, each once the one before was
      // acknowledged, so every message of a window arrives after every message of the windows
      // before it. Deliveries the dead node had in transit come again only after the consumer's
      // ack wait; the exchange and the access point hold back what comes after them until they
      // are handled (src/nats/in-order.ts). Publishes a leaderless stream dropped are tried again
      // before any sent later (JsPublisher holdBehindOverdueMs, route records under message ids).
      // So none arrives late.
      const order = arrived()
        .filter((e) => windowOf.has(e.id))
        .sort((a, b) => a.seq - b.seq || a.pos - b.pos)
        .map((e) => windowOf.get(e.id) as number);
      let highest = -1;
      let displaced = 0;
      for (const w of order) {
        if (w < highest) displaced++;
        highest = Math.max(highest, w);
      }
      const holds = Object.entries(longestHoldsMs(started));
      const held = (prefix: string) => {
        const lanes = holds.filter(([k]) => k.startsWith(prefix)).map(([, v]) => v);
        return `${Math.max(0, ...lanes.map((l) => l.longestMs))} ms (${lanes.reduce((n, l) => n + l.releases, 0)} releases)`;
      };
      process.stdout.write(
        `${stream}: ${displaced} of ${order.length} arrived after a message sent later; longest time a message was held back to keep order: exchange ${held("SUBMIT/")}, NL's inbox ${held("INBOX/inbox-NL-")}\n`,
      );
      expect(displaced).toBe(0);
      } finally {
        const healed = await heal();
        process.stdout.write(`the killed node was back with every stream on three current replicas ${healed} ms after its restart\n`);
      }
    }, 300_000);
  }

  it("answers no records query without its audit event stored when the node leading AUDIT dies, and the log verifies offline afterwards", async () => {
    const purpose = `failover check ${Date.now()}`;
    for (let i = 0; i < 10; i++) expect((await api(be, "POST", "/v1/records", { category: "business", purpose: "sighting-and-reporting", identifiers: [{ type: "company-name", value: `Failover Trading ${i}` }], freeText: "x" })).status).toBe(201);
    const victim = await leaderOf("AUDIT");
    let answered = 0;
    const statuses = new Map<number, number>();
    const query = async (i: number) => {
      const r = await api(nl, "POST", "/v1/records/query", { identifiers: [{ type: "company-name", value: `Failover Trading ${i % 10}` }], purpose });
      statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
      if (r.status === 200) answered++;
    };
    try {
      for (let i = 0; i < 200; i += 4) {
        if (i === 40) await cluster.kill(victim);
        await Promise.all([0, 1, 2, 3].map((k) => query(i + k)));
      }
    } finally {
      await heal();
    }
    process.stdout.write(`AUDIT leader ${victim} killed during 200 queries: answers by status ${JSON.stringify(Object.fromEntries(statuses))}\n`);
    expect(answered).toBeGreaterThan(100);
    // Every answered query's QUERY event is in the log (refused ones may be too: logged, then failed).
    const logged = (await hub.auditEvents()).filter((e) => e.action === pb.AuditAction.AUDIT_ACTION_QUERY && e.service === "records" && e.authority === "NL" && e.purpose === purpose);
    expect(new Set(logged.map((e) => e.id)).size).toBeGreaterThanOrEqual(answered);
    // The tree took every event, once, and a full export verifies offline against a signed head.
    const client = new AuditClient(await hub.connectHub("console"));
    await until(async () => audit.engine.backlog === 0 && audit.engine.stableSize === audit.engine.state.size && (await client.signHead()).treeSize === audit.engine.stableSize, "the audit tree to take in everything", 60_000);
    const head = await client.signHead();
    let text = "";
    for await (const chunk of exportChunks((r) => client.exportPage(r), { from: 0, to: head.treeSize, pageLeaves: 500 })) text += chunk;
    const r = verifyExport(scanExport(new TextEncoder().encode(text)), { publicKey: signer.publicKey });
    expect(r.faults).toEqual([]);
    expect(r.leaves).toBe(head.treeSize);
  }, 300_000);

  it("erases every due record once when a node dies during the sweep, certifies each once, leaves neither content nor data key in any node's streams, and no usable key in their Raft logs", async () => {
    const marker = `CLUSTER-ERASE-${Math.random().toString(36).slice(2)}`;
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) ids.push((await api(be, "POST", "/v1/records", { category: "business", purpose: "sighting-and-reporting", identifiers: [{ type: "company-name", value: `Lapsing ${i}` }], freeText: `${marker} ${i}` })).body.id as string);
    const kv = await new Kvm(hub.admin).open(RECORDS_STORE.bucket);
    const jsm = await jetstreamManager(hub.admin);
    const before = await Promise.all(
      ids.map(async (id) => {
        const stored = RECORDS_STORE.decode((await kv.get(RECORDS_STORE.key(id)))?.value ?? new Uint8Array());
        const at = keyLocation(stored.dataKeyId);
        const key = (await jsm.streams.getMessage(at.stream, { last_by_subj: at.subject }))?.data ?? new Uint8Array();
        return { id, ciphertext: stored.ciphertext, key };
      }),
    );
    // A backup of the key streams, taken before the erasure with the pinned CLI as
    // docs/operations.md says (`nats backup stream`).
    const keyStreams = [...new Set(before.map((b) => keyLocation(pb.WrappedDataKey.decode(b.key).keyId).stream))];
    const backupDir = mkdtempSync(join(tmpdir(), "liaison-backup-"));
    for (const st of keyStreams) {
      const r = natsCli(["backup", "stream", st, join(backupDir, st), "--no-progress"]);
      expect(r.status, r.stderr).toBe(0);
    }
    let offset = 0;
    const retention = await hub.startRetention({ now: () => Date.now() + offset });
    offset = 11_000; // every record past its 10-second review period
    const victim = await leaderOf("RECORD_KEYS");
    const sweeping = retention.run().catch((err: unknown) => ({ failed: String(err) }));
    await new Promise((r) => setTimeout(r, 100));
    await cluster.kill(victim);
    const first = await sweeping;
    await heal();
    // Whatever the first sweep did not finish, the next ones do.
    await until(
      async () => {
        await retention.run();
        return (await Promise.all(ids.map(async (id) => (await api(be, "GET", `/v1/records/${id}`)).status))).every((st) => st === 404);
      },
      "every due record erased",
      120_000,
    );
    process.stdout.write(`node ${victim} (leading RECORD_KEYS) killed during a sweep of 30 due; first sweep: ${JSON.stringify(first)}\n`);
    // One certificate each, in the tree.
    const client = new AuditClient(await hub.connectHub("console"));
    const lastAudit = (await jsm.streams.info("AUDIT")).state.last_seq;
    await until(async () => audit.engine.state.streamSeq >= lastAudit && audit.engine.stableSize === audit.engine.state.size, "the audit tree to take in every event so far", 60_000);
    for (const id of ids) {
      const certs = (await client.query({ objectType: "record", objectId: id, actions: [pb.AuditAction.AUDIT_ACTION_ERASE], limit: 10 })).records.filter((r) => r.event?.service === "records");
      expect(certs, id).toHaveLength(1);
    }
    // Nothing left to sweep.
    expect((await retention.run()).erased ?? 0).toBe(0);
    // The data-key stream replicas the retention runs recorded as stale (behind during erasures,
    // current again), rebuilt by the administrator as operations do (`liaison provision
    // --rebuild-stale-replicas`).
    const pending = retention.staleReplicas();
    const rebuilt = await rebuildStaleReplicas({ nc: hub.admin, state: await new Kvm(hub.admin).open("state"), log: quiet, replicas: 3 });
    process.stdout.write(`data-key stream replicas recorded stale: ${pending}; rebuilt by the administrator: ${rebuilt.filter((r) => r.outcome === "rebuilt").length}\n`);
    expect(rebuilt.map((r) => r.outcome)).toEqual(Array.from({ length: pending }, () => "rebuilt"));
    // Every node's streams hold neither the content nor the data key: secure erase ran on every
    // replica, the node that was down included: it applied the erasures as it caught up from the
    // Raft log, or, caught up from a stream snapshot (which removes without erasing), it was
    // recorded by the retention runs and rebuilt by the administrator above.
    const files = filesUnder(hub.nats.storeDir as string);
    const raftLog = (f: string) => f.includes(`${sep}_js_${sep}`);
    expect(files.filter((f) => f.includes("liaison-hub-") && !raftLog(f)).length).toBeGreaterThan(0);
    // A file the server removed since the listing (a compacted Raft segment) holds nothing.
    const read = (f: string) => {
      try {
        return readFileSync(f);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ENOENT") return Buffer.alloc(0);
        throw err;
      }
    };
    const holding = (needle: Buffer, which: (f: string) => boolean) => files.filter((f) => which(f) && read(f).includes(needle)).map((f) => f.slice((hub.nats.storeDir as string).length));
    for (const b of before) {
      expect(holding(Buffer.from(b.ciphertext), (f) => !raftLog(f)), `ciphertext of ${b.id} in a stream's files`).toEqual([]);
      expect(holding(Buffer.from(b.key), (f) => !raftLog(f)), `wrapped data key of ${b.id} in a stream's files`).toEqual([]);
    }
    expect(holding(Buffer.from(marker), () => true)).toEqual([]);
    // Each stream's Raft log still holds what was written until the stream's next snapshot (every
    // 2 to 3 minutes, and at a clean shutdown) compacts it. What a log may hold of a data key is
    // wrapped under the key-encryption key of its day: once that rotates, no copy opens.
    const inRaftLogs = before.filter((b) => holding(Buffer.from(b.key), raftLog).length > 0);
    process.stdout.write(`wrapped data keys of erased records still in a node's Raft log right after the sweep: ${inRaftLogs.length} of ${before.length}\n`);
    const epochs = new Set(before.map((b) => pb.WrappedDataKey.decode(b.key).kekEpoch));
    const rotation = await retention.rotate();
    for (const epoch of epochs) expect(rotation?.destroyedEpochs).toContain(epoch);
    const keks = readHubSecrets(hub.secrets.hubSecretsFile).keks;
    for (const b of before) expect(keks.some((k) => k.epoch === pb.WrappedDataKey.decode(b.key).kekEpoch), b.id).toBe(false);
    // The backup restores (`nats backup restore stream`, here into a scratch server) with every
    // erased record's wrapped data key in it, and none of them opens: their epoch is gone.
    const scratch = await startTestNats({ own: true });
    try {
      for (const st of keyStreams) {
        const r = spawnSync(cliPath ?? "nats", ["--server", scratch.url, "--timeout", "10s", "backup", "restore", "stream", join(backupDir, st), "--no-progress", "--replicas", "1"], { encoding: "utf8", timeout: 60_000 });
        expect(r.status, r.stderr).toBe(0);
      }
      const sjsm = await jetstreamManager(await scratch.connect());
      for (const b of before) {
        const at = keyLocation(pb.WrappedDataKey.decode(b.key).keyId);
        const restored = await sjsm.streams.getMessage(at.stream, { last_by_subj: at.subject });
        expect(Buffer.from(restored?.data ?? []).equals(Buffer.from(b.key)), `${b.id}'s wrapped key in the backup`).toBe(true);
      }
      process.stdout.write(`backup of ${keyStreams.length} key stream(s) taken before the erasure restored with all ${before.length} wrapped keys; none opens under the key-encryption keys that remain\n`);
    } finally {
      await scratch.stop();
      rmSync(backupDir, { recursive: true, force: true });
    }
  }, 300_000);
});
