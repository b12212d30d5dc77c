// Wires the retention service: the sweep (every interval and on demand), hub copies of delivered
// messages, key-encryption-key rotation every epoch, and the compliance report. One replica at a
// time does the work (a lease in KV "state"); any replica answers report requests.
import { hostname } from "node:os";
import { jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/nats-core";
import { AuditEmitter } from "../../src/audit/mod.js";
import type { RetentionConfig } from "../../src/config/mod.js";
import { KekRing, newId, type ContactPointKeys } from "../../src/crypto/mod.js";
import type { Logger } from "../../src/log/mod.js";
import { ServiceMetrics } from "../../src/metrics/mod.js";
import { JsPublisher, Lease, LEASE_RENEW_MS, LEASE_TTL_MS, startMicroService, STREAMS, subjects } from "../../src/nats/mod.js";
import { NoticePublisher } from "../../src/notices/mod.js";
import { driftOf } from "../../src/ops/mod.js";
import { pb } from "../../src/proto/mod.js";
import { DueIndex, hourBucket, HOUR_MS } from "../../src/retention/mod.js";
import { Compliance } from "./compliance.js";
import { rotateKek, type RotationResult } from "./kek.js";
import { sweepDeliveredCopies } from "./messages.js";
import { KeyReplicaWatch } from "./replicas.js";
import { Sweeper } from "./sweeper.js";

export type RetentionSettings = Pick<RetentionConfig, "hubSecretsFile" | "sweepInterval" | "kekEpoch" | "messageKeep" | "reminderDays" | "eraseConcurrency">;

export interface RetentionOptions {
  /** The clock of its sweeps, lease, key rotation, notices and events (Date.now by default). */
  readonly now?: () => number;
  /** Sweeps and rotates on its own timers unless false (tests call run() and rotate()). */
  readonly timers?: boolean;
  readonly graceMs?: number;
  readonly pageSize?: number;
}

export interface RunningRetention {
  /** One full pass: due items, then delivered message copies. */
  run(): Promise<pb.ISweepResult>;
  rotate(): Promise<RotationResult | undefined>;
  report(): Promise<pb.IComplianceReport>;
  /** How many data-key stream replicas wait for an administrator's rebuild, as of the last check (replicas.ts). */
  staleReplicas(): number;
  close(): Promise<void>;
}

export async function startRetention(
  nc: NatsConnection,
  cfg: RetentionSettings,
  hubKeys: ContactPointKeys,
  log: Logger,
  opts: RetentionOptions = {},
): Promise<RunningRetention> {
  const now = opts.now ?? Date.now;
  const kvm = new Kvm(nc);
  const state = await kvm.open("state");
  const fast = new JsPublisher(nc, { timeoutMs: 30_000 });
  const audit = new AuditEmitter(nc, "retention", { now });
  const notices = new NoticePublisher(nc, hubKeys, now);
  const due = await DueIndex.open(nc);
  const migrated = await due.migrateLegacy();
  if (migrated > 0) log.info({ migrated }, "due index: filings of the earlier layout moved under their hours");
  const holder = `${hostname()}:${process.pid}:${newId()}`;
  // Short, and renewed all along by the replica that holds it (below): one that crashed is
  // replaced within seconds, whatever the sweep interval.
  const lease = new Lease(state, "retention.lease", holder, LEASE_TTL_MS, now);
  const sweeper = new Sweeper({ nc, due, fast, lease, notices, audit, log, now, reminderDays: cfg.reminderDays, concurrency: cfg.eraseConcurrency, ...(opts.pageSize ? { pageSize: opts.pageSize } : {}) });
  const compliance = new Compliance({ nc, state, due, log, now, live: (item) => sweeper.live(item, now()) });
  await compliance.start();
  const kek = new KekRing(cfg.hubSecretsFile);
  // Data-key stream replicas behind during erasures are recorded once current, for an
  // administrator to rebuild (replicas.ts).
  const replicas = new KeyReplicaWatch({ nc, state, log, now });
  const checkReplicas = () =>
    replicas.check().then(
      () => undefined,
      (err: unknown) => void log.error({ err }, "data-key stream replicas not checked; the next check does it"),
    );

  let running: Promise<pb.ISweepResult> | undefined;
  const run = (): Promise<pb.ISweepResult> =>
    (running ??= (async () => {
      // Replicas are seen before the sweep and after it (even a failed one), so a node down during
      // its erasures is noted, and recorded for a rebuild once it is current again.
      let lead = false;
      try {
        lead = await lease.acquire().catch(() => false);
        if (lead) await checkReplicas();
        const r = await sweeper.sweep();
        if (!r.ran) return r;
        const copies = await sweepDeliveredCopies({ nc, state, audit, log, now, keep: cfg.messageKeep });
        await audit.flush();
        return { ...r, messageCopiesDeleted: copies };
      } finally {
        if (lead) await checkReplicas();
        running = undefined;
      }
    })());

  const rotate = async (): Promise<RotationResult | undefined> => {
    if (!(await lease.acquire())) return undefined;
    const r = await rotateKek({ nc, secretsPath: cfg.hubSecretsFile, audit, log, now, graceMs: opts.graceMs ?? 2_000 });
    kek.reload();
    return r;
  };

  const firstBucket = async () => hourBucket(now() - 90 * 24 * HOUR_MS);
  const report = async () =>
    compliance.report({ graceMs: 2 * cfg.sweepInterval, firstBucket: Math.max(await firstBucket(), hourBucket(now()) - 24 * 400), lastSweepAtMs: sweeper.lastSweepAtMs, kek: kek.current() });

  // Compliance figures for Prometheus, computed at most every 10 s however often it scrapes.
  let cached: { at: number; p: Promise<pb.IComplianceReport> } | undefined;
  const recent = () => {
    if (!cached || Date.now() - cached.at > 10_000) cached = { at: Date.now(), p: report() };
    return cached.p;
  };
  const metrics = new ServiceMetrics("retention");
  metrics.gauge("liaison_erasure_overdue", "Items past their erasure date and not erased (must be 0)", [], async (g) => void g.set(Number((await recent()).overdueCount ?? 0)));
  metrics.gauge("liaison_erasure_lag_seconds", "How long the oldest overdue item has been overdue (0 when none)", [], async (g) => {
    const r = await recent();
    const oldest = Math.min(...(r.overdue ?? []).map((d) => Number(d.dueAtMs)));
    g.set(Number.isFinite(oldest) ? Math.max(0, (now() - oldest) / 1000) : 0);
  });
  metrics.gauge("liaison_erasures", "Erasures certified in the audit log (all time)", [], async (g) => void g.set(Number((await recent()).erasedTotal ?? 0)));
  metrics.gauge("liaison_key_replicas_rebuild_pending", "Data-key stream replicas that missed erasures and wait for `liaison provision --rebuild-stale-replicas` (must be 0)", [], (g) => void g.set(replicas.pending()));
  // A stream's config changed from its spec (deny_delete, sealed, max_age, republish, …) stops
  // erasure or copies what it holds: checked at most every 10 s, read-only (stream info).
  let drift: { at: number; p: Promise<Set<string>> } | undefined;
  const drifted = () => {
    if (!drift || Date.now() - drift.at > 10_000) drift = { at: Date.now(), p: jetstreamManager(nc).then(driftOf).then((d) => new Set(d.map((x) => x.stream))) };
    return drift.p;
  };
  metrics.gauge("liaison_stream_config_drift", "1 when the stream's live config differs from its spec in src/nats/streams.ts, replica count aside (must be 0)", ["stream"], async (g) => {
    const d = await drifted();
    g.reset();
    for (const spec of Object.values(STREAMS)) g.set({ stream: spec.name }, d.has(spec.name) ? 1 : 0);
  });
  metrics.gauge("liaison_retention_last_sweep_seconds", "When the last sweep ran (Unix time; 0: not yet)", [], (g) => void g.set(sweeper.lastSweepAtMs / 1000));
  const svc = await startMicroService(nc, {
    metrics,
    name: "retention",
    description: "Review reminders, erasure on time (crypto-shredding), legal holds, key rotation, compliance report",
    log,
    endpoints: [
      { name: "run", subject: subjects.api("retention", "run"), handler: async () => pb.SweepResult.encode(await run()).finish() },
      { name: "report", subject: subjects.api("retention", "report"), handler: async () => pb.ComplianceReport.encode(await report()).finish() },
      {
        name: "rotate-kek",
        subject: subjects.api("retention", "rotate-kek"),
        handler: async () => new TextEncoder().encode(JSON.stringify((await rotate()) ?? { skipped: "another replica holds the lease" })),
      },
    ],
    stats: async () => ({ lastSweepAtMs: sweeper.lastSweepAtMs, kekEpoch: kek.current().epoch }),
  });

  const timers: NodeJS.Timeout[] = [];
  if (opts.timers !== false) {
    // One beat keeps the lease while held and takes it as soon as it is free or lapsed (the holder
    // stopped or crashed); the holder sweeps when the last attempt is an interval old, so a new
    // holder sweeps at once.
    let lastAttemptAt = 0;
    const beat = async () => {
      const held = await lease.acquire().catch((err: unknown) => void log.warn({ err }, "sweep lease not renewed"));
      if (!held) return;
      if (now() - lastAttemptAt < cfg.sweepInterval) return void (await checkReplicas());
      lastAttemptAt = now();
      await run().catch((err: unknown) => log.error({ err }, "sweep failed"));
    };
    timers.push(setInterval(() => void beat(), Math.min(LEASE_RENEW_MS, cfg.sweepInterval)));
    // Rotation is due when the current KEK is older than an epoch; checked every interval.
    timers.push(
      setInterval(() => {
        if (now() - kek.current().createdAtMs >= cfg.kekEpoch) void rotate().catch((err: unknown) => log.error({ err }, "key rotation failed"));
      }, cfg.sweepInterval),
    );
    for (const t of timers) t.unref();
    void beat();
  }

  return {
    run,
    rotate,
    report,
    staleReplicas: () => replicas.pending(),
    close: async () => {
      for (const t of timers) clearInterval(t);
      await running?.catch(() => undefined);
      await replicas.idle();
      await svc.stop();
      await compliance.stop();
      if (await lease.release()) log.info("sweep lease released");
      await audit.flush();
      audit.close();
      notices.close();
      due.close();
      fast.close();
    },
  };
}
