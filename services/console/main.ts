// The console: web UI and HTTP API for supervisors and operations. Composition root only.
import { AuditEmitter } from "../../src/audit/mod.js";
import { consoleSchema, httpLimitsOf, loadConfig } from "../../src/config/mod.js";
import { UserStore } from "../../src/http/mod.js";
import { createLogger } from "../../src/log/mod.js";
import { ServiceMetrics } from "../../src/metrics/mod.js";
import { connectNats, startMicroService } from "../../src/nats/mod.js";
import { runMain } from "../../src/runtime/mod.js";
import { buildConsoleApp } from "./app.js";

await runMain("console", async () => {
  const cfg = loadConfig("console", consoleSchema);
  const log = createLogger("console", cfg.logLevel);
  // Re-read when it changes: a token revoked with `liaison tokens revoke` is refused within seconds.
  const users = UserStore.watch(cfg.usersFile, { intervalMs: cfg.usersReloadInterval, log });
  const nc = await connectNats({ url: cfg.natsUrl, name: "liaison-console", ...(cfg.natsCreds ? { credsFile: cfg.natsCreds } : {}), log, waitOnFirstConnect: true });
  const audit = new AuditEmitter(nc, "console");
  const app = await buildConsoleApp({ nc, users, audit, log, http: httpLimitsOf(cfg), ...(cfg.natsMonitorUrl ? { monitorUrl: cfg.natsMonitorUrl } : {}) });
  // Its HTTP requests, in the same metrics as every hub service (and visible to $SRV discovery).
  const metrics = new ServiceMetrics("console");
  app.addHook("onResponse", async (req, reply) => {
    metrics.observe(req.routeOptions.url ?? "unmatched", reply.elapsedTime, reply.statusCode >= 400 ? String(reply.statusCode) : undefined);
  });
  const svc = await startMicroService(nc, { name: "console", description: "Web UI and HTTP API for supervisors and operations", log, metrics, endpoints: [] });
  const url = await app.listen({ host: cfg.host, port: cfg.port });
  log.info({ url }, "console ready");
  return {
    ready: { url },
    close: async () => {
      await app.close();
      users.close();
      await svc.stop();
      await audit.end();
      await nc.drain();
    },
  };
});
