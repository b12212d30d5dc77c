// `liaison status [id]`: with an id, where that message is (per recipient); without, the system:
// every hub service instance found through $SRV discovery with its stats, the streams and durable
// consumers, and the NATS server's health. Exits 1 when a hub service is missing, the server's
// health check fails, or a consumer lags behind by more than --max-lag.
import type { Command } from "commander";
import { cliSchema, loadConfig } from "../../config/mod.js";
import { HUB_SERVICES, systemStatus, type SystemStatus } from "../../ops/mod.js";
import { readStackFile } from "../../stack/mod.js";
import { hubConnection } from "../hub-connection.js";
import { fail, printJson, printTable } from "../output.js";
import { messageStatus } from "./messages.js";

const mib = (b: number) => `${(b / 1_048_576).toFixed(1)} MiB`;
const ago = (ms: number | undefined) => (ms === undefined ? "never" : ms < 60_000 ? `${Math.round(ms / 1000)}s ago` : `${Math.round(ms / 60_000)}m ago`);

/** What is wrong, for the exit code and the last lines. */
export function problems(s: SystemStatus, maxLag: number): string[] {
  const out: string[] = [];
  const running = new Set(s.services.map((x) => x.name));
  for (const name of HUB_SERVICES) if (!running.has(name)) out.push(`no instance of hub service "${name}" answers $SRV discovery`);
  if (s.server.healthz && !s.server.healthz.ok) out.push(`NATS /healthz: ${s.server.healthz.status}${s.server.healthz.error ? ` (${s.server.healthz.error})` : ""}`);
  if (!s.server.jetstream) out.push("the NATS server has no JetStream");
  for (const c of s.consumers) if (c.pending > maxLag) out.push(`consumer ${c.stream}/${c.name} lags: ${c.pending} message(s) not yet delivered`);
  for (const st of s.streams) {
    if (st.leader === "") out.push(`stream ${st.name} has no leader (no quorum of its ${st.replicas} replicas)`);
    for (const p of st.peers ?? []) if (p.state !== "current") out.push(`stream ${st.name}: replica on ${p.name} is ${p.state}${p.lag ? ` (${p.lag} behind)` : ""}`);
  }
  return out;
}

function print(s: SystemStatus, issues: string[]): void {
  const srv = s.server;
  process.stdout.write(
    `NATS ${srv.url}  server ${srv.serverName} v${srv.version}  JetStream ${srv.jetstream ? "on" : "OFF"}  rtt ${srv.rttMs} ms` +
      `${srv.healthz ? `  healthz ${srv.healthz.status}` : ""}${srv.connections !== undefined ? `  connections ${srv.connections}` : ""}` +
      `  storage ${mib(srv.storage.usedBytes)}\n\nServices ($SRV)\n`,
  );
  printTable(
    s.services.map((x) => ({
      service: x.name,
      instance: x.id,
      version: x.version,
      started: x.started,
      requests: x.endpoints.reduce((n, e) => n + e.requests, 0),
      errors: x.endpoints.reduce((n, e) => n + e.errors, 0),
      "avg ms": (x.endpoints.reduce((n, e) => n + e.averageMs * e.requests, 0) / Math.max(1, x.endpoints.reduce((n, e) => n + e.requests, 0))).toFixed(2),
    })),
    ["service", "instance", "version", "started", "requests", "errors", "avg ms"],
  );
  if (s.cluster) {
    process.stdout.write(`\nCluster ${s.cluster.name}${s.cluster.metaLeader ? `  meta leader ${s.cluster.metaLeader}` : ""}\n`);
    printTable(
      s.cluster.nodes.map((n) => ({ node: n.name, "leads streams": n.leads, "replicas current": n.current, lagging: n.lagging, offline: n.offline })),
      ["node", "leads streams", "replicas current", "lagging", "offline"],
    );
  }
  process.stdout.write("\nStreams\n");
  const clustered = s.streams.some((x) => x.peers !== undefined);
  printTable(
    s.streams.map((x) => ({
      stream: x.name,
      messages: x.messages,
      size: mib(x.bytes),
      subjects: x.subjects,
      consumers: x.consumers,
      ...(clustered
        ? {
            leader: x.leader === "" ? "NONE" : (x.leader ?? "-"),
            replicas: x.peers ? `${x.replicas}: ${x.peers.map((p) => `${p.name} ${p.state}`).join(", ")}` : String(x.replicas),
          }
        : {}),
    })),
    ["stream", "messages", "size", "subjects", "consumers", ...(clustered ? ["leader", "replicas"] : [])],
  );
  process.stdout.write("\nConsumers\n");
  printTable(
    s.consumers.map((c) => ({ consumer: `${c.stream}/${c.name}`, pending: c.pending, "ack pending": c.ackPending, redelivered: c.redelivered, "last delivery": ago(c.lastActiveAgoMs) })),
    ["consumer", "pending", "ack pending", "redelivered", "last delivery"],
  );
  process.stdout.write(issues.length ? `\n${issues.map((i) => `! ${i}`).join("\n")}\n` : "\nall hub services answer; NATS healthy\n");
}

export function register(program: Command): void {
  program
    .command("status [id]")
    .description("without an id: hub services ($SRV), streams, consumers and NATS health; with a message id: its status per recipient")
    .option("--ap <cp>", "with an id: the access point to ask")
    .option("--url <url>")
    .option("--token <token>")
    .option("--max-lag <n>", "a consumer with more undelivered messages counts as a problem", "10000")
    .option("--json")
    .action(async (id: string | undefined, o: { ap?: string; url?: string; token?: string; json?: boolean; maxLag: string }) => {
      try {
        if (id) return await messageStatus(id, o);
        const cfg = loadConfig("cli", cliSchema);
        let monitorUrl: string | undefined;
        try {
          monitorUrl = cfg.natsUrl ? undefined : readStackFile(cfg.home).nats.monitorUrl;
        } catch {
          monitorUrl = undefined;
        }
        const nc = await hubConnection("liaison-cli-status");
        try {
          const s = await systemStatus(nc, monitorUrl ? { monitorUrl } : {});
          const issues = problems(s, Number(o.maxLag));
          if (o.json) printJson({ ...s, problems: issues });
          else print(s, issues);
          if (issues.length) process.exitCode = 1;
        } finally {
          await nc.close();
        }
      } catch (err) {
        fail(err);
      }
    });
}
