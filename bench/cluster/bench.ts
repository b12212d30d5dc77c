// bench/cluster: the hub on a three-node JetStream cluster with every stream R3, beside one node
// with R1, in one run on this machine (issue #14). For each: exchange end-to-end throughput (submit
// at BE → verified, decrypted, stored at NL) and latency at a steady 1,000 msgs/s, each beside raw
// JetStream publish+consume on the same topology. Then, on the cluster, the node leading SUBMIT is
// killed with SIGKILL while BE sends at a steady rate: the unavailability window (kill → next
// acknowledged submission), what was lost or duplicated, and the catch-up time of the restarted node.
// Targets: unavailability ≤ 5 s, 0 lost, 0 duplicated, R3 throughput ≥ half of R1.
// All three nodes, the services and the load generators share the machine's two cores.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AckPolicy, jetstream, jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/nats-core";
import { connectNats, provision, startLocalCluster, startNatsServer, type LocalCluster } from "../../src/nats/mod.js";
import { prepareStackSecrets, stackAccountsConfig } from "../../src/stack/secrets.js";
import { registerStackIdentities } from "../../src/stack/services.js";
import { percentile, report, type Figure } from "../support/report.js";
import { endToEndBurst, startWorker, stopWorkers, type Worker } from "../support/workers.js";

const N = Number(process.env.BENCH_N ?? 5_000);
const WINDOW = Number(process.env.BENCH_WINDOW ?? 256);
const RATE = 1_000;
const PACED_SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const STEADY_RATE = Number(process.env.BENCH_STEADY_RATE ?? 200);
const STEADY_SECONDS = Number(process.env.BENCH_STEADY_SECONDS ?? 30);

const now = () => performance.timeOrigin + performance.now();

interface Topology {
  readonly label: string;
  readonly replicas: number;
  readonly url: string;
  readonly home: string;
  readonly admin: NatsConnection;
  readonly jsm: JetStreamManager;
  readonly version: string;
  readonly cluster?: LocalCluster;
  stop(): Promise<void>;
}

async function topology(replicas: 1 | 3): Promise<Topology> {
  const home = mkdtempSync(join(tmpdir(), "liaison-bench-cluster-"));
  const secrets = prepareStackSecrets(home, ["BE", "NL"]);
  const extraConfig = stackAccountsConfig(secrets);
  let url: string;
  let version: string;
  let stopServer: () => Promise<void>;
  let cluster: LocalCluster | undefined;
  if (replicas === 1) {
    const server = await startNatsServer({ port: 0, storeDir: join(home, "jetstream"), configDir: join(home, "nats"), extraConfig });
    url = server.url;
    version = server.version;
    stopServer = () => server.stop();
  } else {
    cluster = await startLocalCluster({ size: 3, dir: join(home, "cluster"), extraConfig });
    url = cluster.urls;
    version = cluster.nodes[0]?.server.version ?? "";
    stopServer = () => (cluster as LocalCluster).stop();
  }
  const admin = await connectNats({ url, name: "bench-admin", credsFile: secrets.hub["stack-admin"].seedFile });
  await provision(admin, { contactPoints: ["BE", "NL"], replicas });
  await registerStackIdentities(admin, secrets);
  const jsm = await jetstreamManager(admin);
  await jsm.streams.add({ name: "BENCH_RAW", subjects: ["bench.raw.>"], duplicate_window: 120_000_000_000, num_replicas: replicas });
  await jsm.consumers.add("BENCH_RAW", { durable_name: "bench", ack_policy: AckPolicy.Explicit, max_ack_pending: 10_000, num_replicas: replicas });
  return {
    label: replicas === 1 ? "one node, R1" : "three nodes, R3",
    replicas,
    url,
    home,
    admin,
    jsm,
    version,
    ...(cluster ? { cluster } : {}),
    stop: async () => {
      await admin.close().catch(() => undefined);
      await stopServer();
      rmSync(home, { recursive: true, force: true });
    },
  };
}

interface Throughput {
  rawRate: number;
  rawP99: number;
  e2eRate: number;
  p50: number;
  p99: number;
}

/** Raw publish+consume, then the exchange end to end: a burst of N, then RATE msgs/s for PACED_SECONDS. */
async function throughput(t: Topology, parts: { exchange: Worker; receiver: Worker; sender: Worker }): Promise<Throughput> {
  const sub = await startWorker("raw-sub", t.url, t.home);
  const pub = await startWorker("raw-pub", t.url, t.home);
  sub.proc.send({ cmd: "expect", n: N });
  pub.proc.send({ cmd: "publish", n: N, window: WINDOW });
  const rawPub = await pub.next((m) => m.published !== undefined);
  const rawSub = await sub.next((m) => m.consumed !== undefined);
  const rawRate = N / (((rawSub.at as number) - (rawPub.t0 as number)) / 1000);
  sub.proc.send({ cmd: "expect", n: RATE * PACED_SECONDS });
  pub.proc.send({ cmd: "paced", n: RATE * PACED_SECONDS, rate: RATE });
  const rawPaced = await sub.next((m) => m.consumed !== undefined);
  await stopWorkers([pub, sub]);

  const { receiver, sender } = parts;
  const e2eRate = await endToEndBurst(receiver, sender, N, WINDOW);

  const total = RATE * PACED_SECONDS;
  receiver.proc.send({ cmd: "expect", n: total });
  sender.proc.send({ cmd: "paced", n: total, rate: RATE });
  const pacedSent = await sender.next((m) => m.sent !== undefined);
  const pacedGot = await receiver.next((m) => m.delivered !== undefined);
  const sentAt = pacedSent.sentAt as Record<string, number>;
  const deliveredAt = pacedGot.times as Record<string, number>;
  const lat = Object.entries(sentAt).map(([id, x]) => (deliveredAt[id] ?? Number.NaN) - x).filter((x) => Number.isFinite(x));
  return { rawRate, rawP99: percentile(rawPaced.latencies as number[], 99), e2eRate, p50: percentile(lat, 50), p99: percentile(lat, 99) };
}

async function startParts(t: Topology): Promise<{ exchange: Worker; receiver: Worker; sender: Worker }> {
  const env = { BENCH_REPLICAS: String(t.replicas) };
  const exchange = await startWorker("exchange", t.url, t.home, env);
  const receiver = await startWorker("receiver", t.url, t.home, env);
  const sender = await startWorker("sender", t.url, t.home, env);
  return { exchange, receiver, sender };
}

async function allCurrent(jsm: JetStreamManager): Promise<boolean> {
  try {
    for await (const s of jsm.streams.list()) if (!s.cluster?.leader || (s.cluster.replicas ?? []).some((r) => !r.current || r.offline)) return false;
    return true;
  } catch {
    return false;
  }
}

/**
 * The floor: raw JetStream publishes (1 s timeout, retried) to an R3 stream whose leader is killed;
 * kill → the first acknowledgement of a publish sent after the kill. This is the election itself.
 */
async function rawUnavailability(t: Topology): Promise<number> {
  const cluster = t.cluster as LocalCluster;
  const js = jetstream(t.admin);
  const victim = (await t.jsm.streams.info("BENCH_RAW")).cluster?.leader ?? "";
  let killedAt = Number.POSITIVE_INFINITY;
  let firstAck = Number.NaN;
  const payload = new Uint8Array(1024);
  const run = (async () => {
    for (let i = 0; Number.isNaN(firstAck); i++) {
      const started = now();
      try {
        await js.publish("bench.raw.floor", payload, { msgID: `floor-${i}`, timeout: 1_000 });
        if (started >= killedAt) firstAck = now();
      } catch {
        await new Promise((r) => setTimeout(r, 50));
      }
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  await new Promise((r) => setTimeout(r, 1_000));
  killedAt = now();
  await cluster.kill(victim);
  await run;
  const took = firstAck - killedAt;
  await cluster.start(victim);
  while (!(await allCurrent(t.jsm))) await new Promise((r) => setTimeout(r, 100));
  return took;
}

async function failover(t: Topology, parts: { receiver: Worker; sender: Worker }): Promise<Figure[]> {
  const cluster = t.cluster as LocalCluster;
  const floor = await rawUnavailability(t);
  const { receiver, sender } = parts;
  receiver.proc.send({ cmd: "expect", n: Number.MAX_SAFE_INTEGER });
  sender.proc.send({ cmd: "steady", rate: STEADY_RATE, seconds: STEADY_SECONDS });
  await new Promise((r) => setTimeout(r, 5_000));
  const victim = (await t.jsm.streams.info("SUBMIT")).cluster?.leader ?? "";
  const killedAt = now();
  await cluster.kill(victim);
  const steady = await sender.next((m) => m.steady !== undefined);
  const outcomes = steady.outcomes as Array<{ started: number; done: number; id?: string; code?: string }>;
  const accepted = outcomes.filter((o) => o.id);
  const refused = outcomes.filter((o) => !o.id);
  // Kill → the first acknowledgement of a submission sent after the kill.
  const nextAck = Math.min(...accepted.filter((o) => o.started >= killedAt).map((o) => o.done)) - killedAt;
  const longestWait = Math.max(...outcomes.map((o) => o.done - o.started));
  // Everything accepted reaches NL, once.
  let delivered: Record<string, number> = {};
  let duplicates = 0;
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    receiver.proc.send({ cmd: "report" });
    const r = await receiver.next((m) => m.report === true);
    delivered = r.times as Record<string, number>;
    duplicates = r.duplicates as number;
    if (accepted.every((o) => delivered[o.id as string] !== undefined)) break;
    await new Promise((res) => setTimeout(res, 1_000));
  }
  const lost = accepted.filter((o) => delivered[o.id as string] === undefined).length;
  // The killed node comes back and catches up.
  const restartedAt = Date.now();
  await cluster.start(victim);
  while (!(await allCurrent(t.jsm))) await new Promise((r) => setTimeout(r, 100));
  const catchUp = Date.now() - restartedAt;
  process.stdout.write(
    `killed ${victim} (leader of SUBMIT) 5 s into ${STEADY_SECONDS} s at ${STEADY_RATE} msgs/s: ${accepted.length} accepted, ${refused.length} refused` +
      `${refused.length ? ` (${[...new Set(refused.map((o) => o.code))].join(", ")}; kept at BE and resubmitted, not counted as lost)` : ""}\n`,
  );
  return [
    { name: "unavailability: SUBMIT leader killed → next acknowledged submission", value: nextAck / 1000, unit: "s", baseline: { name: "raw JetStream publish, stream leader killed → next ack (the election)", value: floor / 1000 }, target: { value: 5, better: "lower" } },
    { name: "longest wait of one submission across the kill", value: longestWait / 1000, unit: "s" },
    { name: "accepted submissions lost", value: lost, unit: "msgs", target: { value: 0, better: "lower" } },
    { name: "duplicated at NL", value: duplicates, unit: "msgs", target: { value: 0, better: "lower" } },
    { name: "catch-up: restart → every stream on three current replicas", value: catchUp / 1000, unit: "s" },
  ];
}

const results: Array<{ t: string; version: string; x: Throughput }> = [];
let failoverFigures: Figure[] = [];
for (const replicas of [1, 3] as const) {
  const t = await topology(replicas);
  let parts: Awaited<ReturnType<typeof startParts>> | undefined;
  try {
    parts = await startParts(t);
    results.push({ t: t.label, version: t.version, x: await throughput(t, parts) });
    if (replicas === 3) failoverFigures = await failover(t, parts);
  } finally {
    if (parts) await stopWorkers([parts.exchange, parts.receiver, parts.sender]);
    await t.stop();
  }
}

const [r1, r3] = results as [{ t: string; version: string; x: Throughput }, { t: string; version: string; x: Throughput }];
report(
  `bench/cluster — 1 KiB bodies, ${N.toLocaleString("en-US")} messages, ${WINDOW} in flight; nats-server ${r3.version}, accounts, sync_interval always; ` +
    `2 cores shared by all three nodes, the services and the load generators`,
  [
    { name: `R1 end-to-end throughput (${r1.t})`, value: r1.x.e2eRate, unit: "msgs/s", baseline: { name: "raw JetStream publish+consume, R1", value: r1.x.rawRate } },
    { name: `R3 end-to-end throughput (${r3.t})`, value: r3.x.e2eRate, unit: "msgs/s", baseline: { name: "raw JetStream publish+consume, R3", value: r3.x.rawRate } },
    { name: "R3 end-to-end throughput against R1's", value: r3.x.e2eRate, unit: "msgs/s", baseline: { name: "R1 end-to-end", value: r1.x.e2eRate }, target: { value: r1.x.e2eRate / 2, better: "higher" } },
    { name: `R1 p99 at a steady ${RATE} msgs/s`, value: r1.x.p99, unit: "ms (p99)", baseline: { name: "raw R1 p99", value: r1.x.rawP99 } },
    { name: `R3 p99 at a steady ${RATE} msgs/s`, value: r3.x.p99, unit: "ms (p99)", baseline: { name: "raw R3 p99", value: r3.x.rawP99 } },
    { name: "R1 p50", value: r1.x.p50, unit: "ms" },
    { name: "R3 p50", value: r3.x.p50, unit: "ms" },
    ...failoverFigures,
  ],
);
