// The files service: the FIDE investigation-file index. Composition root only (see service.ts, handlers.ts).
import { hubDataSchema, loadConfig } from "../../src/config/mod.js";
import { readKeyFile } from "../../src/crypto/mod.js";
import { createLogger } from "../../src/log/mod.js";
import { connectNats, KEY_SHARDS } from "../../src/nats/mod.js";
import { runMain } from "../../src/runtime/mod.js";
import { startFiles } from "./service.js";

await runMain("files", async () => {
  const cfg = loadConfig("files", hubDataSchema);
  const log = createLogger("files", cfg.logLevel);
  const hubKeys = readKeyFile(cfg.hubKeyFile);
  const connect = (name: string) => connectNats({ url: cfg.natsUrl, name, ...(cfg.natsCreds ? { credsFile: cfg.natsCreds } : {}), log, waitOnFirstConnect: true });
  const nc = await connect("liaison-files");
  // Data keys on connections of their own, one per shard, as the records service does (see startRecords).
  const keysNc = await Promise.all(Array.from({ length: KEY_SHARDS }, (_, k) => connect(`liaison-files-keys-${k}`)));
  const files = await startFiles(nc, cfg, hubKeys, log, Date.now, keysNc);
  log.info({ entries: files.store.index.size }, "files ready");
  return {
    close: async () => {
      await files.close();
      await Promise.all([nc.drain(), ...keysNc.map((c) => c.drain())]);
    },
  };
});
