// The nats-server version rule: the pinned version (scripts/nats-versions.env) or newer, nothing older.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { isLiaisonError } from "../../src/errors.js";
import { assertServerVersion, checkServerVersion, parseVersion, pinnedVersions, resolveNatsServer, versionAtLeast } from "../../src/nats/mod.js";

const dir = mkdtempSync(join(tmpdir(), "liaison-version-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A stand-in binary that only answers --version, as nats-server does. */
function fakeServer(name: string, says: string): string {
  const p = join(dir, name);
  writeFileSync(p, `#!/bin/sh\necho "${says}"\n`);
  chmodSync(p, 0o755);
  return p;
}

describe("nats-server version", () => {
  it("pins a server and a CLI version in one place", () => {
    const v = pinnedVersions();
    expect(v.server).toMatch(/^v2\.\d+\.\d+$/);
    expect(v.cli).toMatch(/^v\d+\.\d+\.\d+$/);
    expect(versionAtLeast(parseVersion(v.server) ?? [0, 0, 0], [2, 15, 0])).toBe(true);
  });

  it("compares versions field by field", () => {
    expect(parseVersion("nats-server: v2.15.3")).toEqual([2, 15, 3]);
    expect(versionAtLeast([2, 15, 3], [2, 15, 3])).toBe(true);
    expect(versionAtLeast([2, 16, 0], [2, 15, 3])).toBe(true);
    expect(versionAtLeast([2, 15, 2], [2, 15, 3])).toBe(false);
    expect(versionAtLeast([2, 9, 10], [2, 15, 3])).toBe(false);
    expect(versionAtLeast([3, 0, 0], [2, 15, 3])).toBe(true);
  });

  it("refuses Debian's 2.9.10 with a message that says how to install the pinned one", () => {
    const old = fakeServer("old", "nats-server: v2.9.10");
    let caught: unknown;
    try {
      resolveNatsServer({ bin: old });
    } catch (err) {
      caught = err;
    }
    expect(isLiaisonError(caught) && caught.code).toBe("LIAISON_NATS_UNAVAILABLE");
    expect(String((caught as Error).message)).toContain("v2.9.10");
    expect(String((caught as Error).message)).toContain("scripts/install-nats.sh");
    expect(String((caught as Error).message)).toContain(pinnedVersions().server);
  });

  it("refuses an old nats-server on PATH instead of running it", () => {
    const pathDir = mkdtempSync(join(dir, "path-"));
    fakeServer(join(pathDir.slice(dir.length + 1), "nats-server"), "nats-server: v2.10.22");
    expect(() => resolveNatsServer({ tools: join(dir, "no-tools"), path: pathDir })).toThrow(/older than the supported/);
  });

  it("takes a newer server, and refuses a running server (NATS_URL) that reports an old version", () => {
    const newer = fakeServer("newer", "nats-server: v2.16.0");
    expect(checkServerVersion(newer)).toBe("v2.16.0");
    expect(() => assertServerVersion("2.9.10", "nats://old:4222")).toThrow(/older than the supported/);
    expect(() => assertServerVersion(undefined, "nats://old:4222")).toThrow(/unknown version/);
    expect(() => assertServerVersion(pinnedVersions().server.slice(1), "nats://ok:4222")).not.toThrow();
  });

  it("says where to get a server when there is none and installing is not allowed", () => {
    expect(() => resolveNatsServer({ tools: join(dir, "no-tools"), path: join(dir, "empty") })).toThrow(/no nats-server found.*install-nats\.sh/);
  });
});
