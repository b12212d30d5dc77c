// Settings of a contact point's access point: which CP it is, its key and users files, its port.
import { join } from "node:path";
import { z } from "zod";
import { DEFAULT_KEY_EXPIRY_WARNING_DAYS, DEFAULT_KEY_FILE_RELOAD_INTERVAL_MS, PUSH_EVENT_TYPES } from "../domain/mod.js";
import { zDurationMs } from "./duration.js";
import { baseFields, defaultRegistryKeyFile, registryFields, zCpCode, zPort } from "./common.js";
import { checkHttpLimits, httpLimitFields } from "./http.js";

export const DEFAULT_AP_PORT = 8401;
export const DEFAULT_AP_BODY_LIMIT = 6 * 1024 * 1024;
/** Largest file uploaded as a large attachment (docs/large-files.md): 2 GiB. */
export const DEFAULT_MAX_LARGE_FILE_BYTES = 2 * 1024 * 1024 * 1024;
/** An upload not sent in a message within this time is forgotten: its key dropped, its object deleted. */
export const DEFAULT_LARGE_UPLOAD_TTL_MS = 3_600_000;
/** Attempts of a webhook delivery before it is marked failed (an operator can replay it). */
export const DEFAULT_WEBHOOK_MAX_ATTEMPTS = 12;
/** The first retry's delay; each next one doubles (with jitter) up to DEFAULT_WEBHOOK_MAX_DELAY_MS. */
export const DEFAULT_WEBHOOK_RETRY_BASE_MS = 2_000;
export const DEFAULT_WEBHOOK_MAX_DELAY_MS = 15 * 60_000;
/** How long one attempt waits for the back office's answer. */
export const DEFAULT_WEBHOOK_TIMEOUT_MS = 10_000;

/** "message,receipt" or a JSON array in a config file: the event types a webhook receives. */
const zPushEventTypes = z
  .union([z.string(), z.array(z.string())])
  .transform((v) => (Array.isArray(v) ? v : v.split(",")).map((s) => s.trim()).filter((s) => s !== ""))
  .pipe(z.array(z.enum(PUSH_EVENT_TYPES)).min(1))
  .default([...PUSH_EVENT_TYPES]);

/**
 * The back office's webhook: set by whoever deploys the access point, not over its API, so a stolen
 * operator token cannot send the events elsewhere, and the secret stays in a file on this host.
 */
const webhookFields = {
  /** Where events are POSTed, signed (LIAISON_WEBHOOK_URL); unset: no webhook, GET /v1/events only. */
  webhookUrl: z.url({ protocol: /^https?$/ }).optional(),
  /** A file holding the HMAC-SHA256 secret (at least 32 characters), required with webhookUrl. */
  webhookSecretFile: z.string().min(1).optional(),
  /** Which event types it receives (LIAISON_WEBHOOK_EVENTS=message,receipt); all by default. */
  webhookEvents: zPushEventTypes,
  webhookMaxAttempts: z.coerce.number().int().min(1).max(100).default(DEFAULT_WEBHOOK_MAX_ATTEMPTS),
  webhookRetryBase: zDurationMs.default(DEFAULT_WEBHOOK_RETRY_BASE_MS),
  webhookMaxDelay: zDurationMs.default(DEFAULT_WEBHOOK_MAX_DELAY_MS),
  webhookTimeout: zDurationMs.default(DEFAULT_WEBHOOK_TIMEOUT_MS),
};

export const accessPointSchema = z
  .object({
    ...baseFields,
    ...registryFields,
    /** The contact point this access point acts for (LIAISON_CP). */
    cp: zCpCode,
    /** Its key file from `liaison keys init` (default $LIAISON_HOME/ap/<CP>/keys.json). */
    keyFile: z.string().min(1).optional(),
    /** How often it looks at its key file for keys added by `liaison keys rotate`. */
    keyFileReloadInterval: zDurationMs.default(DEFAULT_KEY_FILE_RELOAD_INTERVAL_MS),
    /** It logs a warning this many days before one of its registered keys reaches its end of validity. */
    keyExpiryWarningDays: z.coerce.number().int().min(0).default(DEFAULT_KEY_EXPIRY_WARNING_DAYS),
    /** Its users and token hashes (default $LIAISON_HOME/ap/<CP>/users.json). */
    usersFile: z.string().min(1).optional(),
    host: z.string().min(1).default("127.0.0.1"),
    port: zPort.default(DEFAULT_AP_PORT),
    /** Largest HTTP body (a message with its attachments, as JSON). */
    bodyLimit: z.coerce.number().int().positive().default(DEFAULT_AP_BODY_LIMIT),
    /** The access point logs a connection event this often (and at start and on reconnect). */
    connectHeartbeat: zDurationMs.default(3_600_000),
    /** Largest total of a message's attachments, decoded. */
    maxAttachmentBytes: z.coerce.number().int().positive().default(4 * 1024 * 1024),
    /** Largest large attachment, streamed through POST /v1/uploads (LIAISON_MAX_LARGE_FILE_BYTES). */
    maxLargeFileBytes: z.coerce.number().int().positive().default(DEFAULT_MAX_LARGE_FILE_BYTES),
    /** How long an upload waits to be sent in a message (LIAISON_LARGE_UPLOAD_TTL). */
    largeUploadTtl: zDurationMs.default(DEFAULT_LARGE_UPLOAD_TTL_MS),
    /** Rate limits, timeouts, connection cap, refusal log window, users file reload (config/http.ts). */
    ...httpLimitFields,
    ...webhookFields,
  })
  .superRefine(checkHttpLimits)
  .superRefine((c, ctx) => {
    if (c.webhookUrl && !c.webhookSecretFile) ctx.addIssue({ code: "custom", path: ["webhookSecretFile"], message: "a webhook needs its secret file (LIAISON_WEBHOOK_SECRET_FILE)" });
  })
  .transform((c) => ({
    ...c,
    keyFile: c.keyFile ?? join(c.home, "ap", c.cp, "keys.json"),
    usersFile: c.usersFile ?? join(c.home, "ap", c.cp, "users.json"),
    registryKeyFile: c.registryKeyFile ?? defaultRegistryKeyFile(c.home),
  }));
export type AccessPointConfig = z.output<typeof accessPointSchema>;
