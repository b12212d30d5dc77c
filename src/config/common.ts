// Fields every service shares: where NATS is, which credentials, where local state lives, logging.
import { resolve } from "node:path";
import { z } from "zod";
import { DEFAULT_REMINDER_DAYS, isContactPointCode } from "../domain/mod.js";

export const DEFAULT_NATS_URL = "nats://127.0.0.1:4222";
export const DEFAULT_HOME = ".liaison";
export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

export const zLogLevel = z.enum(LOG_LEVELS);
export const zPort = z.coerce.number().int().min(0).max(65_535);
export const zHome = z.string().min(1).transform((p) => resolve(p));
export const zCpCode = z.string().refine(isContactPointCode, {
  message: "must be a contact point code: ISO 3166-1 alpha-2 (BE) or an EU body code (OLAF)",
});
/** "BE,NL,DE" or a JSON array in a config file. */
export const zCpList = z
  .union([z.string(), z.array(z.string())])
  .transform((v) => (Array.isArray(v) ? v : v.split(",")).map((s) => s.trim()).filter((s) => s !== ""))
  .pipe(z.array(zCpCode));

/**
 * Review reminders, in days before a CIS record's review date: "30,7,1" or a JSON array in a config
 * file. Read by the records service (which files each record's first reminder) and the retention
 * service (which files the next after sending one), so one LIAISON_REMINDER_DAYS sets both.
 */
export const zReminderDays = z
  .union([z.string(), z.array(z.number())])
  .transform((v) => (Array.isArray(v) ? v : v.split(",").map((s) => Number(s.trim()))))
  .pipe(z.array(z.number().int().positive()).min(1))
  .default([...DEFAULT_REMINDER_DAYS]);

export const natsFields = {
  natsUrl: z.string().min(1).default(DEFAULT_NATS_URL),
  /** An nkey seed file (mode 0600) for this service's or access point's NATS user. */
  natsCreds: z.string().min(1).optional(),
};

export const baseFields = {
  ...natsFields,
  home: zHome.default(DEFAULT_HOME),
  logLevel: zLogLevel.default("info"),
  /** Stream replicas: 1 for the embedded default, 3 for a production cluster. */
  replicas: z.coerce.number().int().min(1).max(5).default(1),
};

/**
 * The registry's public key (Ed25519, base64url, one line), the trust anchor every registry reader
 * checks entries against: hub services read it from the hub's secrets, an access point from the
 * file the hub handed its operators (default $LIAISON_HOME/secrets/registry-key.pub).
 */
export const registryFields = {
  registryKeyFile: z.string().min(1).optional(),
};
export const defaultRegistryKeyFile = (home: string) => resolve(home, "secrets", "registry-key.pub");

/**
 * LIAISON_LARGE_FILE_STORE_BYTES, the size of each member's large-file store at the hub: at least
 * 64 MiB; 8 GiB by default. The hub's JetStream (max_file_store) must hold one per member besides
 * its other streams.
 */
export const zLargeFileStoreBytes = z.coerce.number().int().min(64 * 1024 * 1024);

