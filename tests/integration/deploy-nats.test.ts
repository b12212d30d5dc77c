// deploy/nats: the single-server and cluster configurations, with an authorization generated the
// way `liaison nats-config` generates it, are accepted by the pinned nats-server's configuration
// check, `sync_interval: always` included.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureNkeySeed, natsAccountsConfig, resolveNatsServer } from "../../src/nats/mod.js";
import { HUB_IDENTITIES } from "../../src/stack/secrets.js";

const ROOT = join(import.meta.dirname, "..", "..");

describe("deploy/nats configurations", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "liaison-deploy-"));
    for (const name of ["hub", "route", "ca"]) {
      execFileSync("openssl", ["req", "-x509", "-newkey", "ed25519", "-nodes", "-days", "1", "-subj", `/CN=${name}`, "-keyout", join(dir, `${name}.key`), "-out", join(dir, `${name}.crt`)], { stdio: "ignore" });
    }
    writeFileSync(
      join(dir, "auth.conf"),
      natsAccountsConfig({
        hub: HUB_IDENTITIES.map((h) => ({ name: h.name, role: h.role, nkey: ensureNkeySeed(join(dir, `${h.name}.nk`)) })),
        contactPoints: ["BE", "NL"].map((cp) => ({ cp, name: `access point ${cp}`, nkey: ensureNkeySeed(join(dir, `ap-${cp}.nk`)) })),
        system: { name: "system", nkey: ensureNkeySeed(join(dir, "system.nk")) },
      }),
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const check = (file: string, env: Record<string, string> = {}) => {
    const text = readFileSync(join(ROOT, "deploy", "nats", file), "utf8");
    expect(text).toMatch(/^\s*sync_interval: always$/m);
    const local = text
      .replaceAll("/etc/liaison/tls/", `${dir}/`)
      .replaceAll("/var/lib/liaison/jetstream", join(dir, "js"));
    writeFileSync(join(dir, file), local);
    return spawnSync(resolveNatsServer({ bin: process.env.NATS_SERVER_BIN }), ["-c", join(dir, file), "-t"], { encoding: "utf8", env: { ...process.env, ...env } });
  };

  it("accepts the single-server hub configuration", () => {
    const r = check("hub.conf");
    expect(r.stderr + r.stdout).not.toMatch(/error|unknown field/i);
    expect(r.status).toBe(0);
  });

  it("accepts a cluster node's configuration", () => {
    const r = check("cluster-node.conf", { LIAISON_SERVER_NAME: "liaison-hub-2" });
    expect(r.stderr + r.stdout).not.toMatch(/error|unknown field/i);
    expect(r.status).toBe(0);
  });
});
