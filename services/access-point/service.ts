// Wires an access point from a connection, its keys and users: store, mailbox, HTTP API.
// main.ts calls this after reading config; tests call it in-process.
import { jetstream } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/nats-core";
import { AuditAction, AuditEmitter, logRegistryRefusal } from "../../src/audit/mod.js";
import {
  DEFAULT_WEBHOOK_MAX_ATTEMPTS,
  DEFAULT_WEBHOOK_MAX_DELAY_MS,
  DEFAULT_WEBHOOK_RETRY_BASE_MS,
  DEFAULT_WEBHOOK_TIMEOUT_MS,
  DEFAULT_LARGE_UPLOAD_TTL_MS,
  DEFAULT_MAX_LARGE_FILE_BYTES,
  type AccessPointConfig,
  type HttpLimits,
} from "../../src/config/mod.js";
import { PUSH_EVENT_TYPES } from "../../src/domain/mod.js";
import { followKeyFile, type ContactPointKeys } from "../../src/crypto/mod.js";
import { DEFAULT_KEY_EXPIRY_WARNING_DAYS, DEFAULT_KEY_FILE_RELOAD_INTERVAL_MS } from "../../src/domain/mod.js";
import type { LiaisonApp, UserStore } from "../../src/http/mod.js";
import type { Logger } from "../../src/log/mod.js";
import { HubClient, OperationItemSealer } from "../../src/hub-rpc/mod.js";
import { JsPublisher, subjects } from "../../src/nats/mod.js";
import { expiringKeys, followRegistry, type RegistryTrust } from "../../src/registry/mod.js";
import { buildAccessPointApp } from "./app.js";
import { registryRoutes } from "./routes/registry.js";
import { eventRoutes } from "./routes/events.js";
import { operationItemRoutes } from "./routes/operation-items.js";
import { PushLog } from "./push/log.js";
import { Push, readWebhookSecret, type WebhookSettings } from "./push/push.js";
import { LargeFiles } from "./large-files.js";
import { Mailbox } from "./mailbox.js";
import { ApStore } from "./store.js";

export type AccessPointSettings = Pick<AccessPointConfig, "cp" | "host" | "port" | "bodyLimit" | "maxAttachmentBytes"> &
  Partial<Pick<AccessPointConfig, "maxLargeFileBytes" | "largeUploadTtl">> &
  Partial<Pick<AccessPointConfig, "connectHeartbeat" | "keyFile" | "keyFileReloadInterval" | "keyExpiryWarningDays">> &
  Partial<Pick<AccessPointConfig, "webhookUrl" | "webhookSecretFile" | "webhookEvents" | "webhookMaxAttempts" | "webhookRetryBase" | "webhookMaxDelay" | "webhookTimeout">> & {
    /** The registry public key (the trust anchor the hub handed this member's operators). */
    readonly registryTrust: RegistryTrust;
    /** Replicas of its store (LIAISON_REPLICAS: 3 on a cluster). */
    readonly replicas?: number;
    /** The HTTP edge's limits (rate limits, timeouts, connection cap); the named defaults otherwise. */
    readonly http?: Partial<HttpLimits>;
  };

export interface AccessPointOptions {
  /** Listens on cfg.host and cfg.port unless false (tests use app.inject()). */
  readonly listen?: boolean;
  /** The clock of its mailbox, registry checks and events (Date.now by default). */
  readonly now?: () => number;
}

export interface RunningAccessPoint {
  readonly app: LiaisonApp;
  readonly largeFiles: LargeFiles;
  readonly mailbox: Mailbox;
  readonly hub: HubClient;
  readonly audit: AuditEmitter;
  /** The push to the back office: its events, the webhook and its delivery log. */
  readonly push: Push;
  /** Set when listening. */
  readonly url: string | undefined;
  close(): Promise<void>;
}

export async function startAccessPoint(
  nc: NatsConnection,
  cfg: AccessPointSettings,
  keys: ContactPointKeys,
  users: UserStore,
  log: Logger,
  opts: AccessPointOptions = {},
): Promise<RunningAccessPoint> {
  const now = opts.now ?? Date.now;
  if (keys.owner !== cfg.cp) throw new Error(`the key file belongs to ${keys.owner}, not ${cfg.cp}`);
  const webhook = webhookOf(cfg);
  // Its own JetStream (the store, in its own account) and the hub's, reached through the imports
  // of its two inbox consumers (src/nats/accounts.ts).
  const js = jetstream(nc);
  const hubJs = jetstream(nc, { apiPrefix: subjects.hubJsApi });
  const audit = new AuditEmitter(nc, cfg.cp, { now });
  const registry = await followRegistry(nc, log, { trust: cfg.registryTrust, now, onRefused: logRegistryRefusal(audit, cfg.cp) });
  // A rotation's new encryption key is read from the key file before anyone may seal to it.
  const followed = cfg.keyFile
    ? followKeyFile(cfg.keyFile, keys, {
        intervalMs: cfg.keyFileReloadInterval ?? DEFAULT_KEY_FILE_RELOAD_INTERVAL_MS,
        onAdded: (added) => log.info({ added }, "read a new encryption key from the key file (a rotation)"),
        onError: (err) => log.warn({ err }, "could not read the key file again; keeping the keys held"),
      })
    : undefined;
  const live = followed?.keys ?? keys;
  const store = await ApStore.open(nc, js, cfg.cp, cfg.replicas ?? 1);
  const publisher = new JsPublisher(nc);
  const mailbox = new Mailbox({ js: hubJs, publisher, store, cp: cfg.cp, keys: live, registry: registry.view, audit, log, now });
  // Before the mailbox's start: what waited in the inbox while it was down is news for the back office.
  const pushLog = await PushLog.open(nc, cfg.cp, cfg.replicas ?? 1);
  const push = new Push({ mailbox, log: pushLog, logger: log, webhook, now });
  await push.start();
  await mailbox.start();
  const hub = new HubClient(nc, live, registry.view);
  const uploadTtlMs = cfg.largeUploadTtl ?? DEFAULT_LARGE_UPLOAD_TTL_MS;
  const largeFiles = new LargeFiles({ nc, cp: cfg.cp, maxBytes: cfg.maxLargeFileBytes ?? DEFAULT_MAX_LARGE_FILE_BYTES, uploadTtlMs, log, now, isMember: (cp) => registry.view().get(cp) !== undefined });
  // Keys of ours whose validity ends soon: warned at start and twice a day, so they are rotated in time.
  const warnExpiry = () => {
    for (const k of expiringKeys(registry.view().get(cfg.cp), now(), cfg.keyExpiryWarningDays ?? DEFAULT_KEY_EXPIRY_WARNING_DAYS)) {
      log.warn({ use: k.use, days: k.days }, `a ${k.use === "sig" ? "signing" : "encryption"} key of ${cfg.cp} expires in ${k.days} day(s); run liaison keys rotate`);
    }
  };
  warnExpiry();
  const expiryTimer = setInterval(warnExpiry, 12 * 3_600_000);
  expiryTimer.unref();
  const app = await buildAccessPointApp({
    cp: cfg.cp,
    mailbox,
    hub,
    users,
    audit,
    log,
    bodyLimit: cfg.bodyLimit,
    maxAttachmentBytes: cfg.maxAttachmentBytes,
    largeFiles: { store: largeFiles, uploadTtlMs },
    isUp: () => !nc.isClosed(),
    plugins: [
      (scope) => registryRoutes(scope, { registry: registry.view, now, warnDays: cfg.keyExpiryWarningDays ?? DEFAULT_KEY_EXPIRY_WARNING_DAYS }),
      (scope) => eventRoutes(scope, { cp: cfg.cp, push, audit }),
      (scope) => operationItemRoutes(scope, { hub, sealer: new OperationItemSealer(live, registry.view, now), registry: registry.view, now }),
    ],
    ...(cfg.http ? { http: cfg.http } : {}),
  });
  const url = opts.listen === false ? undefined : await app.listen({ host: cfg.host, port: cfg.port });

  // "Connected": at start, after every reconnect and every heartbeat, so the hub's usage figures
  // show when this member was last connected (and flag it as dormant when it stops).
  const connected = (why: string) =>
    audit
      .emit({ action: AuditAction.AUDIT_ACTION_CONNECT, authority: cfg.cp, userId: `access-point:${cfg.cp}`, objectType: "access-point", objectId: cfg.cp, details: { why } })
      .catch((err: unknown) => log.warn({ err }, "could not log the connection"));
  await connected("start");
  const heartbeat = setInterval(() => void connected("heartbeat"), cfg.connectHeartbeat ?? 3_600_000);
  heartbeat.unref();
  void (async () => {
    for await (const s of nc.status()) if (s.type === "reconnect") void connected("reconnect");
  })();
  return {
    app,
    largeFiles,
    mailbox,
    hub,
    audit,
    push,
    url,
    close: async () => {
      clearInterval(heartbeat);
      clearInterval(expiryTimer);
      followed?.close();
      await app.close();
      largeFiles.close();
      await push.stop();
      await mailbox.stop();
      await audit.end();
      publisher.close();
      store.close();
      pushLog.close();
      registry.stop();
    },
  };
}

/** The webhook's settings, its secret read from its file; undefined when no webhook is configured. */
function webhookOf(cfg: AccessPointSettings): WebhookSettings | undefined {
  if (!cfg.webhookUrl) return undefined;
  if (!cfg.webhookSecretFile) throw new Error("a webhook needs its secret file (LIAISON_WEBHOOK_SECRET_FILE)");
  return {
    url: cfg.webhookUrl,
    secret: readWebhookSecret(cfg.webhookSecretFile),
    events: cfg.webhookEvents ?? PUSH_EVENT_TYPES,
    maxAttempts: cfg.webhookMaxAttempts ?? DEFAULT_WEBHOOK_MAX_ATTEMPTS,
    retryBaseMs: cfg.webhookRetryBase ?? DEFAULT_WEBHOOK_RETRY_BASE_MS,
    maxDelayMs: cfg.webhookMaxDelay ?? DEFAULT_WEBHOOK_MAX_DELAY_MS,
    timeoutMs: cfg.webhookTimeout ?? DEFAULT_WEBHOOK_TIMEOUT_MS,
  };
}
