// Configuration: one zod schema per service, loaded from env plus an optional JSON file.
export { loadConfig, envName, processEnv, type Env, type LoadOptions, type ServiceSchema } from "./load.js";
export { parsePeriod, addPeriod, formatPeriod, zPeriod, zDurationMs, type Period } from "./duration.js";
export { baseFields, natsFields, registryFields, defaultRegistryKeyFile, zCpCode, zCpList, zHome, zLogLevel, zPort, DEFAULT_NATS_URL, DEFAULT_HOME } from "./common.js";
export { stackSchema, type StackConfig } from "./stack.js";
export { exchangeSchema, DEFAULT_MAX_ENVELOPE_BYTES, type ExchangeConfig } from "./exchange.js";
export { accessPointSchema, DEFAULT_AP_PORT, DEFAULT_AP_BODY_LIMIT, type AccessPointConfig } from "./access-point.js";
export { cliSchema, type CliConfig } from "./cli.js";
export { auditSchema, DEFAULT_AUDIT_HEAD_INTERVAL_MS, DEFAULT_AUDIT_DEDUPE_WINDOW, DEFAULT_AUDIT_MAX_STEP_EVENTS, DEFAULT_AUDIT_TAKEOVER_AFTER_MS, type AuditConfig } from "./audit.js";
export { hubDataSchema, DEFAULT_MAX_ATTACHMENT_BYTES, DEFAULT_MAX_QUERY_MATCHES, type HubDataConfig } from "./records.js";
export { retentionSchema, type RetentionConfig } from "./retention.js";
export { usageSchema, type UsageConfig } from "./usage.js";
export { consoleSchema, type ConsoleConfig } from "./console.js";
