// Settings of the usage service: dormancy thresholds (default: dormant after 30 days without a
// connection, suspension after 90, reminder 10 days before), how often dormancy is checked and
// how often a live throughput sample is published.
import { join } from "node:path";
import { z } from "zod";
import { baseFields, defaultRegistryKeyFile, registryFields } from "./common.js";
import { zDurationMs } from "./duration.js";

const DAY = 86_400_000;

export const usageSchema = z
  .object({
    ...baseFields,
    ...registryFields,
    hubKeyFile: z.string().min(1).optional(),
    /** No connection for this long makes a contact point dormant; it gets a notice. */
    dormantAfter: zDurationMs.default(30 * DAY),
    /** No connection for this long would get the account suspended for inactivity. */
    suspendAfter: zDurationMs.default(90 * DAY),
    /** The suspension reminder goes out this long before. */
    suspensionWarning: zDurationMs.default(10 * DAY),
    /** Dormancy is checked this often (and on demand). */
    dormancyCheckInterval: zDurationMs.default(3_600_000),
    /** A live throughput sample goes out this often. */
    throughputInterval: zDurationMs.default(2_000),
  })
  .refine((c) => c.suspendAfter > c.dormantAfter, { message: "suspendAfter must be longer than dormantAfter", path: ["suspendAfter"] })
  .refine((c) => c.suspensionWarning < c.suspendAfter, { message: "suspensionWarning must be shorter than suspendAfter", path: ["suspensionWarning"] })
  .transform((c) => ({ ...c, hubKeyFile: c.hubKeyFile ?? join(c.home, "secrets", "hub-keys.json"), registryKeyFile: c.registryKeyFile ?? defaultRegistryKeyFile(c.home) }));
export type UsageConfig = z.output<typeof usageSchema>;
