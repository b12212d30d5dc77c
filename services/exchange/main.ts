// The exchange: validates and routes envelopes and receipts between contact points, and serves
// the registry's read endpoint to access points. Composition root only (see service.ts, router.ts).
import { exchangeSchema, loadConfig } from "../../src/config/mod.js";
import { readKeyFile } from "../../src/crypto/mod.js";
import { createLogger } from "../../src/log/mod.js";
import { connectNats } from "../../src/nats/mod.js";
import { readRegistryTrust } from "../../src/registry/mod.js";
import { runMain } from "../../src/runtime/mod.js";
import { startExchange } from "./service.js";

await runMain("exchange", async () => {
  const cfg = loadConfig("exchange", exchangeSchema);
  const log = createLogger("exchange", cfg.logLevel);
  const hubKeys = readKeyFile(cfg.hubKeyFile);
  const nc = await connectNats({ url: cfg.natsUrl, name: "liaison-exchange", ...(cfg.natsCreds ? { credsFile: cfg.natsCreds } : {}), log, waitOnFirstConnect: true });
  const exchange = await startExchange(nc, { ...cfg, registryTrust: readRegistryTrust(cfg.registryKeyFile) }, hubKeys, log);
  log.info("exchange ready");
  return {
    close: async () => {
      await exchange.close();
      await nc.drain();
    },
  };
});
