// The usage service: usage levels per contact point and month, dormancy, live throughput and the
// operations metrics. Composition root only (see service.ts).
import { loadConfig, usageSchema } from "../../src/config/mod.js";
import { runHubServiceMain } from "../../src/runtime/mod.js";
import { startUsage } from "./service.js";

await runHubServiceMain("usage", () => loadConfig("usage", usageSchema), async ({ cfg, log, nc, hubKeys, registryTrust }) => {
  const usage = await startUsage(nc, { ...cfg, registryTrust }, hubKeys, log);
  log.info({ dormantAfterMs: cfg.dormantAfter }, "usage ready");
  return usage;
});
