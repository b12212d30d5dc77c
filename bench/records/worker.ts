// One process of the records benchmark, as in production: the records service (so its resident
// memory is its own) or a contact point's access point listening on HTTP. The orchestrator
// (bench.ts) starts it with `fork` and drives it over IPC.
import { readRegistryTrust } from "../../src/registry/mod.js";
import { constants, PerformanceObserver } from "node:perf_hooks";
import { readKeyFile } from "../../src/crypto/mod.js";
import { UserStore } from "../../src/http/mod.js";
import { createLogger } from "../../src/log/mod.js";
import { connectNats, cpInboxPrefix, JsPublisher } from "../../src/nats/mod.js";
import { startAccessPoint } from "../../services/access-point/service.js";
import { startRecords } from "../../services/records/service.js";
import { RAW_LOG_STREAM, RAW_LOG_SUBJECT, RAW_QUERY_SUBJECT } from "./raw-floor.js";

/** What the orchestrator passes: the server, and the secret files of the role's identity. */
export type WorkerArgs =
  | {
      readonly role: "records";
      readonly url: string;
      readonly credsFile?: string;
      readonly hubSecretsFile: string;
      readonly hubKeyFile: string;
      readonly registryKeyFile: string;
      /** Credentials for the raw floor's responder (RAW_QUERY_SUBJECT), which is not a hub identity's. */
      readonly rawCredsFile?: string;
    }
  | { readonly role: "access-point"; readonly url: string; readonly credsFile?: string; readonly cp: string; readonly keyFile: string; readonly usersFile: string; readonly registryKeyFile: string };

export type WorkerCmd = { cmd: "status" } | { cmd: "stop" };

const args = JSON.parse(process.argv[2] ?? "{}") as WorkerArgs;
const log = createLogger(`bench-${args.role}`, "warn");
const send = (m: unknown) => process.send?.(m);

/** Garbage-collection pauses (ms) since the last status: a query waits behind each one. */
let gcPauses: Array<{ ms: number; major: boolean }> = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gcPauses.push({ ms: e.duration, major: (e as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR });
}).observe({ entryTypes: ["gc"] });

function status() {
  const u = process.cpuUsage();
  const m = process.memoryUsage();
  const gc = gcPauses;
  gcPauses = [];
  return {
    status: true,
    cpuMs: (u.user + u.system) / 1000,
    heapUsed: m.heapUsed,
    heapTotal: m.heapTotal,
    external: m.external,
    arrayBuffers: m.arrayBuffers,
    gc: {
      count: gc.length,
      major: gc.filter((g) => g.major).length,
      totalMs: gc.reduce((a, g) => a + g.ms, 0),
      maxMs: Math.max(0, ...gc.map((g) => g.ms)),
      over5Ms: gc.filter((g) => g.ms > 5).length,
    },
  };
}

const t0 = performance.now();
try {
  let close: () => Promise<void>;
  if (args.role === "records") {
    const nc = await connectNats({ url: args.url, name: "bench-records-service", ...(args.credsFile ? { credsFile: args.credsFile } : {}) });
    const started = performance.now();
    const records = await startRecords(
      nc,
      {
        hubSecretsFile: args.hubSecretsFile,
        reviewPeriod: { months: 12, ms: 0 },
        reviewPeriodByCategory: {},
        reminderDays: [30, 7, 1],
        maxAttachmentBytes: 4 << 20,
        maxQueryMatches: 100,
        registryTrust: readRegistryTrust(args.registryKeyFile),
      },
      readKeyFile(args.hubKeyFile),
      log,
    );
    const startMs = performance.now() - started;
    const rawNc = await connectNats({ url: args.url, name: "bench-raw-floor", ...(args.rawCredsFile ? { credsFile: args.rawCredsFile } : {}) });
    const rawPub = new JsPublisher(rawNc);
    rawNc.subscribe(RAW_QUERY_SUBJECT, {
      callback: (err, m) => {
        if (err) return;
        rawPub.publish(RAW_LOG_SUBJECT, m.data, { expectStream: RAW_LOG_STREAM }).then(
          () => m.respond(m.data.subarray(0, 64)),
          () => m.respond(new Uint8Array()),
        );
      },
    });
    await rawNc.flush();
    send({ ready: true, size: records.store.index.size, startMs });
    close = async () => {
      rawPub.close();
      await rawNc.close();
      await records.close();
      await nc.close();
    };
  } else {
    const cp = args.cp;
    const nc = await connectNats({ url: args.url, name: `bench-ap-${cp}`, ...(args.credsFile ? { credsFile: args.credsFile } : {}), inboxPrefix: cpInboxPrefix(cp) });
    const ap = await startAccessPoint(
      nc,
      // The benchmark measures the query path from one client and one token, not the throttle.
      { cp, host: "127.0.0.1", port: 0, bodyLimit: 1 << 20, maxAttachmentBytes: 1 << 20, registryTrust: readRegistryTrust(args.registryKeyFile), http: { rateLimitPerClient: 1e9, rateLimitPerToken: 1e9 } },
      readKeyFile(args.keyFile),
      UserStore.load(args.usersFile),
      log,
    );
    send({ ready: true, url: ap.url });
    close = async () => {
      await ap.close();
      await nc.close();
    };
  }
  process.on("message", (c: WorkerCmd) => {
    if (c.cmd === "status") send(status());
    else if (c.cmd === "stop") {
      void close()
        .catch(() => undefined)
        .finally(() => process.exit(0));
    }
  });
  process.on("disconnect", () => process.exit(0));
} catch (err) {
  // Sent before exiting: the orchestrator may start the role again in a new process.
  const report = { error: String((err as Error)?.stack ?? err), afterMs: performance.now() - t0 };
  if (process.send) process.send(report, () => process.exit(1));
  else process.exit(1);
}
