// An in-process hub for integration tests: a real nats-server with the generated least-privilege
// authorization, provisioned streams, registered contact points, and the exchange and access
// points started in this process (so a test can stop one and start it again).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DeliverPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/nats-core";
import { Ed25519Signer, generateSigningKey, readKeyFile, type ContactPointKeys } from "../../src/crypto/mod.js";
import { UserStore } from "../../src/http/mod.js";
import { createLogger } from "../../src/log/mod.js";
import { cpInboxPrefix, provision } from "../../src/nats/mod.js";
import { readRegistryTrust, RegistryWriter, type RegistryTrust } from "../../src/registry/mod.js";
import { pb } from "../../src/proto/mod.js";
import { type HUB_IDENTITIES, prepareStackSecrets, stackAccountsConfig, type StackSecrets } from "../../src/stack/secrets.js";
import { registerStackIdentities } from "../../src/stack/services.js";
import { startAccessPoint, type RunningAccessPoint } from "../../services/access-point/service.js";
import { startExchange, type RunningExchange } from "../../services/exchange/service.js";
import { startRecords, type RunningRecords } from "../../services/records/service.js";
import { startRetention, type RunningRetention } from "../../services/retention/service.js";
import { startFiles, type RunningFiles } from "../../services/files/service.js";
import { startUsage, type RunningUsage, type UsageSettings } from "../../services/usage/service.js";
import { startAuditService, type RunningAuditService } from "../../services/audit/service.js";
import { startTestNats, type TestNats } from "./nats.js";

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
  startAp(cp: string, opts?: { now?: () => number }): Promise<TestAccessPoint>;
  startRecords(opts?: { now?: () => number; reviewPeriod?: string }): Promise<RunningRecords>;
  /** A retention replica without its own timers (tests call run()), on the given clock. */
  startRetention(opts?: { now?: () => number; messageKeep?: string; pageSize?: number }): Promise<RunningRetention>;
  startFiles(opts?: { now?: () => number }): Promise<RunningFiles>;
  /** The usage service (timers on unless `timers: false`), on the given clock. */
  startUsage(opts?: { now?: () => number; timers?: boolean } & Partial<UsageSettings>): Promise<RunningUsage>;
  /** The audit service (appends AUDIT to the tree), as its own NATS user. */
  startAudit(): Promise<RunningAuditService>;
  /** Every audit event stored so far, in stream order. */
  auditEvents(): Promise<pb.IAuditEvent[]>;
  stop(): Promise<void>;
}

export async function startTestHub(opts: { cps?: readonly string[] } = {}): Promise<TestHub> {
  const cps = opts.cps ?? ["BE", "NL", "DE"];
  const home = mkdtempSync(join(tmpdir(), "liaison-hub-"));
  const secrets = prepareStackSecrets(home, cps);
  // The production topology: HUB, an account per contact point, SYS (src/nats/accounts.ts).
  const nats = await startTestNats({ extraConfig: stackAccountsConfig(secrets) });
  const admin = await nats.connect("admin", secrets.hub["stack-admin"].seedFile);
  await provision(admin, { contactPoints: cps });
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
      const ex = await startExchange(nc, { replayWindow: o.replayWindowMs ?? 5 * 60_000, clockSkew: 60_000, maxEnvelopeBytes: 4 * 1024 * 1024, registryTrust }, hub.hubKeys(), quiet, o.now);
      const close = async () => {
        await ex.close();
        await nc.close();
      };
      closers.push(close);
      return { ...ex, close };
    },
    startAp: async (cp, o = {}) => {
      const nc = await hub.connectAs(cp);
      const c = cpSecrets(cp);
      const ap = await startAccessPoint(
        nc,
        { cp, host: "127.0.0.1", port: 0, bodyLimit: 6 * 1024 * 1024, maxAttachmentBytes: 4 * 1024 * 1024, registryTrust },
        readKeyFile(c.keyFile),
        UserStore.load(c.usersFile),
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
      const { parsePeriod } = await import("../../src/config/mod.js");
      const rec = await startRecords(
        nc,
        {
          hubSecretsFile: secrets.hubSecretsFile,
          reviewPeriod: parsePeriod(o.reviewPeriod ?? "12mo") ?? { months: 12, ms: 0 },
          reviewPeriodByCategory: {},
          maxAttachmentBytes: 4 * 1024 * 1024,
          maxQueryMatches: 100,
          registryTrust,
        },
        hub.hubKeys(),
        quiet,
        o.now,
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
      const files = await startFiles(nc, { hubSecretsFile: secrets.hubSecretsFile, maxQueryMatches: 100, registryTrust }, hub.hubKeys(), quiet, o.now);
      const close = async () => {
        await files.close();
        await nc.close();
      };
      closers.push(close);
      return { ...files, close };
    },
    startRetention: async (o = {}) => {
      const nc = await hub.connectHub("retention");
      const { parsePeriod } = await import("../../src/config/mod.js");
      const ret = await startRetention(
        nc,
        {
          hubSecretsFile: secrets.hubSecretsFile,
          sweepInterval: 60_000,
          kekEpoch: 86_400_000,
          messageKeep: parsePeriod(o.messageKeep ?? "30d") ?? { months: 0, ms: 30 * 86_400_000 },
          reminderDays: [30, 7, 1],
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
    startAudit: async () => {
      const nc = await hub.connectHub("audit");
      const svc = await startAuditService({ nc, signer: new Ed25519Signer(generateSigningKey("AUDIT")), log: quiet, headIntervalMs: 200, dedupeWindow: 10_000, maxStepEvents: 512, takeoverAfterMs: 1_000 });
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
