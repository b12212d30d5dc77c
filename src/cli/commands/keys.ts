// `liaison keys init`: a contact point's Ed25519 signing and X25519 encryption keys, written to a
// file only its owner can read (0600). Prints the public halves and key ids, never the secrets.
// `liaison keys rotate`: new keys published to the registry, the older encryption keys kept.
import { userInfo } from "node:os";
import { join } from "node:path";
import type { Command } from "commander";
import { AuditEmitter } from "../../audit/mod.js";
import { cliSchema, loadConfig } from "../../config/mod.js";
import { b64u, initKeyFile, readKeyFile } from "../../crypto/mod.js";
import { isContactPointCode, parsePeriod } from "../../domain/mod.js";
import { LiaisonError } from "../../errors.js";
import { RegistryWriter, rotateContactPointKeys } from "../../registry/mod.js";
import { hubConnection } from "../hub-connection.js";
import { fail, printJson, printTable } from "../output.js";

/** "30s", "90d": a duration without months (those vary in length). */
function durationMs(v: string, flag: string): number {
  const p = parsePeriod(v);
  if (!p || p.months !== 0) throw new LiaisonError("LIAISON_VALIDATION", `${flag} must be a duration such as 60s, 10m or 365d (got ${JSON.stringify(v)})`);
  return p.ms;
}

function show(file: string, json: boolean | undefined): void {
  const k = readKeyFile(file);
  const rows = [k.signing, ...k.encryption].map((p) => ({ keyId: p.keyId, use: p.use === "sig" ? "Ed25519 signing" : "X25519 encryption", publicKey: b64u(p.publicKey) }));
  if (json) printJson({ owner: k.owner, file, keys: rows });
  else {
    process.stdout.write(`${k.owner}: ${file}\n`);
    printTable(rows, ["keyId", "use", "publicKey"]);
  }
}

export function register(program: Command): void {
  const keys = program.command("keys").description("a contact point's keys");
  keys
    .command("init")
    .description("generate a contact point's signing and encryption keys into a 0600 file")
    .requiredOption("--cp <code>", "the contact point (BE, NL, OLAF, ...)")
    .option("--out <file>", "where to write (default $LIAISON_HOME/ap/<CP>/keys.json)")
    .option("--force", "replace an existing key file (what was sealed to the old keys no longer opens: use keys rotate)")
    .option("--json")
    .action((o: { cp: string; out?: string; force?: boolean; json?: boolean }) => {
      try {
        if (!isContactPointCode(o.cp)) throw new Error(`${o.cp} is not a contact point code (ISO 3166-1 alpha-2 or an EU body code)`);
        const file = o.out ?? join(loadConfig("cli", cliSchema).home, "ap", o.cp, "keys.json");
        initKeyFile(file, o.cp, { overwrite: !!o.force });
        show(file, o.json);
      } catch (err) {
        fail(err);
      }
    });
  keys
    .command("rotate")
    .description("new signing and encryption keys, published to the registry; older encryption keys stay to open older messages")
    .requiredOption("--cp <code>", "the contact point")
    .option("--key-file <file>", "its key file (default $LIAISON_HOME/ap/<CP>/keys.json)")
    .option("--registry-key <file>", "the registry signing key file (default $LIAISON_HOME/secrets/registry-key.json)")
    .option("--activate-after <duration>", "the new encryption key is sealed to from this long after now (default LIAISON_KEY_ACTIVATION_DELAY, 60s)")
    .option("--valid-for <duration>", "the new keys' validity (e.g. 365d); members warn ahead of its end (default: no end)")
    .option("--grace <duration>", "the old signing key signs nothing new from this long after now: restart the access point within it (default 24h)")
    .option("--by <user>", "who rotates, for the access log (default cli:<os user>)")
    .option("--json")
    .action(async (o: { cp: string; keyFile?: string; registryKey?: string; activateAfter?: string; validFor?: string; grace?: string; by?: string; json?: boolean }) => {
      try {
        if (!isContactPointCode(o.cp)) throw new LiaisonError("LIAISON_VALIDATION", `${o.cp} is not a contact point code`);
        const cfg = loadConfig("cli", cliSchema);
        const file = o.keyFile ?? join(cfg.home, "ap", o.cp, "keys.json");
        if (readKeyFile(file).owner !== o.cp) throw new LiaisonError("LIAISON_VALIDATION", `${file} is not ${o.cp}'s key file`);
        const registryKey = readKeyFile(o.registryKey ?? join(cfg.home, "secrets", "registry-key.json")).signing;
        const activateAfterMs = o.activateAfter === undefined ? cfg.keyActivationDelay : durationMs(o.activateAfter, "--activate-after");
        const validForMs = o.validFor === undefined ? undefined : durationMs(o.validFor, "--valid-for");
        const graceMs = o.grace === undefined ? undefined : durationMs(o.grace, "--grace");
        const nc = await hubConnection("liaison-cli-keys");
        const audit = new AuditEmitter(nc, "registry");
        try {
          const r = await rotateContactPointKeys({
            registry: await RegistryWriter.open(nc, registryKey),
            audit,
            by: o.by ?? `cli:${userInfo().username}`,
            keyFile: file,
            activateAfterMs,
            ...(validForMs === undefined ? {} : { validForMs }),
            ...(graceMs === undefined ? {} : { graceMs }),
          });
          const from = new Date(r.encryptionFromMs).toISOString();
          if (o.json) printJson({ cp: o.cp, file, signingKeyId: r.keys.signing.keyId, encryptionKeyId: r.keys.encryption[0]?.keyId, encryptionFrom: from, oldSigningUntil: new Date(r.signingUntilMs).toISOString() });
          else {
            show(file, false);
            process.stdout.write(`published to the registry; senders seal to the new encryption key from ${from}. Restart the access point to sign with the new signing key before ${new Date(r.signingUntilMs).toISOString()}, when the old one stops being accepted.\n`);
          }
        } finally {
          audit.close();
          await nc.close();
        }
      } catch (err) {
        fail(err);
      }
    });
  keys
    .command("show <file>")
    .description("print the key ids and public keys of a key file")
    .option("--json")
    .action((file: string, o: { json?: boolean }) => {
      try {
        show(file, o.json);
      } catch (err) {
        fail(err);
      }
    });
}
