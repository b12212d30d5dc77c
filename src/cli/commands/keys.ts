// `liaison keys init`: a contact point's Ed25519 signing and X25519 encryption keys, written to a
// file only its owner can read (0600). Prints the public halves and key ids, never the secrets.
import { join } from "node:path";
import type { Command } from "commander";
import { cliSchema, loadConfig } from "../../config/mod.js";
import { b64u, initKeyFile, readKeyFile } from "../../crypto/mod.js";
import { isContactPointCode } from "../../domain/mod.js";
import { fail, printJson, printTable } from "../output.js";

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
    .option("--force", "replace an existing key file")
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
