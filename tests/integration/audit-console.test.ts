// The console's /v1/audit routes against a real audit service: supervisors search the log, see who
// accessed a record and what a user accessed, fetch heads, proofs and the key, and export a range
// that `liaison audit verify` accepts offline (and rejects once tampered with). Operations staff
// are refused, and every supervisor read is itself logged.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import type { NatsConnection } from "@nats-io/nats-core";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuditAction, AuditClient, AuditEmitter, scanExport, verifyExport } from "../../src/audit/mod.js";
import { Ed25519Signer, fromB64u, generateSigningKey } from "../../src/crypto/mod.js";
import { UserStore, createHttpApp, installAuditHook, installAuth, tokenHash } from "../../src/http/mod.js";
import { createLogger } from "../../src/log/mod.js";
import { leafHash, rootFromInclusion, verifyConsistency } from "../../src/merkle/mod.js";
import { provision } from "../../src/nats/mod.js";
import { pb } from "../../src/proto/mod.js";
import { startAuditService, type RunningAuditService } from "../../services/audit/service.js";
import { auditRoutes } from "../../services/console/routes/audit.js";
import { startTestNats, type TestNats } from "../support/nats.js";

const ROOT = resolve(import.meta.dirname, "..", "..");
const run = promisify(execFile);
const log = createLogger("audit-console-test", "silent");
const signer = new Ed25519Signer(generateSigningKey("AUDIT"));
const SUPERVISOR = { authorization: "Bearer sup-token" };
const OPERATIONS = { authorization: "Bearer ops-token" };

describe("console audit routes", () => {
  let nats: TestNats;
  let nc: NatsConnection;
  let svc: RunningAuditService;
  let app: FastifyInstance;
  let dir: string;

  beforeAll(async () => {
    nats = await startTestNats({ own: true });
    nc = await nats.connect("audit-console-test");
    await provision(nc);
    svc = await startAuditService({ nc, signer, log, headIntervalMs: 200, dedupeWindow: 10_000, maxStepEvents: 1_000, takeoverAfterMs: 1_000 });

    const records = new AuditEmitter(nc, "records");
    await Promise.all(
      Array.from({ length: 120 }, (_, i) =>
        records.emit({
          action: i % 4 === 0 ? AuditAction.AUDIT_ACTION_QUERY : AuditAction.AUDIT_ACTION_READ,
          authority: i % 2 ? "BE" : "NL",
          userId: `officer-${i % 6}`,
          objectType: "record",
          objectId: `rec-${i % 10}`,
          atMs: Date.UTC(2025, 0, 1) + i * 60_000,
          purpose: "risk analysis",
        }),
      ),
    );
    await records.flush();
    await svc.engine.waitForSize(120);

    const consoleAudit = new AuditEmitter(nc, "console");
    app = await createHttpApp({ title: "console (test)", description: "audit routes under test", log });
    installAuth(
      app,
      new UserStore({
        users: [
          { id: "sup-1", role: "supervisor", tokenSha256: tokenHash("sup-token"), expiresAt: new Date(Date.now() + 3_600_000).toISOString() },
          { id: "ops-1", role: "operations", tokenSha256: tokenHash("ops-token"), expiresAt: new Date(Date.now() + 3_600_000).toISOString() },
        ],
      }),
      { onRefused: async () => undefined, onLogin: async () => undefined },
    );
    installAuditHook(app, { emitter: consoleAudit, authority: () => "SUPERVISOR" });
    await app.register(async (scope) => auditRoutes(scope, { nc, audit: consoleAudit }));
    await app.ready();
    dir = mkdtempSync(join(tmpdir(), "liaison-audit-cli-"));
  });
  afterAll(async () => {
    await app?.close();
    await svc?.close();
    await nats?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const ROUTES = [
    "/v1/audit/events",
    "/v1/audit/access/record/rec-1",
    "/v1/audit/users/officer-1",
    "/v1/audit/export",
    "/v1/audit/head",
    "/v1/audit/key",
    "/v1/audit/proofs/inclusion?index=0",
    "/v1/audit/proofs/consistency?first=1",
  ];

  it("refuses operations staff (403) and requests without a token (401) on every audit route", async () => {
    for (const url of ROUTES) {
      const ops = await app.inject({ url, headers: OPERATIONS });
      expect(ops.statusCode, url).toBe(403);
      expect(ops.headers["content-type"]).toMatch(/application\/problem\+json/);
      expect((await app.inject({ url })).statusCode, url).toBe(401);
    }
    expect((await app.inject({ method: "POST", url: "/v1/audit/head", headers: OPERATIONS })).statusCode).toBe(403);
  });

  it("searches events by authority, action and time range, page by page", async () => {
    const from = new Date(Date.UTC(2025, 0, 1) + 10 * 60_000).toISOString();
    const to = new Date(Date.UTC(2025, 0, 1) + 90 * 60_000).toISOString();
    const res = await app.inject({ url: `/v1/audit/events?authority=NL&action=read&from=${from}&to=${to}&limit=10`, headers: SUPERVISOR });
    expect(res.statusCode).toBe(200);
    const page = res.json();
    expect(page.events).toHaveLength(10);
    for (const e of page.events) {
      expect(e.authority).toBe("NL");
      expect(e.action).toBe("read");
      expect(e.at >= from && e.at < to).toBe(true);
    }
    const next = (await app.inject({ url: `/v1/audit/events?authority=NL&action=read&from=${from}&to=${to}&limit=10&cursor=${page.nextCursor}`, headers: SUPERVISOR })).json();
    expect(next.events[0].index).toBeGreaterThan(page.events.at(-1).index);
    // NL reads between minute 10 and 90: even minutes not divisible by 4.
    const all = (await app.inject({ url: `/v1/audit/events?authority=NL&action=read&from=${from}&to=${to}&limit=1000`, headers: SUPERVISOR })).json();
    expect(all.events).toHaveLength(Array.from({ length: 80 }, (_, k) => k + 10).filter((i) => i % 2 === 0 && i % 4 !== 0).length);
    expect((await app.inject({ url: "/v1/audit/events?action=nonsense", headers: SUPERVISOR })).statusCode).toBe(400);
  });

  it("says who accessed a record and what a user accessed", async () => {
    const access = (await app.inject({ url: "/v1/audit/access/record/rec-3?limit=1000", headers: SUPERVISOR })).json();
    expect(access.events).toHaveLength(12);
    expect(access.events.every((e: { objectId: string }) => e.objectId === "rec-3")).toBe(true);
    // rec-3 is events 3, 13, 23, ...: officers 3, 1 and 5 in turn.
    expect(access.accessors.map((a: { userId: string }) => a.userId).sort()).toEqual(["officer-1", "officer-3", "officer-5"]);
    expect(access.accessors.map((a: { count: number }) => a.count)).toEqual([4, 4, 4]);

    const user = (await app.inject({ url: "/v1/audit/users/officer-2?limit=1000", headers: SUPERVISOR })).json();
    expect(user.events).toHaveLength(20);
    expect(user.objects.map((o: { objectId: string }) => o.objectId).sort()).toEqual(["rec-2", "rec-4", "rec-6", "rec-8", "rec-0"].sort());
  });

  it("serves heads, the key and proofs that verify against the signed head", async () => {
    const key = (await app.inject({ url: "/v1/audit/key", headers: SUPERVISOR })).json();
    expect(fromB64u(key.publicKey)).toEqual(signer.publicKey);
    const signed = (await app.inject({ method: "POST", url: "/v1/audit/head", headers: SUPERVISOR })).json();
    expect(signed.head.treeSize).toBeGreaterThanOrEqual(120);
    const size = signed.head.treeSize;

    const inc = (await app.inject({ url: `/v1/audit/proofs/inclusion?index=5&size=${size}`, headers: SUPERVISOR })).json();
    const ev = (await new AuditClient(nc).query({ afterSet: true, afterIndex: 4, limit: 1 })).records[0]?.event as pb.AuditEvent;
    const root = rootFromInclusion(leafHash(pb.AuditEvent.encode(ev).finish()), 5, size, inc.auditPath.map(fromB64u));
    expect(Buffer.from(root).equals(Buffer.from(fromB64u(inc.head.rootHash)))).toBe(true);

    const con = (await app.inject({ url: `/v1/audit/proofs/consistency?first=100&second=${size}`, headers: SUPERVISOR })).json();
    const at100 = (await app.inject({ url: `/v1/audit/proofs/inclusion?index=0&size=100`, headers: SUPERVISOR })).json().head;
    expect(verifyConsistency(100, size, fromB64u(at100.rootHash), fromB64u(con.head.rootHash), con.path.map(fromB64u))).toBe(true);
  });

  it("exports JSON Lines that verify offline, and logs the supervisor's own reads", async () => {
    const res = await app.inject({ url: "/v1/audit/export?from=10&to=110", headers: SUPERVISOR });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toMatch(/application\/x-ndjson/);
    const r = verifyExport(scanExport(new TextEncoder().encode(res.body)), { publicKey: signer.publicKey });
    expect(r.faults).toEqual([]);
    expect(r.leaves).toBe(100);

    const bad = await app.inject({ url: "/v1/audit/export?from=50&to=10", headers: SUPERVISOR });
    expect(bad.statusCode).toBe(400);

    await new Promise((r) => setTimeout(r, 300));
    const own = await new AuditClient(nc).query({ authority: "SUPERVISOR", userId: "sup-1", actions: [AuditAction.AUDIT_ACTION_EXPORT] });
    expect(own.records.length).toBeGreaterThanOrEqual(1);
    expect(own.records[0]?.event?.objectType).toBe("audit-log");
  });

  it("lets `liaison audit` fetch an export and head and verify them offline, failing on a tampered line", async () => {
    await app.listen({ port: 0, host: "127.0.0.1" });
    const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    const env = { ...process.env, LIAISON_URL: url, LIAISON_TOKEN: "sup-token", LIAISON_HOME: dir };
    const cli = (...args: string[]) => run(process.execPath, ["--import", "tsx", "src/cli/main.ts", "audit", ...args], { cwd: ROOT, env });
    const [file, head, key] = [join(dir, "export.jsonl"), join(dir, "head.json"), join(dir, "key.json")];
    await Promise.all([cli("head", "--out", head), cli("key", "--out", key)]);
    await cli("export", "--out", file, "--trusted-head", head);

    const tampered = join(dir, "tampered.jsonl");
    const lines = readFileSync(file, "utf8").split("\n");
    const at = lines.findIndex((l) => l.startsWith('{"i":42,'));
    lines.splice(at, 1);
    writeFileSync(tampered, lines.join("\n"));

    const [ok, failed] = await Promise.all([
      cli("verify", file, "--key", key, "--trusted-head", head),
      cli("verify", tampered, "--key", key).then(
        () => undefined,
        (err: { code: number; stderr: string }) => err,
      ),
    ]);
    expect(ok.stdout).toMatch(/^verified:/);
    expect(ok.stdout).toMatch(/consistent with the trusted head/);
    expect(failed?.code).toBe(1);
    expect(failed?.stderr).toMatch(/first bad index 42: deleted/);
  });
});
