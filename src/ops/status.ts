// The system's state as operations see it: every hub service instance found through `$SRV`
// discovery with its stats, every stream and consumer, and the NATS server's health. Shared by
// `liaison status` and the console's health page. Counts and states only, never content.
import { jetstreamManager, type JetStreamManager, type StreamInfo } from "@nats-io/jetstream";
import { errors as natsErrors, type NatsConnection } from "@nats-io/nats-core";
import { Svcm } from "@nats-io/services";
import { Kvm } from "@nats-io/kv";
import { inboxConsumerOwner, loadStaleReplicas, pendingRebuilds, STREAMS, streamDrift } from "../nats/mod.js";
import type { Logger } from "../log/mod.js";

export interface EndpointStatus {
  name: string;
  subject: string;
  requests: number;
  errors: number;
  averageMs: number;
  lastError: string;
}

export interface ServiceInstanceStatus {
  name: string;
  id: string;
  version: string;
  started: string;
  endpoints: EndpointStatus[];
  /** Whatever the service adds to $SRV.STATS (tree size, consumer lag, ...). */
  data: unknown;
}

export interface StreamStatus {
  name: string;
  messages: number;
  bytes: number;
  firstSeq: number;
  lastSeq: number;
  consumers: number;
  /** Subjects in use (distinct); KV buckets count keys this way. */
  subjects: number;
  /** Configured replicas (1 on a single server). */
  replicas: number;
  /** On a cluster: the node that leads the stream (empty: no leader, no quorum). */
  leader?: string;
  /** On a cluster: every other replica, and whether it is current, lagging behind, or offline. */
  peers?: PeerStatus[];
}

export interface PeerStatus {
  name: string;
  state: "current" | "lagging" | "offline";
  /** Operations it is behind the leader, when lagging. */
  lag?: number;
}

/** One node of the JetStream cluster, as the streams see it. */
export interface NodeStatus {
  name: string;
  /** Leads this many streams. */
  leads: number;
  /** Its replicas across the streams: current, lagging, offline. */
  current: number;
  lagging: number;
  offline: number;
}

export interface ConsumerStatus {
  stream: string;
  name: string;
 /** Messages not yet delivered. */
  pending: number;
  /** Delivered, not yet acknowledged. */
  ackPending: number;
  redelivered: number;
  waiting: number;
  /** Milliseconds since the consumer last delivered a message (undefined: never). */
  lastActiveAgoMs: number | undefined;
}

/**
 * A member's access point as its inbox consumers show it, which works whatever runs it and in
 * whichever account: an access point that runs keeps a pull request waiting on each of them.
 */
export interface AccessPointStatus {
  cp: string;
  /** Messages in its inbox not yet delivered to it. */
  pending: number;
  /** Delivered to it, not yet acknowledged. */
  ackPending: number;
  /** Pull requests it has waiting at the server (0: it is not pulling). */
  pulls: number;
  /** Milliseconds since its inbox last delivered to it (undefined: never). */
  lastDeliveryAgoMs: number | undefined;
  /**
   * Messages wait for it, it has no pull request waiting and nothing was delivered to it for the
   * idle limit, seen twice a moment apart: its access point is down (or stuck).
   */
  down: boolean;
}

export interface ServerStatus {
  url: string;
  serverName: string;
  version: string;
  jetstream: boolean;
  rttMs: number;
  /** From the monitoring endpoint when its URL is known: /healthz's verdict. */
  healthz?: { ok: boolean; status: string; error?: string };
  /** From /varz when known. */
  connections?: number;
  uptime?: string;
  memoryBytes?: number;
  storage: { usedBytes: number; streams: number; consumers: number; apiErrors: number; apiTotal: number };
}

export interface SystemStatus {
  at: string;
  server: ServerStatus;
  /** On a cluster: its name, the meta leader (when the monitoring endpoint says), and every node. */
  cluster?: { name: string; metaLeader?: string; nodes: NodeStatus[] };
  services: ServiceInstanceStatus[];
  streams: StreamStatus[];
  consumers: ConsumerStatus[];
  /** Every contact point with inbox consumers. */
  accessPoints: AccessPointStatus[];
  /**
   * Data-key stream replicas the retention service recorded as holding erased data (rebuild
   * pending); `invalid` when the record does not parse; absent unless asked for, or when this identity cannot read it.
   */
  staleReplicas?: Array<{ stream: string; node: string; sinceMs: number }> | "invalid";
  /** Each hub stream whose live config differs from its spec (src/nats/streams.ts), replica count aside. */
  driftedStreams: Array<{ stream: string; fields: string[] }>;
}

/** A replica not heard from for this long counts as offline (its node is down or cut off). */
export const OFFLINE_AFTER_MS = 10_000;

/** An access point with messages waiting that has not pulled for this long counts as down. */
export const DEFAULT_AP_MAX_IDLE_MS = 30_000;

/** The hub services, declared once: the stack starts them (src/stack), and a missing one is worth a warning even when nothing else fails. */
export const HUB_SERVICES = ["exchange", "records", "files", "retention", "audit", "usage", "operations"] as const;

export interface SystemStatusOptions {
  /** The NATS monitoring endpoint, for /healthz and /varz. */
  readonly monitorUrl?: string;
  /** How long to wait for $SRV answers. */
  readonly waitMs?: number;
  /** An access point with messages waiting and no pull for this long is down (default DEFAULT_AP_MAX_IDLE_MS). */
  readonly maxIdleMs?: number;
  /** The pause before a second look at an access point that seems down (default 1 s). */
  readonly confirmMs?: number;
  /** Read the stale key-stream replicas recorded in KV "state" (an identity that may read it: the administrator's). */
  readonly staleReplicas?: boolean;
}

export async function systemStatus(nc: NatsConnection, opts: SystemStatusOptions = {}): Promise<SystemStatus> {
  const waitMs = opts.waitMs ?? 750;
  const jsm = await jetstreamManager(nc);
  const [services, streams, account, rtt, monitor] = await Promise.all([
    discover(nc, waitMs),
    listStreams(jsm),
    jsm.getAccountInfo(),
    nc.rtt(),
    opts.monitorUrl ? monitorHealth(opts.monitorUrl) : Promise.resolve(undefined),
  ]);
  const consumers = await listConsumers(jsm, streams);
  const accessPoints = await accessPointsOf(consumers, opts.maxIdleMs ?? DEFAULT_AP_MAX_IDLE_MS, opts.confirmMs ?? 1_000, async (name) => {
    const ci = await jsm.consumers.info(STREAMS.INBOX.name, name);
    return { pending: ci.num_pending, waiting: ci.num_waiting, deliveredSeq: ci.delivered.stream_seq };
  });
  const info = nc.info;
  const cluster = info?.cluster ? clusterOf(info.cluster, streams, monitor?.metaLeader) : undefined;
  const [staleReplicas, driftedStreams] = await Promise.all([opts.staleReplicas ? staleReplicasOf(nc) : undefined, driftOf(jsm)]);
  return {
    at: new Date().toISOString(),
    ...(cluster ? { cluster } : {}),
    server: {
      url: nc.getServer(),
      serverName: info?.server_name ?? "",
      version: info?.version ?? "",
      jetstream: info?.jetstream ?? false,
      rttMs: rtt,
      ...(monitor ? (({ metaLeader: _m, ...rest }) => rest)(monitor) : {}),
      storage: { usedBytes: account.storage, streams: account.streams, consumers: account.consumers, apiErrors: account.api.errors, apiTotal: account.api.total },
    },
    services,
    streams,
    consumers,
    accessPoints,
    ...(staleReplicas ? { staleReplicas } : {}),
    driftedStreams,
  };
}

const SILENT = { error: () => undefined } as unknown as Logger;

/** The stale replicas recorded in KV "state"; undefined for an identity that may not read it. */
async function staleReplicasOf(nc: NatsConnection): Promise<SystemStatus["staleReplicas"]> {
  try {
    const { value } = await loadStaleReplicas(await new Kvm(nc).open("state"), SILENT);
    return value ? pendingRebuilds(value) : "invalid";
  } catch {
    return undefined;
  }
}

/** Each provisioned hub stream whose live config differs from its spec (src/nats/streams.ts), replica count aside. */
export async function driftOf(jsm: JetStreamManager): Promise<SystemStatus["driftedStreams"]> {
  const out: SystemStatus["driftedStreams"] = [];
  for (const spec of Object.values(STREAMS)) {
    const si = await jsm.streams.info(spec.name).catch(() => undefined);
    const fields = si ? streamDrift(spec, si.config) : [];
    if (fields.length) out.push({ stream: spec.name, fields });
  }
  return out;
}

/**
 * Each contact point's access point, from its inbox consumers. One that looks down (messages wait,
 * no pull request, no delivery for `maxIdleMs`) is looked at again after `confirmMs`: between one
 * pull request's expiry and the next, a running access point has none waiting for a moment, but
 * then it is delivered to at once.
 */
export async function accessPointsOf(
  consumers: readonly ConsumerStatus[],
  maxIdleMs: number,
  confirmMs: number,
  look: (durable: string) => Promise<{ pending: number; waiting: number; deliveredSeq: number }>,
): Promise<AccessPointStatus[]> {
  const byCp = new Map<string, ConsumerStatus[]>();
  for (const c of consumers) {
    const owner = c.stream === STREAMS.INBOX.name ? inboxConsumerOwner(c.name) : undefined;
    if (owner) byCp.set(owner.cp, [...(byCp.get(owner.cp) ?? []), c]);
  }
  const aps = [...byCp].map(([cp, cs]): AccessPointStatus & { consumers: ConsumerStatus[] } => {
    const ago = cs.map((c) => c.lastActiveAgoMs).filter((x): x is number => x !== undefined);
    const lastDeliveryAgoMs = ago.length ? Math.min(...ago) : undefined;
    const pending = cs.reduce((n, c) => n + c.pending, 0);
    const pulls = cs.reduce((n, c) => n + c.waiting, 0);
    return {
      cp,
      pending,
      ackPending: cs.reduce((n, c) => n + c.ackPending, 0),
      pulls,
      lastDeliveryAgoMs,
      down: pending > 0 && pulls === 0 && (lastDeliveryAgoMs === undefined || lastDeliveryAgoMs >= maxIdleMs),
      consumers: cs,
    };
  });
  const suspects = aps.filter((a) => a.down);
  if (suspects.length > 0) {
    const first = new Map<string, { pending: number; waiting: number; deliveredSeq: number }>();
    // A consumer that cannot be looked at (deleted meanwhile) shows nothing waiting.
    const lookOrNone = (name: string) => look(name).catch(() => ({ pending: 0, waiting: 0, deliveredSeq: -1 }));
    for (const a of suspects) for (const c of a.consumers) first.set(c.name, await lookOrNone(c.name));
    await new Promise((r) => setTimeout(r, confirmMs));
    for (const a of suspects) {
      let still = false;
      let pulls = 0;
      for (const c of a.consumers) {
        const before = first.get(c.name);
        const now = await lookOrNone(c.name);
        pulls += now.waiting;
        if (now.pending > 0 && before && now.deliveredSeq === before.deliveredSeq) still = true;
      }
      a.down = still && pulls === 0;
    }
  }
  return aps.map(({ consumers: _c, ...a }) => a).sort((a, b) => a.cp.localeCompare(b.cp));
}

/** Every stream as operations see it, by name. */
export async function listStreams(jsm: JetStreamManager): Promise<StreamStatus[]> {
  const out: StreamStatus[] = [];
  for await (const si of jsm.streams.list()) out.push(streamStatusOf(si));
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * Every stream, also one the meta leader knows but whose leader did not answer (no quorum): that
 * one is listed without a leader, with the replica count `replicasSeen` last recorded for it
 * (updated here from the streams that answered).
 */
export async function listStreamsWithoutQuorum(jsm: JetStreamManager, replicasSeen: Map<string, number>): Promise<StreamStatus[]> {
  const names: string[] = [];
  for await (const n of jsm.streams.names()) names.push(n);
  const out = new Map((await listStreams(jsm)).map((s) => [s.name, s]));
  for (const n of names) {
    const seen = out.get(n);
    if (seen) replicasSeen.set(n, seen.replicas);
    else out.set(n, { name: n, messages: 0, bytes: 0, firstSeq: 0, lastSeq: 0, consumers: 0, subjects: 0, replicas: replicasSeen.get(n) ?? 1, leader: "", peers: [] });
  }
  return [...out.values()];
}

/** Every durable consumer of these streams, by stream and name; `now` dates their last delivery. */
export async function listConsumers(jsm: JetStreamManager, streams: readonly StreamStatus[], now: () => number = Date.now): Promise<ConsumerStatus[]> {
  const consumers: ConsumerStatus[] = [];
  for (const s of streams.filter((x) => x.consumers > 0)) {
    for await (const ci of jsm.consumers.list(s.name)) {
      if (!ci.config.durable_name) continue; // ephemeral (KV watchers, ordered reads): not the system's state
      // The server sends an RFC 3339 time here, whatever the client's types say.
      const la = ci.delivered.last_active as unknown;
      const last = typeof la === "string" ? Date.parse(la) : NaN;
      consumers.push({
        stream: s.name,
        name: ci.name,
        pending: ci.num_pending,
        ackPending: ci.num_ack_pending,
        redelivered: ci.num_redelivered,
        waiting: ci.num_waiting,
        lastActiveAgoMs: Number.isFinite(last) ? Math.max(0, now() - last) : undefined,
      });
    }
  }
  return consumers.sort((a, b) => `${a.stream}/${a.name}`.localeCompare(`${b.stream}/${b.name}`));
}

/** One stream as operations see it; on a cluster with its leader and replicas. */
export function streamStatusOf(si: StreamInfo): StreamStatus {
  return {
    name: si.config.name,
    messages: si.state.messages,
    bytes: si.state.bytes,
    firstSeq: si.state.first_seq,
    lastSeq: si.state.last_seq,
    consumers: si.state.consumer_count,
    subjects: si.state.num_subjects ?? 0,
    replicas: si.config.num_replicas || 1,
    ...(si.cluster && (si.config.num_replicas ?? 1) > 1
      ? {
          leader: si.cluster.leader ?? "",
          peers: (si.cluster.replicas ?? []).map((r): PeerStatus => ({
            name: r.name,
            // nats-server keeps a dead node's replica as "not current" for a while before it calls
            // it offline; not heard from for OFFLINE_AFTER_MS is offline as far as operations care,
            // and so is one a newly elected leader has never heard from (active 0, not current).
            state: r.offline || (!r.current && (r.active === 0 || r.active / 1e6 > OFFLINE_AFTER_MS)) ? "offline" : r.current ? "current" : "lagging",
            ...(r.lag ? { lag: r.lag } : {}),
          })),
        }
      : {}),
  };
}

/** Every service instance that answers `$SRV.STATS` within `waitMs`. */
export async function discover(nc: NatsConnection, waitMs = 750): Promise<ServiceInstanceStatus[]> {
  const client = new Svcm(nc).client({ strategy: "timer", maxWait: waitMs });
  const out: ServiceInstanceStatus[] = [];
  try {
    for await (const s of await client.stats()) {
      out.push({
        name: s.name,
        id: s.id,
        version: s.version,
        started: s.started,
        endpoints: (s.endpoints ?? []).map((e) => ({
          name: e.name,
          subject: e.subject,
          requests: e.num_requests,
          errors: e.num_errors,
          averageMs: e.average_processing_time / 1e6,
          lastError: e.last_error ?? "",
        })),
        data: s.endpoints?.find((e) => e.data !== undefined && e.data !== null)?.data ?? null,
      });
    }
  } catch (err) {
    if (!(err instanceof natsErrors.NoRespondersError)) throw err; // nothing runs: that is the answer
  }
  return out.sort((a, b) => `${a.name}/${a.id}`.localeCompare(`${b.name}/${b.id}`));
}

/** The nodes as the streams see them: who leads what, and which replicas are current. */
export function clusterOf(name: string, streams: readonly StreamStatus[], metaLeader: string | undefined): NonNullable<SystemStatus["cluster"]> {
  const nodes = new Map<string, NodeStatus>();
  const node = (n: string) => {
    let x = nodes.get(n);
    if (!x) nodes.set(n, (x = { name: n, leads: 0, current: 0, lagging: 0, offline: 0 }));
    return x;
  };
  for (const s of streams) {
    if (s.leader) node(s.leader).leads++;
    for (const p of s.peers ?? []) node(p.name)[p.state]++;
  }
  if (metaLeader) node(metaLeader);
  return { name, ...(metaLeader ? { metaLeader } : {}), nodes: [...nodes.values()].sort((a, b) => a.name.localeCompare(b.name)) };
}

async function monitorHealth(base: string): Promise<Pick<ServerStatus, "healthz" | "connections" | "uptime" | "memoryBytes"> & { metaLeader?: string }> {
  const get = async (path: string) => {
    const res = await fetch(new URL(path, base), { signal: AbortSignal.timeout(2_000) });
    return { ok: res.ok, body: (await res.json()) as Record<string, unknown> };
  };
  try {
    const [h, v, j] = await Promise.all([get("/healthz?js-enabled-only=true"), get("/varz"), get("/jsz").catch(() => ({ ok: false, body: {} as Record<string, unknown> }))]);
    const meta = (j.body.meta_cluster as { leader?: string } | undefined)?.leader;
    return {
      ...(meta ? { metaLeader: meta } : {}),
      healthz: { ok: h.ok && h.body.status === "ok", status: String(h.body.status ?? ""), ...(h.body.error ? { error: String(h.body.error) } : {}) },
      connections: Number(v.body.connections ?? 0),
      uptime: String(v.body.uptime ?? ""),
      memoryBytes: Number(v.body.mem ?? 0),
    };
  } catch (err) {
    return { healthz: { ok: false, status: "unreachable", error: (err as Error).message } };
  }
}
