// `liaison registry list|show|revoke`: the registry of contact points as its administrator sees it
// — every entry checked against the registry key, each key with its id, use, state (active,
// retired, not-yet-valid, expired, revoked) and validity — and revocation of a key, which every
// member's registry view refuses within seconds and which is an audit event. Talks to NATS with
// the operator's credentials (NATS_URL / NATS_CREDS, or the local stack's).
import { userInfo } from "node:os";
import { join } from "node:path";
import type { Command } from "commander";
import { AuditEmitter } from "../../audit/mod.js";
import { cliSchema, defaultRegistryKeyFile, loadConfig } from "../../config/mod.js";
import { readKeyFile } from "../../crypto/mod.js";
import { isContactPointCode } from "../../domain/mod.js";
import { LiaisonError } from "../../errors.js";
import { describeEntry, readRegistryEntries, readRegistryTrust, RegistryWriter, revokeContactPointKey, type ContactPointRow } from "../../registry/mod.js";
import { hubConnection } from "../hub-connection.js";
import { fail, printJson, printTable } from "../output.js";

const day = (iso: string | undefined) => iso?.slice(0, 10) ?? "";

function keyRows(cp: ContactPointRow) {
  return cp.keys.map((k) => ({
    cp: cp.code,
    keyId: k.keyId,
    use: k.use === "sig" ? "signing" : "encryption",
    state: k.status,
    from: day(k.notBefore),
    until: day(k.notAfter),
    revoked: k.revokedAt ? `${day(k.revokedAt)} ${k.revocationReason ?? ""}`.trim() : "",
    warning: k.expiresInDays !== undefined ? `expires in ${k.expiresInDays} day(s)` : "",
  }));
}

const KEY_COLUMNS = ["cp", "keyId", "use", "state", "from", "until", "revoked", "warning"];

async function withRegistry<T>(fn: (rows: ContactPointRow[], refused: Array<{ code: string; reason: string }>) => T): Promise<T> {
  const cfg = loadConfig("cli", cliSchema);
  const trust = readRegistryTrust(cfg.registryKeyFile ?? defaultRegistryKeyFile(cfg.home));
  const nc = await hubConnection("liaison-cli-registry");
  try {
    const { entries, refused } = await readRegistryEntries(nc, trust);
    const now = Date.now();
    return fn(
      entries.map((e) => describeEntry(e, now, cfg.keyExpiryWarningDays)),
      refused,
    );
  } finally {
    await nc.close();
  }
}

function printRefused(refused: Array<{ code: string; reason: string }>): void {
  for (const r of refused) process.stderr.write(`liaison: entry ${r.code} refused (${r.reason}): not signed by the registry key\n`);
}

export function register(program: Command): void {
  const registry = program.command("registry").description("the registry of contact points and their keys");
  registry
    .command("list")
    .description("every contact point and its keys: id, use, state (active, retired, revoked, ...), validity")
    .option("--json")
    .action(async (o: { json?: boolean }) => {
      try {
        await withRegistry((rows, refused) => {
          if (o.json) return printJson({ contactPoints: rows, refused });
          printTable(
            rows.map((r) => ({ cp: r.code, name: r.name, state: r.suspended ? "suspended" : r.active ? "active" : "inactive", keys: r.keys.length, version: r.version })),
            ["cp", "name", "state", "keys", "version"],
          );
          process.stdout.write("\n");
          printTable(rows.flatMap(keyRows), KEY_COLUMNS);
          printRefused(refused);
        });
      } catch (err) {
        fail(err);
      }
    });
  registry
    .command("show <cp>")
    .description("one contact point's entry and keys")
    .option("--json")
    .action(async (code: string, o: { json?: boolean }) => {
      try {
        await withRegistry((rows, refused) => {
          const cp = rows.find((r) => r.code === code);
          if (!cp) {
            printRefused(refused.filter((r) => r.code === code));
            throw new LiaisonError("LIAISON_UNKNOWN_CONTACT_POINT", code);
          }
          if (o.json) return printJson(cp);
          process.stdout.write(`${cp.code}: ${cp.name} — ${cp.suspended ? "suspended" : cp.active ? "active" : "inactive"}, version ${cp.version}, updated ${cp.updatedAt ?? "?"}\n`);
          printTable(keyRows(cp), KEY_COLUMNS);
        });
      } catch (err) {
        fail(err);
      }
    });
  registry
    .command("revoke <cp> <keyId>")
    .description("revoke a key (the registry administrator): every member refuses it within seconds; an audit event")
    .requiredOption("--reason <text>", "why (kept in the registry and the access log)")
    .option("--registry-key <file>", "the registry signing key file (default $LIAISON_HOME/secrets/registry-key.json)")
    .option("--by <user>", "who revokes, for the access log (default cli:<os user>)")
    .option("--json")
    .action(async (code: string, keyId: string, o: { reason: string; registryKey?: string; by?: string; json?: boolean }) => {
      try {
        if (!isContactPointCode(code) && code !== "HUB") throw new LiaisonError("LIAISON_VALIDATION", `${code} is not a contact point code`);
        const cfg = loadConfig("cli", cliSchema);
        const key = readKeyFile(o.registryKey ?? join(cfg.home, "secrets", "registry-key.json")).signing;
        const nc = await hubConnection("liaison-cli-registry");
        const audit = new AuditEmitter(nc, "registry");
        try {
          const cp = await revokeContactPointKey({ registry: await RegistryWriter.open(nc, key), audit, by: o.by ?? `cli:${userInfo().username}`, code, keyId, reason: o.reason });
          const row = describeEntry(cp, Date.now(), cfg.keyExpiryWarningDays).keys.find((k) => k.keyId === keyId);
          if (o.json) printJson({ cp: code, key: row });
          else process.stdout.write(`revoked ${keyId} of ${code} (registry version ${Number(cp.version)}); members refuse it as soon as they see the entry\n`);
        } finally {
          audit.close();
          await nc.close();
        }
      } catch (err) {
        fail(err);
      }
    });
}
