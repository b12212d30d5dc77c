// bench/exchange: end-to-end messages/s for 1 KiB bodies, from submit at one access point to
// stored-and-decrypted at another, and p50/p99 latency at a steady 1,000 msgs/s — beside raw
// JetStream publish+consume of the same size, measured in the same run on the same server.
// Each party runs in its own process, as in production: the sending access point (BE), the
// exchange, the receiving access point (NL); the baseline's publisher and consumer likewise.
// Target (issue #3): at least 40% of the raw figure; p99 ≤ 5 ms at 1,000 msgs/s.
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AckPolicy, jetstreamManager } from "@nats-io/jetstream";
import { connectNats, provision, startNatsServer } from "../../src/nats/mod.js";
import { prepareStackSecrets, stackAccountsConfig } from "../../src/stack/secrets.js";
import { registerStackIdentities } from "../../src/stack/services.js";
import { percentile, report } from "../support/report.js";
import { endToEndBurst, startWorker } from "../support/workers.js";

const N = Number(process.env.BENCH_N ?? 10_000);
const WINDOW = Number(process.env.BENCH_WINDOW ?? 256);
const RATE = 1_000;
const PACED_SECONDS = Number(process.env.BENCH_SECONDS ?? 10);

const worker = (role: string, url: string, home: string) => startWorker(role, url, home);

const home = mkdtempSync(join(tmpdir(), "liaison-bench-"));
const secrets = prepareStackSecrets(home, ["BE", "NL"]);
const server = await startNatsServer({
  port: 0,
  storeDir: join(home, "jetstream"),
  configDir: join(home, "nats"),
  extraConfig: stackAccountsConfig(secrets),
});
const admin = await connectNats({ url: server.url, name: "bench-admin", credsFile: secrets.hub["stack-admin"].seedFile });
await provision(admin, { contactPoints: ["BE", "NL"] });
await registerStackIdentities(admin, secrets);
const jsm = await jetstreamManager(admin);
await jsm.streams.add({ name: "BENCH_RAW", subjects: ["bench.raw.>"], duplicate_window: 120_000_000_000 });
await jsm.consumers.add("BENCH_RAW", { durable_name: "bench", ack_policy: AckPolicy.Explicit, max_ack_pending: 10_000 });
const children: ChildProcess[] = [];

try {
  // Baseline: raw JetStream, one process publishing (pipelined), one consuming and acking.
  const sub = await worker("raw-sub", server.url, home);
  const pub = await worker("raw-pub", server.url, home);
  children.push(sub.proc, pub.proc);
  sub.proc.send({ cmd: "expect", n: N });
  pub.proc.send({ cmd: "publish", n: N, window: WINDOW });
  const rawPub = await pub.next((m) => m.published !== undefined);
  const rawSub = await sub.next((m) => m.consumed !== undefined);
  const rawRate = N / (((rawSub.at as number) - (rawPub.t0 as number)) / 1000);

  sub.proc.send({ cmd: "expect", n: RATE * PACED_SECONDS });
  pub.proc.send({ cmd: "paced", n: RATE * PACED_SECONDS, rate: RATE });
  const rawPaced = await sub.next((m) => m.consumed !== undefined);
  const rawLat = rawPaced.latencies as number[];
  pub.proc.send({ cmd: "stop" });
  sub.proc.send({ cmd: "stop" });

  // Liaison: BE's access point → exchange → NL's access point, with all checks and receipts.
  const exchange = await worker("exchange", server.url, home);
  const receiver = await worker("receiver", server.url, home);
  const sender = await worker("sender", server.url, home);
  children.push(exchange.proc, receiver.proc, sender.proc);

  const e2eRate = await endToEndBurst(receiver, sender, N, WINDOW);

  const cpu = async () => Promise.all([exchange, receiver, sender].map(async (w) => {
    w.proc.send({ cmd: "cpu" });
    return (await w.next((m) => m.cpuMs !== undefined)).cpuMs as number;
  }));
  const total = RATE * PACED_SECONDS;
  const cpuBefore = await cpu();
  receiver.proc.send({ cmd: "expect", n: total });
  sender.proc.send({ cmd: "paced", n: total, rate: RATE });
  const pacedSent = await sender.next((m) => m.sent !== undefined);
  const pacedGot = await receiver.next((m) => m.delivered !== undefined);
  const cpuAfter = await cpu();
  process.stdout.write(`(sender-side send(): p50 ${Number(pacedSent.sendP50).toFixed(2)} ms, p99 ${Number(pacedSent.sendP99).toFixed(2)} ms)\n`);
  const cpuPerMsg = cpuAfter.map((c, i) => (c - (cpuBefore[i] ?? 0)) / total);
  const sentAt = pacedSent.sentAt as Record<string, number>;
  const deliveredAt = pacedGot.times as Record<string, number>;
  const lat = Object.entries(sentAt).map(([id, t]) => (deliveredAt[id] ?? Number.NaN) - t).filter((x) => Number.isFinite(x));

  report(`bench/exchange — 1 KiB bodies, ${N.toLocaleString("en-US")} messages, ${WINDOW} in flight; 2 cores, nats-server ${server.version}, accounts, file storage, sync_interval always`, [
    { name: "end-to-end throughput (submit at BE → verified, decrypted, stored at NL)", value: e2eRate, unit: "msgs/s", baseline: { name: "raw JetStream publish+consume", value: rawRate }, target: { value: 0.4 * rawRate, better: "higher" } },
    { name: `p50 latency at a steady ${RATE} msgs/s`, value: percentile(lat, 50), unit: "ms", baseline: { name: "raw JetStream p50", value: percentile(rawLat, 50) } },
    { name: `p99 latency at a steady ${RATE} msgs/s`, value: percentile(lat, 99), unit: "ms", baseline: { name: "raw JetStream p99", value: percentile(rawLat, 99) }, target: { value: 5, better: "lower" } },
    { name: "messages measured for latency", value: lat.length, unit: "msgs" },
    { name: "CPU per message at 1,000 msgs/s: exchange", value: cpuPerMsg[0] ?? 0, unit: "ms" },
    { name: "CPU per message at 1,000 msgs/s: receiving access point", value: cpuPerMsg[1] ?? 0, unit: "ms" },
    { name: "CPU per message at 1,000 msgs/s: sending access point", value: cpuPerMsg[2] ?? 0, unit: "ms" },
  ]);
  for (const c of [exchange, receiver, sender]) c.proc.send({ cmd: "stop" });
  await Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => { c.once("exit", r); setTimeout(r, 5_000); }) : undefined)));
} finally {
  for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
  await admin.close();
  await server.stop();
  rmSync(home, { recursive: true, force: true });
}
