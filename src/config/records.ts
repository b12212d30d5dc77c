// Settings of the records (CIS) and files (FIDE) services: the hub's keys and secrets, the CIS
// review period (default 12 months; LIAISON_REVIEW_PERIOD=30s works for demonstrations), review
// reminders (LIAISON_REMINDER_DAYS), limits.
import { join } from "node:path";
import { z } from "zod";
import { baseFields, defaultRegistryKeyFile, registryFields, zReminderDays } from "./common.js";
import { zPeriod } from "./duration.js";

export const DEFAULT_MAX_ATTACHMENT_BYTES = 4 * 1024 * 1024;
export const DEFAULT_MAX_QUERY_MATCHES = 100;

export const hubDataSchema = z
  .object({
    ...baseFields,
    ...registryFields,
    hubKeyFile: z.string().min(1).optional(),
    /** Blind-index key and key-encryption keys (0600; an HSM or KMS in production). */
    hubSecretsFile: z.string().min(1).optional(),
    reviewPeriod: zPeriod.prefault("12mo"),
    /** Per-category review periods as JSON, e.g. {"RECORD_CATEGORY_PERSON":"6mo"}. */
    reviewPeriodByCategory: z
      .union([z.string(), z.record(z.string(), z.string())])
      .transform((v, ctx) => {
        try {
          return (typeof v === "string" ? (v.trim() ? JSON.parse(v) : {}) : v) as Record<string, string | number>;
        } catch {
          ctx.addIssue({ code: "custom", message: "must be a JSON object of category → period" });
          return z.NEVER;
        }
      })
      .pipe(z.record(z.string(), zPeriod))
      .default({}),
    /** Review reminders, in days before the review date (shared with the retention service). */
    reminderDays: zReminderDays,
    maxAttachmentBytes: z.coerce.number().int().positive().default(DEFAULT_MAX_ATTACHMENT_BYTES),
    maxQueryMatches: z.coerce.number().int().positive().max(1_000).default(DEFAULT_MAX_QUERY_MATCHES),
  })
  .transform((c) => ({
    ...c,
    hubKeyFile: c.hubKeyFile ?? join(c.home, "secrets", "hub-keys.json"),
    hubSecretsFile: c.hubSecretsFile ?? join(c.home, "secrets", "hub-secrets.json"),
    registryKeyFile: c.registryKeyFile ?? defaultRegistryKeyFile(c.home),
  }));
export type HubDataConfig = z.output<typeof hubDataSchema>;
