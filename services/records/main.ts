// The records service: CIS records for contact points. Composition root only (see service.ts, handlers.ts).
import { hubDataSchema, loadConfig } from "../../src/config/mod.js";
import { readKeyFile } from "../../src/crypto/mod.js";
import { createLogger } from "../../src/log/mod.js";
import { connectNats, KEY_SHARDS } from "../../src/nats/mod.js";
import { runMain } from "../../src/runtime/mod.js";
import { startRecords } from "./service.js";

await runMain("records", async () => {
  const cfg = loadConfig("records", hubDataSchema);
  const log = createLogger("records", cfg.logLevel);
  const hubKeys = readKeyFile(cfg.hubKeyFile);
  const connect = (name: string) => connectNats({ url: cfg.natsUrl, name, ...(cfg.natsCreds ? { credsFile: cfg.natsCreds } : {}), log, waitOnFirstConnect: true });
  const nc = await connect("liaison-records");
  // Data keys on connections of their own, one per shard: see startRecords.
  const keysNc = await Promise.all(Array.from({ length: KEY_SHARDS }, (_, k) => connect(`liaison-records-keys-${k}`)));
  const records = await startRecords(nc, cfg, hubKeys, log, Date.now, keysNc);
  log.info({ records: records.store.index.size }, "records ready");
  return {
    close: async () => {
      await records.close();
      await Promise.all([nc.drain(), ...keysNc.map((c) => c.drain())]);
    },
  };
});
