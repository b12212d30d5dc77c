// `liaison status [id]`: with an id, where that message is (per recipient); without, the system:
// every hub service instance found through $SRV discovery with its stats, the streams and durable
// consumers, each access point as its inbox consumers show it, and the NATS server's health. Exits
// 1 when a hub service is missing, the server's health check fails, a consumer lags behind by more
// than --max-lag, an access point has messages waiting and has not pulled for --max-idle, or (with
// a local stack) a child of the stack is not running.
import type { Command } from "commander";
import { cliSchema, loadConfig, zDurationMs } from "../../config/mod.js";
import { LiaisonError } from "../../errors.js";
import { DEFAULT_AP_MAX_IDLE_MS, HUB_SERVICES, systemStatus, type SystemStatus } from "../../ops/mod.js";
import { isAlive, readStackFile, type StackFile } from "../../stack/mod.js";
import { hubConnection } from "../hub-connection.js";
import { fail, printJson, printTable } from "../output.js";
import { messageStatus } from "./messages.js";

const mib = (b: number) => `${(b / 1_048_576).toFixed(1)} MiB`;
const ago = (ms: number | undefined) => (ms === undefined ? "never" : ms < 60_000 ? `${Math.round(ms / 1000)}s ago` : `${Math.round(ms / 60_000)}m ago`);

const secs = (ms: number) => `${Math.round(ms / 1000)} s`;

/** What is wrong, for the exit code and the last lines; `stack`: the local stack's stack.json, when it runs. */
export function problems(s: SystemStatus, maxLag: number, stack?: StackFile): string[] {
  const out: string[] = [];
  for (const a of s.accessPoints) {
    if (!a.down) continue;
    const since = a.lastDeliveryAgoMs === undefined ? "nothing ever delivered to it" : `nothing delivered to it for ${secs(a.lastDeliveryAgoMs)}`;
    out.push(`access point ${a.cp}: no pull on its inbox and ${since}; ${a.pending} message(s) waiting`);
  }
  for (const c of stack?.services ?? []) {
    if (c.state !== "restarting" && c.state !== "failed") continue;
    const what = c.name.startsWith("access-point-") ? `access point ${c.name.slice("access-point-".length)} (stack child ${c.name})` : `stack child ${c.name}`;
    const last = c.exited ? `; it exited (${c.exited.code ?? c.exited.signal ?? "?"}) at ${c.exited.at}` : "";
    out.push(`${what} is not running: ${c.state === "failed" ? "it kept failing and is not restarted any more" : "being restarted"}${last}`);
  }
  const running = new Set(s.services.map((x) => x.name));
  for (const name of HUB_SERVICES) if (!running.has(name)) out.push(`no instance of hub service "${name}" answers $SRV discovery`);
  if (s.server.healthz && !s.server.healthz.ok) out.push(`NATS /healthz: ${s.server.healthz.status}${s.server.healthz.error ? ` (${s.server.healthz.error})` : ""}`);
  if (!s.server.jetstream) out.push("the NATS server has no JetStream");
  for (const c of s.consumers) if (c.pending > maxLag) out.push(`consumer ${c.stream}/${c.name} lags: ${c.pending} message(s) not yet delivered`);
  for (const st of s.streams) {
    if (st.leader === "") out.push(`stream ${st.name} has no leader (no quorum of its ${st.replicas} replicas)`);
    for (const p of st.peers ?? []) if (p.state !== "current") out.push(`stream ${st.name}: replica on ${p.name} is ${p.state}${p.lag ? ` (${p.lag} behind)` : ""}`);
  }
  if (s.staleReplicas === "invalid") out.push("the retention service's record of stale key-stream replicas (KV state retention.key-replicas) does not parse; nothing is rebuilt from it");
  else for (const r of s.staleReplicas ?? []) out.push(`stream ${r.stream}: replica on node ${r.node} holds erased data, rebuild pending (liaison provision --rebuild-stale-replicas)`);
  for (const d of s.driftedStreams) out.push(`stream ${d.stream}: live config differs from its spec in ${d.fields.join(", ")}`);
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
  if (s.accessPoints.length > 0) {
    process.stdout.write("\nAccess points (by their inbox consumers)\n");
    printTable(
      s.accessPoints.map((a) => ({ "access point": a.cp, waiting: a.pending, "ack pending": a.ackPending, "pull requests": a.pulls, "last delivery": ago(a.lastDeliveryAgoMs), state: a.down ? "DOWN" : "ok" })),
      ["access point", "waiting", "ack pending", "pull requests", "last delivery", "state"],
    );
  }
  process.stdout.write("\nConsumers\n");
  printTable(
    s.consumers.map((c) => ({ consumer: `${c.stream}/${c.name}`, pending: c.pending, "ack pending": c.ackPending, redelivered: c.redelivered, "last delivery": ago(c.lastActiveAgoMs) })),
    ["consumer", "pending", "ack pending", "redelivered", "last delivery"],
  );
  process.stdout.write(issues.length ? `\n${issues.map((i) => `! ${i}`).join("\n")}\n` : "\nall hub services answer; access points pull their inboxes; NATS healthy\n");
}

export function register(program: Command): void {
  program
    .command("status [id]")
    .description("without an id: hub services ($SRV), streams, consumers and NATS health; with a message id: its status per recipient")
    .option("--ap <cp>", "with an id: the access point to ask")
    .option("--url <url>")
    .option("--token <token>")
    .option("--max-lag <n>", "a consumer with more undelivered messages counts as a problem", "10000")
    .option("--max-idle <duration>", "an access point with messages waiting that has not pulled its inbox for this long counts as down", `${DEFAULT_AP_MAX_IDLE_MS / 1000}s`)
    .option("--json")
    .action(async (id: string | undefined, o: { ap?: string; url?: string; token?: string; json?: boolean; maxLag: string; maxIdle: string }) => {
      try {
        if (id) return await messageStatus(id, o);
        const cfg = loadConfig("cli", cliSchema);
        const maxIdle = zDurationMs.safeParse(o.maxIdle);
        if (!maxIdle.success) throw new LiaisonError("LIAISON_BAD_REQUEST", `--max-idle ${JSON.stringify(o.maxIdle)} is not a duration (for example 30s, 2m)`);
        let stack: StackFile | undefined;
        try {
          stack = cfg.natsUrl ? undefined : readStackFile(cfg.home);
        } catch {
          stack = undefined;
        }
        // Its children's states count only while that stack runs.
        const running = stack?.ready && isAlive(stack.pid) ? stack : undefined;
        const nc = await hubConnection("liaison-cli-status");
        try {
          const s = await systemStatus(nc, { ...(stack?.nats.monitorUrl ? { monitorUrl: stack.nats.monitorUrl } : {}), maxIdleMs: maxIdle.data, staleReplicas: true });
          const issues = problems(s, Number(o.maxLag), running);
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
