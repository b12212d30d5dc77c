// `npm start`: the whole system on one machine. Starts a local nats-server with JetStream (or uses
// NATS_URL), provisions, starts every hub service and the demo access points as child processes,
// then writes $LIAISON_HOME/stack.json and prints the same as a table. Ctrl-C stops it all.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { StackConfig } from "../config/mod.js";
import { LiaisonError } from "../errors.js";
import type { Logger } from "../log/mod.js";
import {
  assertServerVersion,
  connectNats,
  provision,
  resolveNatsCli,
  resolveNatsServer,
  startLocalCluster,
  startNatsServer,
  type LocalCluster,
  type RunningNatsServer,
} from "../nats/mod.js";
import { isAlive } from "./alive.js";
import { assertPortsFree } from "./ports.js";
import { prepareStackSecrets, type StackSecrets } from "./secrets.js";
import { stackChildren, type StackPlan } from "./services.js";
import { writeStackFile, type StackFile } from "./stack-file.js";
import { Supervisor } from "./supervisor.js";

export interface RunningStack {
  readonly file: StackFile;
  stop(): Promise<void>;
}

/** One stack per home: a second `npm start` on the same data would corrupt nothing but confuse everyone. */
function takeLock(home: string): () => void {
  const lock = join(home, "stack.pid");
  if (existsSync(lock)) {
    const pid = Number(readFileSync(lock, "utf8").trim());
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid)) {
      throw new LiaisonError("LIAISON_CONFIG_INVALID", `a Liaison stack (pid ${pid}) is already running from ${home}; stop it first`);
    }
  }
  writeFileSync(lock, String(process.pid));
  return () => rmSync(lock, { force: true });
}

export async function startStack(cfg: StackConfig, log: Logger): Promise<RunningStack> {
  const home = cfg.home;
  const logDir = join(home, "logs");
  mkdirSync(logDir, { recursive: true, mode: 0o700 });
  const releaseLock = takeLock(home);
  let nats: RunningNatsServer | undefined;
  let cluster: LocalCluster | undefined;
  const supervisor = new Supervisor(logDir, log, cfg.startTimeout, cfg.stopTimeout);
  const secrets: StackSecrets = prepareStackSecrets(home, cfg.accessPoints, { tokenTtlMs: cfg.tokenTtl });
  const plan: StackPlan = stackChildren(cfg, secrets);

  // Services first (the console, then the access points together, then the hub services, last
  // started first), the NATS server last: every service stops cleanly while it can still reach it.
  const stop = async () => {
    await supervisor.stopAll([...(plan.console ? [[plan.console.child]] : []), plan.accessPoints.map((a) => a.child)]);
    if (nats || cluster) log.info("stopping nats-server");
    await nats?.stop();
    await cluster?.stop();
    releaseLock();
  };

  try {
    const nodes = cfg.cluster >= 3 ? cfg.cluster : 1;
    await assertPortsFree(cfg.host, [
      ...(cfg.natsUrl
        ? []
        : Array.from({ length: nodes }, (_, i) => [
            { port: cfg.natsPort === 0 ? 0 : cfg.natsPort + i, purpose: `NATS clients${nodes > 1 ? ` (node ${i + 1})` : ""}` },
            { port: cfg.natsMonitorPort === 0 ? 0 : cfg.natsMonitorPort + i, purpose: `NATS monitoring${nodes > 1 ? ` (node ${i + 1})` : ""}` },
          ]).flat()),
      ...plan.ports,
    ]);

    let natsUrl = cfg.natsUrl;
    // The pinned nats-server, built with `go install` on a machine that has none.
    const bin = () => resolveNatsServer({ bin: cfg.natsServerBin, tools: cfg.tools, path: cfg.path, install: true, onInstall: (line) => log.info(line) });
    if (!natsUrl && nodes > 1) {
      cluster = await startLocalCluster({
        size: nodes,
        dir: join(home, "cluster"),
        name: "liaison-dev",
        host: cfg.host,
        firstPort: cfg.natsPort,
        firstMonitorPort: cfg.natsMonitorPort === 0 ? -1 : cfg.natsMonitorPort,
        bin: bin(),
        extraConfig: plan.natsAccounts,
        guarded: true,
      });
      natsUrl = cluster.urls;
    } else if (!natsUrl) {
      nats = await startNatsServer({
        bin: bin(),
        host: cfg.host,
        port: cfg.natsPort,
        monitorPort: cfg.natsMonitorPort,
        storeDir: join(home, "jetstream"),
        configDir: join(home, "nats"),
        logFile: join(logDir, "nats-server.log"),
        serverName: "liaison-dev",
        ...(plan.natsAccounts ? { extraConfig: plan.natsAccounts } : {}),
        guarded: true,
      });
      natsUrl = nats.url;
    }

    let serverVersion: string | undefined;
    const admin = await connectNats({ url: natsUrl, name: "liaison-stack", ...(plan.adminCreds ? { credsFile: plan.adminCreds } : {}), log });
    try {
      assertServerVersion(admin.info?.version, natsUrl);
      serverVersion = admin.info?.version;
      await provision(admin, { contactPoints: cfg.accessPoints, replicas: cfg.replicas, largeFileStoreBytes: cfg.largeFileStoreBytes });
      await plan.bootstrap(admin);
    } finally {
      await admin.close();
    }

    for (const group of plan.groups) {
      await Promise.all(group.map((spec) => supervisor.start({ ...spec, env: { ...spec.env, NATS_URL: natsUrl, LIAISON_REPLICAS: String(cfg.replicas) } })));
    }
    const cli = resolveNatsCli(cfg.tools);
    const pidOf = (name: string) => supervisor.children().find((p) => p.name === name)?.pid;
    const startedAt = new Date().toISOString();
    // Tokens are in stack.json only while the stack runs (for `--ap BE` and the console login);
    // the users files keep their hashes, and the next start issues new ones.
    const snapshot = (ready: boolean): StackFile => ({
      ready,
      home,
      pid: process.pid,
      startedAt,
      nats: {
        url: natsUrl,
        embedded: nats !== undefined || cluster !== undefined,
        ...(cluster
          ? {
              cluster: cluster.name,
              nodes: cluster.nodes.map((n) => ({
                name: n.name,
                url: n.server.url,
                ...(n.server.monitorUrl ? { monitorUrl: n.server.monitorUrl } : {}),
                ...(n.server.pid() ? { pid: n.server.pid() } : {}),
                ...(n.server.guardPid() ? { guardPid: n.server.guardPid() } : {}),
              })),
            }
          : {}),
        ...(serverVersion ? { version: serverVersion } : {}),
        adminCreds: plan.adminCreds,
        systemCreds: plan.systemCreds,
        ...(cli ? { cli } : {}),
        ...(nats ? { monitorUrl: `http://${cfg.host}:${cfg.natsMonitorPort}` } : cluster?.nodes[0]?.server.monitorUrl ? { monitorUrl: cluster.nodes[0].server.monitorUrl } : {}),
        ...(nats?.pid() ? { pid: nats.pid() } : {}),
        ...(nats?.guardPid() ? { guardPid: nats.guardPid() } : {}),
      },
      accessPoints: Object.fromEntries(
        plan.accessPoints.map((ap) => [
          ap.cp,
          { url: ap.url, operatorToken: ready ? ap.operatorToken : "", operatorUser: ap.operatorUser, adminToken: ready ? ap.adminToken : "", natsUrl, natsCreds: ap.natsCreds, pid: pidOf(ap.child) },
        ]),
      ),
      ...(plan.console
        ? {
            console: {
              url: plan.console.url,
              supervisorToken: ready ? plan.console.supervisorToken : "",
              operationsToken: ready ? plan.console.operationsToken : "",
              pid: pidOf(plan.console.child),
            },
          }
        : {}),
      services: supervisor.children(),
    });
    const file = snapshot(true);
    // A child that dies loses its pid, a restarted one has a new one: keep stack.json true to what runs.
    supervisor.onChange = () => writeStackFile(home, snapshot(true));
    writeStackFile(home, file);
    return {
      file,
      stop: async () => {
        supervisor.onChange = () => undefined;
        writeStackFile(home, snapshot(false));
        await stop();
      },
    };
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
}

/** The short table `npm start` prints once everything is up. */
export function formatStackTable(f: StackFile): string {
  const rows: Array<[string, string, string]> = [
    [
      "NATS",
      f.nats.nodes ? `${f.nats.nodes.length}-node cluster ${f.nats.cluster ?? ""}` : f.nats.url,
      `${f.nats.version ? `nats-server ${f.nats.version}, ` : ""}${f.nats.embedded ? `embedded${f.nats.monitorUrl ? `, monitor ${f.nats.monitorUrl}` : ""}` : "external (NATS_URL)"}`,
    ],
  ];
  if (f.console) {
    rows.push(["console", f.console.url, `supervisor token ${f.console.supervisorToken}`]);
    rows.push(["", "", `operations token ${f.console.operationsToken}`]);
  }
  for (const [cp, ap] of Object.entries(f.accessPoints)) {
    rows.push([`access point ${cp}`, ap.url, `operator token ${ap.operatorToken}`]);
    if (ap.adminToken) rows.push(["", "", `admin token ${ap.adminToken}`]);
  }
  const hub = f.services.map((s) => s.name).filter((n) => !n.startsWith("access-point") && n !== "console");
  rows.push(["hub services", hub.join(", ") || "(none)", ""]);
  const w0 = Math.max(...rows.map((r) => r[0].length));
  const w1 = Math.max(...rows.map((r) => r[1].length));
  return [
    `Liaison is up (LIAISON_HOME=${f.home})`,
    ...rows.map(([a, b, c]) => `  ${a.padEnd(w0)}  ${b.padEnd(w1)}  ${c}`.trimEnd()),
    ...(f.nats.cli && f.nats.adminCreds
      ? [`  nats CLI         ${f.nats.cli} --server ${f.nats.url} --nkey ${f.nats.adminCreds} micro ls   (as a member: --nkey accessPoints.<CP>.natsCreds)`]
      : []),
    `Stop with Ctrl-C. The same details are in ${join(f.home, "stack.json")}.`,
  ].join("\n");
}
