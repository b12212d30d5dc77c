// Configuration: a zod schema for each service's settings (records and files share hubDataSchema),
// loaded from env plus an optional JSON file.
export { loadConfig, envName, processEnv, type Env, type LoadOptions, type ServiceSchema } from "./load.js";
export { zPeriod, zDurationMs } from "./duration.js";
export { baseFields, natsFields, registryFields, defaultRegistryKeyFile, zCpCode, zCpList, zHome, zLogLevel, zPort, zReminderDays, zLargeFileStoreBytes, DEFAULT_NATS_URL, DEFAULT_HOME } from "./common.js";
export { stackSchema, DEFAULT_STACK_LARGE_FILE_STORE_BYTES, type StackConfig } from "./stack.js";
export { exchangeSchema, DEFAULT_MAX_ENVELOPE_BYTES, type ExchangeConfig } from "./exchange.js";
export { accessPointSchema, DEFAULT_AP_PORT, DEFAULT_AP_BODY_LIMIT, DEFAULT_MAX_LARGE_FILE_BYTES, DEFAULT_LARGE_UPLOAD_TTL_MS, DEFAULT_WEBHOOK_MAX_ATTEMPTS, DEFAULT_WEBHOOK_RETRY_BASE_MS, DEFAULT_WEBHOOK_MAX_DELAY_MS, DEFAULT_WEBHOOK_TIMEOUT_MS, type AccessPointConfig } from "./access-point.js";
export { cliSchema, type CliConfig } from "./cli.js";
export { auditSchema, DEFAULT_AUDIT_HEAD_INTERVAL_MS, DEFAULT_AUDIT_DEDUPE_WINDOW, DEFAULT_AUDIT_MAX_STEP_EVENTS, DEFAULT_AUDIT_TAKEOVER_AFTER_MS, type AuditConfig } from "./audit.js";
export { hubDataSchema, DEFAULT_MAX_ATTACHMENT_BYTES, DEFAULT_MAX_QUERY_MATCHES, type HubDataConfig } from "./records.js";
export { retentionSchema, type RetentionConfig } from "./retention.js";
export { usageSchema, type UsageConfig } from "./usage.js";
export { operationsSchema, type OperationsConfig } from "./operations.js";
export { consoleSchema, type ConsoleConfig } from "./console.js";
export {
  httpLimitFields,
  httpLimitsOf,
  checkHttpLimits,
  HTTP_LIMIT_DEFAULTS,
  DEFAULT_RATE_LIMIT_PER_CLIENT,
  DEFAULT_RATE_LIMIT_PER_TOKEN,
  DEFAULT_REFUSAL_LIMIT_PER_CLIENT,
  DEFAULT_RATE_LIMIT_WINDOW_MS,
  DEFAULT_REFUSAL_LOG_WINDOW_MS,
  DEFAULT_HEADERS_TIMEOUT_MS,
  DEFAULT_REQUEST_TIMEOUT_MS,
  DEFAULT_IDLE_TIMEOUT_MS,
  DEFAULT_KEEP_ALIVE_TIMEOUT_MS,
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_USERS_RELOAD_INTERVAL_MS,
  DEFAULT_TOKEN_TTL_MS,
  type HttpLimits,
} from "./http.js";
