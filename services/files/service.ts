// Wires the files (FIDE) service: blind store, data keys, due index, notices, sealed endpoints for
// contact points, and a hub-internal endpoint for the retention service's erasure orders.
import type { NatsConnection } from "@nats-io/nats-core";
import { AuditEmitter } from "../../src/audit/mod.js";
import { BlindStore, erasureEndpoint } from "../../src/blindstore/mod.js";
import type { HubDataConfig } from "../../src/config/mod.js";
import { BlindIndexer, KekRing, type ContactPointKeys } from "../../src/crypto/mod.js";
import { HubRpcServer } from "../../src/hub-rpc/mod.js";
import { DataKeyStore } from "../../src/keystore/mod.js";
import type { Logger } from "../../src/log/mod.js";
import { startMicroService } from "../../src/nats/mod.js";
import { NoticePublisher } from "../../src/notices/mod.js";
import { watchRegistry } from "../../src/registry/mod.js";
import { DueIndex } from "../../src/retention/mod.js";
import { FilesHandlers } from "./handlers.js";

export type FilesSettings = Pick<HubDataConfig, "hubSecretsFile" | "maxQueryMatches">;

export interface RunningFiles {
  readonly handlers: FilesHandlers;
  readonly store: BlindStore;
  close(): Promise<void>;
}

/** Starts the files service; `keysNc`, when given, carries the data keys' traffic (see startRecords). */
export async function startFiles(
  nc: NatsConnection,
  cfg: FilesSettings,
  hubKeys: ContactPointKeys,
  log: Logger,
  now: () => number = Date.now,
  keysNc: NatsConnection | readonly NatsConnection[] = nc,
): Promise<RunningFiles> {
  const kek = new KekRing(cfg.hubSecretsFile);
  const registry = await watchRegistry(nc, log, now);
  const store = await BlindStore.open(nc, "files", "file", log);
  await store.follow();
  const audit = new AuditEmitter(nc, "files", { now });
  const notices = new NoticePublisher(nc, hubKeys, now);
  const dataKeys = await DataKeyStore.open(keysNc, kek);
  const due = await DueIndex.open(nc);
  const handlers = new FilesHandlers({ store, dataKeys, blind: new BlindIndexer(kek.blindIndexKey), due, notices, audit, log, now, maxQueryMatches: cfg.maxQueryMatches });
  const rpc = new HubRpcServer(hubKeys, () => registry.view, now, audit);
  const ops = { register: handlers.register, get: handlers.get, query: handlers.query, hit: handlers.hit, status: handlers.status, erase: handlers.erase };
  const svc = await startMicroService(nc, {
    name: "files",
    description: "FIDE investigation-file index (Decision 2009/917/JHA Chapter VI): hit/no-hit, Art. 19 retention",
    log,
    endpoints: [
      ...Object.entries(ops).map(([op, fn]) => rpc.endpoint("files", op, (call) => fn.call(handlers, call))),
      erasureEndpoint("files", store, audit, handlers.erasure),
    ],
    stats: async () => ({ entries: store.index.size }),
  });
  return {
    handlers,
    store,
    close: async () => {
      await svc.stop();
      await audit.flush();
      audit.close();
      notices.close();
      dataKeys.close();
      due.close();
      store.close();
      registry.stop();
    },
  };
}
