// The retention service: erasure on time, every time. Composition root only (see service.ts).
import { loadConfig, retentionSchema } from "../../src/config/mod.js";
import { readKeyFile } from "../../src/crypto/mod.js";
import { createLogger } from "../../src/log/mod.js";
import { connectNats } from "../../src/nats/mod.js";
import { runMain } from "../../src/runtime/mod.js";
import { startRetention } from "./service.js";

await runMain("retention", async () => {
  const cfg = loadConfig("retention", retentionSchema);
  const log = createLogger("retention", cfg.logLevel);
  const hubKeys = readKeyFile(cfg.hubKeyFile);
  const nc = await connectNats({ url: cfg.natsUrl, name: "liaison-retention", ...(cfg.natsCreds ? { credsFile: cfg.natsCreds } : {}), log, waitOnFirstConnect: true });
  const retention = await startRetention(nc, cfg, hubKeys, log);
  log.info({ sweepIntervalMs: cfg.sweepInterval }, "retention ready");
  return {
    close: async () => {
      await retention.close();
      await nc.drain();
    },
  };
});
