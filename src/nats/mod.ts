// NATS plumbing: connections, subjects, stream settings, provisioning, micro services (and their metrics scrape), a local server.
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
  apPushStream,
  PUSH_LOG_MAX_MSGS,
  exchangeConsumer,
  EXCHANGE_MAX_DELIVERIES,
  inboxConsumer,
  inboxConsumerOwner,
  hubConsumers,
  contactPointConsumers,
  largeFileStore,
  DEFAULT_LARGE_FILE_STORE_BYTES,
  LARGE_FILE_MAX_MSG_SIZE,
  type StreamSpec,
  type KvSpec,
  type ConsumerSpec,
  type ObjectStoreSpec,
} from "./streams.js";
export { provision, provisionContactPoint, provisionMemberStore, provisionMemberPushLog, clusterSize, checkReplicas, type ProvisionEntry, type ProvisionOptions } from "./provision.js";
export { startMicroService, requestService, serviceErrorOf, queueGroup, type EndpointDef, type MicroServiceDef } from "./service.js";
export { serveMetrics, scrapeAll, METRICS_SCRAPE_SUBJECT } from "./metrics-scrape.js";
export { consumeBatches, consumeLanes, longestHoldsMs, redeliveryDelayMs, type BatchConsumer, type BatchConsumerOptions, type BatchHandler, type Lane } from "./batch-consumer.js";
export {
  natsAccountsConfig,
  memberImports,
  HUB_ACCOUNT,
  SYS_ACCOUNT,
  DEFAULT_MEMBER_LIMITS,
  type AccountsInput,
  type AccountLimits,
  type MemberImport,
  type MemberInput,
  type NkeyUser,
} from "./accounts.js";
export {
  STALE_REPLICAS_KEY,
  staleReplicasSchema,
  loadStaleReplicas,
  pendingRebuilds,
  membersOf,
  streamDrift,
  rebuildStaleReplicas,
  type StaleReplicasState,
  type StreamWatch,
  type RebuildDeps,
  type RebuildResult,
} from "./replica-rebuild.js";
export { hubPermissions, streamReadSubjects, SERVICE_GRANTS, HUB_ROLES, type HubRole, type Permissions, type ServiceGrants } from "./permissions.js";
export { ensureNkeySeed } from "./nkeys.js";
export { JsPublisher, type PubAck, type PublishOptions } from "./publisher.js";
export { Linger, type LingerOptions } from "./linger.js";
export { Lease, LEASE_RENEW_MS, LEASE_TTL_MS } from "./lease.js";
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
export { startLocalCluster, freePorts, type LocalCluster, type LocalClusterOptions, type ClusterNode } from "./local-cluster.js";
