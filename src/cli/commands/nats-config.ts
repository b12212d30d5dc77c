// `liaison nats-config`: generates the nats-server accounts for a set of contact points and the hub
// services: HUB with one nkey user per service, an account per contact point, SYS (seeds under
// $LIAISON_HOME/secrets/nkeys, mode 0600).
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Command } from "commander";
import { cliSchema, loadConfig, zCpList } from "../../config/mod.js";
import { ensureNkeySeed, natsAccountsConfig } from "../../nats/mod.js";
import { HUB_IDENTITIES } from "../../stack/secrets.js";
import { fail } from "../output.js";

export function register(program: Command): void {
  program
    .command("nats-config")
    .description("generate nats-server accounts: HUB, one account per contact point reaching only its imports, SYS")
    .option("--cp <codes>", "contact points", "BE,NL,DE,FR")
    .option("--out <file>", "where to write the accounts block", "deploy/nats/auth.conf")
    .action((o: { cp: string; out: string }) => {
      try {
        const cps = zCpList.parse(o.cp);
        const nkeys = join(loadConfig("cli", cliSchema).home, "secrets", "nkeys");
        mkdirSync(nkeys, { recursive: true, mode: 0o700 });
        const text = natsAccountsConfig({
          hub: HUB_IDENTITIES.map((h) => ({ name: h.name, role: h.role, nkey: ensureNkeySeed(join(nkeys, `${h.name}.nk`)) })),
          contactPoints: cps.map((cp) => ({ cp, name: `access point ${cp}`, nkey: ensureNkeySeed(join(nkeys, `ap-${cp}.nk`)) })),
          system: { name: "system", nkey: ensureNkeySeed(join(nkeys, "system.nk")) },
        });
        mkdirSync(dirname(o.out), { recursive: true });
        writeFileSync(o.out, text);
        process.stdout.write(`wrote ${o.out} (${cps.length} contact points, ${HUB_IDENTITIES.length} hub identities); nkey seeds in ${nkeys}\n`);
      } catch (err) {
        fail(err);
      }
    });
}
