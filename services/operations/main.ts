// The operations service: joint customs operations and the calendar. Composition root only (see service.ts, handlers.ts).
import { loadConfig, operationsSchema } from "../../src/config/mod.js";
import { readKeyFile } from "../../src/crypto/mod.js";
import { createLogger } from "../../src/log/mod.js";
import { connectNats } from "../../src/nats/mod.js";
import { readRegistryTrust } from "../../src/registry/mod.js";
import { runMain } from "../../src/runtime/mod.js";
import { startOperations } from "./service.js";

await runMain("operations", async () => {
  const cfg = loadConfig("operations", operationsSchema);
  const log = createLogger("operations", cfg.logLevel);
  const hubKeys = readKeyFile(cfg.hubKeyFile);
  const nc = await connectNats({ url: cfg.natsUrl, name: "liaison-operations", ...(cfg.natsCreds ? { credsFile: cfg.natsCreds } : {}), log, waitOnFirstConnect: true });
  const running = await startOperations(nc, { registryTrust: readRegistryTrust(cfg.registryKeyFile) }, hubKeys, log);
  log.info(running.counts(), "operations ready");
  return {
    close: async () => {
      await running.close();
      await nc.drain();
    },
  };
});
