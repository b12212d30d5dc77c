// NATS plumbing: connections, subjects, stream settings, provisioning, micro services, a local server.
export { connectNats, RECONNECT_SETTINGS, type ConnectOptions } from "./connect.js";
export { subjects, token, parseRoutedSubject, cpInboxPrefix, PRIORITY_TOKENS, type PriorityToken } from "./subjects.js";
export {
  STREAMS,
  BUCKETS,
  OBJECT_STORES,
  MAX_SUBMIT_BYTES,
  DUPLICATE_WINDOW_MS,
  INBOX_MAX_AGE_MS,
  AUDIT_MAX_AGE_MS,
  HIT_KEEP_MS,
  KEY_SHARDS,
  keyShardStream,
  USAGE_CONSUMER,
  apStoreStream,
  exchangeConsumer,
  inboxConsumer,
  hubConsumers,
  contactPointConsumers,
  type StreamSpec,
  type KvSpec,
  type ConsumerSpec,
  type ObjectStoreSpec,
} from "./streams.js";
export { provision, provisionContactPoint, type ProvisionEntry, type ProvisionOptions } from "./provision.js";
export { startMicroService, requestService, serviceErrorOf, queueGroup, type EndpointDef, type MicroServiceDef } from "./service.js";
export { consumeBatches, consumeLanes, type BatchConsumer, type BatchConsumerOptions, type BatchHandler, type Lane } from "./batch-consumer.js";
export { natsAuthConfig, contactPointPermissions, hubPermissions, DESTRUCTIVE_JS_API, PROTECTED_STREAMS, type AuthConfigInput, type HubRole, type NkeyUser, type Permissions } from "./auth-config.js";
export { ensureNkeySeed } from "./nkeys.js";
export { JsPublisher, type PubAck, type PublishOptions } from "./publisher.js";
export { Linger, type LingerOptions } from "./linger.js";
export { Lease } from "./lease.js";
export { startNatsServer, type NatsServerOptions, type RunningNatsServer } from "./local-server.js";
export {
  resolveNatsServer,
  resolveNatsCli,
  checkServerVersion,
  assertServerVersion,
  pinnedVersions,
  installHint,
  parseVersion,
  versionAtLeast,
  DEFAULT_TOOLS_DIR,
  INSTALL_SCRIPT,
  type PinnedVersions,
  type ResolveOptions,
} from "./server-bin.js";
