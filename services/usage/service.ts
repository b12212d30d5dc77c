// Wires the usage service. It counts from the audit log (durable consumer "usage" on AUDIT), so
// every figure has an audited event behind it and nothing is counted that did not happen. Its
// parts, each with its own state:
// - store.ts: counters per contact point and month, and activity per contact point, in KV "usage";
// - counter.ts: the counting replica (counting.ts: what one event adds);
// - dormancy.ts: dormancy checks and their notices;
// - reports.ts, endpoints.ts: reports and the micro service that answers them;
// - operations.ts: joint customs operations per year, from the operations' calendar entries;
// - throughput.ts: a live throughput sample every few seconds;
// - metrics.ts: Prometheus gauges of the counters, the dormant members, and the state of every
//   stream and consumer.
// One replica counts at a time (a lease in KV "state"); any replica answers reports from KV.
// Every time is read through `now`.
import { hostname } from "node:os";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/nats-core";
import { AuditClient, AuditEmitter, logRegistryRefusal } from "../../src/audit/mod.js";
import type { UsageConfig } from "../../src/config/mod.js";
import { newId, type ContactPointKeys } from "../../src/crypto/mod.js";
import { HUB } from "../../src/domain/mod.js";
import type { Logger } from "../../src/log/mod.js";
import { ServiceMetrics } from "../../src/metrics/mod.js";
import { Lease, LEASE_RENEW_MS, LEASE_TTL_MS } from "../../src/nats/mod.js";
import { NoticePublisher } from "../../src/notices/mod.js";
import type { pb } from "../../src/proto/mod.js";
import { watchRegistry, type RegistryTrust } from "../../src/registry/mod.js";
import { USAGE_SERVICE } from "../../src/usage/mod.js";
import { UsageCounter } from "./counter.js";
import { Dormancy } from "./dormancy.js";
import { startUsageEndpoints } from "./endpoints.js";
import { registerUsageMetrics } from "./metrics.js";
import { OperationUsage } from "./operations.js";
import { Reports } from "./reports.js";
import { UsageStore } from "./store.js";
import { Throughput } from "./throughput.js";

export type UsageSettings = Pick<UsageConfig, "dormantAfter" | "suspendAfter" | "suspensionWarning" | "dormancyCheckInterval" | "throughputInterval"> & {
  /** The registry public key entries must be signed with. */
  readonly registryTrust: RegistryTrust;
};

export interface UsageOptions {
  /** The clock every part reads (default Date.now). */
  readonly now?: () => number;
  /** Run the lease, dormancy and throughput timers (default true; tests drive them by hand). */
  readonly timers?: boolean;
}

export interface RunningUsage {
  report(q?: pb.IUsageQuery): Promise<pb.IUsageReport>;
  /** Joint customs operations per year (operations.ts). */
  operations(q?: pb.IOperationUsageQuery): Promise<pb.IOperationUsageReport>;
  /** Runs a dormancy check now (if this replica holds the lease) and returns the activity. */
  checkDormancy(): Promise<pb.IContactPointActivity[]>;
  /** Resolves once every AUDIT message published so far has been counted. */
  caughtUp(timeoutMs?: number): Promise<void>;
  readonly metrics: ServiceMetrics;
  close(): Promise<void>;
}

export async function startUsage(nc: NatsConnection, cfg: UsageSettings, hubKeys: ContactPointKeys, log: Logger, opts: UsageOptions = {}): Promise<RunningUsage> {
  const now = opts.now ?? Date.now;
  const timers = opts.timers ?? true;
  const kvm = new Kvm(nc);
  const jsm = await jetstreamManager(nc);
  const store = await UsageStore.open(kvm, jsm);
  const audit = new AuditEmitter(nc, USAGE_SERVICE, { now });
  const notices = new NoticePublisher(nc, hubKeys, now);
  const watched = await watchRegistry(nc, log, { trust: cfg.registryTrust, now, onRefused: logRegistryRefusal(audit, HUB) });
  const registry = () => watched.view;
  const lease = new Lease(await kvm.open("state"), "usage.lease", `${hostname()}:${process.pid}:${newId()}`, LEASE_TTL_MS, now);
  const metrics = new ServiceMetrics(USAGE_SERVICE);

  const throughput = new Throughput(now);
  const counter = new UsageCounter({ js: jetstream(nc), jsm, store, lease, auditClient: new AuditClient(nc), registry, throughput, metrics, log, now });
  await counter.takeOrKeepLease();
  if (timers) counter.keepLease(LEASE_RENEW_MS);
  const dormancy = new Dormancy({ cfg, store, registry, lease, notices, audit, log, now });
  if (timers) throughput.publishEvery(nc, cfg.throughputInterval, () => counter.counting);
  registerUsageMetrics({ metrics, store, dormancy, jsm, streamsJsm: await jetstreamManager(nc, { timeout: 10_000 }), log, now });
  const reports = new Reports(store, dormancy, now);
  const operations = new OperationUsage({ nc, registry, now });
  const svc = await startUsageEndpoints(nc, { reports, operations, metrics, log, stats: async () => ({ ...counter.stats(), dormant: dormancy.dormant() }) });
  if (timers) dormancy.checkEvery(cfg.dormancyCheckInterval);

  return {
    report: (q) => reports.report(q),
    operations: (q) => operations.report(q),
    checkDormancy: () => dormancy.check(),
    caughtUp: (timeoutMs) => counter.caughtUp(timeoutMs),
    metrics,
    close: async () => {
      for (const timed of [dormancy, throughput]) timed.stop();
      await svc.stop();
      await counter.stop(); // hands the lease back
      await audit.end();
      notices.close();
      watched.stop();
    },
  };
}
