// The system's state as operations see it: every hub service instance found through `$SRV`
// discovery with its stats, every stream and consumer, and the NATS server's health. Shared by
// `liaison status` and the console's health page. Counts and states only, never content.
import { jetstreamManager } from "@nats-io/jetstream";
import { errors as natsErrors, type NatsConnection } from "@nats-io/nats-core";
import { Svcm } from "@nats-io/services";

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
  services: ServiceInstanceStatus[];
  streams: StreamStatus[];
  consumers: ConsumerStatus[];
}

/** The expected hub services: a missing one is worth a warning even when nothing else fails. */
export const HUB_SERVICES = ["exchange", "records", "files", "retention", "audit", "usage"] as const;

export async function systemStatus(nc: NatsConnection, opts: { monitorUrl?: string; waitMs?: number } = {}): Promise<SystemStatus> {
  const waitMs = opts.waitMs ?? 750;
  const jsm = await jetstreamManager(nc);
  const [services, streamInfos, account, rtt, monitor] = await Promise.all([
    discover(nc, waitMs),
    (async () => {
      const out = [];
      for await (const si of jsm.streams.list()) out.push(si);
      return out;
    })(),
    jsm.getAccountInfo(),
    nc.rtt(),
    opts.monitorUrl ? monitorHealth(opts.monitorUrl) : Promise.resolve(undefined),
  ]);
  const streams: StreamStatus[] = streamInfos
    .map((si) => ({
      name: si.config.name,
      messages: si.state.messages,
      bytes: si.state.bytes,
      firstSeq: si.state.first_seq,
      lastSeq: si.state.last_seq,
      consumers: si.state.consumer_count,
      subjects: si.state.num_subjects ?? 0,
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
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
        lastActiveAgoMs: Number.isFinite(last) ? Math.max(0, Date.now() - last) : undefined,
      });
    }
  }
  const info = nc.info;
  return {
    at: new Date().toISOString(),
    server: {
      url: nc.getServer(),
      serverName: info?.server_name ?? "",
      version: info?.version ?? "",
      jetstream: info?.jetstream ?? false,
      rttMs: rtt,
      ...(monitor ?? {}),
      storage: { usedBytes: account.storage, streams: account.streams, consumers: account.consumers, apiErrors: account.api.errors, apiTotal: account.api.total },
    },
    services,
    streams,
    consumers: consumers.sort((a, b) => `${a.stream}/${a.name}`.localeCompare(`${b.stream}/${b.name}`)),
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

async function monitorHealth(base: string): Promise<Pick<ServerStatus, "healthz" | "connections" | "uptime" | "memoryBytes">> {
  const get = async (path: string) => {
    const res = await fetch(new URL(path, base), { signal: AbortSignal.timeout(2_000) });
    return { ok: res.ok, body: (await res.json()) as Record<string, unknown> };
  };
  try {
    const [h, v] = await Promise.all([get("/healthz?js-enabled-only=true"), get("/varz")]);
    return {
      healthz: { ok: h.ok && h.body.status === "ok", status: String(h.body.status ?? ""), ...(h.body.error ? { error: String(h.body.error) } : {}) },
      connections: Number(v.body.connections ?? 0),
      uptime: String(v.body.uptime ?? ""),
      memoryBytes: Number(v.body.mem ?? 0),
    };
  } catch (err) {
    return { healthz: { ok: false, status: "unreachable", error: (err as Error).message } };
  }
}
