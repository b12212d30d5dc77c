// deploy/nats: the single-server, cluster and leaf-node configurations, with the accounts that
// `liaison nats-config` generates (here with NL connecting through a leaf node), are accepted by the
// pinned nats-server's configuration check, `sync_interval: always` included.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resolveNatsServer } from "../../src/nats/mod.js";

const ROOT = join(import.meta.dirname, "..", "..");
const SERVER = () => resolveNatsServer({ bin: process.env.NATS_SERVER_BIN });

describe("deploy/nats configurations", () => {
  let dir: string;
  let generated: { code: number | null; out: string };
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "liaison-deploy-"));
    for (const name of ["hub", "route", "ca", "cp-nl"]) {
      execFileSync("openssl", ["req", "-x509", "-newkey", "ed25519", "-nodes", "-days", "1", "-subj", `/CN=${name}`, "-keyout", join(dir, `${name}.key`), "-out", join(dir, `${name}.crt`)], { stdio: "ignore" });
    }
    const r = spawnSync(process.execPath, ["--import", "tsx", join(ROOT, "src", "cli", "main.ts"), "nats-config", "--cp", "BE,NL,DE", "--leaf", "NL", "--out", join(dir, "auth.conf")], {
      cwd: ROOT,
      encoding: "utf8",
      env: { ...process.env, LIAISON_HOME: join(dir, "home") },
    });
    generated = { code: r.status, out: r.stdout + r.stderr };
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const check = (file: string, env: Record<string, string> = {}) => {
    const text = readFileSync(join(ROOT, "deploy", "nats", file), "utf8");
    expect(text).toMatch(/^\s*sync_interval: always$/m);
    const local = text.replaceAll("/etc/liaison/tls/", `${dir}/`).replaceAll("/var/lib/liaison/jetstream", join(dir, "js"));
    writeFileSync(join(dir, file), local);
    return spawnSync(SERVER(), ["-c", join(dir, file), "-t"], { encoding: "utf8", env: { ...process.env, ...env } });
  };

  it("generates the accounts, and a leaf node's settings readable by its owner only", () => {
    expect(generated.code, generated.out).toBe(0);
    const auth = readFileSync(join(dir, "auth.conf"), "utf8");
    expect(auth).toMatch(/^system_account: SYS$/m);
    for (const account of ["HUB", "BE", "NL", "DE", "SYS"]) expect(auth).toContain(`  ${account}: {`);
    // NL comes through its leaf: its hub account has a LEAFNODE-only user and no JetStream.
    const nl = auth.slice(auth.indexOf("  NL: {"), auth.indexOf("  DE: {"));
    expect(nl).toContain(`allowed_connection_types: ["LEAFNODE"]`);
    expect(nl).not.toContain("jetstream");
    expect(statSync(join(dir, "leaf-NL.env")).mode & 0o777).toBe(0o600);
  });

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

  it("accepts a member's leaf-node configuration with the settings nats-config wrote for it", () => {
    const env = Object.fromEntries(
      readFileSync(join(dir, "leaf-NL.env"), "utf8")
        .split("\n")
        .filter((l) => /^[A-Z_]+=/.test(l))
        .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1).replaceAll("/etc/liaison/tls/", `${dir}/`).replaceAll("/var/lib/liaison/jetstream", join(dir, "leaf-js"))]),
    );
    const r = check("leafnode-cp.conf", { ...env, LIAISON_LEAF_TLS_CERT: join(dir, "cp-nl.crt"), LIAISON_LEAF_TLS_KEY: join(dir, "cp-nl.key"), LIAISON_HUB_CA: join(dir, "ca.crt") });
    expect(r.stderr + r.stdout).not.toMatch(/error|unknown field/i);
    expect(r.status).toBe(0);
  });
});
