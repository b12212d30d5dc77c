// Wires the records service: blind store, data keys, due index, notices, sealed endpoints for
// contact points, and a hub-internal endpoint for the retention service's erasure orders.
import { jetstream } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/nats-core";
import { Objm } from "@nats-io/obj";
import { AuditAction, AuditEmitter } from "../../src/audit/mod.js";
import { BlindStore, ERASE_ATTEMPTS } from "../../src/blindstore/mod.js";
import type { HubDataConfig } from "../../src/config/mod.js";
import { BlindIndexer, decodeAs, KekRing, type ContactPointKeys } from "../../src/crypto/mod.js";
import { holdInForce, HUB } from "../../src/domain/mod.js";
import { isLiaisonError, LiaisonError } from "../../src/errors.js";
import { HubRpcServer } from "../../src/hub-rpc/mod.js";
import { DataKeyStore } from "../../src/keystore/mod.js";
import type { Logger } from "../../src/log/mod.js";
import { startMicroService, subjects } from "../../src/nats/mod.js";
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
      {
        name: "erase-due",
        subject: subjects.api("records", "erase-due"),
        handler: async (msg) => {
          const order = decodeAs((b) => pb.ErasureOrder.decode(b), msg.data, "ErasureOrder");
          if (Number(order.overwriteRevision) > 0) {
            // The erasure's second step: the record is already erased; its stored bytes are overwritten.
            await store.overwrite(order.objectId, Number(order.overwriteRevision));
            return pb.ErasureCertificate.encode({ objectType: "record", objectId: order.objectId }).finish();
          }
          let cert: pb.IErasureCertificate | undefined;
          let got = await store.get(order.objectId);
          // Checked again here, at the last moment: a renewal or a hold may have come after the sweep
          // looked, or may come while this runs (the delete marker then finds a newer revision and
          // nothing is erased): the record is read again and checked again.
          for (let attempt = 1; got && !cert; attempt++) {
            const stored = pb.StoredRecord.decode(got.bytes);
            if (Number(stored.reviewDueMs) > Number(order.dueAtMs)) throw new LiaisonError("LIAISON_CONFLICT", `record ${stored.id} was renewed`);
            if (holdInForce(stored.hold, now())) throw new LiaisonError("LIAISON_ON_HOLD", `record ${stored.id} is under a legal hold`);
            try {
              cert = await handlers.eraseStored(stored, order.rule, Number(order.dueAtMs), { revision: got.revision, replaces: got.replaces, keepDueEntry: true, overwriteLater: "mark" });
            } catch (err) {
              if (!(isLiaisonError(err) && err.code === "LIAISON_CONFLICT")) throw err;
              // Not "renewed" (that would drop the filing): the sweep leaves it and tries again.
              if (attempt >= ERASE_ATTEMPTS) throw new LiaisonError("LIAISON_UNAVAILABLE", `record ${stored.id} kept changing during its erasure`);
              got = await store.get(order.objectId);
            }
          }
          if (!cert) {
            // Gone from view: erased, or an erasure that stopped after its delete marker (a crash, a
            // lost lease). Then its stored revision is still there and the erasure is finished now:
            // data key, certificate (the same event id: the audit log keeps it once), then the overwrite.
            const pending = await store.overwritePending(order.objectId);
            const left = pending ? await store.revision(order.objectId, pending) : undefined;
            if (!pending || !left) throw new LiaisonError("LIAISON_NOT_FOUND", order.objectId);
            cert = await handlers.eraseStored(pb.StoredRecord.decode(left), order.rule, Number(order.dueAtMs), { revision: pending, keepDueEntry: true, overwriteLater: "resume" });
          }
          await audit.emit({
            id: `erasure.record.${order.objectId}`,
            action: AuditAction.AUDIT_ACTION_ERASE,
            authority: HUB,
            userId: "retention",
            objectType: "record",
            objectId: order.objectId,
            erasure: cert,
          });
          return pb.ErasureCertificate.encode(cert).finish();
        },
      },
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
