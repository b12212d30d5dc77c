// Builds the audit service from its parts (engine, head issuer, event store, endpoints) on a NATS
// connection; main.ts adds config, key and process handling, tests call it in-process.
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/nats-core";
import type { Service } from "@nats-io/services";
import { randomUUID } from "node:crypto";
import { AUDIT_SERVICE, AuditAction, AuditEmitter, AuditOutcome } from "../../src/audit/mod.js";
import { HUB } from "../../src/domain/mod.js";
import type { Ed25519Signer } from "../../src/crypto/mod.js";
import type { Logger } from "../../src/log/mod.js";
import { ServiceMetrics } from "../../src/metrics/mod.js";
import { startMicroService } from "../../src/nats/mod.js";
import { CheckpointStore } from "./checkpoint.js";
import { AuditEngine } from "./engine.js";
import type { ForgedEvent } from "./log-state.js";
import { EventStore } from "./event-store.js";
import { auditEndpoints } from "./handlers.js";
import { HeadIssuer } from "./heads.js";
import { LeafChunkStore } from "./leaf-chunks.js";

export interface AuditServiceOptions {
  readonly nc: NatsConnection;
  readonly signer: Ed25519Signer;
  readonly log: Logger;
  readonly headIntervalMs: number;
  readonly dedupeWindow: number;
  readonly maxStepEvents: number;
  readonly takeoverAfterMs: number;
  readonly instanceId?: string;
  /** The clock of its tree heads, checkpoints, takeover and own events (Date.now by default). */
  readonly now?: () => number;
}

export interface RunningAuditService {
  readonly engine: AuditEngine;
  readonly heads: HeadIssuer;
  readonly service: Service;
  close(): Promise<void>;
}

export async function startAuditService(o: AuditServiceOptions): Promise<RunningAuditService> {
  const now = o.now ?? Date.now;
  const js = jetstream(o.nc);
  const jsm = await jetstreamManager(o.nc);
  const kv = await new Kvm(js).open("state");
  // Its own events: the refusal of each forged event, under an id fixed by where the forged one was,
  // so an instance that applies the same messages again logs nothing twice.
  const audit = new AuditEmitter(o.nc, AUDIT_SERVICE, { now });
  const onForged = async (events: readonly ForgedEvent[]) => {
    await Promise.all(
      events.map((f) =>
        audit.emit({
          id: `refusal.forged.${f.seq}.${f.position}`,
          action: AuditAction.AUDIT_ACTION_REFUSAL,
          authority: HUB,
          userId: `emitter:${f.source}`,
          objectType: "audit-event",
          objectId: `${f.seq}.${f.position}`,
          outcome: AuditOutcome.AUDIT_OUTCOME_REFUSED,
          reasonCode: "LIAISON_FORGED_EMITTER",
          details: { reason: f.reason, publishedBy: f.source },
        }),
      ),
    );
  };
  const engine = await AuditEngine.start(
    { js, jsm, checkpoints: new CheckpointStore(kv), chunks: new LeafChunkStore(js, jsm), log: o.log, onForged },
    { instanceId: o.instanceId ?? randomUUID(), dedupeWindow: o.dedupeWindow, maxStepEvents: o.maxStepEvents, takeoverAfterMs: o.takeoverAfterMs, now },
  );
  const heads = new HeadIssuer({ nc: o.nc, js, jsm, signer: o.signer, engine, log: o.log, now });
  await heads.follow();
  heads.start(o.headIntervalMs);
  const metrics = new ServiceMetrics(AUDIT_SERVICE);
  metrics.gauge("liaison_audit_tree_size", "Entries in the access log's Merkle tree", [], (g) => void g.set(engine.stableSize));
  metrics.gauge("liaison_audit_backlog", "Audit events stored but not yet in the tree", [], (g) => void g.set(engine.backlog));
  metrics.gauge("liaison_audit_head_age_seconds", "Age of the latest signed tree head (a stale head means the log stopped advancing)", [], (g) => {
    const h = heads.latest();
    g.set(h ? Math.max(0, (now() - h.timestampMs) / 1000) : -1);
  });
  metrics.gauge("liaison_audit_unsigned_entries", "Tree entries not yet covered by a signed tree head (heads are signed only when the tree grows)", [], (g) => {
    g.set(Math.max(0, engine.stableSize - (heads.latest()?.treeSize ?? 0)));
  });
  const service = await startMicroService(o.nc, {
    metrics,
    name: AUDIT_SERVICE,
    description: "The tamper-evident access log: appends audit events to an RFC 9162 Merkle tree, signs tree heads, serves proofs, queries and exports",
    log: o.log,
    endpoints: auditEndpoints({ engine, heads, events: new EventStore(jsm), signer: o.signer }),
    stats: async () => ({ role: engine.role, treeSize: engine.stableSize, backlog: engine.backlog, ...engine.state.stats }),
  });
  return {
    engine,
    heads,
    service,
    close: async () => {
      await service.stop();
      await heads.stop();
      await engine.stop();
      await audit.end();
    },
  };
}
