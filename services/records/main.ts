// The records service: CIS records for contact points. Composition root only (see service.ts, handlers.ts).
import { hubDataSchema, loadConfig } from "../../src/config/mod.js";
import { readKeyFile } from "../../src/crypto/mod.js";
import { createLogger } from "../../src/log/mod.js";
import { connectNats } from "../../src/nats/mod.js";
import { runMain } from "../../src/runtime/mod.js";
import { startRecords } from "./service.js";

await runMain("records", async () => {
  const cfg = loadConfig("records", hubDataSchema);
  const log = createLogger("records", cfg.logLevel);
  const hubKeys = readKeyFile(cfg.hubKeyFile);
  const nc = await connectNats({ url: cfg.natsUrl, name: "liaison-records", ...(cfg.natsCreds ? { credsFile: cfg.natsCreds } : {}), log, waitOnFirstConnect: true });
  const records = await startRecords(nc, cfg, hubKeys, log);
  log.info({ records: records.store.index.size }, "records ready");
  return {
    close: async () => {
      await records.close();
      await nc.drain();
    },
  };
});
