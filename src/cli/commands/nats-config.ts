// `liaison nats-config`: generates the nats-server accounts for a set of contact points and the hub
// services: HUB with one nkey user per service, an account per contact point, SYS (seeds under
// $LIAISON_HOME/secrets/nkeys, mode 0600). Members named with --leaf reach the hub through a leaf
// node of their own: their hub account takes the leaf's nkey, and a leaf-<CP>.env beside the
// output holds what deploy/nats/leafnode-cp.conf needs on the member's side.
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Command } from "commander";
import { cliSchema, loadConfig, zCpList } from "../../config/mod.js";
import { ensureNkeySeed, natsAccountsConfig } from "../../nats/mod.js";
import { HUB_IDENTITIES } from "../../stack/mod.js";
import { fail } from "../output.js";

export function register(program: Command): void {
  program
    .command("nats-config")
    .description("generate nats-server accounts: HUB, one account per contact point reaching only its imports, SYS; leaf-node settings per member")
    .option("--cp <codes>", "contact points", "BE,NL,DE,FR")
    .option("--leaf <codes>", "contact points that connect through a leaf node of their own (deploy/nats/leafnode-cp.conf)", "")
    .option("--hub-leaf-url <url>", "the hub's leaf-node listener, for the members' leaf settings", "nats-leaf://hub.liaison.example.eu:7422")
    .option("--out <file>", "where to write the accounts block", "deploy/nats/auth.conf")
    .action((o: { cp: string; leaf: string; hubLeafUrl: string; out: string }) => {
      try {
        const cps = zCpList.parse(o.cp);
        const leaves = new Set(zCpList.parse(o.leaf));
        for (const l of leaves) if (!cps.includes(l)) throw new Error(`--leaf ${l} is not among --cp ${cps.join(",")}`);
        const nkeys = join(loadConfig("cli", cliSchema).home, "secrets", "nkeys");
        mkdirSync(nkeys, { recursive: true, mode: 0o700 });
        const seed = (name: string) => join(nkeys, `${name}.nk`);
        const text = natsAccountsConfig({
          hub: HUB_IDENTITIES.map((h) => ({ name: h.name, role: h.role, nkey: ensureNkeySeed(seed(h.name)) })),
          contactPoints: cps.map((cp) =>
            leaves.has(cp) ? { cp, name: `leaf node of ${cp}`, leafNkey: ensureNkeySeed(seed(`leaf-${cp}`)) } : { cp, name: `access point ${cp}`, nkey: ensureNkeySeed(seed(`ap-${cp}`)) },
          ),
          system: { name: "system", nkey: ensureNkeySeed(seed("system")) },
        });
        mkdirSync(dirname(o.out), { recursive: true });
        writeFileSync(o.out, text);
        const written = [o.out];
        for (const cp of leaves) {
          const file = join(dirname(o.out), `leaf-${cp}.env`);
          const lower = cp.toLowerCase();
          writeFileSync(
            file,
            [
              `# ${cp}'s leaf node (deploy/nats/leafnode-cp.conf). Holds the leaf's nkey seed: keep it as secret as the seed file.`,
              `LIAISON_LEAF_NAME=liaison-cp-${lower}`,
              `LIAISON_LEAF_LISTEN=127.0.0.1:4222`,
              `LIAISON_LEAF_STORE=/var/lib/liaison/jetstream`,
              `LIAISON_LEAF_DOMAIN=cp-${lower}`,
              `LIAISON_AP_NKEY=${ensureNkeySeed(seed(`ap-${cp}`))}`,
              `LIAISON_HUB_LEAF_URL=${o.hubLeafUrl}`,
              `LIAISON_LEAF_SEED=${readFileSync(seed(`leaf-${cp}`), "utf8").trim()}`,
              `LIAISON_LEAF_TLS_CERT=/etc/liaison/tls/cp-${lower}.crt`,
              `LIAISON_LEAF_TLS_KEY=/etc/liaison/tls/cp-${lower}.key`,
              `LIAISON_HUB_CA=/etc/liaison/tls/hub-ca.crt`,
              "",
            ].join("\n"),
            { mode: 0o600 },
          );
          chmodSync(file, 0o600);
          written.push(file);
        }
        process.stdout.write(`wrote ${written.join(", ")} (${cps.length} contact points, ${leaves.size} through leaf nodes, ${HUB_IDENTITIES.length} hub identities); nkey seeds in ${nkeys}\n`);
      } catch (err) {
        fail(err);
      }
    });
}
