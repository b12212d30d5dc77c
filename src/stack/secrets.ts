// The dev stack's secrets, made on first start and reused after: the hub's and the audit log's
// keys, each demo contact point's keys and users, NATS nkeys for every identity. Tokens are new at
// every start, valid for LIAISON_TOKEN_TTL, handed back to be printed once; the users files keep
// only their SHA-256 hashes and expiry. Everything is under $LIAISON_HOME/secrets or
// $LIAISON_HOME/ap/<CP>, mode 0600 in 0700 folders.
import { existsSync, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { ensureHubSecrets, initKeyFile, readKeyFile } from "../crypto/mod.js";
import { writeRegistryTrust } from "../registry/mod.js";
import { DEFAULT_TOKEN_TTL_MS } from "../config/mod.js";
import { newToken, tokenHash, writeUsersFile, type UsersFile } from "../http/mod.js";
import { ensureNkeySeed, natsAccountsConfig } from "../nats/mod.js";

/** Hub identities that connect to NATS (users of the HUB account), and the permission role each gets. */
export const HUB_IDENTITIES = [
  { name: "stack-admin", role: "admin" },
  { name: "exchange", role: "exchange" },
  { name: "audit", role: "audit" },
  { name: "records", role: "records" },
  { name: "files", role: "files" },
  { name: "retention", role: "retention" },
  { name: "usage", role: "usage" },
  { name: "console", role: "console" },
  { name: "operations", role: "operations" },
] as const;
export type HubIdentity = (typeof HUB_IDENTITIES)[number]["name"];

export interface ContactPointSecrets {
  readonly cp: string;
  readonly keyFile: string;
  readonly usersFile: string;
  readonly operatorUser: string;
  readonly operatorToken: string;
  /** The demo administrator of the access point: manages its users (/v1/users), reads no content. */
  readonly adminUser: string;
  readonly adminToken: string;
  readonly nkeySeedFile: string;
  readonly nkeyPublic: string;
  /** The nkey its own leaf-node server logs in to the hub with (deploy/nats/leafnode-cp.conf). */
  readonly leafSeedFile: string;
  readonly leafPublic: string;
}

export interface StackSecrets {
  readonly hubKeyFile: string;
  /** The registry key (private; the registry administrator's alone) and its public half for readers. */
  readonly registryKeyFile: string;
  readonly registryPublicFile: string;
  readonly auditKeyFile: string;
  readonly hubSecretsFile: string;
  readonly hub: Readonly<Record<HubIdentity, { seedFile: string; publicKey: string }>>;
  /** The SYS account's user: `nats server ...` commands, the server's own events. */
  readonly system: { readonly seedFile: string; readonly publicKey: string };
  readonly contactPoints: readonly ContactPointSecrets[];
  readonly console: { readonly usersFile: string; readonly supervisorToken: string; readonly operationsToken: string };
}

function dir(path: string): string {
  mkdirSync(path, { recursive: true, mode: 0o700 });
  return path;
}

function ensureKeyFile(path: string, owner: string): string {
  if (!existsSync(path)) initKeyFile(path, owner);
  return path;
}

function usersFile(path: string, users: UsersFile["users"]): string {
  writeUsersFile(path, { users });
  return path;
}

export interface StackSecretsOptions {
  /** How long the tokens issued now stay valid (default 12 h). */
  readonly tokenTtlMs?: number;
  readonly now?: number;
}

export function prepareStackSecrets(home: string, cps: readonly string[], opts: StackSecretsOptions = {}): StackSecrets {
  const secrets = dir(join(home, "secrets"));
  const nkeys = dir(join(secrets, "nkeys"));
  // Earlier versions kept the demo tokens here in clear; tokens are never written anywhere now.
  rmSync(join(secrets, "tokens.json"), { force: true });
  const expiresAt = new Date((opts.now ?? Date.now()) + (opts.tokenTtlMs ?? DEFAULT_TOKEN_TTL_MS)).toISOString();
  const token = (user: string) => ({ user, token: newToken() });

  const hub = Object.fromEntries(
    HUB_IDENTITIES.map((h) => {
      const seedFile = join(nkeys, `${h.name}.nk`);
      return [h.name, { seedFile, publicKey: ensureNkeySeed(seedFile) }];
    }),
  ) as Record<HubIdentity, { seedFile: string; publicKey: string }>;

  const systemSeed = join(nkeys, "system.nk");
  const system = { seedFile: systemSeed, publicKey: ensureNkeySeed(systemSeed) };

  const contactPoints = cps.map((cp): ContactPointSecrets => {
    const apDir = dir(join(home, "ap", cp));
    const op = token(`${cp.toLowerCase()}-operator`);
    const admin = token(`${cp.toLowerCase()}-admin`);
    const seedFile = join(nkeys, `ap-${cp}.nk`);
    const leafSeedFile = join(nkeys, `leaf-${cp}.nk`);
    return {
      cp,
      keyFile: ensureKeyFile(join(apDir, "keys.json"), cp),
      usersFile: usersFile(join(apDir, "users.json"), [
        { id: op.user, role: "operator", cp, tokenSha256: tokenHash(op.token), expiresAt },
        { id: admin.user, role: "admin", cp, tokenSha256: tokenHash(admin.token), expiresAt },
      ]),
      operatorUser: op.user,
      operatorToken: op.token,
      adminUser: admin.user,
      adminToken: admin.token,
      nkeySeedFile: seedFile,
      nkeyPublic: ensureNkeySeed(seedFile),
      leafSeedFile,
      leafPublic: ensureNkeySeed(leafSeedFile),
    };
  });

  const sup = token("supervisor");
  const ops = token("operations");
  const consoleUsers = usersFile(join(dir(join(home, "console")), "users.json"), [
    { id: sup.user, role: "supervisor", tokenSha256: tokenHash(sup.token), expiresAt },
    { id: ops.user, role: "operations", tokenSha256: tokenHash(ops.token), expiresAt },
  ]);

  const hubSecretsFile = join(secrets, "hub-secrets.json");
  ensureHubSecrets(hubSecretsFile);
  const registryKeyFile = ensureKeyFile(join(secrets, "registry-key.json"), "REGISTRY");
  const registryPublicFile = join(secrets, "registry-key.pub");
  writeRegistryTrust(registryPublicFile, readKeyFile(registryKeyFile).signing.publicKey);
  return {
    registryKeyFile,
    registryPublicFile,
    hubKeyFile: ensureKeyFile(join(secrets, "hub-keys.json"), "HUB"),
    auditKeyFile: ensureKeyFile(join(secrets, "audit-key.json"), "AUDIT"),
    hubSecretsFile,
    hub,
    system,
    contactPoints,
    console: { usersFile: consoleUsers, supervisorToken: sup.token, operationsToken: ops.token },
  };
}

/**
 * The nats-server accounts for these identities: HUB with a user per hub service, an account per
 * contact point, SYS. Members in `leaves` reach the hub through a leaf-node server of their own:
 * their hub account takes that leaf's nkey instead of the access point's, and has no JetStream.
 */
export function stackAccountsConfig(s: StackSecrets, opts: { leaves?: readonly string[] } = {}): string {
  const leaves = new Set(opts.leaves ?? []);
  return natsAccountsConfig({
    hub: HUB_IDENTITIES.map((h) => ({ name: h.name, role: h.role, nkey: s.hub[h.name].publicKey })),
    contactPoints: s.contactPoints.map((c) =>
      leaves.has(c.cp) ? { cp: c.cp, name: `leaf node of ${c.cp}`, leafNkey: c.leafPublic } : { cp: c.cp, name: `access point ${c.cp}`, nkey: c.nkeyPublic },
    ),
    system: { name: "system", nkey: s.system.publicKey },
  });
}
