// The test harness's NATS: the pinned nats-server (tests/support/global-setup.ts installs it when
// missing) on a random port with a temporary JetStream store and `sync_interval: always`, killed at
// the end. NATS_URL wins when set (for shared tests), if that server is recent enough;
// testcontainers' NATS module is used when no binary can be had but a Docker engine answers.
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jetstreamManager, type ClusterInfo } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/nats-core";
import {
  assertServerVersion,
  connectNats,
  installHint,
  pinnedVersions,
  resolveNatsServer,
  startLocalCluster,
  startNatsServer,
  type LocalCluster,
  type RunningNatsServer,
} from "../../src/nats/mod.js";

export interface TestNats {
  readonly kind: "external" | "binary" | "container" | "cluster";
  readonly url: string;
  /** The server's HTTP monitoring endpoint (/varz, /jsz), for a server this harness started. */
  readonly monitorUrl: string | undefined;
  /** The JetStream store directory on this machine (undefined for an external server). */
  readonly storeDir: string | undefined;
  /** The cluster's nodes (kind "cluster"): kill any of them by name, or by role through LocalCluster. */
  readonly cluster?: LocalCluster;
  /** A connection closed automatically by stop(). */
  connect(name?: string, credsFile?: string): Promise<NatsConnection>;
  /** SIGKILL the server (a crash). */
  kill(): Promise<void>;
  /** Start it again on the same port and store. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface TestNatsOptions {
  /** Always start a server this harness controls, even when NATS_URL is set. */
  readonly own?: boolean;
  /** Extra nats-server configuration (an authorization block, for instance). */
  readonly extraConfig?: string;
}

/** The pinned server (or NATS_SERVER_BIN, if recent enough); undefined when there is none. */
function serverBinary(): string | undefined {
  try {
    return resolveNatsServer({ bin: process.env.NATS_SERVER_BIN, tools: process.env.LIAISON_TOOLS, path: process.env.PATH });
  } catch (err) {
    // An explicit binary that is too old is an error, not a reason to look elsewhere.
    if (process.env.NATS_SERVER_BIN) throw err;
    return undefined;
  }
}

async function dockerAnswers(): Promise<boolean> {
  try {
    const { getContainerRuntimeClient } = await import("testcontainers");
    await Promise.race([
      getContainerRuntimeClient(),
      new Promise((_, reject) => setTimeout(() => reject(new Error("timeout")), 5_000)),
    ]);
    return true;
  } catch {
    return false;
  }
}

function tracked(urlOf: () => string) {
  const conns: NatsConnection[] = [];
  return {
    conns,
    connect: async (name = "test", credsFile?: string) => {
      const nc = await connectNats({ url: urlOf(), name, ...(credsFile ? { credsFile } : {}) });
      conns.push(nc);
      return nc;
    },
    closeAll: async () => {
      await Promise.allSettled(conns.map((c) => c.close()));
      conns.length = 0;
    },
  };
}

export async function startTestNats(opts: TestNatsOptions = {}): Promise<TestNats> {
  const external = process.env.NATS_URL;
  if (external && !opts.own && !opts.extraConfig) {
    const probe = await connectNats({ url: external, name: "version-check" });
    try {
      assertServerVersion(probe.info?.version, external);
    } finally {
      await probe.close();
    }
    const t = tracked(() => external);
    const unsupported = async () => {
      throw new Error("this test controls the server's process; it cannot do that with NATS_URL");
    };
    return { kind: "external", url: external, monitorUrl: undefined, storeDir: undefined, connect: t.connect, kill: unsupported, start: unsupported, stop: t.closeAll };
  }

  const dir = mkdtempSync(join(tmpdir(), "liaison-nats-"));
  const bin = serverBinary();
  if (bin) {
    let server: RunningNatsServer;
    try {
      server = await startNatsServer({
        bin,
        port: 0,
        monitorPort: -1,
        logFile: join(dir, "nats-server.log"),
        storeDir: join(dir, "jetstream"),
        configDir: dir,
        ...(opts.extraConfig ? { extraConfig: opts.extraConfig } : {}),
      });
    } catch (err) {
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
    const t = tracked(() => server.url);
    return {
      kind: "binary",
      get url() {
        return server.url;
      },
      get monitorUrl() {
        return server.monitorUrl;
      },
      storeDir: server.storeDir,
      connect: t.connect,
      kill: () => server.kill(),
      start: () => server.start(),
      stop: async () => {
        await t.closeAll();
        await server.stop();
        // LIAISON_TEST_SHOW_VIOLATIONS=1 prints what the server refused (a missing grant shows here).
        const log = join(dir, "nats-server.log");
        if (process.env.LIAISON_TEST_SHOW_VIOLATIONS && existsSync(log)) {
          const seen = readFileSync(log, "utf8").split("\n").filter((l) => /Violation/.test(l));
          if (seen.length > 0) process.stderr.write(`nats-server refused:\n${[...new Set(seen.map((l) => l.replace(/^.*?\[(ERR|WRN|INF)\] /, "")))].join("\n")}\n`);
        }
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }

  if (!opts.extraConfig && (await dockerAnswers())) {
    const { NatsContainer } = await import("@testcontainers/nats");
    const container = await new NatsContainer(process.env.LIAISON_TEST_NATS_IMAGE ?? `nats:${pinnedVersions().server.slice(1)}-alpine`)
      .withJetStream()
      .withArg("--store_dir", "/data")
      .withBindMounts([{ source: dir, target: "/data" }])
      .start();
    const urlOf = () => `nats://test:test@${container.getHost()}:${container.getMappedPort(4222)}`;
    const t = tracked(urlOf);
    return {
      kind: "container",
      get url() {
        return urlOf();
      },
      monitorUrl: undefined,
      storeDir: dir,
      connect: t.connect,
      kill: async () => {
        await container.stop({ timeout: 0, remove: false });
      },
      start: async () => {
        await container.restart();
      },
      stop: async () => {
        await t.closeAll();
        await container.stop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }

  rmSync(dir, { recursive: true, force: true });
  throw new Error(`No NATS server for the tests: none installed and no Docker engine answers. ${installHint()}`);
}

/**
 * A three-node (or larger) JetStream cluster of the pinned server on loopback: random client, route
 * and monitoring ports, a temporary store per node, the given configuration (the accounts) on every
 * node. Ready once the nodes agree on a meta leader; stop() kills nothing that is already down.
 */
export async function startTestCluster(opts: { size?: number; extraConfig?: string; nodeConfig?: (i: number) => string } = {}): Promise<TestNats> {
  const bin = serverBinary();
  if (!bin) throw new Error(`No NATS server for the cluster tests. ${installHint()}`);
  const dir = mkdtempSync(join(tmpdir(), "liaison-cluster-"));
  let cluster: LocalCluster;
  try {
    cluster = await startLocalCluster({ size: opts.size ?? 3, dir, bin, ...(opts.extraConfig ? { extraConfig: opts.extraConfig } : {}), ...(opts.nodeConfig ? { nodeConfig: opts.nodeConfig } : {}) });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const t = tracked(() => cluster.urls);
  const unsupported = async () => {
    throw new Error("kill or start a cluster's node by name: nats.cluster.kill(name)");
  };
  return {
    kind: "cluster",
    get url() {
      return cluster.urls;
    },
    monitorUrl: cluster.nodes[0]?.server.monitorUrl,
    storeDir: dir,
    cluster,
    connect: t.connect,
    kill: unsupported,
    start: unsupported,
    stop: async () => {
      await t.closeAll();
      await cluster.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A stream's or consumer's group: led, with every other replica current and online (one copy: led). */
function groupCurrent(c: ClusterInfo | undefined, replicas: number): boolean {
  return !!c?.leader && (replicas <= 1 || (c.replicas ?? []).filter((r) => r.current && !r.offline).length === replicas - 1);
}

/**
 * Waits until the cluster has settled after a node's loss or return: every stream led with all its
 * replicas current, and so is every durable consumer of the streams named in `consumersOf` (the
 * consumers a test's services read, which elect and catch up on their own), each with nothing left
 * to acknowledge when `drained` is set. A request that fails meanwhile (an election) counts as "not
 * yet". Returns how long it took, ms.
 */
export async function untilClusterSettled(nc: NatsConnection, opts: { consumersOf?: readonly string[]; drained?: boolean; timeoutMs?: number } = {}): Promise<number> {
  const t0 = Date.now();
  const end = t0 + (opts.timeoutMs ?? 90_000);
  let last = "no answer yet";
  for (;;) {
    try {
      const jsm = await jetstreamManager(nc);
      const waiting: string[] = [];
      for await (const s of jsm.streams.list()) {
        if (!groupCurrent(s.cluster, s.config.num_replicas)) waiting.push(`stream ${s.config.name}`);
        if (!opts.consumersOf?.includes(s.config.name)) continue;
        for await (const c of jsm.consumers.list(s.config.name)) {
          if (!c.config.durable_name) continue;
          if (!groupCurrent(c.cluster, c.config.num_replicas || s.config.num_replicas)) waiting.push(`consumer ${s.config.name}/${c.name}`);
          else if (opts.drained && (c.num_ack_pending > 0 || c.num_pending > 0)) waiting.push(`consumer ${s.config.name}/${c.name} (${c.num_pending} pending, ${c.num_ack_pending} unacknowledged)`);
        }
      }
      if (waiting.length === 0) return Date.now() - t0;
      last = waiting.join(", ");
    } catch (err) {
      last = String(err);
    }
    if (Date.now() >= end) throw new Error(`the cluster did not settle within ${opts.timeoutMs ?? 90_000} ms: ${last}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
