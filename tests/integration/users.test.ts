// User management at an access point (#17, "Keys and users"): its administrator adds, lists and
// disables users and issues them tokens; each role sees what src/domain/roles.ts gives it and no
// more; a users file that cannot be read refuses every token; and every audit event of an action a
// user started names that user, at the access point and at the hub.
import { readFileSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addUser, readUsersFile, tokenRef, UserStore } from "../../src/http/mod.js";
import { pb } from "../../src/proto/mod.js";
import { quiet, startTestHub, until, type TestAccessPoint, type TestHub } from "../support/hub.js";

type Json = Record<string, unknown>;
type Method = "GET" | "POST" | "DELETE";

const record = (name: string) => ({
  category: "person",
  purpose: "specific-check",
  suggestedAction: "check luggage",
  identifiers: [{ type: "person-name", value: name, dateOfBirth: "1971-04-02" }],
  freeText: "Secret record text 5512",
  handling: { codes: ["H2"] },
});

describe("users at an access point", () => {
  let hub: TestHub;
  let be: TestAccessPoint;
  let nl: TestAccessPoint;
  let nlUsers: UserStore;
  let beUsers: UserStore;
  let beFile: string;
  let adminToken: string;
  const tokens: Record<string, string> = {};

  const call = async (ap: TestAccessPoint, token: string, method: Method, url: string, payload?: unknown) => {
    const res = await ap.app.inject({ method, url, headers: { authorization: `Bearer ${token}` }, ...(payload !== undefined ? { payload: payload as object } : {}) });
    return { status: res.statusCode, body: res.json() as Json, text: res.body };
  };
  const admin = (method: Method, url: string, payload?: unknown) => call(be, adminToken, method, url, payload);

  beforeAll(async () => {
    hub = await startTestHub({ cps: ["BE", "NL"] });
    await hub.startExchange();
    await hub.startRecords();
    const nlSecrets = hub.secrets.contactPoints.find((c) => c.cp === "NL");
    nlUsers = UserStore.watch(nlSecrets?.usersFile ?? "", { intervalMs: 100, log: quiet });
    beFile = hub.secrets.contactPoints.find((c) => c.cp === "BE")?.usersFile ?? "";
    beUsers = UserStore.load(beFile);
    [be, nl] = await Promise.all([hub.startAp("BE", { users: beUsers }), hub.startAp("NL", { users: nlUsers })]);
    adminToken = hub.secrets.contactPoints.find((c) => c.cp === "BE")?.adminToken ?? "";
    // The administrator adds a user without content over HTTP; operators and readers are added on
    // the access point's host, as `liaison users add` does.
    const added = await admin("POST", "/v1/users", { id: "be-dpo", role: "dpo", validFor: "7d" });
    expect(added.status, added.text).toBe(201);
    expect(added.body).toMatchObject({ id: "be-dpo", role: "dpo" });
    expect(Date.parse(added.body.expiresAt as string) - Date.now()).toBeGreaterThan(6 * 86_400_000);
    tokens["be-dpo"] = added.body.token as string;
    for (const [id, role] of [
      ["be-reader", "reader"],
      ["be-op2", "operator"],
    ] as const) {
      tokens[id] = addUser(beFile, { id, role, cp: "BE", validForMs: 7 * 86_400_000 }).token;
    }
    expect(beUsers.reload()).toBe(true);
  });
  afterAll(async () => {
    nlUsers?.close();
    await hub?.stop();
  });

  it("lets each role do what the rules give it and refuses the rest with 403", async () => {
    const sent = await call(be, be.token, "POST", "/v1/messages", { kind: "request", to: ["NL"], legalBasis: "enquiries", subject: "Secret subject 5512", body: "Secret body 5512" });
    expect(sent.status).toBe(202);
    const id = sent.body.id as string;
    const rec = await call(be, be.token, "POST", "/v1/records", record("PEETERS, Jan"));
    expect(rec.status).toBe(201);
    const recordId = rec.body.id as string;

    const reader = tokens["be-reader"] ?? "";
    expect((await call(be, reader, "GET", "/v1/messages?box=sent")).status).toBe(200);
    const read = await call(be, reader, "GET", `/v1/messages/${id}`);
    expect(read.status).toBe(200);
    expect(read.text).toContain("5512");
    expect((await call(be, reader, "GET", `/v1/records/${recordId}`)).status).toBe(200);
    for (const [method, url, body] of [
      ["POST", "/v1/messages", { kind: "request", to: ["NL"], legalBasis: "enquiries", subject: "s", body: "b" }],
      ["POST", `/v1/messages/${id}/reply`, { body: "b" }],
      ["POST", "/v1/records", record("JANSSENS, Piet")],
      ["POST", "/v1/records/query", { identifiers: [{ type: "person-name", value: "Jan Peeters" }], purpose: "border check" }],
      ["DELETE", `/v1/records/${recordId}`, undefined],
      ["GET", "/v1/users", undefined],
    ] as const) {
      const res = await call(be, reader, method, url, body);
      expect(res.status, `reader ${method} ${url}`).toBe(403);
      expect(res.body.code).toBe("LIAISON_FORBIDDEN");
    }

    // Neither the data-protection officer nor the administrator reads content.
    for (const who of [tokens["be-dpo"] ?? "", adminToken]) {
      for (const url of ["/v1/messages?box=sent", `/v1/messages/${id}`, `/v1/records/${recordId}`, `/v1/cases/${sent.body.caseRef as string}`]) {
        const res = await call(be, who, "GET", url);
        expect(res.status, url).toBe(403);
        expect(res.text).not.toContain("5512");
      }
      expect((await call(be, who, "POST", "/v1/records/query", { identifiers: [{ type: "person-name", value: "Jan Peeters" }], purpose: "p" })).status).toBe(403);
    }
    const listed = await call(be, tokens["be-dpo"] ?? "", "GET", "/v1/users");
    expect(listed.status).toBe(200);
    expect((await call(be, tokens["be-dpo"] ?? "", "POST", "/v1/users", { id: "x", role: "operator" })).status).toBe(403);
    expect((await call(be, tokens["be-dpo"] ?? "", "POST", "/v1/users/be-reader/disable")).status).toBe(403);
    expect((await call(be, be.token, "GET", "/v1/users")).status).toBe(403);

    // The listing: id, role, state, expiry; never a token or its hash.
    const users = listed.body.users as Json[];
    expect(users.map((u) => [u.id, u.role, u.state])).toEqual(
      expect.arrayContaining([
        ["be-operator", "operator", "active"],
        ["be-admin", "admin", "active"],
        ["be-reader", "reader", "active"],
        ["be-dpo", "dpo", "active"],
      ]),
    );
    for (const t of [...Object.values(tokens), adminToken, be.token]) expect(listed.text).not.toContain(t);
    expect(listed.text).not.toMatch(/[0-9a-f]{64}/);
  });

  it("issues a new token and disables a user at once, each change an audit event naming the administrator", async () => {
    const issued = await admin("POST", "/v1/users/be-dpo/tokens", { validFor: "1d" });
    expect(issued.status).toBe(201);
    const second = issued.body.token as string;
    for (const t of [tokens["be-dpo"] ?? "", second]) expect((await call(be, t, "GET", "/v1/users")).status).toBe(200);

    expect((await admin("POST", "/v1/users/be-admin/disable")).status).toBe(409);
    expect((await admin("POST", "/v1/users/nobody/disable")).status).toBe(404);
    expect((await admin("POST", "/v1/users", { id: "be-reader", role: "dpo" })).status).toBe(409);
    // An access point's users hold access-point roles only.
    const consoleRole = await admin("POST", "/v1/users", { id: "be-sup", role: "supervisor" });
    expect(consoleRole.status).toBe(400);
    const disabled = await admin("POST", "/v1/users/be-reader/disable");
    expect(disabled.status).toBe(200);
    const res = await call(be, tokens["be-reader"] ?? "", "GET", "/v1/messages");
    expect(res.status).toBe(401);
    expect(res.body.code).toBe("LIAISON_USER_DISABLED");
    expect((await admin("POST", "/v1/users/be-dpo/disable")).status).toBe(200);
    for (const t of [tokens["be-dpo"] ?? "", second]) {
      const refused = await call(be, t, "GET", "/v1/users");
      expect(refused.status).toBe(401);
      expect(refused.body.code).toBe("LIAISON_USER_DISABLED");
    }
    expect((await admin("POST", "/v1/users/be-dpo/tokens", {})).status).toBe(409);

    await until(async () => {
      const changes = (await hub.auditEvents()).filter((e) => e.authority === "BE" && e.action === pb.AuditAction.AUDIT_ACTION_CONFIG_CHANGE && e.userId === "be-admin");
      const has = (objectType: string, objectId: string, change: string) =>
        changes.some((e) => e.objectType === objectType && e.objectId === objectId && e.details?.change === change && e.outcome === pb.AuditOutcome.AUDIT_OUTCOME_SUCCESS);
      return has("user", "be-dpo", "added") && has("token", "be-dpo", "issued") && has("user", "be-reader", "disabled") && has("user", "be-dpo", "disabled");
    }, "the administrator's changes in the audit log");
    const events = await hub.auditEvents();
    expect(events.some((e) => e.action === pb.AuditAction.AUDIT_ACTION_READ && e.objectType === "user-list" && e.userId === "be-dpo")).toBe(true);
    // Each event names the token used by a prefix of its hash (the start of its users-file entry),
    // and the issue event names the token it issued the same way: an action traces to its token.
    const ref = tokenRef(second);
    expect(readUsersFile(beFile).users.some((u) => u.id === "be-dpo" && u.tokenSha256.startsWith(ref))).toBe(true);
    expect(events.some((e) => e.objectType === "token" && e.objectId === "be-dpo" && e.details?.change === "issued" && e.details.issuedToken === ref && e.details.token === tokenRef(adminToken))).toBe(true);
    await until(
      async () => (await hub.auditEvents()).filter((e) => e.action === pb.AuditAction.AUDIT_ACTION_READ && e.objectType === "user-list" && e.userId === "be-dpo").some((e) => e.details?.token === ref),
      "the read made with the second token, named by its reference",
    );
    for (const e of events) for (const t of [tokens["be-dpo"] ?? "", second]) expect(JSON.stringify(e)).not.toContain(t);
  });

  it("gives an administrator no token that reaches content: operators and readers are added and issued tokens on the host only", async () => {
    const entries = () => readUsersFile(beFile).users.length;
    const before = entries();
    for (const role of ["operator", "reader"]) {
      const res = await admin("POST", "/v1/users", { id: `be-new-${role}`, role });
      expect(res.status, role).toBe(403);
      expect(res.body.code).toBe("LIAISON_FORBIDDEN");
      expect(res.text).not.toContain("lsn_");
    }
    // Nor a new token for an existing operator.
    for (const id of ["be-operator", "be-op2"]) {
      const res = await admin("POST", `/v1/users/${id}/tokens`, {});
      expect(res.status, id).toBe(403);
      expect(res.body.code).toBe("LIAISON_FORBIDDEN");
      expect(res.text).not.toContain("lsn_");
    }
    expect(entries()).toBe(before);
    expect((await admin("POST", "/v1/users/nobody/tokens", {})).status).toBe(404);
    // The administrator still lists and disables any user.
    const op3 = addUser(beFile, { id: "be-op3", role: "operator", cp: "BE" });
    expect(beUsers.reload()).toBe(true);
    expect((await call(be, op3.token, "GET", "/v1/messages")).status).toBe(200);
    expect(((await admin("GET", "/v1/users")).body.users as Json[]).some((u) => u.id === "be-op3")).toBe(true);
    expect((await admin("POST", "/v1/users/be-op3/disable")).status).toBe(200);
    expect((await call(be, op3.token, "GET", "/v1/messages")).status).toBe(401);
  });

  it("names the user in every audit event of the user's actions, at the access point and at the hub", async () => {
    const op = tokens["be-op2"] ?? "";
    const nlRecord = await call(nl, nl.token, "POST", "/v1/records", record("DE VRIES, Kees"));
    expect(nlRecord.status).toBe(201);
    const from = (await hub.auditEvents()).length;

    const sent = await call(be, op, "POST", "/v1/messages", { kind: "request", to: ["NL"], legalBasis: "enquiries", subject: "walk", body: "walk" });
    expect(sent.status).toBe(202);
    const id = sent.body.id as string;
    expect((await call(be, op, "GET", "/v1/messages?box=sent")).status).toBe(200);
    expect((await call(be, op, "GET", `/v1/messages/${id}`)).status).toBe(200);
    expect((await call(be, op, "GET", `/v1/cases/${sent.body.caseRef as string}`)).status).toBe(200);
    const rec = await call(be, op, "POST", "/v1/records", record("WOUTERS, An"));
    expect(rec.status).toBe(201);
    expect((await call(be, op, "GET", `/v1/records/${rec.body.id as string}`)).status).toBe(200);
    expect((await call(be, op, "POST", "/v1/records/query", { identifiers: [{ type: "person-name", value: "Kees de Vries" }], purpose: "border check" })).status).toBe(200);
    // Refused by the hub: only the supplier may erase.
    expect((await call(be, op, "DELETE", `/v1/records/${nlRecord.body.id as string}`)).status).toBe(403);

    const expected: Array<[string, (e: pb.IAuditEvent) => boolean]> = [
      ["the send", (e) => e.action === pb.AuditAction.AUDIT_ACTION_SUBMIT && e.objectType === "message" && e.objectId === id],
      ["the listing", (e) => e.action === pb.AuditAction.AUDIT_ACTION_READ && e.objectType === "message-list"],
      ["the read", (e) => e.action === pb.AuditAction.AUDIT_ACTION_READ && e.objectType === "message" && e.objectId === id],
      ["the case", (e) => e.action === pb.AuditAction.AUDIT_ACTION_READ && e.objectType === "case"],
      ["the record's submission at the hub", (e) => e.action === pb.AuditAction.AUDIT_ACTION_SUBMIT && e.objectType === "record" && !e.details?.route],
      ["the record's read at the hub", (e) => e.action === pb.AuditAction.AUDIT_ACTION_READ && e.objectType === "record" && !e.details?.route],
      ["the query at the hub", (e) => e.action === pb.AuditAction.AUDIT_ACTION_QUERY && !e.details?.route],
      ["the hit", (e) => e.action === pb.AuditAction.AUDIT_ACTION_HIT],
      ["the refused erasure at the hub", (e) => e.action === pb.AuditAction.AUDIT_ACTION_REFUSAL && e.objectType === "records" && e.reasonCode === "LIAISON_NOT_SUPPLIER"],
      ["the refused erasure at the access point", (e) => e.action === pb.AuditAction.AUDIT_ACTION_ERASE && e.outcome === pb.AuditOutcome.AUDIT_OUTCOME_REFUSED],
    ];
    // What the hub does on its own for BE's access point (routing what it submitted, receipts) names
    // the access point: the user is named in the access point's own event for the same message id.
    const SYSTEM = new Set([pb.AuditAction.AUDIT_ACTION_ROUTE, pb.AuditAction.AUDIT_ACTION_DELIVERY, pb.AuditAction.AUDIT_ACTION_RECEIPT, pb.AuditAction.AUDIT_ACTION_NOTICE, pb.AuditAction.AUDIT_ACTION_CONNECT]);
    let mine: pb.IAuditEvent[] = [];
    await until(async () => {
      mine = (await hub.auditEvents()).slice(from).filter((e) => e.authority === "BE" && !SYSTEM.has(e.action ?? 0));
      return expected.every(([, f]) => mine.some(f));
    }, "every event of the walk", 20_000);
    for (const [what, f] of expected) expect(mine.filter(f).map((e) => e.userId), what).toEqual(mine.filter(f).map(() => "be-op2"));
    for (const e of mine) expect(e.userId, `${pb.AuditAction[e.action ?? 0]} ${e.objectType}`).toBe("be-op2");
  });

  it("refuses at the hub a hub call whose user id is not a user id, and keeps that id out of the audit log", async () => {
    const rec = await call(be, be.token, "POST", "/v1/records", record("MERTENS, Lies"));
    expect(rec.status).toBe(201);
    const recordId = rec.body.id as string;
    const from = (await hub.auditEvents()).length;
    const bad = `forged\n{"userId":"be-op2"}${"x".repeat(300)}`;
    for (const userId of [bad, "a".repeat(65), "-starts-with-a-dash"]) {
      const err = await be.hub.call("records", "get", userId, { recordId }).catch((e: unknown) => e);
      expect((err as { code?: string }).code, userId.slice(0, 20)).toBe("LIAISON_VALIDATION");
    }
    // A well-formed id still passes.
    expect((await be.hub.call("records", "get", "be-op2", { recordId })).recordId).toBe(recordId);
    let refusals: pb.IAuditEvent[] = [];
    await until(async () => {
      refusals = (await hub.auditEvents()).slice(from).filter((e) => e.action === pb.AuditAction.AUDIT_ACTION_REFUSAL && e.reasonCode === "LIAISON_VALIDATION" && e.objectId === "records.get");
      return refusals.length === 3;
    }, "the hub's three refusals");
    for (const e of refusals) {
      expect(e.authority).toBe("BE");
      expect(e.userId).toBe("access-point");
    }
    const all = JSON.stringify((await hub.auditEvents()).slice(from));
    expect(all).not.toContain("forged");
    expect(all).not.toContain("a".repeat(65));
    expect(all).not.toContain("-starts-with-a-dash");
  });

  it("refuses every request while the users file cannot be read, and serves again once it can", async () => {
    const file = hub.secrets.contactPoints.find((c) => c.cp === "NL")?.usersFile ?? "";
    const good = readFileSync(file, "utf8");
    const ask = () => call(nl, nl.token, "GET", "/v1/messages");
    expect((await ask()).status).toBe(200);
    writeFileSync(file, good.slice(0, good.length / 2));
    await until(async () => (await ask()).status === 503, "the unreadable users file to take effect", 5_000);
    expect((await ask()).body.code).toBe("LIAISON_USERS_UNAVAILABLE");
    writeFileSync(file, good);
    await until(async () => (await ask()).status === 200, "the users file back", 5_000);
  });
});
