// Settings of the operations service (the calendar of joint customs operations): where it connects,
// the hub's keys it signs overlap notices and answers with, and the registry's trust anchor.
import { join } from "node:path";
import { z } from "zod";
import { baseFields, defaultRegistryKeyFile, registryFields } from "./common.js";
import { zPeriod } from "./duration.js";

export const operationsSchema = z
  .object({
    ...baseFields,
    ...registryFields,
    hubKeyFile: z.string().min(1).optional(),
    // How long an operation's sealed items and its calendar entry are kept after its final report
    // phase ends (src/domain/retention-rules.ts, operationRetention).
    operationItemsKeep: zPeriod.prefault("2y"),
    operationEntryKeep: zPeriod.prefault("5y"),
  })
  .transform((c) => ({ ...c, hubKeyFile: c.hubKeyFile ?? join(c.home, "secrets", "hub-keys.json"), registryKeyFile: c.registryKeyFile ?? defaultRegistryKeyFile(c.home) }));
export type OperationsConfig = z.output<typeof operationsSchema>;
