// The usage service's Prometheus gauges: every member's all-time counters, who is dormant, and the
// state of every stream, consumer and cluster node as src/ops lists them (the cluster alerts read
// these). Collected at each scrape; a scrape reads the store once and shares it for a second.
import type { JetStreamManager } from "@nats-io/jetstream";
import type { Logger } from "../../src/log/mod.js";
import type { ServiceMetrics } from "../../src/metrics/mod.js";
import { clusterOf, listConsumers, listStreams, listStreamsWithoutQuorum, type ConsumerStatus, type StreamStatus } from "../../src/ops/mod.js";
import type { pb } from "../../src/proto/mod.js";
import type { Dormancy } from "./dormancy.js";
import type { UsageStore } from "./store.js";

const SHARED_MS = 1_000;

const USAGE_GAUGES: ReadonlyArray<[keyof pb.IUsageCounters & keyof pb.UsageCounters, string, string]> = [
  ["messagesSent", "liaison_usage_messages_sent", "Messages sent, per contact point (all time)"],
  ["messagesReceived", "liaison_usage_messages_received", "Messages delivered to the contact point (all time)"],
  ["messagesAnswered", "liaison_usage_messages_answered", "Requests answered by the contact point (all time)"],
  ["repliesLate", "liaison_usage_replies_late", "Requests answered after their reply-by date (all time)"],
  ["recordsSubmitted", "liaison_usage_records_submitted", "CIS records submitted (all time)"],
  ["recordsQueried", "liaison_usage_records_queried", "CIS queries made (all time)"],
  ["recordHits", "liaison_usage_record_hits", "CIS hits obtained (all time)"],
  ["filesRegistered", "liaison_usage_files_registered", "FIDE files registered (all time)"],
  ["filesQueried", "liaison_usage_files_queried", "FIDE queries made (all time)"],
  ["fileHits", "liaison_usage_file_hits", "FIDE hits obtained (all time)"],
  ["refusals", "liaison_usage_refusals", "Refused inputs from the contact point (all time)"],
];

export interface UsageMetricsDeps {
  readonly metrics: ServiceMetrics;
  readonly store: UsageStore;
  readonly dormancy: Dormancy;
  /** For the consumer gauges. */
  readonly jsm: JetStreamManager;
  /** For the stream gauges: its requests wait long enough for a stream leader on a cluster. */
  readonly streamsJsm: JetStreamManager;
  readonly log: Logger;
  readonly now: () => number;
}

/** Registers every gauge of the usage service. */
export function registerUsageMetrics(d: UsageMetricsDeps): void {
  const { metrics, now } = d;
  const memo = <T>(f: () => Promise<T>) => {
    let cached: { at: number; p: Promise<T> } | undefined;
    return () => {
      if (!cached || now() - cached.at > SHARED_MS) cached = { at: now(), p: f() };
      return cached.p;
    };
  };

  // Current totals from the store, per member (all months): scraped, never reset by a restart.
  const cachedTotals = memo(async () => {
    const t = new Map<string, Record<string, number>>();
    for (const c of await d.store.months()) {
      const cur = t.get(c.contactPoint) ?? {};
      for (const [f] of USAGE_GAUGES) cur[f] = (cur[f] ?? 0) + Number(c[f]);
      t.set(c.contactPoint, cur);
    }
    return t;
  });
  const cachedActivity = memo(() => d.dormancy.activity());
  for (const [field, name, help] of USAGE_GAUGES) {
    metrics.gauge(name, help, ["cp"], async (g) => {
      g.reset();
      for (const [cp, c] of await cachedTotals()) g.set({ cp }, Number(c[field] ?? 0));
    });
  }
  metrics.gauge("liaison_cp_dormant", "1 when the contact point has not connected for the dormancy period", ["cp"], async (g) => {
    g.reset();
    for (const a of await cachedActivity()) g.set({ cp: a.contactPoint ?? "" }, a.dormant ? 1 : 0);
  });
  metrics.gauge("liaison_cp_last_connection_seconds", "When the contact point's access point last connected (Unix time; 0: never)", ["cp"], async (g) => {
    g.reset();
    for (const a of await cachedActivity()) g.set({ cp: a.contactPoint ?? "" }, Number(a.lastConnectionMs) / 1000);
  });

  const streams = streamListing(d);
  const streamGauge = (name: string, help: string, pick: (s: StreamStatus) => number) =>
    metrics.gauge(name, help, ["stream"], async (g) => {
      g.reset();
      for (const s of await streams()) g.set({ stream: s.name }, pick(s));
    });
  streamGauge("liaison_stream_messages", "Messages in each JetStream stream", (s) => s.messages);
  streamGauge("liaison_stream_bytes", "Bytes in each JetStream stream", (s) => s.bytes);
  // On a cluster (one server: every stream has its one replica, led by that server).
  streamGauge("liaison_stream_replicas", "Replicas each stream is configured with", (s) => s.replicas);
  streamGauge("liaison_stream_has_leader", "1 when the stream has a leader (0: no quorum, it takes no writes)", (s) => (s.leader === undefined || s.leader !== "" ? 1 : 0));
  streamGauge("liaison_stream_replicas_current", "Replicas of the stream that are current (the leader counts)", (s) =>
    s.leader === undefined ? 1 : (s.leader ? 1 : 0) + (s.peers ?? []).filter((p) => p.state === "current").length,
  );
  metrics.gauge("liaison_stream_replica_lag", "Operations a stream's replica is behind its leader (0: current)", ["stream", "node"], async (g) => {
    g.reset();
    for (const s of await streams()) for (const p of s.peers ?? []) if (p.state !== "offline") g.set({ stream: s.name, node: p.name }, p.state === "current" ? 0 : (p.lag ?? 0));
  });
  metrics.gauge("liaison_nats_node_up", "1 when the cluster node leads a stream or holds a replica that is not offline; 0 when every replica on it is offline", ["node"], async (g) => {
    g.reset();
    const listed = await streams();
    if (!listed.some((s) => s.leader !== undefined)) return; // one server: no cluster to watch
    for (const n of clusterOf("", listed, undefined).nodes) g.set({ node: n.name }, n.leads + n.current + n.lagging > 0 ? 1 : 0);
  });

  const consumerGauge = (name: string, help: string, pick: (c: ConsumerStatus) => number) =>
    metrics.gauge(name, help, ["stream", "consumer"], async (g) => {
      g.reset();
      for (const c of await listConsumers(d.jsm, await listStreams(d.jsm), now)) g.set({ stream: c.stream, consumer: c.name }, pick(c));
    });
  consumerGauge("liaison_consumer_pending", "Messages not yet delivered to each durable consumer (lag)", (c) => c.pending);
  consumerGauge("liaison_consumer_ack_pending", "Messages delivered and not yet acknowledged", (c) => c.ackPending);
  consumerGauge("liaison_consumer_redelivered", "Messages redelivered at least once and not yet acknowledged", (c) => c.redelivered);
}

/**
 * Streams as operations see them, for every stream gauge. Listing streams waits for each stream's
 * leader, so with a node down it can take seconds: a scrape answers from the last listing and
 * starts the next one (at most one a second).
 */
function streamListing(d: Pick<UsageMetricsDeps, "streamsJsm" | "log" | "now">): () => Promise<StreamStatus[]> {
  const replicasSeen = new Map<string, number>();
  let last: StreamStatus[] | undefined;
  let startedAt: number | undefined;
  let listing: Promise<StreamStatus[]> | undefined;
  return async () => {
    if (!listing && (startedAt === undefined || d.now() - startedAt > SHARED_MS)) {
      startedAt = d.now();
      const next = listStreamsWithoutQuorum(d.streamsJsm, replicasSeen)
        .then((l) => (last = l))
        .catch((err: unknown) => {
          // No listing at all: on a cluster, no meta leader (a majority of nodes down), so no
          // replicated stream has a quorum either. Say so rather than keep the last good view.
          if (last) last = last.map((x) => (x.leader === undefined ? x : { ...x, leader: "", peers: [] }));
          throw err;
        })
        .finally(() => (listing = undefined));
      next.catch((err: unknown) => d.log.debug({ err }, "listing streams for the metrics failed"));
      listing = next;
    }
    return last ?? listing ?? Promise.reject(new Error("no stream listing yet"));
  };
}
