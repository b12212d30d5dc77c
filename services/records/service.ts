// Wires the records service: blind store, data keys, due index, notices, sealed endpoints for
// contact points, and a hub-internal endpoint for the retention service's erasure orders.
import { jetstream } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/nats-core";
import { Objm } from "@nats-io/obj";
import { AuditEmitter } from "../../src/audit/mod.js";
import { BlindStore, erasureEndpoint } from "../../src/blindstore/mod.js";
import type { HubDataConfig } from "../../src/config/mod.js";
import { BlindIndexer, KekRing, type ContactPointKeys } from "../../src/crypto/mod.js";
import { LiaisonError } from "../../src/errors.js";
import { HubRpcServer } from "../../src/hub-rpc/mod.js";
import { DataKeyStore } from "../../src/keystore/mod.js";
import type { Logger } from "../../src/log/mod.js";
import { startMicroService } from "../../src/nats/mod.js";
import { NoticePublisher } from "../../src/notices/mod.js";
import { pb } from "../../src/proto/mod.js";
import { watchRegistry } from "../../src/registry/mod.js";
import { DueIndex } from "../../src/retention/mod.js";
import { RecordsHandlers } from "./handlers.js";

export type RecordsSettings = Pick<HubDataConfig, "hubSecretsFile" | "reviewPeriod" | "reviewPeriodByCategory" | "maxAttachmentBytes" | "maxQueryMatches">;

export interface RunningRecords {
  readonly handlers: RecordsHandlers;
  readonly store: BlindStore;
  close(): Promise<void>;
}

/** {"RECORD_CATEGORY_PERSON": period} → {4: period}; an unknown category name is a config error. */
export function periodsByCategory(byName: RecordsSettings["reviewPeriodByCategory"]): Record<number, RecordsSettings["reviewPeriod"]> {
  return Object.fromEntries(
    Object.entries(byName).map(([name, period]) => {
      const value = pb.RecordCategory[name as keyof typeof pb.RecordCategory];
      if (typeof value !== "number") throw new LiaisonError("LIAISON_CONFIG_INVALID", `reviewPeriodByCategory: unknown category ${name}`);
      return [value, period];
    }),
  );
}

/**
 * Starts the records service. `keysNc`, when given, carries the data keys' traffic, ideally one
 * connection per key shard (KEY_SHARDS): nats-server answers one connection's JetStream API
 * requests one after another, and a secure erase waits for its disk flush, so the erasures of
 * different shards, and the records' own traffic, overlap only on connections of their own.
 */
export async function startRecords(
  nc: NatsConnection,
  cfg: RecordsSettings,
  hubKeys: ContactPointKeys,
  log: Logger,
  now: () => number = Date.now,
  keysNc: NatsConnection | readonly NatsConnection[] = nc,
): Promise<RunningRecords> {
  const kek = new KekRing(cfg.hubSecretsFile);
  const registry = await watchRegistry(nc, log, now);
  const store = await BlindStore.open(nc, "records", "rec", log);
  await store.follow();
  const audit = new AuditEmitter(nc, "records", { now });
  const notices = new NoticePublisher(nc, hubKeys, now);
  const dataKeys = await DataKeyStore.open(keysNc, kek);
  const due = await DueIndex.open(nc);
  const attachments = await new Objm(jetstream(nc)).open("attachments");
  const handlers = new RecordsHandlers({
    store,
    dataKeys,
    blind: new BlindIndexer(kek.blindIndexKey),
    attachments,
    due,
    notices,
    audit,
    log,
    now,
    retention: { reviewPeriod: cfg.reviewPeriod, reviewPeriodByCategory: periodsByCategory(cfg.reviewPeriodByCategory) },
    maxAttachmentBytes: cfg.maxAttachmentBytes,
    maxQueryMatches: cfg.maxQueryMatches,
  });
  const rpc = new HubRpcServer(hubKeys, () => registry.view, now, audit);
  const ops = { submit: handlers.submit, get: handlers.get, query: handlers.query, amend: handlers.amend, renew: handlers.renew, erase: handlers.erase, hold: handlers.hold, outcome: handlers.outcome };
  const svc = await startMicroService(nc, {
    name: "records",
    description: "CIS records (Decision 2009/917/JHA): encrypted at rest, blind-indexed queries, hit notices",
    log,
    endpoints: [
      ...Object.entries(ops).map(([op, fn]) => rpc.endpoint("records", op, (call) => fn.call(handlers, call))),
      erasureEndpoint("records", store, audit, handlers.erasure),
    ],
    stats: async () => ({ records: store.index.size }),
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
