// Wires the exchange from a connection and its settings: registry watch, router, consumers, micro
// service. main.ts calls this after reading config; tests call it in-process.
import { jetstream } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/nats-core";
import { AuditEmitter, logRegistryRefusal } from "../../src/audit/mod.js";
import type { ExchangeConfig } from "../../src/config/mod.js";
import { BatchSigner, BatchVerifier, Ed25519Signer, type ContactPointKeys } from "../../src/crypto/mod.js";
import type { Logger } from "../../src/log/mod.js";
import { ServiceMetrics } from "../../src/metrics/mod.js";
import { consumeLanes, EXCHANGE_MAX_DELIVERIES, exchangeConsumer, JsPublisher, PRIORITY_TOKENS, startMicroService } from "../../src/nats/mod.js";
import { pb } from "../../src/proto/mod.js";
import { REGISTRY_CHANGED_SUBJECT, REGISTRY_LIST_SUBJECT, watchRegistry, type RegistryTrust } from "../../src/registry/mod.js";
import { HUB } from "../../src/domain/mod.js";
import { Router } from "./router.js";
import { Routes } from "./routes.js";

export type ExchangeSettings = Pick<ExchangeConfig, "replayWindow" | "clockSkew" | "maxEnvelopeBytes"> & {
  /** The registry public key entries must be signed with. */
  readonly registryTrust: RegistryTrust;
};

export interface RunningExchange {
  readonly router: Router;
  close(): Promise<void>;
}

export interface ExchangeOptions {
  /** The clock of its checks (replay window, clock skew), receipts and events (Date.now by default). */
  readonly now?: () => number;
}

export async function startExchange(nc: NatsConnection, cfg: ExchangeSettings, hubKeys: ContactPointKeys, log: Logger, opts: ExchangeOptions = {}): Promise<RunningExchange> {
  const now = opts.now ?? Date.now;
  const js = jetstream(nc);
  const audit = new AuditEmitter(nc, "exchange", { now });
  const registry = await watchRegistry(nc, log, { trust: cfg.registryTrust, now, onRefused: logRegistryRefusal(audit, HUB) });
  registry.onChange(() => nc.publish(REGISTRY_CHANGED_SUBJECT));
  // Copies stay in submission order through an INBOX election (publisher.ts, holdBehindOverdueMs).
  const publisher = new JsPublisher(nc, { holdBehindOverdueMs: 1_000 });
  const metrics = new ServiceMetrics("exchange");
  const outcomes = metrics.counter("liaison_exchange_outcomes_total", "Envelopes and receipts handled by the exchange, by what became of them (routed or a refusal code)", ["kind", "outcome"]);
  const router = new Router({
    onOutcome: (outcome, kind) => outcomes.inc({ kind, outcome }),
    publisher,
    routes: new Routes(publisher),
    registry: () => registry.view,
    verifier: new BatchVerifier(registry.view.signingKey),
    hubSigner: new BatchSigner(new Ed25519Signer(hubKeys.signing), { now }),
    audit,
    log,
    now,
    replayWindowMs: cfg.replayWindow,
    clockSkewMs: cfg.clockSkew,
    maxEnvelopeBytes: cfg.maxEnvelopeBytes,
  });
  // Urgent submissions first, in small batches, so they never wait behind a normal backlog.
  const consumer = await consumeLanes(
    js,
    PRIORITY_TOKENS.map((p) => ({ stream: "SUBMIT", durable: exchangeConsumer(p).config.durable_name, handle: (b) => router.handle(b) })),
    // In stream order across deliveries lost with a dying node, so what a sender had acknowledged
    // first is routed first (src/nats/in-order.ts).
    { log, maxBatch: 32, maxInFlight: 4, maxDeliveries: EXCHANGE_MAX_DELIVERIES, onPoison: (msgs) => router.poison(msgs), inStreamOrder: true, metrics },
  );
  metrics.gauge("liaison_exchange_backlog", "Submissions received by the exchange and not yet handled", [], (g) => void g.set(consumer.backlog()));
  const svc = await startMicroService(nc, {
    metrics,
    name: "exchange",
    description: "Validates and routes envelopes and receipts between contact points; serves the registry to access points",
    log,
    endpoints: [
      {
        name: "registry-list",
        subject: REGISTRY_LIST_SUBJECT,
        handler: async () => pb.RegistrySnapshot.encode({ entries: registry.signed() }).finish(),
      },
    ],
    stats: async () => ({ backlog: consumer.backlog() }),
  });
  return {
    router,
    close: async () => {
      await consumer.stop();
      await router.drain();
      await svc.stop();
      await audit.end();
      publisher.close();
      registry.stop();
    },
  };
}
