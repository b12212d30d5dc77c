// Wires a hub data service (records or files) from its definition: the parts every such service
// is built from, its handlers, its sealed endpoints for contact points (HubRpcServer), the
// hub-internal endpoint for the retention service's erasure orders, and the micro service.
import type { NatsConnection } from "@nats-io/nats-core";
import { AuditEmitter, logRegistryRefusal } from "../audit/mod.js";
import { BlindStore, erasureEndpoint, type ErasureSteps } from "../blindstore/mod.js";
import { hubDataSchema, loadConfig, type HubDataConfig } from "../config/mod.js";
import { BlindIndexer, KekRing, readKeyFile, type ContactPointKeys } from "../crypto/mod.js";
import { hubOps, HubRpcServer, supervisionEndpoints, type HubHandlers, type HubService, type SupervisionHandlers } from "../hub-rpc/mod.js";
import { DataKeyStore } from "../keystore/mod.js";
import { createLogger, type Logger } from "../log/mod.js";
import { connectNats, KEY_SHARDS, startMicroService } from "../nats/mod.js";
import { NoticePublisher } from "../notices/mod.js";
import { readRegistryTrust, watchRegistry, type RegistryTrust, type RegistryView } from "../registry/mod.js";
import { HUB } from "../domain/mod.js";
import { DueIndex } from "../retention/mod.js";
import { runMain } from "../runtime/mod.js";
import { DataObjectSteps, type DataObjectNames } from "./object-steps.js";

/** The hub services that are data services (the other hub services do not hold blind-indexed objects). */
type DataServiceName = Extract<HubService, "records" | "files">;

/** What a data service's handlers are built from. */
export interface HubDataParts {
  readonly nc: NatsConnection;
  readonly kek: KekRing;
  readonly store: BlindStore;
  readonly dataKeys: DataKeyStore;
  readonly blind: BlindIndexer;
  readonly due: DueIndex;
  readonly notices: NoticePublisher;
  readonly audit: AuditEmitter;
  /** The registry as last verified: members' encryption keys, for content sealed to them. */
  readonly registry: () => RegistryView;
  readonly log: Logger;
  readonly now: () => number;
  /** The steps its handlers take alike on one of its objects (./object-steps.ts). */
  readonly steps: DataObjectSteps;
}

/** What every data service's handlers depend on (a service adds its own). */
export interface HubDataDeps extends Omit<HubDataParts, "nc" | "kek"> {
  readonly maxQueryMatches: number;
}

export interface HubDataDef<S extends DataServiceName, H extends HubHandlers<S> & SupervisionHandlers, T> {
  /** Its operations for contact points are HUB_OPERATIONS[service], each on its own subject (`liaison.v1.<service>.<CP>.<op>`). */
  readonly service: S;
  /** Its KV bucket, and the key prefix of its objects there. */
  readonly bucket: string;
  readonly prefix: string;
  readonly description: string;
  /** What its `$SRV` stats and start-up log call the objects it holds ("records", "entries"). */
  readonly countAs: string;
  /** What it calls one of its objects (its handlers' shared steps use the names). */
  readonly objects: DataObjectNames;
  /** Its handlers: one method for each operation, typed by it. */
  handlers(parts: HubDataParts): H | Promise<H>;
  /** How a retention order erases one of its objects. */
  erasure(handlers: H): ErasureSteps<T>;
}

/** What every data service is started with besides its own settings. */
export type HubDataSettings = Pick<HubDataConfig, "hubSecretsFile"> & {
  /** The registry public key entries must be signed with. */
  readonly registryTrust: RegistryTrust;
};

/** How a data service is started besides its settings. */
export interface HubDataOptions {
  /** The clock of its review dates, due filings, notices and events (Date.now by default). */
  readonly now?: () => number;
  /** Connections for the data keys' traffic (see startHubData); the service's own by default. */
  readonly keysNc?: NatsConnection | readonly NatsConnection[];
}

export interface RunningHubData<H> {
  readonly handlers: H;
  readonly store: BlindStore;
  /** How many objects it holds, by its name for them (its `$SRV` stats and start-up log). */
  counts(): Record<string, number>;
  close(): Promise<void>;
}

/**
 * Starts a data service. `opts.keysNc`, when given, carries the data keys' traffic, ideally one
 * connection per key shard (KEY_SHARDS): nats-server answers one connection's JetStream API
 * requests one after another, and a secure erase waits for its disk flush, so the erasures of
 * different shards, and the service's own traffic, overlap only on connections of their own.
 */
export async function startHubData<S extends DataServiceName, H extends HubHandlers<S> & SupervisionHandlers, T>(
  nc: NatsConnection,
  def: HubDataDef<S, H, T>,
  cfg: HubDataSettings,
  hubKeys: ContactPointKeys,
  log: Logger,
  opts: HubDataOptions = {},
): Promise<RunningHubData<H>> {
  const now = opts.now ?? Date.now;
  const keysNc = opts.keysNc ?? nc;
  const kek = new KekRing(cfg.hubSecretsFile);
  const audit = new AuditEmitter(nc, def.service, { now });
  const registry = await watchRegistry(nc, log, { trust: cfg.registryTrust, now, onRefused: logRegistryRefusal(audit, HUB) });
  const store = await BlindStore.open(nc, def.bucket, def.prefix, log);
  await store.follow();
  const notices = new NoticePublisher(nc, hubKeys, now);
  const dataKeys = await DataKeyStore.open(keysNc, kek);
  const due = await DueIndex.open(nc);
  const blind = new BlindIndexer(kek.blindIndexKey);
  const steps = new DataObjectSteps({ store, dataKeys, blind, notices, audit, log, now }, def.objects);
  const handlers = await def.handlers({ nc, kek, store, dataKeys, blind, due, notices, audit, registry: () => registry.view, log, now, steps });
  const counts = () => ({ [def.countAs]: store.index.size });
  const rpc = new HubRpcServer(hubKeys, () => registry.view, now, audit);
  const svc = await startMicroService(nc, {
    name: def.service,
    description: def.description,
    log,
    endpoints: [
      ...hubOps(def.service).map((op) => rpc.endpoint(def.service, op, (call) => handlers[op].call(handlers, call))),
      erasureEndpoint(def.service, store, audit, def.erasure(handlers)),
      // The console's, for a supervisor's legal hold (hub-internal, like erase-due).
      ...supervisionEndpoints(def.service, handlers),
    ],
    stats: async () => counts(),
  });
  return {
    handlers,
    store,
    counts,
    close: async () => {
      await svc.stop();
      await audit.end();
      notices.close();
      dataKeys.close();
      due.close();
      store.close();
      registry.stop();
    },
  };
}

/** A data service's start function, from its definition given its settings (see startHubData). */
export function hubDataService<C extends HubDataSettings, S extends DataServiceName, H extends HubHandlers<S> & SupervisionHandlers, T>(def: (cfg: C) => HubDataDef<S, H, T>) {
  return (nc: NatsConnection, cfg: C, hubKeys: ContactPointKeys, log: Logger, opts: HubDataOptions = {}): Promise<RunningHubData<H>> => startHubData(nc, def(cfg), cfg, hubKeys, log, opts);
}

/** A data service's process: its settings, its connections (one more per data-key shard), and start. */
export async function runHubDataMain<H>(
  service: HubService,
  start: (nc: NatsConnection, cfg: HubDataConfig & HubDataSettings, hubKeys: ContactPointKeys, log: Logger, opts: HubDataOptions) => Promise<RunningHubData<H>>,
): Promise<void> {
  await runMain(service, async () => {
    const cfg = loadConfig(service, hubDataSchema);
    const log = createLogger(service, cfg.logLevel);
    const hubKeys = readKeyFile(cfg.hubKeyFile);
    const connect = (name: string) => connectNats({ url: cfg.natsUrl, name, ...(cfg.natsCreds ? { credsFile: cfg.natsCreds } : {}), log, waitOnFirstConnect: true });
    const nc = await connect(`liaison-${service}`);
    // Data keys on connections of their own, one per shard: see startHubData.
    const keysNc = await Promise.all(Array.from({ length: KEY_SHARDS }, (_, k) => connect(`liaison-${service}-keys-${k}`)));
    const running = await start(nc, { ...cfg, registryTrust: readRegistryTrust(cfg.registryKeyFile) }, hubKeys, log, { keysNc });
    log.info(running.counts(), `${service} ready`);
    return {
      close: async () => {
        await running.close();
        await Promise.all([nc.drain(), ...keysNc.map((c) => c.drain())]);
      },
    };
  });
}
