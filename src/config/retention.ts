// Settings of the retention service: how often it sweeps, how often the key-encryption key is
// rotated, how long delivered messages are kept at the hub, when reviews are reminded.
import { join } from "node:path";
import { z } from "zod";
import { baseFields, zReminderDays } from "./common.js";
import { zDurationMs, zPeriod } from "./duration.js";

export const retentionSchema = z
  .object({
    ...baseFields,
    hubKeyFile: z.string().min(1).optional(),
    hubSecretsFile: z.string().min(1).optional(),
    /** A sweep runs this often (and on demand). */
    sweepInterval: zDurationMs.default(60_000),
    /** The key-encryption key is replaced, and every data key re-wrapped, this often. */
    kekEpoch: zDurationMs.default(24 * 3_600_000),
    /** Hub copies of delivered messages are deleted this long after delivery. */
    messageKeep: zPeriod.prefault("30d"),
    /** Review reminders, in days before the review date. */
    reminderDays: zReminderDays,
    /**
     * Erasures in flight at once during a sweep. Each waits for a disk flush of its data key's
     * shard, so more in flight keep the four shards busy (bench/retention: 32 → 64 took 10,000
     * erasures from about 8.0 s to 6.7 s; 128 gained little more).
     */
    eraseConcurrency: z.coerce.number().int().min(1).max(256).default(64),
  })
  .transform((c) => ({
    ...c,
    hubKeyFile: c.hubKeyFile ?? join(c.home, "secrets", "hub-keys.json"),
    hubSecretsFile: c.hubSecretsFile ?? join(c.home, "secrets", "hub-secrets.json"),
  }));
export type RetentionConfig = z.output<typeof retentionSchema>;
