// The usage service: usage levels per contact point and month, dormancy, live throughput and the
// operations metrics. Composition root only (see service.ts).
import { loadConfig, usageSchema } from "../../src/config/mod.js";
import { readKeyFile } from "../../src/crypto/mod.js";
import { createLogger } from "../../src/log/mod.js";
import { connectNats } from "../../src/nats/mod.js";
import { readRegistryTrust } from "../../src/registry/mod.js";
import { runMain } from "../../src/runtime/mod.js";
import { startUsage } from "./service.js";

await runMain("usage", async () => {
  const cfg = loadConfig("usage", usageSchema);
  const log = createLogger("usage", cfg.logLevel);
  const hubKeys = readKeyFile(cfg.hubKeyFile);
  const nc = await connectNats({ url: cfg.natsUrl, name: "liaison-usage", ...(cfg.natsCreds ? { credsFile: cfg.natsCreds } : {}), log, waitOnFirstConnect: true });
  const usage = await startUsage(nc, { ...cfg, registryTrust: readRegistryTrust(cfg.registryKeyFile) }, hubKeys, log);
  log.info({ dormantAfterMs: cfg.dormantAfter }, "usage ready");
  return {
    close: async () => {
      await usage.close();
      await nc.drain();
    },
  };
});
