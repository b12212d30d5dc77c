import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isLiaisonError } from "../../src/errors.js";
import { addUser, disableUser, issueToken, listUsers, parseValidity, readUsersFile, revokeUser, UserStore, writeUsersFile } from "../../src/http/mod.js";
import { createLogger } from "../../src/log/mod.js";

const quiet = createLogger("test", "silent");
const DAY = 86_400_000;

async function until(cond: () => boolean, what: string, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const codeOf = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    return isLiaisonError(e) ? e.code : String(e);
  }
  return "no error";
};

describe("the users file", () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "liaison-users-"));
    file = join(dir, "users.json");
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("refuses every token once the file cannot be read or parsed, and accepts them again when it can", async () => {
    const op = addUser(file, { id: "be-op", role: "operator", cp: "BE" });
    const good = readFileSync(file, "utf8");
    const users = UserStore.watch(file, { intervalMs: 50, log: quiet });
    try {
      expect(users.check(op.token)).toMatchObject({ ok: true, user: { id: "be-op" } });
      writeFileSync(file, '{"users": [ {"id": "be-op", "role": "operator"');
      await until(() => !users.check(op.token).ok, "the broken file to take effect");
      expect(users.check(op.token)).toEqual({ ok: false, code: "LIAISON_USERS_UNAVAILABLE" });
      writeFileSync(file, good);
      await until(() => users.check(op.token).ok, "the good file back");
      rmSync(file);
      await until(() => !users.check(op.token).ok, "the removed file to take effect");
      expect(users.check(op.token)).toEqual({ ok: false, code: "LIAISON_USERS_UNAVAILABLE" });
    } finally {
      users.close();
    }
  });

  it("reads a file again that became readable with no change its watcher can see (a half-written file caught between two polls)", async () => {
    const op = addUser(file, { id: "be-op", role: "operator", cp: "BE" });
    const good = readFileSync(file, "utf8");
    const users = UserStore.watch(file, { intervalMs: 50, log: quiet });
    try {
      // A broken file of the good one's size: what a reader sees mid-write.
      const t = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000);
      writeFileSync(file, "{".padEnd(good.length, " "));
      utimesSync(file, t, t);
      await until(() => !users.check(op.token).ok, "the broken file to take effect");
      await new Promise((r) => setTimeout(r, 200));
      // The good content lands with the same inode, size and time: the watcher sees no change.
      writeFileSync(file, good);
      utimesSync(file, t, t);
      await until(() => users.check(op.token).ok, "the good file read again");
    } finally {
      users.close();
    }
  });

  it("refuses a file that gives one user two roles", () => {
    addUser(file, { id: "be-op", role: "operator", cp: "BE" });
    const f = readUsersFile(file);
    writeFileSync(file, JSON.stringify({ users: [...f.users, { ...f.users[0], role: "admin", tokenSha256: "0".repeat(64) }] }));
    expect(codeOf(() => readUsersFile(file))).toBe("LIAISON_CONFIG_INVALID");
  });

  it("adds a user whose token expires, refuses the same id twice, and writes the file 0600 with no temporary left", () => {
    const t0 = Date.now();
    const r = addUser(file, { id: "be-reader", role: "reader", cp: "BE", validForMs: 7 * DAY, now: t0 });
    expect(r.token).toMatch(/^lsn_/);
    expect(Date.parse(r.expiresAt)).toBe(t0 + 7 * DAY);
    expect(new UserStore(readUsersFile(file), { now: () => t0 + 7 * DAY - 1 }).check(r.token)).toMatchObject({ ok: true });
    expect(new UserStore(readUsersFile(file), { now: () => t0 + 7 * DAY }).check(r.token)).toMatchObject({ ok: false, code: "LIAISON_TOKEN_EXPIRED" });
    expect(readFileSync(file, "utf8")).not.toContain(r.token);
    expect(codeOf(() => addUser(file, { id: "be-reader", role: "operator", cp: "BE" }))).toBe("LIAISON_CONFLICT");
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual(["users.json"]);
  });

  it("issues a new token while the old one keeps working until it expires or is revoked", () => {
    const t0 = Date.now();
    const first = addUser(file, { id: "be-op", role: "operator", cp: "BE", validForMs: 2 * DAY, now: t0 });
    const second = issueToken(file, "be-op", { validForMs: 30 * DAY, now: t0 + DAY });
    expect(second.user).toEqual({ id: "be-op", role: "operator", cp: "BE" });
    const at = (ms: number) => new UserStore(readUsersFile(file), { now: () => ms });
    expect(at(t0 + DAY).check(first.token)).toMatchObject({ ok: true });
    expect(at(t0 + DAY).check(second.token)).toMatchObject({ ok: true, user: { id: "be-op" } });
    expect(at(t0 + 3 * DAY).check(first.token)).toMatchObject({ ok: false, code: "LIAISON_TOKEN_EXPIRED" });
    expect(at(t0 + 3 * DAY).check(second.token)).toMatchObject({ ok: true });
    expect(revokeUser(file, "be-op")).toBe(true);
    expect(at(t0 + DAY).check(second.token)).toMatchObject({ ok: false, code: "LIAISON_TOKEN_REVOKED" });
    expect(codeOf(() => issueToken(file, "nobody"))).toBe("LIAISON_NOT_FOUND");
  });

  it("disables a user: every token refused, none issued, the listing says so", () => {
    const a = addUser(file, { id: "be-op", role: "operator", cp: "BE" });
    const b = issueToken(file, "be-op");
    addUser(file, { id: "be-admin", role: "admin", cp: "BE" });
    const users = UserStore.load(file);
    const changes: string[] = [];
    users.onRevoked((u, change) => changes.push(`${u.id}:${change}`));
    expect(disableUser(file, "be-op")).toBe(true);
    expect(users.reload()).toBe(true);
    expect(changes).toEqual(["be-op:disabled", "be-op:disabled"]);
    for (const t of [a.token, b.token]) expect(users.check(t)).toMatchObject({ ok: false, code: "LIAISON_USER_DISABLED", user: { id: "be-op" } });
    expect(codeOf(() => issueToken(file, "be-op"))).toBe("LIAISON_CONFLICT");
    expect(disableUser(file, "nobody")).toBe(false);
    const list = listUsers(readUsersFile(file));
    expect(list.map((u) => [u.id, u.role, u.state, u.activeTokens])).toEqual([
      ["be-op", "operator", "disabled", 0],
      ["be-admin", "admin", "active", 1],
    ]);
  });

  it("lists users without a token or its hash", () => {
    const r = addUser(file, { id: "be-dpo", role: "dpo", cp: "BE" });
    const hash = readUsersFile(file).users[0]?.tokenSha256 ?? "";
    const text = JSON.stringify(listUsers(readUsersFile(file)));
    expect(text).not.toContain(r.token);
    expect(text).not.toContain(hash);
    expect(text).not.toContain("tokenSha256");
  });

  it("lists a user whose tokens all expired as expired, and one whose tokens are all revoked as revoked", () => {
    const t0 = Date.now();
    addUser(file, { id: "old", role: "reader", cp: "BE", validForMs: DAY, now: t0 - 2 * DAY });
    addUser(file, { id: "gone", role: "reader", cp: "BE" });
    revokeUser(file, "gone");
    expect(listUsers(readUsersFile(file), t0).map((u) => [u.id, u.state])).toEqual([
      ["old", "expired"],
      ["gone", "revoked"],
    ]);
  });

  it("takes validity periods in hours, days and weeks, up to a year", () => {
    expect(parseValidity("30d")).toBe(30 * DAY);
    expect(parseValidity("12h")).toBe(12 * 3_600_000);
    expect(parseValidity("2w")).toBe(14 * DAY);
    for (const bad of ["0d", "3mo", "400d", "soon", ""]) expect(codeOf(() => parseValidity(bad)), bad).toBe("LIAISON_VALIDATION");
  });

  it("refuses to write a users file that does not parse, leaving the old one whole", () => {
    addUser(file, { id: "be-op", role: "operator", cp: "BE" });
    const before = readFileSync(file, "utf8");
    expect(() => writeUsersFile(file, { users: [{ id: "", role: "operator", tokenSha256: "x", expiresAt: "never" }] } as never)).toThrow();
    expect(readFileSync(file, "utf8")).toBe(before);
    expect(readdirSync(dir)).toEqual(["users.json"]);
  });
});
