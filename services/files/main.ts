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
  const connect = (name: string) => connectNats({ url: cfg.natsUrl, name, ...(cfg.natsCreds ? { credsFile: cfg.natsCreds } : {}), log, waitOnFirstConnect: true });
  const nc = await connect("liaison-files");
  // Data keys on a connection of their own, as the records service does (see startRecords).
  const keysNc = await connect("liaison-files-keys");
  const files = await startFiles(nc, cfg, hubKeys, log, Date.now, keysNc);
  log.info({ entries: files.store.index.size }, "files ready");
  return {
    close: async () => {
      await files.close();
      await Promise.all([nc.drain(), keysNc.drain()]);
    },
  };
});
