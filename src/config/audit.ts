// Settings of the audit service: its signing key, how often it signs a tree head, the dedupe
// window for retried events, and when a standby replica takes over appending.
import { join } from "node:path";
import { z } from "zod";
import { baseFields } from "./common.js";
import { zDurationMs } from "./duration.js";

export const DEFAULT_AUDIT_HEAD_INTERVAL_MS = 10_000;
export const DEFAULT_AUDIT_DEDUPE_WINDOW = 200_000;
export const DEFAULT_AUDIT_MAX_STEP_EVENTS = 8_192;
export const DEFAULT_AUDIT_TAKEOVER_AFTER_MS = 5_000;

export const auditSchema = z
  .object({
    ...baseFields,
    /** The audit key file (owner AUDIT, from `initKeyFile`); default $LIAISON_HOME/secrets/audit-key.json. */
    auditKeyFile: z.string().min(1).optional(),
    /** A signed tree head every this often, when the tree has grown (LIAISON_HEAD_INTERVAL). */
    headInterval: zDurationMs.default(DEFAULT_AUDIT_HEAD_INTERVAL_MS).refine((ms) => ms >= 100, "must be at least 100ms"),
    /** An event whose id is among the last this many leaves is a retry and is not appended again. */
    dedupeWindow: z.coerce.number().int().min(1).max(10_000_000).default(DEFAULT_AUDIT_DEDUPE_WINDOW),
    /** About this many events per commit (leaf chunks + checkpoint). */
    maxStepEvents: z.coerce.number().int().min(1).max(1_000_000).default(DEFAULT_AUDIT_MAX_STEP_EVENTS),
    /** A standby replica takes over appending when the checkpoint has stood still this long with events waiting. */
    takeoverAfter: zDurationMs.default(DEFAULT_AUDIT_TAKEOVER_AFTER_MS),
  })
  .transform((c) => ({ ...c, auditKeyFile: c.auditKeyFile ?? join(c.home, "secrets", "audit-key.json") }));
export type AuditConfig = z.output<typeof auditSchema>;
