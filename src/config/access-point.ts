// Settings of a contact point's access point: which CP it is, its key and users files, its port.
import { join } from "node:path";
import { z } from "zod";
import { DEFAULT_KEY_EXPIRY_WARNING_DAYS, DEFAULT_KEY_FILE_RELOAD_INTERVAL_MS } from "../domain/mod.js";
import { zDurationMs } from "./duration.js";
import { baseFields, defaultRegistryKeyFile, registryFields, zCpCode, zPort } from "./common.js";
import { checkHttpLimits, httpLimitFields } from "./http.js";

export const DEFAULT_AP_PORT = 8401;
export const DEFAULT_AP_BODY_LIMIT = 6 * 1024 * 1024;

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
    /** Rate limits, timeouts, connection cap, refusal log window, users file reload (config/http.ts). */
    ...httpLimitFields,
  })
  .superRefine(checkHttpLimits)
  .transform((c) => ({
    ...c,
    keyFile: c.keyFile ?? join(c.home, "ap", c.cp, "keys.json"),
    usersFile: c.usersFile ?? join(c.home, "ap", c.cp, "users.json"),
    registryKeyFile: c.registryKeyFile ?? defaultRegistryKeyFile(c.home),
  }));
export type AccessPointConfig = z.output<typeof accessPointSchema>;
