// bench/retention: with 1,000,000 CIS records stored, the time to erase 10,000 that are due and the
// time to erase 100 that are due, side by side: the cost follows the number due, not the number
// stored. Baseline in the same run: raw JetStream secure erase of single messages. Target (issue
// #6): 10,000 due erased in at most 10 s. An erasure is the record's data key securely erased
// (overwritten on disk), the record deleted from every view and index, its due entry removed, an
// erasure certificate in the audit log and a notice to the supplier; the same sweep then
// overwrites each erased record's stored ciphertext on disk, and that is timed too (the whole sweep).
import { readRegistryTrust } from "../../src/registry/mod.js";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jetstreamManager } from "@nats-io/jetstream";
import { KekRing, readKeyFile } from "../../src/crypto/mod.js";
import { DAY_MS } from "../../src/domain/mod.js";
import { createLogger } from "../../src/log/mod.js";
import { connectNats, JsPublisher, KEY_SHARDS, provision, startNatsServer } from "../../src/nats/mod.js";
import { prepareStackSecrets, stackAccountsConfig } from "../../src/stack/secrets.js";
import { registerStackIdentities } from "../../src/stack/services.js";
import { startRecords } from "../../services/records/service.js";
import { startRetention } from "../../services/retention/service.js";
import { generateRecords } from "../support/records-generator.js";
import { report } from "../support/report.js";

const STORED = Number(process.env.BENCH_RECORDS ?? 1_000_000);
const DUE_MANY = 10_000;
const DUE_FEW = 100;
const log = createLogger("bench-retention", "warn");

const home = mkdtempSync(join(tmpdir(), "liaison-bench-retention-"));
const secrets = prepareStackSecrets(home, ["BE"]);
// BENCH_PROF: CPU profiles of the sweep, of this process and of nats-server (Go pprof, prof_port).
const PROF_PORT = 18_000 + Math.floor(Math.random() * 1_000);
// The production topology: each service as its own least-privilege user of the HUB account.
const server = await startNatsServer({
  port: 0,
  storeDir: join(home, "jetstream"),
  configDir: join(home, "nats"),
  extraConfig: `${stackAccountsConfig(secrets)}\n${process.env.BENCH_PROF ? `prof_port: ${PROF_PORT}` : ""}`,
});
const as = (identity: keyof typeof secrets.hub) => ({ credsFile: secrets.hub[identity].seedFile });
const nc = await connectNats({ url: server.url, name: "bench-retention", ...as("stack-admin") });
try {
  await provision(nc, { contactPoints: ["BE"] });
  await registerStackIdentities(nc, secrets);
  const kek = new KekRing(secrets.hubSecretsFile);
  const t0 = Date.now();

  // Baseline: raw JetStream secure erase of single messages, pipelined like the sweep.
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: "BENCH_ERASE", subjects: ["bench.erase.>"] });
  const pub = new JsPublisher(nc);
  await Promise.all(Array.from({ length: DUE_MANY }, (_, i) => pub.publish(`bench.erase.${i}`, new Uint8Array(600))));
  pub.close();
  // Where the time goes: CPU of this process (the records and retention services) and of nats-server.
  const serverCpu = () => {
    const f = readFileSync(`/proc/${server.pid()}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
    return ((Number(f[11]) + Number(f[12])) / 100) * 1000;
  };
  const rawCpu0 = serverCpu();
  const b0 = performance.now();
  for (let i = 1; i <= DUE_MANY; i += 32) await Promise.all(Array.from({ length: Math.min(32, DUE_MANY - i + 1) }, (_, k) => jsm.streams.deleteMessage("BENCH_ERASE", i + k, true)));
  const rawEraseRate = DUE_MANY / ((performance.now() - b0) / 1000);
  const rawEraseCpuMs = (serverCpu() - rawCpu0) / DUE_MANY;
  // The same number of erasures over KEY_SHARDS streams, each on a connection of its own, as the
  // data keys are kept: nats-server erases one stream's messages, and answers one connection's
  // requests, one after another; the disk flushes several files at once faster.
  const shardNcs = await Promise.all(Array.from({ length: KEY_SHARDS }, (_, k) => connectNats({ url: server.url, name: `bench-erase-shard-${k}`, ...as("stack-admin") })));
  const perShard = Math.floor(DUE_MANY / KEY_SHARDS);
  for (let k = 0; k < KEY_SHARDS; k++) {
    await jsm.streams.add({ name: `BENCH_ERASE_${k}`, subjects: [`bench.erase${k}.>`] });
    const p = new JsPublisher(nc);
    await Promise.all(Array.from({ length: perShard }, (_, i) => p.publish(`bench.erase${k}.${i}`, new Uint8Array(600))));
    p.close();
  }
  const b1 = performance.now();
  await Promise.all(
    shardNcs.map(async (c, k) => {
      const p = new JsPublisher(c, { timeoutMs: 60_000 });
      for (let i = 1; i <= perShard; i += 16) await Promise.all(Array.from({ length: Math.min(16, perShard - i + 1) }, (_, j) => p.deleteMessage(`BENCH_ERASE_${k}`, i + j, true)));
      p.close();
    }),
  );
  const shardedEraseRate = (perShard * KEY_SHARDS) / ((performance.now() - b1) / 1000);
  await Promise.all(shardNcs.map((c) => c.close()));

  process.stdout.write(`generating ${STORED.toLocaleString("en-US")} records...\n`);
  const g0 = performance.now();
  await generateRecords(nc, kek, { first: 0, count: DUE_MANY, supplier: "BE", reviewDueMs: t0 - 60_000, nowMs: t0 - DAY_MS });
  await generateRecords(nc, kek, { first: DUE_MANY, count: DUE_FEW, supplier: "BE", reviewDueMs: t0 + 2 * 3_600_000, nowMs: t0 });
  await generateRecords(nc, kek, {
    first: DUE_MANY + DUE_FEW,
    count: STORED - DUE_MANY - DUE_FEW,
    supplier: "BE",
    reviewDueMs: t0 + 365 * DAY_MS,
    nowMs: t0,
    onProgress: (n) => {
      if (n % 100_000 < 2_048) process.stdout.write(`  ${(n + DUE_MANY + DUE_FEW).toLocaleString("en-US")}\n`);
    },
  });
  const genSeconds = (performance.now() - g0) / 1000;

  // Each service on its own connection, as in a deployment (one process each): nats-server
  // answers a connection's JetStream API requests one after another, and a secure erase waits
  // for its fsync.
  const recordsNc = await connectNats({ url: server.url, name: "bench-records", ...as("records") });
  const retentionNc = await connectNats({ url: server.url, name: "bench-retention-service", ...as("retention") });
  const keysNc = await Promise.all(Array.from({ length: KEY_SHARDS }, (_, k) => connectNats({ url: server.url, name: `bench-records-keys-${k}`, ...as("records") })));
  const r0 = performance.now();
  const records = await startRecords(
    recordsNc,
    { hubSecretsFile: secrets.hubSecretsFile, reviewPeriod: { months: 12, ms: 0 }, reviewPeriodByCategory: {}, reminderDays: [30, 7, 1], maxAttachmentBytes: 4 << 20, maxQueryMatches: 100, registryTrust: readRegistryTrust(secrets.registryPublicFile) },
    readKeyFile(secrets.hubKeyFile),
    log,
    { keysNc },
  );
  const startSeconds = (performance.now() - r0) / 1000;
  if (records.store.index.size !== STORED) throw new Error(`records service indexed ${records.store.index.size}, expected ${STORED}`);

  let offset = 0;
  const now = () => Date.now() + offset;
  const retention = await startRetention(
    retentionNc,
    { hubSecretsFile: secrets.hubSecretsFile, sweepInterval: 60_000, kekEpoch: 365 * DAY_MS, messageKeep: { months: 0, ms: 30 * DAY_MS }, reminderDays: [30, 7, 1], eraseConcurrency: Number(process.env.BENCH_CONCURRENCY ?? 64) },
    readKeyFile(secrets.hubKeyFile),
    log,
    { now, timers: false },
  );

  const profile = process.env.BENCH_PROF ? new Session() : undefined;
  if (profile) {
    profile.connect();
    await profile.post("Profiler.enable");
    await profile.post("Profiler.start");
  }
  const serverProfile = profile
    ? fetch(`http://127.0.0.1:${PROF_PORT}/debug/pprof/profile?seconds=${process.env.BENCH_PROF_SECONDS ?? 8}`).then(async (r) => Buffer.from(await r.arrayBuffer()))
    : undefined;
  const machineIdle = () => {
    const f = (readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "").trim().split(/\s+/).slice(1).map(Number);
    return { idle: (f[3] ?? 0) + (f[4] ?? 0), total: f.reduce((a, b) => a + b, 0) };
  };
  const m0 = machineIdle();
  const c0 = process.cpuUsage();
  const n0 = serverCpu();
  const s0 = performance.now();
  const many = await retention.run();
  const manySeconds = (performance.now() - s0) / 1000;
  const cpu = process.cpuUsage(c0);
  const servicesCpuMs = (cpu.user + cpu.system) / 1000;
  const serverCpuMs = serverCpu() - n0;
  const m1 = machineIdle();
  const machineBusy = 100 * (1 - (m1.idle - m0.idle) / (m1.total - m0.total));
  if (profile) {
    const { profile: p } = await profile.post("Profiler.stop");
    mkdirSync(process.env.BENCH_PROF as string, { recursive: true });
    writeFileSync(join(process.env.BENCH_PROF as string, `retention-sweep-${Date.now()}.cpuprofile`), JSON.stringify(p));
    profile.disconnect();
    writeFileSync(join(process.env.BENCH_PROF as string, `nats-server-sweep-${Date.now()}.pb.gz`), (await serverProfile) as Buffer);
  }
  offset = 2 * 3_600_000 + 60_000;
  const s1 = performance.now();
  const few = await retention.run();
  const fewSeconds = (performance.now() - s1) / 1000;
  if (Number(many.erased) !== DUE_MANY || Number(few.erased) !== DUE_FEW) throw new Error(`erased ${many.erased} and ${few.erased}, expected ${DUE_MANY} and ${DUE_FEW}`);
  if (Number(many.overwritten) !== DUE_MANY || Number(few.overwritten) !== DUE_FEW) throw new Error(`overwrote ${many.overwritten} and ${few.overwritten}, expected ${DUE_MANY} and ${DUE_FEW}`);
  const manyErasedSeconds = Number(many.erasuresTookMs) / 1000;
  const fewErasedSeconds = Number(few.erasuresTookMs) / 1000;
  const left = records.store.index.size;

  report(`bench/retention — nats-server ${server.version}, accounts, sync_interval always; ${STORED.toLocaleString("en-US")} records stored (generated in ${genSeconds.toFixed(0)} s; records service indexed them in ${startSeconds.toFixed(1)} s)`, [
    { name: `erase ${DUE_MANY.toLocaleString("en-US")} due (data key overwritten, record deleted, certificate logged)`, value: manyErasedSeconds, unit: "s", target: { value: 10, better: "lower" } },
    { name: `erase ${DUE_FEW} due (the same)`, value: fewErasedSeconds, unit: "s" },
    { name: `whole sweep, ${DUE_MANY.toLocaleString("en-US")} due, then their ciphertext overwritten on disk`, value: manySeconds, unit: "s" },
    { name: `whole sweep, ${DUE_FEW} due, the same`, value: fewSeconds, unit: "s" },
    { name: `per item, ${DUE_MANY.toLocaleString("en-US")} due, erasure`, value: (manyErasedSeconds * 1000) / DUE_MANY, unit: "ms" },
    { name: `per item, ${DUE_MANY.toLocaleString("en-US")} due, whole sweep`, value: (manySeconds * 1000) / DUE_MANY, unit: "ms" },
    { name: `per item, ${DUE_FEW} due, whole sweep`, value: (fewSeconds * 1000) / DUE_FEW, unit: "ms" },
    { name: "erasure rate (certificate, notice)", value: DUE_MANY / manyErasedSeconds, unit: "items/s", baseline: { name: "raw JetStream secure erase of one message", value: rawEraseRate } },
    { name: "whole-sweep rate (erasure, then the ciphertext overwritten)", value: DUE_MANY / manySeconds, unit: "items/s", baseline: { name: "raw JetStream secure erase of one message", value: rawEraseRate } },
    { name: `CPU per item, records and retention services, ${DUE_MANY.toLocaleString("en-US")} due`, value: servicesCpuMs / DUE_MANY, unit: "ms" },
    { name: `CPU per item, nats-server, ${DUE_MANY.toLocaleString("en-US")} due`, value: serverCpuMs / DUE_MANY, unit: "ms" },
    { name: `machine CPU busy during the ${DUE_MANY.toLocaleString("en-US")}-due sweep (both cores, iowait counted idle)`, value: machineBusy, unit: "%" },
    { name: "CPU per raw secure erase of one message, nats-server", value: rawEraseCpuMs, unit: "ms" },
    {
      name: `raw JetStream secure erase over ${KEY_SHARDS} streams, one connection each (how the data keys are kept)`,
      value: shardedEraseRate,
      unit: "erases/s",
      baseline: { name: "one stream", value: rawEraseRate },
    },
    { name: "records left after both sweeps", value: left, unit: "records" },
  ]);
  await retention.close();
  await records.close();
  await Promise.all([recordsNc.close(), retentionNc.close(), ...keysNc.map((c) => c.close())]);
} finally {
  await nc.close();
  await server.stop();
  rmSync(home, { recursive: true, force: true });
}
