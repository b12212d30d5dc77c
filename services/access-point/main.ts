// A contact point's access point: holds its keys, serves its national HTTP API, takes its inbox.
// Composition root only (see service.ts, mailbox.ts, routes/).
import { accessPointSchema, httpLimitsOf, loadConfig } from "../../src/config/mod.js";
import { readKeyFile } from "../../src/crypto/mod.js";
import { UserStore } from "../../src/http/mod.js";
import { createLogger } from "../../src/log/mod.js";
import { connectNats, cpInboxPrefix } from "../../src/nats/mod.js";
import { readRegistryTrust } from "../../src/registry/mod.js";
import { runMain } from "../../src/runtime/mod.js";
import { startAccessPoint } from "./service.js";

await runMain("access-point", async () => {
  const cfg = loadConfig("access-point", accessPointSchema);
  const log = createLogger(`access-point-${cfg.cp}`, cfg.logLevel);
  const keys = readKeyFile(cfg.keyFile);
  // Re-read when it changes: a token revoked with `liaison tokens revoke` is refused within seconds.
  const users = UserStore.watch(cfg.usersFile, { intervalMs: cfg.usersReloadInterval, log });
  const nc = await connectNats({
    url: cfg.natsUrl,
    name: `liaison-access-point-${cfg.cp}`,
    ...(cfg.natsCreds ? { credsFile: cfg.natsCreds } : {}),
    inboxPrefix: cpInboxPrefix(cfg.cp),
    log,
    waitOnFirstConnect: true,
  });
  const ap = await startAccessPoint(nc, { ...cfg, registryTrust: readRegistryTrust(cfg.registryKeyFile), http: httpLimitsOf(cfg) }, keys, users, log);
  log.info({ url: ap.url, messages: ap.mailbox.size }, `access point ${cfg.cp} ready`);
  return {
    ready: { url: ap.url, cp: cfg.cp },
    close: async () => {
      await ap.close();
      users.close();
      await nc.drain();
    },
  };
});
