// A JetStream cluster of pinned nats-servers on this machine, routed to each other on loopback:
// what `LIAISON_CLUSTER=3 npm start` runs, and what the tests kill nodes of. Every node gets the
// same accounts (extraConfig), a store of its own and `sync_interval: always`; the cluster is ready
// when every node names the same meta leader and sees all its peers.
import { createServer } from "node:net";
import { join } from "node:path";
import { LiaisonError } from "../errors.js";
import { startNatsServer, type RunningNatsServer } from "./local-server.js";

export interface LocalClusterOptions {
  readonly size: number;
  /** Each node's folder is `<dir>/<name>` (its store, config and log). */
  readonly dir: string;
  readonly name?: string;
  readonly host?: string;
  /** First client port (node i listens on first + i); 0 picks free ones. */
  readonly firstPort?: number;
  /** First HTTP monitoring port; -1 picks free ones. */
  readonly firstMonitorPort?: number;
  /** Appended to every node's configuration (the accounts). */
  readonly extraConfig?: string;
  /** Appended to node `i`'s configuration alone (a listener on a port of its own). */
  readonly nodeConfig?: (i: number) => string;
  readonly bin?: string;
  readonly readyTimeoutMs?: number;
  /** Every node under a guard in a process group of its own (see NatsServerOptions.guarded). */
  readonly guarded?: boolean;
}

export interface ClusterNode {
  readonly name: string;
  readonly server: RunningNatsServer;
  /** Whether its process runs (false after kill() until start()). */
  readonly running: boolean;
}

export interface LocalCluster {
  readonly name: string;
  readonly nodes: readonly ClusterNode[];
  /** Every node's client URL, comma-separated, as connectNats takes it. */
  readonly urls: string;
  node(name: string): ClusterNode;
  /** The node the others follow for JetStream's meta data. */
  metaLeader(): Promise<ClusterNode>;
  /** Waits until the running nodes agree on a meta leader and see every peer. */
  waitReady(timeoutMs?: number): Promise<void>;
  /** SIGKILL a node (a crash); start() brings it back on the same ports and store. */
  kill(name: string): Promise<void>;
  /** SIGTERM one node (a clean shutdown: it snapshots every stream and compacts their Raft logs). */
  stopNode(name: string): Promise<void>;
  start(name: string): Promise<void>;

  stop(): Promise<void>;
}

/**
 * `n` distinct free ports on `host`, below the kernel's ephemeral range (32768 and up on Linux),
 * so an outgoing connection made meanwhile cannot take one before the server binds it.
 */
export async function freePorts(n: number, host = "127.0.0.1"): Promise<number[]> {
  const out: number[] = [];
  for (let attempt = 0; out.length < n && attempt < 500; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (out.includes(port)) continue;
    if (await isFree(port, host)) out.push(port);
  }
  if (out.length < n) throw new LiaisonError("LIAISON_PORT_IN_USE", `could not find ${n} free ports on ${host}`);
  return out;
}

function isFree(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once("error", () => resolve(false));
    srv.listen({ host, port, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

interface Jsz {
  readonly server_name?: string;
  readonly meta_cluster?: { readonly leader?: string; readonly cluster_size?: number; readonly replicas?: ReadonlyArray<{ name: string; current: boolean }> };
}

export async function startLocalCluster(o: LocalClusterOptions): Promise<LocalCluster> {
  if (o.size < 3) throw new LiaisonError("LIAISON_CONFIG_INVALID", `a JetStream cluster needs at least 3 nodes for a quorum that survives one loss, not ${o.size}`);
  const host = o.host ?? "127.0.0.1";
  const clusterName = o.name ?? "liaison-hub";
  const routePorts = await freePorts(o.size, host);
  // Client and monitoring ports: given, or picked by each server itself as it binds (-1).
  const clientPorts = o.firstPort ? Array.from({ length: o.size }, (_, i) => (o.firstPort as number) + i) : Array.from({ length: o.size }, () => 0);
  const monitorPorts = o.firstMonitorPort !== undefined && o.firstMonitorPort >= 0 ? Array.from({ length: o.size }, (_, i) => (o.firstMonitorPort as number) + i) : Array.from({ length: o.size }, () => -1);
  const names = Array.from({ length: o.size }, (_, i) => `${clusterName}-${i + 1}`);
  const routes = routePorts.map((p) => `nats-route://${host}:${p}`);
  const state = names.map(() => ({ running: false }));

  const servers = await Promise.all(
    names.map(async (name, i) => {
      const cluster = [
        "cluster {",
        `  name: ${JSON.stringify(clusterName)}`,
        `  listen: ${JSON.stringify(`${host}:${routePorts[i]}`)}`,
        `  routes: [${routes.filter((_, k) => k !== i).map((r) => JSON.stringify(r)).join(", ")}]`,
        "}",
      ].join("\n");
      const server = await startNatsServer({
        ...(o.bin ? { bin: o.bin } : {}),
        host,
        port: clientPorts[i] as number,
        monitorPort: monitorPorts[i] as number,
        storeDir: join(o.dir, name, "jetstream"),
        configDir: join(o.dir, name),
        logFile: join(o.dir, name, "nats-server.log"),
        serverName: name,
        extraConfig: `${cluster}\n${o.extraConfig ?? ""}\n${o.nodeConfig?.(i) ?? ""}`,
        ...(o.readyTimeoutMs ? { readyTimeoutMs: o.readyTimeoutMs } : {}),
        ...(o.guarded ? { guarded: true } : {}),
      });
      (state[i] as { running: boolean }).running = true;
      return server;
    }),
  );
  const nodes: ClusterNode[] = names.map((name, i) => ({
    name,
    server: servers[i] as RunningNatsServer,
    get running() {
      return (state[i] as { running: boolean }).running;
    },
  }));
  const byName = (name: string): ClusterNode => {
    const n = nodes.find((x) => x.name === name);
    if (!n) throw new LiaisonError("LIAISON_NOT_FOUND", `no node ${name} in cluster ${clusterName}`);
    return n;
  };
  const jsz = async (n: ClusterNode): Promise<Jsz | undefined> => {
    if (!n.running || !n.server.monitorUrl) return undefined;
    try {
      const r = await fetch(`${n.server.monitorUrl}/jsz`, { signal: AbortSignal.timeout(2_000) });
      return (await r.json()) as Jsz;
    } catch {
      return undefined;
    }
  };
  const agreedLeader = async (): Promise<string | undefined> => {
    const seen = await Promise.all(nodes.filter((n) => n.running).map(jsz));
    const leaders = new Set(seen.map((j) => j?.meta_cluster?.leader ?? ""));
    const [leader] = [...leaders];
    // A leader that was just killed is still named until the others notice: only a running one counts.
    if (leaders.size !== 1 || !leader || !nodes.some((n) => n.running && n.name === leader)) return undefined;
    if (!seen.every((j) => (j?.meta_cluster?.cluster_size ?? 0) >= o.size)) return undefined;
    return leader;
  };

  const cluster: LocalCluster = {
    name: clusterName,
    nodes,
    get urls() {
      return nodes.map((n) => n.server.url).join(",");
    },
    node: byName,
    metaLeader: async () => {
      const leader = await agreedLeader();
      if (!leader) throw new LiaisonError("LIAISON_UNAVAILABLE", `cluster ${clusterName} has no agreed meta leader`);
      return byName(leader);
    },
    waitReady: async (timeoutMs = o.readyTimeoutMs ?? 30_000) => {
      const end = Date.now() + timeoutMs;
      while (Date.now() < end) {
        if (await agreedLeader()) return;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new LiaisonError("LIAISON_UNAVAILABLE", `cluster ${clusterName} did not elect a meta leader within ${timeoutMs} ms`);
    },
    kill: async (name) => {
      const i = names.indexOf(name);
      await byName(name).server.kill();
      (state[i] as { running: boolean }).running = false;
    },
    stopNode: async (name) => {
      const i = names.indexOf(name);
      await byName(name).server.stop();
      (state[i] as { running: boolean }).running = false;
    },
    start: async (name) => {
      const i = names.indexOf(name);
      await byName(name).server.start();
      (state[i] as { running: boolean }).running = true;
    },

    stop: async () => {
      await Promise.all(nodes.map((n) => n.server.stop()));
      for (const s of state) s.running = false;
    },
  };
  await cluster.waitReady();
  return cluster;
}
