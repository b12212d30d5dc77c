// The files service: the FIDE investigation-file index. Composition root only (see service.ts, handlers.ts).
import { hubDataSchema, loadConfig } from "../../src/config/mod.js";
import { readKeyFile } from "../../src/crypto/mod.js";
import { createLogger } from "../../src/log/mod.js";
import { connectNats } from "../../src/nats/mod.js";
import { runMain } from "../../src/runtime/mod.js";
import { startFiles } from "./service.js";

await runMain("files", async () => {
  const cfg = loadConfig("files", hubDataSchema);
  const log = createLogger("files", cfg.logLevel);
  const hubKeys = readKeyFile(cfg.hubKeyFile);
  const nc = await connectNats({ url: cfg.natsUrl, name: "liaison-files", ...(cfg.natsCreds ? { credsFile: cfg.natsCreds } : {}), log, waitOnFirstConnect: true });
  const files = await startFiles(nc, cfg, hubKeys, log);
  log.info({ entries: files.store.index.size }, "files ready");
  return {
    close: async () => {
      await files.close();
      await nc.drain();
    },
  };
});
