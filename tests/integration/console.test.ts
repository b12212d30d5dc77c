// The console's API against a real hub: role separation both ways (refusals are audit events),
// and the scripted scenario — N messages BE → NL and M queries by DE — showing exactly N and M
// in the usage API and in the Prometheus exposition of /metrics.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuditEmitter } from "../../src/audit/mod.js";
import { tokenHash, UserStore } from "../../src/http/mod.js";
import { pb } from "../../src/proto/mod.js";
import type { LiaisonApp } from "../../src/http/mod.js";
import { buildConsoleApp } from "../../services/console/app.js";
import { quiet, startTestHub, until, type TestAccessPoint, type TestHub } from "../support/hub.js";

const N = 6;
const M = 5;
const SUP = { authorization: "Bearer sup-token" };
const OPS = { authorization: "Bearer ops-token" };

async function apPost(ap: TestAccessPoint, url: string, payload: unknown) {
  const res = await ap.app.inject({ method: "POST", url, headers: { authorization: `Bearer ${ap.token}` }, payload: payload as object });
  return { status: res.statusCode, body: res.json() as Record<string, unknown> };
}

describe("console API", () => {
  let hub: TestHub;
  let app: LiaisonApp;

  beforeAll(async () => {
    hub = await startTestHub({ cps: ["BE", "NL", "DE"] });
    await hub.startExchange();
    await hub.startRecords();
    await hub.startUsage();
    const nc = await hub.connectHub("console");
    const users = new UserStore({
      users: [
        { id: "sup-1", role: "supervisor", tokenSha256: tokenHash("sup-token"), expiresAt: new Date(Date.now() + 3_600_000).toISOString() },
        { id: "ops-1", role: "operations", tokenSha256: tokenHash("ops-token"), expiresAt: new Date(Date.now() + 3_600_000).toISOString() },
      ],
    });
    // Repeated refusals of one source are counted per window; a short one keeps the test quick.
    app = await buildConsoleApp({ nc, users, audit: new AuditEmitter(nc, "console"), log: quiet, http: { refusalLogWindow: 500 } });
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
    await hub?.stop();
  });

  it("keeps the roles apart: each token reaches only its own views, and every refusal is logged", async () => {
    expect((await app.inject({ method: "GET", url: "/v1/usage", headers: SUP })).statusCode).toBe(403);
    expect((await app.inject({ method: "GET", url: "/metrics", headers: SUP })).statusCode).toBe(403);
    expect((await app.inject({ method: "GET", url: "/v1/health", headers: SUP })).statusCode).toBe(403);
    const denied = await app.inject({ method: "GET", url: "/v1/audit/events", headers: OPS });
    expect(denied.statusCode).toBe(403);
    expect(denied.headers["content-type"]).toMatch(/application\/problem\+json/);
    expect((denied.json() as { code: string }).code).toBe("LIAISON_FORBIDDEN");
    expect((await app.inject({ method: "GET", url: "/v1/compliance", headers: OPS })).statusCode).toBe(403);
    expect((await app.inject({ method: "GET", url: "/v1/audit/verification", headers: OPS })).statusCode).toBe(403);
    expect((await app.inject({ method: "GET", url: "/v1/usage" })).statusCode).toBe(401);
    expect((await app.inject({ method: "GET", url: "/v1/usage", headers: { authorization: "Bearer nope" } })).statusCode).toBe(401);

    const session = await app.inject({ method: "GET", url: "/v1/session", headers: OPS });
    expect(session.json()).toEqual({ user: "ops-1", role: "operations", views: ["usage", "calendar", "dormant", "throughput", "health"] });

    await until(async () => {
      const refusals = (await hub.auditEvents()).filter((e) => e.action === pb.AuditAction.AUDIT_ACTION_REFUSAL && e.service === "console");
      return refusals.reduce((n, e) => n + Number(e.details?.count ?? 1), 0) >= 8;
    }, "the console's refusals in the audit log");
    const refusals = (await hub.auditEvents()).filter((e) => e.action === pb.AuditAction.AUDIT_ACTION_REFUSAL && e.service === "console");
    expect(refusals.filter((e) => e.reasonCode === "LIAISON_FORBIDDEN" && e.userId === "sup-1" && e.authority === "SUPERVISOR").map((e) => e.objectId)).toEqual(
      expect.arrayContaining(["GET /v1/usage", "GET /metrics", "GET /v1/health"]),
    );
    expect(refusals.filter((e) => e.reasonCode === "LIAISON_FORBIDDEN" && e.userId === "ops-1" && e.authority === "OPERATIONS").map((e) => e.objectId)).toEqual(
      expect.arrayContaining(["GET /v1/audit/events", "GET /v1/compliance", "GET /v1/audit/verification"]),
    );
    // The second refusal of the same source, route and reason is counted rather than logged again.
    const unauthenticated = refusals.filter((e) => e.reasonCode === "LIAISON_UNAUTHENTICATED");
    expect(unauthenticated.reduce((n, e) => n + Number(e.details?.count), 0)).toBe(2);
  });

  it("shows exactly N messages and M queries in the usage API and the metrics", async () => {
    const [be, nl, de] = await Promise.all([hub.startAp("BE"), hub.startAp("NL"), hub.startAp("DE")]);
    const ids: string[] = [];
    for (let i = 0; i < N; i++) {
      const r = await apPost(be, "/v1/messages", { kind: "request", to: ["NL"], legalBasis: "enquiries", subject: `s${i}`, body: `b${i}` });
      expect(r.status).toBe(202);
      ids.push(r.body.id as string);
    }
    for (let i = 0; i < M; i++) expect((await apPost(de, "/v1/records/query", { identifiers: [{ type: "person-name", value: `x ${i}` }], purpose: "risk analysis" })).status).toBe(200);
    await until(() => ids.every((id) => nl.mailbox.entries().some((e) => e.id === id)), "delivery to NL");

    type Month = { cp: string; messagesSent: number; messagesReceived: number; recordsQueried: number };
    const usage = async () => (await app.inject({ method: "GET", url: "/v1/usage", headers: OPS })).json() as { months: Month[]; activity: Array<{ cp: string; dormant: boolean }> };
    const total = (u: { months: Month[] }, cp: string, f: keyof Omit<Month, "cp">) => u.months.filter((m) => m.cp === cp).reduce((n, m) => n + m[f], 0);
    await until(async () => {
      const u = await usage();
      return total(u, "NL", "messagesReceived") === N && total(u, "DE", "recordsQueried") === M;
    }, "usage to show the scenario");
    const u = await usage();
    expect(total(u, "BE", "messagesSent")).toBe(N);
    expect(total(u, "DE", "recordsQueried")).toBe(M);
    expect(u.activity.map((a) => [a.cp, a.dormant])).toEqual([
      ["BE", false],
      ["NL", false],
      ["DE", false],
    ]);

    const metrics = await app.inject({ method: "GET", url: "/metrics", headers: OPS });
    expect(metrics.statusCode).toBe(200);
    expect(metrics.headers["content-type"]).toMatch(/text\/plain/);
    expect(metrics.body).toMatch(new RegExp(`liaison_usage_messages_sent\\{[^}]*cp="BE"[^}]*\\} ${N}\\n`));
    expect(metrics.body).toMatch(new RegExp(`liaison_usage_records_queried\\{[^}]*cp="DE"[^}]*\\} ${M}\\n`));
    expect(metrics.body).toMatch(/liaison_exchange_outcomes_total\{[^}]*outcome="routed"/);
    // Nothing of the content reaches the operations views.
    expect(JSON.stringify(u) + metrics.body).not.toMatch(/risk analysis|"b0"|x 0/);
  });

  it("streams live throughput as Server-Sent Events, and logs the operator's read", async () => {
    const url = await app.listen({ host: "127.0.0.1", port: 0 });
    const ac = new AbortController();
    const res = await fetch(`${url}/v1/throughput/stream`, { headers: OPS, signal: ac.signal });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/event-stream");
    const reader = res.body?.getReader();
    if (!reader) throw new Error("no body");
    let text = "";
    while (!/event: sample\ndata: .*\n\n/.test(text)) text += new TextDecoder().decode((await reader.read()).value);
    ac.abort();
    const sample = JSON.parse(/event: sample\ndata: (.*)\n\n/.exec(text)?.[1] ?? "{}") as Record<string, unknown>;
    expect(Object.keys(sample).sort()).toEqual(["at", "auditEvents", "messagesRouted", "queries", "receipts", "refusals"]);
    await until(async () => (await hub.auditEvents()).some((e) => e.service === "console" && e.action === pb.AuditAction.AUDIT_ACTION_READ && e.objectType === "throughput" && e.userId === "ops-1"), "the stream's read event");
  });

  it("reports the running services and names the missing ones", async () => {
    const h = (await app.inject({ method: "GET", url: "/v1/health", headers: OPS })).json() as { services: Array<{ name: string }>; missing: string[]; consumers: Array<{ name: string }> };
    expect(h.services.map((s) => s.name)).toEqual(expect.arrayContaining(["exchange", "records", "usage"]));
    expect(h.missing).toEqual(expect.arrayContaining(["audit", "retention", "files"]));
    expect(h.consumers.map((c) => c.name)).toContain("usage");
  });
});
