// `liaison users add|list|disable` and `liaison tokens issue`, run as an administrator runs them on
// an access point's users file: the token printed once, the listing without tokens, a disabled
// user refused, a second token working beside the first.
import { spawn, spawnSync } from "node:child_process";
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, utimesSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addUser, readUsersFile, UserStore, writeUsersFile } from "../../src/http/mod.js";

const ROOT = join(import.meta.dirname, "..", "..");

describe("liaison users and liaison tokens issue", () => {
  let home: string;
  const run = (args: string[]) => {
    const r = spawnSync(process.execPath, ["--import", "tsx", join(ROOT, "src/cli/main.ts"), ...args], { cwd: ROOT, env: { ...process.env, LIAISON_HOME: home }, encoding: "utf8", timeout: 60_000 });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const file = () => join(home, "ap", "BE", "users.json");

  beforeAll(() => {
    home = mkdtempSync(join(tmpdir(), "liaison-users-cli-"));
  });
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  it("adds a user with an expiring token printed once, issues a second, lists without tokens, and disables", () => {
    const added = run(["users", "add", "be-reader", "--cp", "BE", "--role", "reader", "--valid-for", "7d", "--json"]);
    expect(added.code, added.stderr).toBe(0);
    const first = JSON.parse(added.stdout) as { token: string; expiresAt: string; role: string };
    expect(first.role).toBe("reader");
    expect(Date.parse(first.expiresAt) - Date.now()).toBeGreaterThan(6.9 * 86_400_000);
    expect(Date.parse(first.expiresAt) - Date.now()).toBeLessThanOrEqual(7 * 86_400_000);
    expect(readFileSync(file(), "utf8")).not.toContain(first.token);
    expect(UserStore.load(file()).check(first.token)).toMatchObject({ ok: true, user: { id: "be-reader", role: "reader", cp: "BE" } });

    const wrongRole = run(["users", "add", "be-sup", "--cp", "BE", "--role", "supervisor"]);
    expect(wrongRole.code).toBe(1);
    expect(wrongRole.stderr).toContain("LIAISON_VALIDATION");

    const issued = run(["tokens", "issue", "be-reader", "--cp", "BE"]);
    expect(issued.code, issued.stderr).toBe(0);
    const second = issued.stdout.trim().split("\n").at(-1) ?? "";
    expect(second).toMatch(/^lsn_/);
    const users = UserStore.load(file());
    for (const t of [first.token, second]) expect(users.check(t)).toMatchObject({ ok: true, user: { id: "be-reader" } });

    const listed = run(["users", "list", "--cp", "BE"]);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toMatch(/be-reader\s+reader\s+active\s+\S+\s+2/);
    for (const t of [first.token, second]) expect(listed.stdout).not.toContain(t);
    expect(listed.stdout).not.toMatch(/[0-9a-f]{64}/);

    const disabled = run(["users", "disable", "be-reader", "--cp", "BE"]);
    expect(disabled.code, disabled.stderr).toBe(0);
    const after = UserStore.load(file());
    for (const t of [first.token, second]) expect(after.check(t)).toMatchObject({ ok: false, code: "LIAISON_USER_DISABLED" });
    const refused = run(["tokens", "issue", "be-reader", "--cp", "BE"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("LIAISON_CONFLICT");
    const json = JSON.parse(run(["users", "list", "--cp", "BE", "--json"]).stdout) as { users: Array<{ id: string; state: string }> };
    expect(json.users).toEqual([expect.objectContaining({ id: "be-reader", state: "disabled" })]);
  });
  it("loses neither of two changes made at once to the users file: the CLI waits for the other writer's lock", async () => {
    addUser(file(), { id: "be-lock", role: "reader", cp: "BE" });
    // Another writer (a running access point's HTTP change) holds the lock mid-change.
    const lock = `${file()}.lock`;
    closeSync(openSync(lock, "wx", 0o600));
    const snapshot = readUsersFile(file());
    const cli = spawn(process.execPath, ["--import", "tsx", join(ROOT, "src/cli/main.ts"), "users", "disable", "be-lock", "--cp", "BE"], { cwd: ROOT, env: { ...process.env, LIAISON_HOME: home }, stdio: "pipe" });
    let stderr = "";
    cli.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => cli.on("exit", (code) => resolve(code)));
    // The other writer finishes its change from what it read (without the lock the CLI would have
    // read, disabled and renamed meanwhile, and this write would undo it), then releases the lock.
    await Promise.race([exited, new Promise((r) => setTimeout(r, 2_500))]);
    writeUsersFile(file(), { users: [...snapshot.users, { id: "be-other", role: "dpo", cp: "BE", tokenSha256: "ab".repeat(32), expiresAt: new Date(Date.now() + 86_400_000).toISOString() }] });
    rmSync(lock);
    expect(await exited, stderr).toBe(0);
    const after = readUsersFile(file()).users;
    expect(after.some((u) => u.id === "be-other")).toBe(true);
    expect(after.filter((u) => u.id === "be-lock").every((u) => u.disabledAt)).toBe(true);
    expect(existsSync(lock)).toBe(false);
  });

  it("takes over a lock left by a writer that died", () => {
    const lock = `${file()}.lock`;
    closeSync(openSync(lock, "wx", 0o600));
    const old = new Date(Date.now() - 60_000);
    utimesSync(lock, old, old);
    const added = run(["users", "add", "be-after-crash", "--cp", "BE", "--role", "dpo", "--json"]);
    expect(added.code, added.stderr).toBe(0);
    expect(readUsersFile(file()).users.some((u) => u.id === "be-after-crash")).toBe(true);
    expect(existsSync(lock)).toBe(false);
  });
});
