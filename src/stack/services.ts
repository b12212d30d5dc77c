// What the dev stack runs: every hub service that exists in services/, the demo access points and
// the console, each with its own NATS identity; and the registry entries they need.
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import type { NatsConnection } from "@nats-io/nats-core";
import { AuditAction, AuditEmitter } from "../audit/mod.js";
import type { StackConfig } from "../config/mod.js";
import { readKeyFile } from "../crypto/mod.js";
import { HUB } from "../domain/mod.js";
import { HUB_SERVICES } from "../ops/mod.js";
import { publicKeyEntry, RegistryWriter } from "../registry/mod.js";
import { stackAccountsConfig, type HubIdentity, type StackSecrets } from "./secrets.js";
import type { ChildSpec } from "./supervisor.js";

const ROOT = resolve(import.meta.dirname, "..", "..");

/** The hub services (HUB_SERVICES, src/ops) in start order, the audit service first (each starts only if services/<name>/main.ts exists). */
const START_ORDER: readonly HubIdentity[] = ["audit", ...HUB_SERVICES.filter((name) => name !== "audit")];

/** Names of demo contact points shown in the registry. */
const CP_NAMES: Readonly<Record<string, string>> = {
  BE: "Belgium – Customs investigation service",
  NL: "Netherlands – FIOD",
  DE: "Germany – Zollkriminalamt",
  FR: "France – DNRED",
  OLAF: "European Anti-Fraud Office",
};

export interface StackPlan {
  readonly ports: ReadonlyArray<{ port: number; purpose: string }>;
  readonly natsAccounts: string;
  readonly adminCreds: string;
  /** Started group after group; the children of a group start together. */
  readonly groups: ReadonlyArray<readonly ChildSpec[]>;
  readonly accessPoints: ReadonlyArray<{ cp: string; url: string; operatorToken: string; operatorUser: string; adminToken: string; natsCreds: string; child: string }>;
  readonly systemCreds: string;
  readonly console?: { url: string; supervisorToken: string; operationsToken: string; child: string };
  bootstrap(nc: NatsConnection): Promise<void>;
}

const exists = (name: string) => existsSync(join(ROOT, "services", name, "main.ts"));

export function stackChildren(cfg: StackConfig, s: StackSecrets): StackPlan {
  const common = { LIAISON_HOME: cfg.home, LIAISON_LOG_LEVEL: cfg.logLevel };
  const hubChild = (name: HubIdentity, env: Record<string, string> = {}): ChildSpec => ({
    name,
    entry: `services/${name}/main.ts`,
    env: { ...common, NATS_CREDS: s.hub[name].seedFile, ...env },
  });

  const hubServices = START_ORDER.filter(exists).map((name) =>
    hubChild(name, {
      LIAISON_HUB_KEY_FILE: s.hubKeyFile,
      LIAISON_AUDIT_KEY_FILE: s.auditKeyFile,
      LIAISON_HUB_SECRETS_FILE: s.hubSecretsFile,
    }),
  );
  const accessPoints = s.contactPoints.map((c, i) => {
    const port = cfg.firstApPort === 0 ? 0 : cfg.firstApPort + i;
    return {
      cp: c.cp,
      port,
      url: `http://${cfg.host}:${port}`,
      operatorToken: c.operatorToken,
      operatorUser: c.operatorUser,
      adminToken: c.adminToken,
      natsCreds: c.nkeySeedFile,
      child: `access-point-${c.cp}`,
      spec: {
        name: `access-point-${c.cp}`,
        entry: "services/access-point/main.ts",
        env: { ...common, NATS_CREDS: c.nkeySeedFile, LIAISON_CP: c.cp, LIAISON_KEY_FILE: c.keyFile, LIAISON_USERS_FILE: c.usersFile, LIAISON_HOST: cfg.host, LIAISON_PORT: String(port) },
      } satisfies ChildSpec,
    };
  });
  const hasConsole = exists("console");
  const consoleSpec: ChildSpec | undefined = hasConsole
    ? hubChild("console", {
        LIAISON_USERS_FILE: s.console.usersFile,
        LIAISON_HOST: cfg.host,
        LIAISON_PORT: String(cfg.consolePort),
        ...(cfg.natsUrl ? {} : { LIAISON_NATS_MONITOR_URL: `http://${cfg.host}:${cfg.natsMonitorPort}` }),
      })
    : undefined;

  return {
    ports: [
      ...accessPoints.map((a) => ({ port: a.port, purpose: `access point ${a.cp}` })),
      ...(hasConsole ? [{ port: cfg.consolePort, purpose: "console" }] : []),
    ],
    natsAccounts: stackAccountsConfig(s),
    adminCreds: s.hub["stack-admin"].seedFile,
    groups: [hubServices, accessPoints.map((a) => a.spec), ...(consoleSpec ? [[consoleSpec]] : [])].filter((g) => g.length > 0),
    accessPoints: accessPoints.map(({ cp, url, operatorToken, operatorUser, adminToken, natsCreds, child }) => ({ cp, url, operatorToken, operatorUser, adminToken, natsCreds, child })),
    systemCreds: s.system.seedFile,
    ...(hasConsole
      ? { console: { url: `http://${cfg.host}:${cfg.consolePort}`, supervisorToken: s.console.supervisorToken, operationsToken: s.console.operationsToken, child: "console" } }
      : {}),
    bootstrap: (nc) => registerStackIdentities(nc, s),
  };
}

/**
 * Registers the hub's and the demo contact points' public keys, each entry signed with the registry
 * key; a change is an audit event. An entry that is not signed by this registry key (one from before
 * entries were signed, or a tampered one) is signed again from what the stack knows.
 */
export async function registerStackIdentities(nc: NatsConnection, s: StackSecrets, now = Date.now()): Promise<void> {
  const registry = await RegistryWriter.open(nc, readKeyFile(s.registryKeyFile).signing);
  const audit = new AuditEmitter(nc, "stack");
  const entries = [
    { code: HUB, name: "Liaison hub", active: false, keys: readKeyFile(s.hubKeyFile), natsUser: "" },
    ...s.contactPoints.map((c) => ({ code: c.cp, name: CP_NAMES[c.cp] ?? `Contact point ${c.cp}`, active: true, keys: readKeyFile(c.keyFile), natsUser: c.nkeyPublic })),
  ];
  for (const e of entries) {
    const keys = [e.keys.signing, ...e.keys.encryption].map((k) => publicKeyEntry(k, now));
    const before = await registry.read(e.code);
    const known = new Set(before?.cp.keys.map((k) => k.keyId) ?? []);
    if (before && !before.unsigned && keys.every((k) => known.has(k.keyId ?? ""))) continue;
    await registry.upsert({ code: e.code, name: e.name, active: e.active, natsUser: e.natsUser, keys }, now);
    await audit.emit({
      action: AuditAction.AUDIT_ACTION_KEY_CHANGE,
      authority: HUB,
      userId: "stack-admin",
      objectType: "contact-point",
      objectId: e.code,
      details: { keys: keys.map((k) => k.keyId ?? "").join(","), registered: !before ? "new" : before.unsigned ? "signed again" : "updated" },
    });
  }
  await audit.flush();
}
