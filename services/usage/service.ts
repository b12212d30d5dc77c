// Wires the usage service. It counts from the audit log (durable consumer "usage" on AUDIT), so
// every figure has an audited event behind it and nothing is counted that did not happen:
// - counters per contact point and month in KV "usage" (key m.<CP>.<YYYY-MM>); each value carries
//   the last AUDIT sequence counted into it, so a redelivered event is never counted twice;
// - activity per contact point (key a.<CP>): last connection, dormancy, notices sent;
// - dormancy checks: a member with no connection for `dormantAfter` gets a DORMANT notice, and a
//   SUSPENSION_WARNING `suspensionWarning` before `suspendAfter`; both are audit events;
// - a live throughput sample every few seconds; Prometheus gauges of the counters, the dormant
//   members, and the state of every stream and consumer.
// One replica counts at a time (a lease in KV "state"); any replica answers reports from KV.
import { hostname } from "node:os";
import { jetstream, jetstreamManager, type JsMsg } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/nats-core";
import { AuditClient, AuditEmitter, logRegistryRefusal, splitAuditBatch } from "../../src/audit/mod.js";
import type { UsageConfig } from "../../src/config/mod.js";
import { decodeAs, newId, type ContactPointKeys } from "../../src/crypto/mod.js";
import { dormancy, HUB, isContactPointCode, REPLY_TIME_BOUNDS_S } from "../../src/domain/mod.js";
import { LiaisonError } from "../../src/errors.js";
import type { Logger } from "../../src/log/mod.js";
import { ServiceMetrics } from "../../src/metrics/mod.js";
import { consumeBatches, Lease, LEASE_RENEW_MS, LEASE_TTL_MS, startMicroService, type BatchConsumer } from "../../src/nats/mod.js";
import { NoticePublisher } from "../../src/notices/mod.js";
import { clusterOf, streamStatusOf, type StreamStatus } from "../../src/ops/mod.js";
import { pb } from "../../src/proto/mod.js";
import { watchRegistry, type RegistryTrust } from "../../src/registry/mod.js";
import { THROUGHPUT_SUBJECT, usageApi } from "../../src/usage/mod.js";
import { answerDelta, countEvent, type Delta, type RequestFacts, type Tally } from "./counting.js";

export type UsageSettings = Pick<UsageConfig, "dormantAfter" | "suspendAfter" | "suspensionWarning" | "dormancyCheckInterval" | "throughputInterval"> & {
  /** The registry public key entries must be signed with. */
  readonly registryTrust: RegistryTrust;
};

export interface RunningUsage {
  report(q?: pb.IUsageQuery): Promise<pb.IUsageReport>;
  /** Runs a dormancy check now (if this replica holds the lease) and returns the activity. */
  checkDormancy(): Promise<pb.IContactPointActivity[]>;
  /** Resolves once every AUDIT message published so far has been counted. */
  caughtUp(timeoutMs?: number): Promise<void>;
  readonly metrics: ServiceMetrics;
  close(): Promise<void>;
}

const REQUESTS_REMEMBERED = 200_000;
const monthKey = (cp: string, month: string) => `m.${cp}.${month}`;
const activityKey = (cp: string) => `a.${cp}`;

export async function startUsage(
  nc: NatsConnection,
  cfg: UsageSettings,
  hubKeys: ContactPointKeys,
  log: Logger,
  opts: { now?: () => number; timers?: boolean } = {},
): Promise<RunningUsage> {
  const now = opts.now ?? Date.now;
  const timers = opts.timers ?? true;
  const kvm = new Kvm(nc);
  const kv = await kvm.open("usage");
  const state = await kvm.open("state");
  const js = jetstream(nc);
  const jsm = await jetstreamManager(nc);
  const audit = new AuditEmitter(nc, "usage", { now });
  const auditClient = new AuditClient(nc);
  const notices = new NoticePublisher(nc, hubKeys, now);
  const registry = await watchRegistry(nc, log, { trust: cfg.registryTrust, now, onRefused: logRegistryRefusal(audit, HUB) });
  const lease = new Lease(state, "usage.lease", `${hostname()}:${process.pid}:${newId()}`, LEASE_TTL_MS, now);
  const metrics = new ServiceMetrics("usage");

  /**
   * The keys under a filter, from the stream's per-subject counts: one request, a consistent
   * answer. (kv.keys() walks an ordered consumer over the bucket, which returns duplicates and
   * takes seconds while the counter is writing.)
   */
  const keysOf = async (filter: string): Promise<string[]> => {
    const prefix = "$KV.usage.";
    const info = await jsm.streams.info("KV_usage", { subjects_filter: `${prefix}${filter}` });
    return Object.keys(info.state.subjects ?? {})
      .map((s) => s.slice(prefix.length))
      .sort();
  };

  // ---------------------------------------------------------------- counting
  const cache = new Map<string, pb.IUsageCounters>();
  const requests = new Map<string, RequestFacts>();
  const remember = (id: string, f: RequestFacts) => {
    requests.set(id, f);
    if (requests.size > REQUESTS_REMEMBERED) requests.delete(requests.keys().next().value as string);
  };
  const window: Array<{ atMs: number; tally: Tally }> = [];
  const refusalsByReason = metrics.counter("liaison_refusals_total", "Refusals in the audit log, by reason code (every service and access point)", ["reason"]);
  let lastCountedSeq = 0;

  const counters = async (cp: string, month: string): Promise<pb.IUsageCounters> => {
    const key = monthKey(cp, month);
    let c = cache.get(key);
    if (!c) {
      const e = await kv.get(key);
      c = e && e.operation === "PUT" ? pb.UsageCounters.decode(e.value) : { contactPoint: cp, month };
      cache.set(key, c);
    }
    return c;
  };

  const requestFacts = async (id: string): Promise<RequestFacts | undefined> => {
    const known = requests.get(id);
    if (known) return known;
    // Counted before a restart: the ROUTE event is still in the log.
    try {
      const r = await auditClient.query({ objectType: "message", objectId: id, actions: [pb.AuditAction.AUDIT_ACTION_ROUTE], limit: 1 });
      const e = r.records[0]?.event;
      if (!e) return undefined;
      const details = e.details ?? {};
      return { from: e.authority ?? "", createdAtMs: Number(details.createdAtMs ?? e.atMs), replyByMs: Number(details.replyByMs ?? 0) };
    } catch (err) {
      log.warn({ err, id }, "request not found in the audit log; its answer is counted without a reply time");
      return undefined;
    }
  };

  const handle = async (msgs: JsMsg[]) => {
    const cps = new Set(registry.view.all().map((c) => c.code ?? ""));
    const dirty = new Set<string>();
    for (const m of msgs) {
      const seq = m.seq;
      const source = m.subject.slice(m.subject.lastIndexOf(".") + 1);
      let events: Uint8Array[] = [];
      try {
        events = splitAuditBatch(m.data);
      } catch (err) {
        log.warn({ err, seq }, "AUDIT message is not an AuditBatch; not counted");
      }
      const deltas: Delta[] = [];
      for (const bytes of events) {
        let e: pb.AuditEvent;
        try {
          e = pb.AuditEvent.decode(bytes);
        } catch {
          continue;
        }
        const counted = countEvent(e, source);
        deltas.push(...counted.deltas);
        if (counted.request) remember(counted.request.id, counted.request.facts);
        if (counted.answer) deltas.push(answerDelta(counted.answer, await requestFacts(counted.answer.requestId)));
        if (seq > lastCountedSeq) {
          if (counted.tally) window.push({ atMs: Number(e.atMs), tally: counted.tally });
          if (window.length > 500_000) window.splice(0, window.length - 500_000); // a backlog being caught up
          if (counted.refusalReason) refusalsByReason.inc({ reason: counted.refusalReason }, counted.refusalCount ?? 1);
        }
      }
      for (const d of deltas) {
        if (!cps.has(d.cp)) continue; // not a member (a console role, a mistyped authority)
        const c = await counters(d.cp, d.month);
        if (Number(c.auditSeq ?? 0) >= seq) continue; // counted before a crash
        d.apply(c);
        dirty.add(monthKey(d.cp, d.month));
      }
      // Stamped after the whole message: a value's auditSeq covers every event of that message.
      for (const key of dirty) {
        const c = cache.get(key);
        if (c && Number(c.auditSeq ?? 0) < seq) c.auditSeq = seq;
      }
      lastCountedSeq = Math.max(lastCountedSeq, seq);
    }
    await Promise.all([...dirty].map((key) => kv.put(key, pb.UsageCounters.encode(cache.get(key) ?? {}).finish())));
    for (const m of msgs) m.ack();
  };

  let consumer: BatchConsumer | undefined;
  const takeOrKeepLease = async () => {
    const held = await lease.acquire();
    if (held && !consumer) {
      consumer = await consumeBatches(js, "AUDIT", "usage", handle, { log, maxInFlight: 1, maxBatch: 256, buffer: 1_024 });
      log.info("counting usage from the audit log");
    } else if (!held && consumer) {
      const c = consumer;
      consumer = undefined;
      cache.clear(); // another replica counts now: what we hold may go stale
      await c.stop();
    }
  };
  await takeOrKeepLease();
  const leaseTimer = timers ? setInterval(() => void takeOrKeepLease().catch((err: unknown) => log.warn({ err }, "usage lease")), LEASE_RENEW_MS) : undefined;

  const caughtUp = async (timeoutMs = 10_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const ci = await jsm.consumers.info("AUDIT", "usage");
      if (ci.num_pending === 0 && ci.num_ack_pending === 0) return;
      if (Date.now() > deadline) throw new Error(`usage still has ${ci.num_pending + ci.num_ack_pending} audit messages to count`);
      await new Promise((r) => setTimeout(r, 25));
    }
  };

  // ---------------------------------------------------------------- activity and dormancy
  const readActivity = async (cp: string): Promise<pb.IContactPointActivity | undefined> => {
    const e = await kv.get(activityKey(cp));
    return e && e.operation === "PUT" ? pb.ContactPointActivity.decode(e.value) : undefined;
  };

  /** The stored monthly counters under a key filter (m.> for all). */
  const storedMonths = async (filter = "m.>"): Promise<pb.UsageCounters[]> => {
    const out: pb.UsageCounters[] = [];
    for (const key of await keysOf(filter)) {
      const e = await kv.get(key);
      if (e && e.operation === "PUT") out.push(pb.UsageCounters.decode(e.value));
    }
    return out;
  };

  /** Last connection and activity of each member, from its monthly counters. */
  const lastSeen = async (): Promise<Map<string, { conn: number; act: number }>> => {
    const out = new Map<string, { conn: number; act: number }>();
    for (const c of await storedMonths()) {
      const cur = out.get(c.contactPoint) ?? { conn: 0, act: 0 };
      out.set(c.contactPoint, { conn: Math.max(cur.conn, Number(c.lastConnectionMs)), act: Math.max(cur.act, Number(c.lastActivityMs)) });
    }
    return out;
  };

  const activity = async (): Promise<pb.IContactPointActivity[]> => {
    const seen = await lastSeen();
    const t = now();
    return Promise.all(
      registry.view
        .all()
        .filter((c) => c.code !== HUB)
        .map(async (c) => {
          const code = c.code ?? "";
          const s = seen.get(code) ?? { conn: 0, act: 0 };
          const d = dormancy(s.conn, Number(c.registeredAtMs), t, { dormantAfterMs: cfg.dormantAfter, suspendAfterMs: cfg.suspendAfter, warnBeforeMs: cfg.suspensionWarning });
          const prev = await readActivity(code);
          const sameSpell = prev && Number(prev.dormantSinceMs) === d.dormantSinceMs;
          return {
            contactPoint: code,
            name: c.name ?? "",
            active: Boolean(c.active),
            registeredAtMs: Number(c.registeredAtMs),
            lastConnectionMs: s.conn,
            lastActivityMs: s.act,
            dormant: c.active && d.dormant,
            dormantSinceMs: d.dormantSinceMs,
            suspensionDueMs: c.active ? d.suspensionDueMs : 0,
            suspensionWarning: c.active && d.warnSuspension,
            dormantNoticeAtMs: sameSpell ? Number(prev.dormantNoticeAtMs) : 0,
            suspensionWarningAtMs: sameSpell ? Number(prev.suspensionWarningAtMs) : 0,
          } satisfies pb.IContactPointActivity;
        }),
    );
  };

  const notify = async (a: pb.IContactPointActivity, kind: pb.NoticeKind, details: Record<string, string>) => {
    const n = await notices.send({ kind, addressee: a.contactPoint ?? "", objectType: "contact-point", objectId: a.contactPoint ?? "", dueAtMs: Number(a.suspensionDueMs), details });
    await audit.emit({
      action: pb.AuditAction.AUDIT_ACTION_NOTICE,
      authority: HUB,
      userId: "usage",
      objectType: "contact-point",
      objectId: a.contactPoint ?? "",
      details: { notice: pb.NoticeKind[kind] ?? "", noticeId: n.id ?? "", ...details },
    });
  };

  let lastDormant = new Map<string, boolean>();
  const checkDormancy = async (): Promise<pb.IContactPointActivity[]> => {
    const list = await activity();
    if (await lease.acquire()) {
      const t = now();
      for (const a of list) {
        const days = (ms: number) => String(Math.max(0, Math.ceil(ms / 86_400_000)));
        if (a.dormant && !Number(a.dormantNoticeAtMs)) {
          await notify(a, pb.NoticeKind.NOTICE_KIND_DORMANT, { lastConnectionMs: String(a.lastConnectionMs), daysWithoutConnection: days(t - Number(a.lastConnectionMs || a.registeredAtMs)) });
          a.dormantNoticeAtMs = t;
          log.warn({ cp: a.contactPoint, lastConnectionMs: a.lastConnectionMs }, "contact point dormant; notice sent");
        }
        if (a.suspensionWarning && !Number(a.suspensionWarningAtMs)) {
          await notify(a, pb.NoticeKind.NOTICE_KIND_SUSPENSION_WARNING, { suspensionDueMs: String(a.suspensionDueMs), daysLeft: days(Number(a.suspensionDueMs) - t) });
          a.suspensionWarningAtMs = t;
          log.warn({ cp: a.contactPoint, suspensionDueMs: a.suspensionDueMs }, "contact point heading for suspension; reminder sent");
        }
        await kv.put(activityKey(a.contactPoint ?? ""), pb.ContactPointActivity.encode(a).finish());
      }
    }
    lastDormant = new Map(list.map((a) => [a.contactPoint ?? "", Boolean(a.dormant)]));
    return list;
  };
  const dormancyTimer = timers
    ? setInterval(() => void checkDormancy().catch((err: unknown) => log.warn({ err }, "dormancy check failed")), cfg.dormancyCheckInterval)
    : undefined;

  // ---------------------------------------------------------------- reports
  const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;
  const checkQuery = (q: pb.UsageQuery): pb.IUsageQuery => {
    if (q.contactPoint && !isContactPointCode(q.contactPoint)) throw new LiaisonError("LIAISON_BAD_REQUEST", `not a contact point code: ${JSON.stringify(q.contactPoint)}`);
    for (const m of [q.fromMonth, q.toMonth]) if (m && !MONTH.test(m)) throw new LiaisonError("LIAISON_BAD_REQUEST", `not a month (YYYY-MM): ${JSON.stringify(m)}`);
    return q;
  };
  const report = async (q: pb.IUsageQuery = {}): Promise<pb.IUsageReport> => {
    const out: pb.IUsageCounters[] = (await storedMonths(q.contactPoint ? `m.${q.contactPoint}.*` : "m.>"))
      .filter((c) => !(q.fromMonth && c.month < q.fromMonth) && !(q.toMonth && c.month > q.toMonth))
      .map((c) => ({ ...c, auditSeq: 0 }));
    out.sort((a, b) => `${a.contactPoint}.${a.month}`.localeCompare(`${b.contactPoint}.${b.month}`));
    const acts = (await activity()).filter((a) => !q.contactPoint || a.contactPoint === q.contactPoint);
    return { generatedAtMs: now(), counters: out, activity: acts, replyTimeBoundsS: [...REPLY_TIME_BOUNDS_S] };
  };

  // ---------------------------------------------------------------- live throughput
  const sample = (): pb.IThroughputSample => {
    const t = now();
    while (window.length > 0 && (window[0]?.atMs ?? 0) < t - 60_000) window.shift();
    const n = (k: Tally) => window.filter((w) => w.atMs >= t - 60_000 && w.tally === k).length;
    return { atMs: t, messagesRouted: n("routed"), receipts: n("receipts"), queries: n("queries"), refusals: n("refusals"), auditEvents: window.length };
  };
  const throughputTimer = timers
    ? setInterval(() => {
        if (consumer) nc.publish(THROUGHPUT_SUBJECT, pb.ThroughputSample.encode(sample()).finish());
      }, cfg.throughputInterval)
    : undefined;

  // ---------------------------------------------------------------- metrics
  const usageGauges: Array<[keyof pb.IUsageCounters & keyof pb.UsageCounters, string, string]> = [
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
  // Current totals from the store, per member (all months): scraped, never reset by a restart.
  // A scrape reads the store once: every gauge's collect shares these for a second.
  const memo = <T>(f: () => Promise<T>) => {
    let cached: { at: number; p: Promise<T> } | undefined;
    return () => {
      if (!cached || Date.now() - cached.at > 1_000) cached = { at: Date.now(), p: f() };
      return cached.p;
    };
  };
  const cachedTotals = memo(async () => {
    const t = new Map<string, Record<string, number>>();
    for (const c of await storedMonths()) {
      const cur = t.get(c.contactPoint) ?? {};
      for (const [f] of usageGauges) cur[f] = (cur[f] ?? 0) + Number(c[f]);
      t.set(c.contactPoint, cur);
    }
    return t;
  });
  const cachedActivity = memo(activity);
  for (const [field, name, help] of usageGauges) {
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
  // Streams as operations see them, for every stream gauge. Listing streams waits for each stream's
  // leader, so with a node down it can take seconds: a scrape answers from the last listing and
  // starts the next one. A stream the meta leader knows but whose leader did not answer is listed
  // without a leader (no quorum), with the replica count last seen.
  const streamsJsm = await jetstreamManager(nc, { timeout: 10_000 });
  const lastReplicas = new Map<string, number>();
  const listStreams = async (): Promise<StreamStatus[]> => {
    const names: string[] = [];
    for await (const n of streamsJsm.streams.names()) names.push(n);
    const out = new Map<string, StreamStatus>();
    for await (const si of streamsJsm.streams.list()) out.set(si.config.name, streamStatusOf(si));
    for (const n of names) {
      const seen = out.get(n);
      if (seen) lastReplicas.set(n, seen.replicas);
      else out.set(n, { name: n, messages: 0, bytes: 0, firstSeq: 0, lastSeq: 0, consumers: 0, subjects: 0, replicas: lastReplicas.get(n) ?? 1, leader: "", peers: [] });
    }
    return [...out.values()];
  };
  let streamsLast: StreamStatus[] | undefined;
  let streamsAt = 0;
  let streamsListing: Promise<StreamStatus[]> | undefined;
  const cachedStreams = async (): Promise<StreamStatus[]> => {
    if (!streamsListing && Date.now() - streamsAt > 1_000) {
      streamsAt = Date.now();
      const listing = listStreams()
        .then((l) => (streamsLast = l))
        .catch((err: unknown) => {
          // No listing at all: on a cluster, no meta leader (a majority of nodes down), so no
          // replicated stream has a quorum either. Say so rather than keep the last good view.
          if (streamsLast) streamsLast = streamsLast.map((x) => (x.leader === undefined ? x : { ...x, leader: "", peers: [] }));
          throw err;
        })
        .finally(() => (streamsListing = undefined));
      listing.catch((err: unknown) => log.debug({ err }, "listing streams for the metrics failed"));
      streamsListing = listing;
    }
    return streamsLast ?? streamsListing ?? Promise.reject(new Error("no stream listing yet"));
  };
  const streamGauge = (name: string, help: string, pick: (s: StreamStatus) => number) =>
    metrics.gauge(name, help, ["stream"], async (g) => {
      g.reset();
      for (const s of await cachedStreams()) g.set({ stream: s.name }, pick(s));
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
    for (const s of await cachedStreams()) for (const p of s.peers ?? []) if (p.state !== "offline") g.set({ stream: s.name, node: p.name }, p.state === "current" ? 0 : (p.lag ?? 0));
  });
  metrics.gauge("liaison_nats_node_up", "1 when the cluster node leads a stream or holds a replica that is not offline; 0 when every replica on it is offline", ["node"], async (g) => {
    g.reset();
    const streams = await cachedStreams();
    if (!streams.some((s) => s.leader !== undefined)) return; // one server: no cluster to watch
    for (const n of clusterOf("", streams, undefined).nodes) g.set({ node: n.name }, n.leads + n.current + n.lagging > 0 ? 1 : 0);
  });
  const consumerGauge = (name: string, help: string, pick: (ci: { num_pending: number; num_ack_pending: number; num_redelivered: number }) => number) =>
    metrics.gauge(name, help, ["stream", "consumer"], async (g) => {
      g.reset();
      for await (const si of jsm.streams.list()) {
        if (si.state.consumer_count === 0) continue;
        for await (const ci of jsm.consumers.list(si.config.name)) if (ci.config.durable_name) g.set({ stream: si.config.name, consumer: ci.name }, pick(ci));
      }
    });
  consumerGauge("liaison_consumer_pending", "Messages not yet delivered to each durable consumer (lag)", (ci) => ci.num_pending);
  consumerGauge("liaison_consumer_ack_pending", "Messages delivered and not yet acknowledged", (ci) => ci.num_ack_pending);
  consumerGauge("liaison_consumer_redelivered", "Messages redelivered at least once and not yet acknowledged", (ci) => ci.num_redelivered);

  // ---------------------------------------------------------------- service
  const svc = await startMicroService(nc, {
    name: "usage",
    description: "Usage levels per contact point and month, dormancy, live throughput, operations metrics",
    log,
    metrics,
    endpoints: [
      {
        name: "report",
        subject: usageApi.report,
        handler: async (msg) => pb.UsageReport.encode(await report(checkQuery(decodeAs((b) => pb.UsageQuery.decode(b), msg.data, "UsageQuery")))).finish(),
      },
      {
        name: "check-dormancy",
        subject: usageApi.checkDormancy,
        handler: async () => pb.UsageReport.encode({ generatedAtMs: now(), activity: await checkDormancy(), replyTimeBoundsS: [...REPLY_TIME_BOUNDS_S] }).finish(),
      },
    ],
    stats: async () => ({ counting: consumer !== undefined, lastCountedSeq, backlog: consumer?.backlog() ?? 0, dormant: [...lastDormant].filter(([, d]) => d).map(([cp]) => cp) }),
  });
  if (timers) void checkDormancy().catch((err: unknown) => log.warn({ err }, "first dormancy check failed"));

  return {
    report,
    checkDormancy,
    caughtUp,
    metrics,
    close: async () => {
      for (const t of [leaseTimer, dormancyTimer, throughputTimer]) if (t) clearInterval(t);
      await svc.stop();
      await consumer?.stop();
      if (await lease.release()) log.info("counting lease released");
      await audit.flush();
      audit.close();
      notices.close();
      registry.stop();
    },
  };
}
