// An in-process hub for integration tests: a real nats-server with the generated least-privilege
// authorization, provisioned streams, registered contact points, and the exchange and access
// points started in this process (so a test can stop one and start it again).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DeliverPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/nats-core";
import { Ed25519Signer, generateSigningKey, readKeyFile, type ContactPointKeys } from "../../src/crypto/mod.js";
import type { HttpLimits } from "../../src/config/mod.js";
import { DEFAULT_REMINDER_DAYS } from "../../src/domain/mod.js";
import { UserStore } from "../../src/http/mod.js";
import { createLogger } from "../../src/log/mod.js";
import { cpInboxPrefix, provision, startNatsServer, type RunningNatsServer } from "../../src/nats/mod.js";
import { makeTestPki } from "./pki.js";
import { readRegistryTrust, RegistryWriter, type RegistryTrust } from "../../src/registry/mod.js";
import { pb } from "../../src/proto/mod.js";
import { type HUB_IDENTITIES, prepareStackSecrets, stackAccountsConfig, type StackSecrets } from "../../src/stack/secrets.js";
import { registerStackIdentities } from "../../src/stack/services.js";
import { startAccessPoint, type AccessPointSettings, type RunningAccessPoint } from "../../services/access-point/service.js";
import { startExchange, type RunningExchange } from "../../services/exchange/service.js";
import { startRecords, type RunningRecords } from "../../services/records/service.js";
import { startRetention, type RunningRetention } from "../../services/retention/service.js";
import { startFiles, type RunningFiles } from "../../services/files/service.js";
import { startUsage, type RunningUsage, type UsageSettings } from "../../services/usage/service.js";
import { startAuditService, type RunningAuditService } from "../../services/audit/service.js";
import type { ItemLimits } from "../../services/operations/items.js";
import { startOperations, type RunningOperations } from "../../services/operations/service.js";
import { startTestCluster, startTestNats, type TestNats } from "./nats.js";

const LEAF_TEMPLATE = join(import.meta.dirname, "..", "..", "deploy", "nats", "leafnode-cp.conf");
/** Each member's large-file store at the test hub (provision's default, 8 GiB each, would not fit the test server's 20 GB). */
export const TEST_LARGE_FILE_STORE_BYTES = 1024 * 1024 * 1024;

/** A free TCP port on loopback (a fixed one survives the server's restart). */
async function freePort(): Promise<number> {
  const { createServer } = await import("node:net");
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const a = srv.address();
      srv.close(() => resolve(typeof a === "object" && a ? a.port : 0));
    });
  });
}

export const quiet = createLogger("test", (process.env.LIAISON_TEST_LOG as "info" | undefined) ?? "silent");

export interface TestAccessPoint extends RunningAccessPoint {
  readonly cp: string;
  readonly token: string;
  readonly nc: NatsConnection;
  /** Stops the access point and closes its connection (the contact point goes offline). */
  stop(): Promise<void>;
}

export interface TestHub {
  readonly nats: TestNats;
  readonly home: string;
  readonly secrets: StackSecrets;
  readonly admin: NatsConnection;
  keys(cp: string): ContactPointKeys;
  hubKeys(): ContactPointKeys;
  /** The registry public key every reader checks entries against. */
  readonly registryTrust: RegistryTrust;
  /** The registry as its administrator writes it (signed with the registry key). */
  registry(): Promise<RegistryWriter>;
  /** A connection with that contact point's own NATS credentials. */
  connectAs(cp: string): Promise<NatsConnection>;
  /** A connection with a hub service's credentials. */
  connectHub(name: (typeof HUB_IDENTITIES)[number]["name"]): Promise<NatsConnection>;
  startExchange(opts?: { now?: () => number; replayWindowMs?: number }): Promise<RunningExchange>;
  /** An access point; with `via`, connected to that server (its member's leaf node) instead of the hub. */
  /** `http`: the HTTP edge's limits (rate limits, timeouts, refusal log window); `users`: another users store. */
  /** `settings`: further access point settings (the webhook's). */
  startAp(cp: string, opts?: { now?: () => number; via?: string; http?: Partial<HttpLimits>; users?: UserStore; settings?: Partial<AccessPointSettings> }): Promise<TestAccessPoint>;
  /**
   * The member's own leaf-node server, running deploy/nats/leafnode-cp.conf as a member would,
   * joined to the hub over mutual TLS and bound to the member's account (hub started with `leaves`).
   */
  startLeaf(cp: string): Promise<RunningNatsServer>;
  /** A connection to that leaf with the member's access point credentials. */
  connectLeaf(cp: string, leaf: RunningNatsServer): Promise<NatsConnection>;
  /** `reminderDays`: review reminders, in days before the review date (30, 7 and 1 by default). */
  startRecords(opts?: { now?: () => number; reviewPeriod?: string; reminderDays?: number[] }): Promise<RunningRecords>;
  /** A retention replica without its own timers (tests call run()), on the given clock. */
  startRetention(opts?: { now?: () => number; messageKeep?: string; pageSize?: number; reminderDays?: number[] }): Promise<RunningRetention>;
  startFiles(opts?: { now?: () => number }): Promise<RunningFiles>;
  /** The operations service (joint customs operations and the calendar), as its own NATS user. */
  startOperations(opts?: { now?: () => number; itemLimits?: Partial<ItemLimits> }): Promise<RunningOperations>;
  /** The usage service (timers on unless `timers: false`), on the given clock. */
  startUsage(opts?: { now?: () => number; timers?: boolean } & Partial<UsageSettings>): Promise<RunningUsage>;
  /** The audit service (appends AUDIT to the tree), as its own NATS user, signing with `signer` (a new key by default). */
  startAudit(opts?: { signer?: Ed25519Signer }): Promise<RunningAuditService>;
  /** Every audit event stored so far, in stream order. */
  auditEvents(): Promise<pb.IAuditEvent[]>;
  stop(): Promise<void>;
}

/**
 * `leaves`: members that reach the hub through a leaf-node server of their own; the hub (each node
 * of a cluster) then also listens for leaf connections (mutual TLS, as deploy/nats/hub.conf) on a
 * fixed free port, and the leaf's remote lists them all.
 */
export async function startTestHub(opts: { cps?: readonly string[]; leaves?: readonly string[]; cluster?: number } = {}): Promise<TestHub> {
  const cps = opts.cps ?? ["BE", "NL", "DE"];
  const home = mkdtempSync(join(tmpdir(), "liaison-hub-"));
  const secrets = prepareStackSecrets(home, cps);
  const leaves = opts.leaves ?? [];
  const pki = leaves.length > 0 ? makeTestPki(join(home, "pki")) : undefined;
  // A leaf listener (mutual TLS, as deploy/nats/hub.conf) on every hub node, each on a fixed port.
  const leafPorts: number[] = [];
  while (leaves.length > 0 && leafPorts.length < (opts.cluster ?? 1)) {
    const p = await freePort();
    if (!leafPorts.includes(p)) leafPorts.push(p);
  }
  const leafListener = (i: number) =>
    pki
      ? [
          "leafnodes {",
          `  listen: "127.0.0.1:${leafPorts[i]}"`,
          `  tls { cert_file: ${JSON.stringify(pki.pair("hub").cert)}, key_file: ${JSON.stringify(pki.pair("hub").key)}, ca_file: ${JSON.stringify(pki.ca)}, verify: true, timeout: 2 }`,
          "}",
        ].join("\n")
      : "";
  // The production topology: HUB, an account per contact point, SYS (src/nats/accounts.ts).
  const accounts = stackAccountsConfig(secrets, { leaves });
  // `cluster: 3`: three nodes, every stream, bucket and object store with three replicas.
  const nats = opts.cluster ? await startTestCluster({ size: opts.cluster, extraConfig: accounts, nodeConfig: leafListener }) : await startTestNats({ extraConfig: `${accounts}\n${leafListener(0)}` });
  const admin = await nats.connect("admin", secrets.hub["stack-admin"].seedFile);
  // Large-file stores of 1 GiB: the test server's JetStream (20 GB) holds one per member.
  await provision(admin, { contactPoints: cps, replicas: opts.cluster ? 3 : 1, largeFileStoreBytes: TEST_LARGE_FILE_STORE_BYTES });
  await registerStackIdentities(admin, secrets);

  const cpSecrets = (cp: string) => {
    const c = secrets.contactPoints.find((x) => x.cp === cp);
    if (!c) throw new Error(`no contact point ${cp} in this hub`);
    return c;
  };
  const closers: Array<() => Promise<void>> = [];
  const registryTrust = readRegistryTrust(secrets.registryPublicFile);

  const hub: TestHub = {
    nats,
    home,
    secrets,
    admin,
    keys: (cp) => readKeyFile(cpSecrets(cp).keyFile),
    hubKeys: () => readKeyFile(secrets.hubKeyFile),
    registryTrust,
    registry: () => RegistryWriter.open(admin, readKeyFile(secrets.registryKeyFile).signing),
    connectAs: async (cp) => {
      const { connectNats } = await import("../../src/nats/mod.js");
      const nc = await connectNats({ url: nats.url, name: `test-${cp}`, credsFile: cpSecrets(cp).nkeySeedFile, inboxPrefix: cpInboxPrefix(cp) });
      closers.push(() => nc.close());
      return nc;
    },
    connectHub: (name) => nats.connect(name, secrets.hub[name].seedFile),
    startExchange: async (o = {}) => {
      const nc = await hub.connectHub("exchange");
      const ex = await startExchange(nc, { replayWindow: o.replayWindowMs ?? 5 * 60_000, clockSkew: 60_000, maxEnvelopeBytes: 4 * 1024 * 1024, registryTrust }, hub.hubKeys(), quiet, { ...(o.now ? { now: o.now } : {}) });
      const close = async () => {
        await ex.close();
        await nc.close();
      };
      closers.push(close);
      return { ...ex, close };
    },
    startLeaf: async (cp) => {
      if (!pki || !leaves.includes(cp)) throw new Error(`start the hub with leaves: ["${cp}"]`);
      const c = cpSecrets(cp);
      const { readFileSync } = await import("node:fs");
      const tls = pki.pair(`leaf-${cp}`);
      const dir = join(home, "leaf", cp);
      const leaf = await startNatsServer({
        storeDir: join(dir, "jetstream"),
        configDir: dir,
        logFile: join(dir, "nats-server.log"),
        template: {
          file: LEAF_TEMPLATE,
          env: (port) => ({
            LIAISON_LEAF_NAME: `liaison-cp-${cp.toLowerCase()}`,
            LIAISON_LEAF_LISTEN: `127.0.0.1:${port === 0 ? -1 : port}`,
            LIAISON_LEAF_STORE: join(dir, "jetstream"),
            LIAISON_LEAF_DOMAIN: `cp-${cp.toLowerCase()}`,
            LIAISON_AP_NKEY: c.nkeyPublic,
            // Every hub node's leaf listener (one URL, or a list for a cluster).
            LIAISON_HUB_LEAF_URL: leafPorts.length === 1 ? `nats-leaf://127.0.0.1:${leafPorts[0]}` : `[${leafPorts.map((p) => `nats-leaf://127.0.0.1:${p}`).join(", ")}]`,
            LIAISON_LEAF_SEED: readFileSync(c.leafSeedFile, "utf8").trim(),
            LIAISON_LEAF_TLS_CERT: tls.cert,
            LIAISON_LEAF_TLS_KEY: tls.key,
            LIAISON_HUB_CA: pki.ca,
          }),
        },
      });
      closers.push(() => leaf.stop());
      return leaf;
    },
    connectLeaf: async (cp, leaf) => {
      const { connectNats } = await import("../../src/nats/mod.js");
      const nc = await connectNats({ url: leaf.url, name: `test-${cp}-leaf`, credsFile: cpSecrets(cp).nkeySeedFile, inboxPrefix: cpInboxPrefix(cp) });
      closers.push(() => nc.close());
      return nc;
    },
    startAp: async (cp, o = {}) => {
      const nc = o.via
        ? await (async () => {
            const { connectNats } = await import("../../src/nats/mod.js");
            const conn = await connectNats({ url: o.via ?? "", name: `test-${cp}-via-leaf`, credsFile: cpSecrets(cp).nkeySeedFile, inboxPrefix: cpInboxPrefix(cp) });
            closers.push(() => conn.close());
            return conn;
          })()
        : await hub.connectAs(cp);
      const c = cpSecrets(cp);
      const ap = await startAccessPoint(
        nc,
        // Through a leaf, its store is on the leaf (one server): one replica.
        {
          cp,
          host: "127.0.0.1",
          port: 0,
          bodyLimit: 6 * 1024 * 1024,
          maxAttachmentBytes: 4 * 1024 * 1024,
          registryTrust,
          replicas: opts.cluster && !o.via ? 3 : 1,
          keyFile: c.keyFile,
          keyFileReloadInterval: 100,
          ...(o.http ? { http: o.http } : {}),
          ...o.settings,
        },
        readKeyFile(c.keyFile),
        o.users ?? UserStore.load(c.usersFile),
        quiet,
        { listen: false, ...(o.now ? { now: o.now } : {}) },
      );
      let stopped = false;
      const stop = async () => {
        if (stopped) return;
        stopped = true;
        await ap.close();
        await nc.close();
      };
      closers.push(stop);
      return { ...ap, cp, token: c.operatorToken, nc, stop };
    },
    startRecords: async (o = {}) => {
      const nc = await hub.connectHub("records");
      const { parsePeriod } = await import("../../src/domain/mod.js");
      const rec = await startRecords(
        nc,
        {
          hubSecretsFile: secrets.hubSecretsFile,
          reviewPeriod: parsePeriod(o.reviewPeriod ?? "12mo") ?? { months: 12, ms: 0 },
          reviewPeriodByCategory: {},
          reminderDays: o.reminderDays ?? [...DEFAULT_REMINDER_DAYS],
          maxAttachmentBytes: 4 * 1024 * 1024,
          maxQueryMatches: 100,
          registryTrust,
        },
        hub.hubKeys(),
        quiet,
        { ...(o.now ? { now: o.now } : {}) },
      );
      const close = async () => {
        await rec.close();
        await nc.close();
      };
      closers.push(close);
      return { ...rec, close };
    },
    startFiles: async (o = {}) => {
      const nc = await hub.connectHub("files");
      const files = await startFiles(nc, { hubSecretsFile: secrets.hubSecretsFile, maxQueryMatches: 100, registryTrust }, hub.hubKeys(), quiet, { ...(o.now ? { now: o.now } : {}) });
      const close = async () => {
        await files.close();
        await nc.close();
      };
      closers.push(close);
      return { ...files, close };
    },
    startOperations: async (o = {}) => {
      const nc = await hub.connectHub("operations");
      const ops = await startOperations(nc, { registryTrust }, hub.hubKeys(), quiet, { ...(o.now ? { now: o.now } : {}), ...(o.itemLimits ? { itemLimits: o.itemLimits } : {}) });
      const close = async () => {
        await ops.close();
        await nc.close();
      };
      closers.push(close);
      return { ...ops, close };
    },
    startRetention: async (o = {}) => {
      const nc = await hub.connectHub("retention");
      const { parsePeriod } = await import("../../src/domain/mod.js");
      const ret = await startRetention(
        nc,
        {
          hubSecretsFile: secrets.hubSecretsFile,
          sweepInterval: 60_000,
          kekEpoch: 86_400_000,
          messageKeep: parsePeriod(o.messageKeep ?? "30d") ?? { months: 0, ms: 30 * 86_400_000 },
          reminderDays: o.reminderDays ?? [...DEFAULT_REMINDER_DAYS],
          eraseConcurrency: 16,
        },
        hub.hubKeys(),
        quiet,
        { ...(o.now ? { now: o.now } : {}), timers: false, graceMs: 100, ...(o.pageSize ? { pageSize: o.pageSize } : {}) },
      );
      const close = async () => {
        await ret.close();
        await nc.close();
      };
      closers.push(close);
      return { ...ret, close };
    },
    startUsage: async (o = {}) => {
      const nc = await hub.connectHub("usage");
      const DAY = 86_400_000;
      const usage = await startUsage(
        nc,
        {
          dormantAfter: o.dormantAfter ?? 30 * DAY,
          suspendAfter: o.suspendAfter ?? 90 * DAY,
          suspensionWarning: o.suspensionWarning ?? 10 * DAY,
          dormancyCheckInterval: o.dormancyCheckInterval ?? 3_600_000,
          throughputInterval: o.throughputInterval ?? 500,
          registryTrust,
        },
        hub.hubKeys(),
        quiet,
        { ...(o.now ? { now: o.now } : {}), timers: o.timers ?? true },
      );
      const close = async () => {
        await usage.close();
        await nc.close();
      };
      closers.push(close);
      return { ...usage, close };
    },
    startAudit: async (o = {}) => {
      const nc = await hub.connectHub("audit");
      const svc = await startAuditService({ nc, signer: o.signer ?? new Ed25519Signer(generateSigningKey("AUDIT")), log: quiet, headIntervalMs: 200, dedupeWindow: 10_000, maxStepEvents: 512, takeoverAfterMs: 1_000 });
      const close = async () => {
        await svc.close();
        await nc.close();
      };
      closers.push(close);
      return { ...svc, close };
    },
    auditEvents: async () => {
      const js = jetstream(admin);
      const jsm = await jetstreamManager(admin);
      const info = await jsm.streams.info("AUDIT");
      if (info.state.messages === 0) return [];
      const c = await js.consumers.get("AUDIT", { deliver_policy: DeliverPolicy.All });
      const out: pb.IAuditEvent[] = [];
      const iter = await c.consume();
      for await (const m of iter) {
        out.push(...pb.AuditBatch.decode(m.data).events);
        if (m.info.pending === 0) break;
      }
      await iter.close();
      return out;
    },
    stop: async () => {
      for (const c of closers.reverse()) await c().catch(() => undefined);
      await nats.stop();
      rmSync(home, { recursive: true, force: true });
    },
  };
  return hub;
}

/** Waits until `check` holds, polling; fails with `what` after the timeout. */
export async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}
