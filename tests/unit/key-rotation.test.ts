// Rotating a key file keeps what opens older messages, and key states as `liaison registry` shows them.
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { initKeyFile, readKeyFile, rotateKeyFile } from "../../src/crypto/mod.js";
import { daysUntilExpiry, keyStatus } from "../../src/domain/mod.js";
import { pb } from "../../src/proto/mod.js";
import { describeEntry, expiringKeys } from "../../src/registry/mod.js";

describe("key file rotation", () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "liaison-keys-"));
    file = join(dir, "keys.json");
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("puts new keys in force on commit, keeping every older encryption key and no older signing secret", () => {
    const first = initKeyFile(file, "BE");
    const r1 = rotateKeyFile(file);
    // Nothing changes until the rotation is committed.
    expect(readKeyFile(file).signing.keyId).toBe(first.signing.keyId);
    r1.commit();
    const r2 = rotateKeyFile(file);
    r2.commit();
    const now = readKeyFile(file);
    expect(now.signing.keyId).toBe(r2.keys.signing.keyId);
    expect(now.encryption.map((k) => k.keyId)).toEqual([r2.keys.encryption[0]?.keyId, r1.keys.encryption[0]?.keyId, first.encryption[0]?.keyId]);
    const text = readFileSync(file, "utf8");
    expect(text).not.toContain(first.signing.keyId);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(existsSync(`${file}.rotating`)).toBe(false);
  });

  it("leaves the key file as it was when the rotation is abandoned, and refuses a second one while one is pending", () => {
    const first = initKeyFile(file, "BE");
    const before = readFileSync(file, "utf8");
    const pending = rotateKeyFile(file);
    expect(statSync(`${file}.rotating`).mode & 0o777).toBe(0o600);
    expect(() => rotateKeyFile(file)).toThrow(/did not finish/);
    pending.abort();
    expect(readFileSync(file, "utf8")).toBe(before);
    expect(readKeyFile(file).signing.keyId).toBe(first.signing.keyId);
    expect(existsSync(`${file}.rotating`)).toBe(false);
  });
});

describe("key states", () => {
  const DAY = 86_400_000;
  it("calls the newest valid key of a use active and the older valid ones retired", () => {
    const old = { notBeforeMs: 1_000 };
    const fresh = { notBeforeMs: 2_000 };
    const later = { notBeforeMs: 9_000 };
    const keys = [old, fresh, later];
    expect(keyStatus(old, keys, 5_000)).toBe("retired");
    expect(keyStatus(fresh, keys, 5_000)).toBe("active");
    expect(keyStatus(later, keys, 5_000)).toBe("not-yet-valid");
    expect(keyStatus(fresh, keys, 9_000)).toBe("retired");
  });

  it("keeps an older key active when the newer one is revoked or expired", () => {
    const old = { notBeforeMs: 1_000 };
    const revoked = { notBeforeMs: 2_000, revokedAtMs: 3_000 };
    const expired = { notBeforeMs: 2_500, notAfterMs: 4_000 };
    expect(keyStatus(old, [old, revoked, expired], 5_000)).toBe("active");
    expect(keyStatus(revoked, [old, revoked, expired], 5_000)).toBe("revoked");
    expect(keyStatus(expired, [old, revoked, expired], 5_000)).toBe("expired");
  });

  it("counts the days left before a key's end of validity", () => {
    expect(daysUntilExpiry({ notAfterMs: 10 * DAY }, 10 * DAY - 1)).toBe(1);
    expect(daysUntilExpiry({ notAfterMs: 10 * DAY }, 3 * DAY)).toBe(7);
    expect(daysUntilExpiry({ notAfterMs: 10 * DAY }, 10 * DAY)).toBeUndefined();
    expect(daysUntilExpiry({ notAfterMs: 0 }, 0)).toBeUndefined();
  });
});

describe("registry entries as listed", () => {
  const DAY = 86_400_000;
  const now = 100 * DAY;
  const key = (keyId: string, use: pb.KeyUse, v: { notBeforeMs: number; notAfterMs?: number; revokedAtMs?: number; revocationReason?: string }): pb.IPublicKey => ({ keyId, use, publicKey: new Uint8Array(32), ...v });
  const cp: pb.IContactPoint = {
    code: "BE",
    name: "Belgium",
    active: true,
    version: 7,
    keys: [
      key("BE.sig.old", pb.KeyUse.KEY_USE_SIGNING, { notBeforeMs: 1 * DAY }),
      key("BE.sig.new", pb.KeyUse.KEY_USE_SIGNING, { notBeforeMs: 50 * DAY, notAfterMs: now + 12 * DAY }),
      key("BE.enc.gone", pb.KeyUse.KEY_USE_ENCRYPTION, { notBeforeMs: 1 * DAY, revokedAtMs: 60 * DAY, revocationReason: "lost" }),
      key("BE.enc.new", pb.KeyUse.KEY_USE_ENCRYPTION, { notBeforeMs: 50 * DAY, notAfterMs: now + 40 * DAY }),
    ],
  };

  it("gives each key its state among the keys of its use, with dates and the revocation", () => {
    const rows = describeEntry(cp, now, 30);
    expect(rows.version).toBe(7);
    expect(rows.keys.map((k) => [k.keyId, k.use, k.status])).toEqual([
      ["BE.sig.old", "sig", "retired"],
      ["BE.sig.new", "sig", "active"],
      ["BE.enc.gone", "enc", "revoked"],
      ["BE.enc.new", "enc", "active"],
    ]);
    const gone = rows.keys[2];
    expect(gone?.revokedAt).toBe(new Date(60 * DAY).toISOString());
    expect(gone?.revocationReason).toBe("lost");
    expect(rows.keys[1]?.notAfter).toBe(new Date(now + 12 * DAY).toISOString());
  });

  it("warns about an active key only within the warning window", () => {
    expect(expiringKeys(cp, now, 30)).toEqual([{ use: "sig", days: 12 }]);
    expect(expiringKeys(cp, now, 45)).toEqual([
      { use: "sig", days: 12 },
      { use: "enc", days: 40 },
    ]);
    expect(expiringKeys(cp, now, 10)).toEqual([]);
    expect(expiringKeys(undefined, now, 30)).toEqual([]);
  });
});
