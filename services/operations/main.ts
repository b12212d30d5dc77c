// The operations service: joint customs operations and the calendar. Composition root only (see service.ts, handlers.ts).
import { loadConfig, operationsSchema } from "../../src/config/mod.js";
import { runHubServiceMain } from "../../src/runtime/mod.js";
import { startOperations } from "./service.js";

await runHubServiceMain("operations", () => loadConfig("operations", operationsSchema), async ({ cfg, log, nc, hubKeys, registryTrust }) => {
  const running = await startOperations(nc, { registryTrust, retention: { itemsKeep: cfg.operationItemsKeep, entryKeep: cfg.operationEntryKeep } }, hubKeys, log);
  log.info(running.counts(), "operations ready");
  return running;
});
