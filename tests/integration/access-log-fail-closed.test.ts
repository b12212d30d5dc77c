// "Every access is logged before it is answered; when the log cannot be written, the answer is an
// error" (docs/architecture.md, "The access log"): against a real hub whose AUDIT stream stops taking writes (sealed by the
// operator: JetStream refuses every publish to it), the access point and the console answer 503
// with LIAISON_AUDIT_UNAVAILABLE and none of the data they would have given.
import { jetstreamManager } from "@nats-io/jetstream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuditEmitter } from "../../src/audit/mod.js";
import { tokenHash, UserStore, type LiaisonApp } from "../../src/http/mod.js";
import { buildConsoleApp } from "../../services/console/app.js";
import { quiet, startTestHub, until, type TestAccessPoint, type TestHub } from "../support/hub.js";

const SUP = { authorization: "Bearer sup-token" };

describe("the access log fails closed", () => {
  let hub: TestHub;
  let be: TestAccessPoint;
  let nl: TestAccessPoint;
  let console: LiaisonApp;
  let id: string;

  beforeAll(async () => {
    hub = await startTestHub({ cps: ["BE", "NL"] });
    await hub.startExchange();
    await hub.startAudit();
    [be, nl] = await Promise.all([hub.startAp("BE"), hub.startAp("NL")]);
    const nc = await hub.connectHub("console");
    console = await buildConsoleApp({ nc, users: new UserStore({ users: [{ id: "sup-1", role: "supervisor", tokenSha256: tokenHash("sup-token"), expiresAt: new Date(Date.now() + 3_600_000).toISOString() }] }), audit: new AuditEmitter(nc, "console"), log: quiet });
    await console.ready();

    const sent = await be.app.inject({
      method: "POST",
      url: "/v1/messages",
      headers: { authorization: `Bearer ${be.token}` },
      payload: { kind: "request", to: ["NL"], legalBasis: "enquiries", subject: "Secret subject 7731", body: "Secret body 7731" },
    });
    expect(sent.statusCode).toBe(202);
    id = (sent.json() as { id: string }).id;
    await until(() => nl.mailbox.has(id), "delivery to NL");
    // Both users log in while the log still works (a login is an audit event of its own).
    expect((await nl.app.inject({ method: "GET", url: "/v1/messages", headers: { authorization: `Bearer ${nl.token}` } })).statusCode).toBe(200);
    expect((await console.inject({ method: "GET", url: "/v1/audit/key", headers: SUP })).statusCode).toBe(200);

    // The operator seals the AUDIT stream: from now on JetStream refuses every event.
    const jsm = await jetstreamManager(hub.admin);
    const info = await jsm.streams.info("AUDIT");
    const sealed = { ...info.config, sealed: true };
    await jsm.streams.update("AUDIT", sealed);
  });
  afterAll(async () => {
    await console?.close();
    await hub?.stop();
  });

  it("does not hand out a decrypted message whose read cannot be logged", async () => {
    const res = await nl.app.inject({ method: "GET", url: `/v1/messages/${id}`, headers: { authorization: `Bearer ${nl.token}` } });
    expect(res.statusCode).toBe(503);
    expect(res.headers["content-type"]).toMatch(/^application\/problem\+json/);
    expect(res.json()).toMatchObject({ status: 503, code: "LIAISON_AUDIT_UNAVAILABLE" });
    expect(res.body).not.toContain("7731");
  });

  it("answers no list and no thread either", async () => {
    const auth = { authorization: `Bearer ${nl.token}` };
    const list = await nl.app.inject({ method: "GET", url: "/v1/messages", headers: auth });
    expect(list.statusCode).toBe(503);
    expect(list.json()).toMatchObject({ code: "LIAISON_AUDIT_UNAVAILABLE" });
    expect(list.body).not.toContain(id);
    const caseRef = nl.mailbox.get(id).header.caseRef;
    const thread = await nl.app.inject({ method: "GET", url: `/v1/cases/${caseRef}`, headers: auth });
    expect(thread.statusCode).toBe(503);
    expect(thread.body).not.toContain("7731");
  });

  it("withholds the answer to a change it cannot log, and says the change may stand", async () => {
    const res = await nl.app.inject({
      method: "POST",
      url: "/v1/messages",
      headers: { authorization: `Bearer ${nl.token}` },
      payload: { kind: "request", to: ["BE"], legalBasis: "enquiries", subject: "While the log is down", body: "x" },
    });
    expect(res.statusCode).toBe(503);
    const problem = res.json() as { code: string; detail: string };
    expect(problem.code).toBe("LIAISON_AUDIT_UNAVAILABLE");
    expect(problem.detail).toMatch(/may have been made/);
    expect(res.body).not.toMatch(/"id"/);
  });

  it("has the console refuse its views too", async () => {
    const res = await console.inject({ method: "GET", url: "/v1/audit/key", headers: SUP });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ code: "LIAISON_AUDIT_UNAVAILABLE" });
    expect(res.body).not.toContain("publicKey");
  });
});
