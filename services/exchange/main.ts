// The exchange: validates and routes envelopes and receipts between contact points, and serves
// the registry's read endpoint to access points. Composition root only (see service.ts, router.ts).
import { exchangeSchema, loadConfig } from "../../src/config/mod.js";
import { runHubServiceMain } from "../../src/runtime/mod.js";
import { startExchange } from "./service.js";

await runHubServiceMain("exchange", () => loadConfig("exchange", exchangeSchema), async ({ cfg, log, nc, hubKeys, registryTrust }) => {
  const exchange = await startExchange(nc, { ...cfg, registryTrust }, hubKeys, log);
  log.info("exchange ready");
  return exchange;
});
