// bench/nats: the server under every other benchmark, and what `sync_interval: always` costs.
// Two pinned nats-servers on this machine's disk, one fsyncing every write before it acknowledges
// it (Liaison's setting), one with nats-server's default (flush every 2 minutes). On each: raw
// JetStream publish of 1 KiB messages, one in flight (latency) and pipelined (throughput), from
// Liaison's own client (JsPublisher) and from the pinned `nats bench` of natscli.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jetstreamManager } from "@nats-io/jetstream";
import { connectNats, JsPublisher, pinnedVersions, resolveNatsCli, startNatsServer, type RunningNatsServer } from "../../src/nats/mod.js";
import { percentile, report, type Figure } from "../support/report.js";

const SEQUENTIAL = Number(process.env.BENCH_NATS_SEQ ?? 3_000);
const PIPELINED = Number(process.env.BENCH_NATS_PIPE ?? 50_000);
const WINDOW = 256;
const body = new Uint8Array(1024).fill(7);

interface Measured {
  readonly seqPerSec: number;
  readonly p50: number;
  readonly p99: number;
  readonly pipePerSec: number;
  readonly cli?: { sync: CliStats; async: CliStats };
}

interface CliStats {
  readonly perSec: number;
  readonly p50us?: number;
  readonly p99us?: number;
}

function cliBench(cli: string, url: string, mode: "sync" | "async", msgs: number, stream: string): CliStats {
  const out = execFileSync(cli, ["-s", url, "bench", "js", "pub", mode, `bench.${stream}`, "--create", "--stream", stream, "--msgs", String(msgs), "--size", "1KB", "--no-progress"], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "ignore"],
  });
  const line = out.split("\n").find((l) => l.includes("stats:")) ?? "";
  const num = (re: RegExp) => {
    const m = re.exec(line);
    return m?.[1] ? Number(m[1].replaceAll(",", "")) : undefined;
  };
  const perSec = num(/stats: ([\d,]+) msgs\/sec/) ?? Number.NaN;
  const p50us = num(/P50: ([\d,.]+)us/);
  const p99us = num(/P99: ([\d,.]+)us/);
  return { perSec, ...(p50us !== undefined ? { p50us } : {}), ...(p99us !== undefined ? { p99us } : {}) };
}

async function measure(server: RunningNatsServer, cli: string | undefined): Promise<Measured> {
  const nc = await connectNats({ url: server.url, name: "bench-nats" });
  try {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: "RAW", subjects: ["raw.>"] });
    const pub = new JsPublisher(nc, { timeoutMs: 30_000 });
    for (let i = 0; i < 200; i++) await pub.publish("raw.warm", body);
    const lat: number[] = [];
    const t0 = performance.now();
    for (let i = 0; i < SEQUENTIAL; i++) {
      const s = performance.now();
      await pub.publish("raw.seq", body);
      lat.push(performance.now() - s);
    }
    const seqPerSec = SEQUENTIAL / ((performance.now() - t0) / 1000);
    const t1 = performance.now();
    const inflight = new Set<Promise<unknown>>();
    for (let i = 0; i < PIPELINED; i++) {
      const p = pub.publish("raw.pipe", body).finally(() => inflight.delete(p));
      inflight.add(p);
      if (inflight.size >= WINDOW) await Promise.race(inflight);
    }
    await Promise.all(inflight);
    const pipePerSec = PIPELINED / ((performance.now() - t1) / 1000);
    pub.close();
    const cliStats = cli ? { sync: cliBench(cli, server.url, "sync", SEQUENTIAL, "CLISYNC"), async: cliBench(cli, server.url, "async", PIPELINED, "CLIASYNC") } : undefined;
    return { seqPerSec, p50: percentile(lat, 50), p99: percentile(lat, 99), pipePerSec, ...(cliStats ? { cli: cliStats } : {}) };
  } finally {
    await nc.close();
  }
}

const home = mkdtempSync(join(tmpdir(), "liaison-bench-nats-"));
const cli = resolveNatsCli();
const servers: RunningNatsServer[] = [];
try {
  const always = await startNatsServer({ port: 0, storeDir: join(home, "always", "js"), configDir: join(home, "always"), serverName: "sync-always" });
  servers.push(always);
  const lazy = await startNatsServer({ port: 0, storeDir: join(home, "lazy", "js"), configDir: join(home, "lazy"), serverName: "sync-2m", syncInterval: "2m" });
  servers.push(lazy);
  const a = await measure(always, cli);
  const l = await measure(lazy, cli);
  const figures: Figure[] = [
    { name: "JetStream publish, 1 in flight, sync_interval always", value: a.seqPerSec, unit: "msgs/s", baseline: { name: "sync_interval 2m (no fsync per write)", value: l.seqPerSec } },
    { name: "  p50 latency, always", value: a.p50, unit: "ms", baseline: { name: "2m", value: l.p50 } },
    { name: "  p99 latency, always", value: a.p99, unit: "ms", baseline: { name: "2m", value: l.p99 } },
    { name: `JetStream publish, ${WINDOW} in flight, sync_interval always`, value: a.pipePerSec, unit: "msgs/s", baseline: { name: "sync_interval 2m", value: l.pipePerSec } },
  ];
  if (a.cli && l.cli) {
    figures.push(
      { name: "nats bench js pub sync, always", value: a.cli.sync.perSec, unit: "msgs/s", baseline: { name: "2m", value: l.cli.sync.perSec } },
      { name: "nats bench js pub async (batch 500), always", value: a.cli.async.perSec, unit: "msgs/s", baseline: { name: "2m", value: l.cli.async.perSec } },
      { name: "Liaison's JsPublisher against nats bench, 1 in flight, always", value: a.seqPerSec, unit: "msgs/s", baseline: { name: "nats bench js pub sync", value: a.cli.sync.perSec } },
      { name: "Liaison's JsPublisher against nats bench, pipelined, always", value: a.pipePerSec, unit: "msgs/s", baseline: { name: "nats bench js pub async", value: a.cli.async.perSec } },
    );
  }
  report(
    `bench/nats — nats-server ${always.version} (pinned ${pinnedVersions().server}), file storage in ${tmpdir()}, 1 KiB messages; ${SEQUENTIAL.toLocaleString("en-US")} sequential, ${PIPELINED.toLocaleString("en-US")} pipelined; nats CLI ${cli ? pinnedVersions().cli : "not installed (bash scripts/install-nats.sh)"}; the ratio is the cost of fsync before every acknowledgement`,
    figures,
  );
} finally {
  for (const s of servers) await s.stop();
  rmSync(home, { recursive: true, force: true });
}
