// `liaison registry list|show|revoke` and `liaison keys rotate`, run as the operator runs them,
// against a real hub: the walk-through of issue #17 had to script against src/registry instead.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readKeyFile } from "../../src/crypto/mod.js";
import { pb } from "../../src/proto/mod.js";
import type { ContactPointRow } from "../../src/registry/mod.js";
import { startTestHub, type TestHub } from "../support/hub.js";

const ROOT = join(import.meta.dirname, "..", "..");

describe("liaison registry and liaison keys rotate", () => {
  let hub: TestHub;
  const run = (args: string[]) => {
    const r = spawnSync(process.execPath, ["--import", "tsx", join(ROOT, "src/cli/main.ts"), ...args], {
      cwd: ROOT,
      env: { ...process.env, LIAISON_HOME: hub.home, NATS_URL: hub.nats.url, NATS_CREDS: hub.secrets.hub["stack-admin"].seedFile },
      encoding: "utf8",
      timeout: 60_000,
    });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };

  beforeAll(async () => {
    hub = await startTestHub({ cps: ["BE", "NL"] });
  });
  afterAll(async () => {
    await hub?.stop();
  });

  it("rotates a contact point's keys and lists every key with its id, use, state and validity", () => {
    const before = hub.keys("BE");
    const rotated = run(["keys", "rotate", "--cp", "BE", "--activate-after", "10m", "--valid-for", "10d", "--by", "admin-anna", "--json"]);
    expect(rotated.stderr).toBe("");
    expect(rotated.code).toBe(0);
    const out = JSON.parse(rotated.stdout) as { signingKeyId: string; encryptionKeyId: string };
    const after = hub.keys("BE");
    expect(after.signing.keyId).toBe(out.signingKeyId);
    expect(after.encryption.map((k) => k.keyId)).toEqual([out.encryptionKeyId, before.encryption[0]?.keyId]);

    const listed = run(["registry", "list", "--json"]);
    expect(listed.code).toBe(0);
    const { contactPoints, refused } = JSON.parse(listed.stdout) as { contactPoints: ContactPointRow[]; refused: unknown[] };
    expect(refused).toEqual([]);
    expect(contactPoints.map((c) => c.code).sort()).toEqual(["BE", "HUB", "NL"]);
    const be = contactPoints.find((c) => c.code === "BE");
    const state = Object.fromEntries((be?.keys ?? []).map((k) => [k.keyId, [k.use, k.status]]));
    expect(state).toEqual({
      [before.signing.keyId]: ["sig", "retired"],
      [before.encryption[0]?.keyId ?? ""]: ["enc", "active"],
      [out.signingKeyId]: ["sig", "active"],
      [out.encryptionKeyId]: ["enc", "not-yet-valid"],
    });
    const newSig = be?.keys.find((k) => k.keyId === out.signingKeyId);
    expect(newSig?.expiresInDays).toBe(10);
    expect(Date.parse(newSig?.notAfter ?? "") - Date.parse(newSig?.notBefore ?? "")).toBe(10 * 86_400_000);

    const shown = run(["registry", "show", "BE"]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(new RegExp(`${out.signingKeyId}\\s+signing\\s+active\\s.*expires in 10 day\\(s\\)`));
    expect(shown.stdout).toMatch(new RegExp(`${before.signing.keyId}\\s+signing\\s+retired`));
  });

  it("revokes a key as the registry administrator, shows it revoked, and logs who did it and why", async () => {
    const nlSig = readKeyFile(hub.secrets.contactPoints.find((c) => c.cp === "NL")?.keyFile ?? "").signing.keyId;
    const revoked = run(["registry", "revoke", "NL", nlSig, "--reason", "laptop stolen", "--by", "admin-anna", "--json"]);
    expect(revoked.stderr).toBe("");
    expect(revoked.code).toBe(0);
    expect((JSON.parse(revoked.stdout) as { key: { status: string } }).key.status).toBe("revoked");
    const shown = run(["registry", "show", "NL", "--json"]);
    const key = (JSON.parse(shown.stdout) as ContactPointRow).keys.find((k) => k.keyId === nlSig);
    expect(key?.status).toBe("revoked");
    expect(key?.revocationReason).toBe("laptop stolen");

    const again = run(["registry", "revoke", "NL", nlSig, "--reason", "twice"]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/LIAISON_CONFLICT/);
    const unknown = run(["registry", "revoke", "NL", "NL.sig.0000000000000000", "--reason", "x"]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/LIAISON_UNKNOWN_KEY/);

    const events = (await hub.auditEvents()).filter((e) => e.action === pb.AuditAction.AUDIT_ACTION_KEY_CHANGE && e.userId === "admin-anna");
    expect(events.map((e) => [e.objectId, e.details?.change])).toEqual([
      ["BE", "rotated"],
      ["NL", "revoked"],
    ]);
    expect(events[1]?.details?.reason).toBe("laptop stolen");
  });
});
