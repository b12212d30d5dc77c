// The HTTP edge of the access points and the console under abuse (issue #15): throttling per client
// and per token with refusals logged as a few counted audit events, header/body/idle timeouts and a
// connection cap on real sockets, security headers and no-store, expiring and revocable tokens kept
// only as hashes, and a /healthz that says up or down and nothing else.
import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuditEmitter } from "../../src/audit/mod.js";
import type { HttpLimits } from "../../src/config/mod.js";
import { tokenHash, UserStore, type LiaisonApp } from "../../src/http/mod.js";
import { pb } from "../../src/proto/mod.js";
import { prepareStackSecrets } from "../../src/stack/secrets.js";
import { buildConsoleApp } from "../../services/console/app.js";
import { quiet, startTestHub, until, type TestHub } from "../support/hub.js";

const ROOT = resolve(import.meta.dirname, "..", "..");
const run = promisify(execFile);
const HOUR = 3_600_000;

const refusalsOf = (events: pb.IAuditEvent[], service: string) => events.filter((e) => e.action === pb.AuditAction.AUDIT_ACTION_REFUSAL && e.service === service);

/** Opens a socket and resolves once it is connected; `closed` resolves with the time it closed. */
async function openSocket(port: number): Promise<{ socket: Socket; closed: Promise<number> }> {
  const socket = connect({ host: "127.0.0.1", port });
  socket.on("error", () => undefined);
  socket.on("data", () => undefined);
  const closed = new Promise<number>((r) => socket.once("close", () => r(Date.now())));
  await new Promise<void>((r, j) => {
    socket.once("connect", () => r());
    socket.once("error", j);
  });
  return { socket, closed };
}

const within = (p: Promise<number>, ms: number) => Promise.race([p, new Promise<undefined>((r) => setTimeout(() => r(undefined), ms))]);

describe("the HTTP edge under abuse", () => {
  let hub: TestHub;
  let dir: string;
  const apps: LiaisonApp[] = [];

  async function consoleApp(users: UserStore, http: Partial<HttpLimits> = {}) {
    const nc = await hub.connectHub("console");
    const app = await buildConsoleApp({ nc, users, audit: new AuditEmitter(nc, "console"), log: quiet, http });
    apps.push(app);
    return app;
  }

  const supervisors = (expiresAt = new Date(Date.now() + HOUR).toISOString()) => ({
    users: [
      { id: "sup-1", role: "supervisor" as const, tokenSha256: tokenHash("sup-token"), expiresAt },
      { id: "ops-1", role: "operations" as const, tokenSha256: tokenHash("ops-token"), expiresAt: new Date(Date.now() + HOUR).toISOString() },
    ],
  });

  beforeAll(async () => {
    hub = await startTestHub({ cps: ["BE", "NL"] });
    await hub.startExchange();
    dir = mkdtempSync(join(tmpdir(), "liaison-abuse-"));
  });
  afterAll(async () => {
    for (const a of apps) await a.close().catch(() => undefined);
    await hub?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("answers 3,000 bad-token requests mostly with 429 and Retry-After, and logs them as a handful of counted refusals", async () => {
    // The default limits; only the refusal log's window is shortened, so the test need not wait a minute.
    const ap = await hub.startAp("BE", { http: { refusalLogWindow: 1_000 } });
    const before = refusalsOf(await hub.auditEvents(), "BE").length;
    const statuses: number[] = [];
    let limited: { headers: Record<string, unknown>; body: { code?: string } } | undefined;
    for (let batch = 0; batch < 30; batch++) {
      const answers = await Promise.all(
        Array.from({ length: 100 }, (_, i) => ap.app.inject({ method: "GET", url: "/v1/messages", headers: { authorization: `Bearer lsn_bad${batch * 100 + i}` } })),
      );
      for (const a of answers) {
        statuses.push(a.statusCode);
        if (a.statusCode === 429 && !limited) limited = { headers: a.headers, body: a.json() as { code?: string } };
      }
    }
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(2_800);
    expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(200);
    expect(limited?.body.code).toBe("LIAISON_RATE_LIMITED");
    expect(limited?.headers["content-type"]).toMatch(/application\/problem\+json/);
    expect(Number(limited?.headers["retry-after"])).toBeGreaterThan(0);

    // Within a window or two every refusal is accounted for, in a few events that carry the count.
    const counted = (events: pb.IAuditEvent[]) => events.reduce((n, e) => n + Number(e.details?.count ?? 1), 0);
    await until(async () => counted(refusalsOf(await hub.auditEvents(), "BE").slice(before)) >= 3_000, "the refusals to be counted in the audit log", 10_000);
    await new Promise((r) => setTimeout(r, 1_500)); // nothing more arrives in the next window
    const events = refusalsOf(await hub.auditEvents(), "BE").slice(before);
    expect(events.length).toBeLessThanOrEqual(5);
    expect(counted(events)).toBe(3_000);
    expect(events.some((e) => Number(e.details?.count) > 1)).toBe(true);
    expect(new Set(events.map((e) => e.reasonCode))).toEqual(new Set(["LIAISON_UNAUTHENTICATED", "LIAISON_RATE_LIMITED"]));
    // No event carries a presented token.
    expect(JSON.stringify(events)).not.toMatch(/lsn_bad/);
    await ap.stop();
  });

  it("throttles one token apart from its client address", async () => {
    const ap = await hub.startAp("NL", { http: { rateLimitPerClient: 10_000, rateLimitPerToken: 20, refusalLimitPerClient: 10_000 } });
    const statuses: number[] = [];
    for (let i = 0; i < 30; i++) statuses.push((await ap.app.inject({ method: "GET", url: "/v1/messages?box=inbox", headers: { authorization: `Bearer ${ap.token}` } })).statusCode);
    expect(statuses.slice(0, 20).every((s) => s === 200)).toBe(true);
    expect(statuses.slice(20).every((s) => s === 429)).toBe(true);
    // The same address without that token is not throttled by it.
    expect((await ap.app.inject({ method: "GET", url: "/v1/messages" })).statusCode).toBe(401);
    await ap.stop();
  });

  it("closes a half-sent header and a stalled body within the configured timeouts", async () => {
    const app = await consoleApp(new UserStore(supervisors()), { headersTimeout: 500, requestTimeout: 1_000, idleTimeout: 1_000, keepAliveTimeout: 500 });
    await app.listen({ host: "127.0.0.1", port: 0 });
    const port = (app.server.address() as { port: number }).port;

    const half = await openSocket(port);
    const t0 = Date.now();
    half.socket.write("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ");
    const slowBody = await openSocket(port);
    slowBody.socket.write("POST /v1/session HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"a\":");
    // Trickle a byte now and then, so an idle timeout alone would not end it.
    const trickle = setInterval(() => slowBody.socket.write(" "), 200);
    try {
      const [h, b] = await Promise.all([within(half.closed, 5_000), within(slowBody.closed, 5_000)]);
      expect(h, "the half-header connection is still open after 5 s").toBeDefined();
      expect(b, "the slow-body connection is still open after 5 s").toBeDefined();
      expect((h ?? Infinity) - t0).toBeLessThan(3_000);
      expect((b ?? Infinity) - t0).toBeLessThan(3_000);
    } finally {
      clearInterval(trickle);
      half.socket.destroy();
      slowBody.socket.destroy();
    }
  });

  it("refuses connections beyond the cap", async () => {
    const app = await consoleApp(new UserStore(supervisors()), { maxConnections: 3, headersTimeout: 20_000, requestTimeout: 30_000, idleTimeout: 30_000 });
    await app.listen({ host: "127.0.0.1", port: 0 });
    const port = (app.server.address() as { port: number }).port;
    const held = await Promise.all([0, 1, 2].map(() => openSocket(port)));
    for (const h of held) h.socket.write("GET /healthz HTTP/1.1\r\nHost: x\r\n");
    await new Promise((r) => setTimeout(r, 200));
    try {
      const extra = await openSocket(port);
      extra.socket.write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
      expect(await within(extra.closed, 2_000), "the connection beyond the cap was not refused").toBeDefined();
      for (const h of held) expect(await within(h.closed, 50)).toBeUndefined();
    } finally {
      for (const h of held) h.socket.destroy();
    }
    // Once the held ones are gone, a new connection is served again.
    await new Promise((r) => setTimeout(r, 200));
    const res = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(res.status).toBe(200);
  });

  it("sends security headers everywhere and no-store on every API answer", async () => {
    const ap = await hub.startAp("BE");
    const read = await ap.app.inject({ method: "GET", url: "/v1/messages?box=inbox", headers: { authorization: `Bearer ${ap.token}` } });
    const refused = await ap.app.inject({ method: "GET", url: "/v1/messages" });
    const app = await consoleApp(new UserStore(supervisors()));
    const page = await app.inject({ method: "GET", url: "/" });
    expect(read.statusCode).toBe(200);
    expect(refused.statusCode).toBe(401);
    expect(page.statusCode).toBe(200);
    for (const r of [read, refused, page]) {
      const csp = String(r.headers["content-security-policy"] ?? "");
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain("unsafe-inline");
      expect(r.headers["x-frame-options"]).toBe("DENY");
      expect(r.headers["x-content-type-options"]).toBe("nosniff");
      expect(r.headers["referrer-policy"]).toBe("no-referrer");
    }
    expect(read.headers["cache-control"]).toBe("no-store");
    expect(refused.headers["cache-control"]).toBe("no-store");
    const session = await app.inject({ method: "GET", url: "/v1/session", headers: { authorization: "Bearer sup-token" } });
    expect(session.headers["cache-control"]).toBe("no-store");
    await ap.stop();
  });

  it("says only up or down on the unauthenticated /healthz", async () => {
    const ap = await hub.startAp("NL");
    const res = await ap.app.inject({ method: "GET", url: "/healthz" });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: "up" });
    const app = await consoleApp(new UserStore(supervisors()));
    const c = await app.inject({ method: "GET", url: "/healthz" });
    expect(c.json()).toEqual({ status: "up" });
    await ap.nc.close();
    const down = await ap.app.inject({ method: "GET", url: "/healthz" });
    expect(down.statusCode).toBe(503);
    expect(down.json()).toEqual({ status: "down" });
    await ap.stop();
  });

  it("refuses an expired token with LIAISON_TOKEN_EXPIRED", async () => {
    const app = await consoleApp(new UserStore(supervisors(new Date(Date.now() - 1_000).toISOString())));
    const res = await app.inject({ method: "GET", url: "/v1/session", headers: { authorization: "Bearer sup-token" } });
    expect(res.statusCode).toBe(401);
    expect((res.json() as { code: string }).code).toBe("LIAISON_TOKEN_EXPIRED");
    expect((await app.inject({ method: "GET", url: "/v1/session", headers: { authorization: "Bearer ops-token" } })).statusCode).toBe(200);
  });

  it("stops accepting a token revoked with `liaison tokens revoke` within seconds, without a restart, and logs it", async () => {
    const usersFile = join(dir, "console-users.json");
    writeFileSync(usersFile, JSON.stringify(supervisors()), { mode: 0o600 });
    const users = UserStore.watch(usersFile, { intervalMs: 200, log: quiet });
    const app = await consoleApp(users);
    const ask = () => app.inject({ method: "GET", url: "/v1/session", headers: { authorization: "Bearer sup-token" } });
    expect((await ask()).statusCode).toBe(200);
    await run(process.execPath, ["--import", "tsx", "src/cli/main.ts", "tokens", "revoke", "sup-1", "--users-file", usersFile], { cwd: ROOT });
    const revokedAt = Date.now();
    await until(async () => (await ask()).statusCode === 401, "the revoked token to be refused", 5_000);
    expect(Date.now() - revokedAt).toBeLessThan(5_000);
    expect(((await ask()).json() as { code: string }).code).toBe("LIAISON_TOKEN_REVOKED");
    expect((await app.inject({ method: "GET", url: "/v1/session", headers: { authorization: "Bearer ops-token" } })).statusCode).toBe(200);
    await until(
      async () => (await hub.auditEvents()).some((e) => e.action === pb.AuditAction.AUDIT_ACTION_CONFIG_CHANGE && e.objectType === "token" && e.objectId === "sup-1" && e.details?.change === "revoked"),
      "the revocation in the audit log",
    );
    users.close();
  });

  it("keeps no token in clear at rest: the stack's files hold only SHA-256 hashes with an expiry", () => {
    const home = join(dir, "stack-home");
    const t0 = Date.now();
    const s = prepareStackSecrets(home, ["BE"]);
    const tokens = [s.contactPoints[0]?.operatorToken ?? "", s.contactPoints[0]?.adminToken ?? "", s.console.supervisorToken, s.console.operationsToken];
    expect(tokens.every((t) => t.startsWith("lsn_"))).toBe(true);
    const files: string[] = [];
    const walk = (d: string) => {
      for (const n of readdirSync(d)) {
        const p = join(d, n);
        if (statSync(p).isDirectory()) walk(p);
        else files.push(p);
      }
    };
    walk(home);
    for (const f of files) {
      const text = readFileSync(f, "latin1");
      for (const t of tokens) expect(text.includes(t), `${f} holds a token in clear`).toBe(false);
    }
    const users = JSON.parse(readFileSync(s.contactPoints[0]?.usersFile ?? "", "utf8")) as { users: Array<{ tokenSha256: string; expiresAt: string }> };
    expect(users.users[0]?.tokenSha256).toBe(tokenHash(tokens[0] ?? ""));
    const expires = Date.parse(users.users[0]?.expiresAt ?? "");
    expect(expires).toBeGreaterThanOrEqual(t0 + 12 * HOUR);
    expect(expires).toBeLessThanOrEqual(Date.now() + 12 * HOUR);
  });
});
