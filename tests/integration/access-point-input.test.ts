// Bad input at the access point's HTTP API and at the hub's endpoints behind it: ids that are not
// ids (a NATS wildcard once erased the newest record), JSON nested to exhaust memory, overlong path
// parameters. Each is refused with a registered code, logged, and changes nothing. Also: replying to
// a message does not read it behind the audit log's back.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isLiaisonError } from "../../src/errors.js";
import { pb } from "../../src/proto/mod.js";
import { startTestHub, until, type TestAccessPoint, type TestHub } from "../support/hub.js";

type Json = Record<string, unknown>;

async function api(ap: TestAccessPoint, method: "GET" | "POST" | "PATCH" | "DELETE", url: string, payload?: unknown) {
  const res = await ap.app.inject({ method, url, headers: { authorization: `Bearer ${ap.token}` }, ...(payload !== undefined ? { payload: payload as object } : {}) });
  return { status: res.statusCode, type: String(res.headers["content-type"] ?? ""), body: res.json() as Json };
}

const record = (name: string) => ({
  category: "person",
  purpose: "specific-check",
  identifiers: [{ type: "person-name", value: name, dateOfBirth: "1980-01-01" }],
  freeText: "test record",
});
const file = (ref: string) => ({
  fileReference: ref,
  investigatingService: "Douane Antwerpen",
  contact: "+32 2 000 00 00",
  subjects: [{ type: "person-name", value: `Ids ${ref.replace(/\W/g, "")}`, dateOfBirth: "1975-05-05" }],
  offenceArea: "tobacco-and-alcohol-smuggling",
  status: "ongoing",
  lastInvestigativeAct: new Date(Date.now() - 7 * 86_400_000).toISOString().slice(0, 10),
});

/** Path segments that are not ids: empty, wildcards, a token separator, space, unicode, NUL, too long. */
const BAD_IDS = ["", "%3E", "%2A", "*", ">", "a.b", "a%20b", "%C3%A9t%C3%A9", "x".repeat(65), "a%00b"];

describe("access point: bad input", () => {
  let hub: TestHub;
  let be: TestAccessPoint;
  let nl: TestAccessPoint;
  let newest: string;
  let entry: string;

  beforeAll(async () => {
    hub = await startTestHub({ cps: ["BE", "NL"] });
    await hub.startExchange();
    await hub.startRecords();
    await hub.startFiles();
    [be, nl] = await Promise.all([hub.startAp("BE"), hub.startAp("NL")]);
    const first = await api(be, "POST", "/v1/records", record("First Person"));
    expect(first.status).toBe(201);
    const second = await api(be, "POST", "/v1/records", record("Newest Person"));
    expect(second.status).toBe(201);
    newest = second.body.id as string;
    const f = await api(be, "POST", "/v1/files", file("BE/IDS/1"));
    expect(f.status).toBe(201);
    entry = f.body.id as string;
  });
  afterAll(async () => {
    await hub?.stop();
  });

  it("refuses a path id that is not an id on every route with LIAISON_BAD_ID, and erases nothing", async () => {
    const routes: Array<["GET" | "POST" | "PATCH" | "DELETE", (id: string) => string, unknown?]> = [
      ["DELETE", (id) => `/v1/records/${id}`],
      ["GET", (id) => `/v1/records/${id}`],
      ["PATCH", (id) => `/v1/records/${id}`, record("Amended")],
      ["POST", (id) => `/v1/records/${id}/renew`, { reason: "still needed" }],
      ["POST", (id) => `/v1/records/${id}/hold`, { reason: "court order" }],
      ["POST", (id) => `/v1/hits/${id}/outcome`, { outcome: "nothing found" }],
      ["GET", (id) => `/v1/messages/${id}`],
      ["POST", (id) => `/v1/messages/${id}/reply`, { body: "hello" }],
      ["GET", (id) => `/v1/files/${id}`],
      ["DELETE", (id) => `/v1/files/${id}`],
      ["POST", (id) => `/v1/files/${id}/status`, { status: "subject-cleared" }],
      ["POST", (id) => `/v1/files/hits/${id}/request`, { body: "tell me more" }],
    ];
    for (const [method, url, payload] of routes) {
      for (const bad of BAD_IDS) {
        const res = await api(be, method, url(bad), payload);
        expect([res.status, res.body.code], `${method} ${url(bad)}`).toEqual([400, "LIAISON_BAD_ID"]);
        expect(res.type).toMatch(/^application\/problem\+json/);
      }
    }
    // Nothing was erased: the newest record and the file entry are still there.
    expect((await api(be, "GET", `/v1/records/${newest}`)).status).toBe(200);
    expect((await api(be, "GET", `/v1/files/${entry}`)).status).toBe(200);
    // The refusals are in the access log, without the bad value as object id.
    await be.audit.flush();
    const events = await hub.auditEvents();
    const refused = events.filter((e) => e.reasonCode === "LIAISON_BAD_ID" && e.authority === "BE");
    expect(refused.length).toBeGreaterThanOrEqual(routes.length * BAD_IDS.length);
    expect(refused.every((e) => e.objectId === "" && e.outcome === pb.AuditOutcome.AUDIT_OUTCOME_REFUSED)).toBe(true);
  });

  it("has the hub's records and files services refuse ids that are not ids, erasing nothing", async () => {
    const outcome = async (answer: Promise<unknown>) => {
      try {
        await answer;
        return "answered";
      } catch (err) {
        return isLiaisonError(err) ? err.code : String(err);
      }
    };
    for (const bad of [">", "*", "rec.>", "a.b", "a b", "été", "x".repeat(65)]) {
      expect(await outcome(be.hub.call("records", "erase", "op-1", { recordId: bad, reason: "x" })), `records.erase ${bad}`).toBe("LIAISON_BAD_ID");
      expect(await outcome(be.hub.call("records", "get", "op-1", { recordId: bad }))).toBe("LIAISON_BAD_ID");
      expect(await outcome(be.hub.call("records", "renew", "op-1", { recordId: bad, reason: "still needed" }))).toBe("LIAISON_BAD_ID");
      expect(await outcome(be.hub.call("records", "hold", "op-1", { recordId: bad, reason: "court order" }))).toBe("LIAISON_BAD_ID");
      expect(await outcome(be.hub.call("records", "outcome", "op-1", { hitId: bad, outcome: "nothing found" }))).toBe("LIAISON_BAD_ID");
      expect(await outcome(be.hub.call("files", "erase", "op-1", { entryId: bad }))).toBe("LIAISON_BAD_ID");
      expect(await outcome(be.hub.call("files", "get", "op-1", { entryId: bad }))).toBe("LIAISON_BAD_ID");
      expect(await outcome(be.hub.call("files", "hit", "op-1", { hitId: bad }))).toBe("LIAISON_BAD_ID");
      expect(await outcome(be.hub.call("files", "status", "op-1", { entryId: bad, status: pb.FileStatus.FILE_STATUS_SUBJECT_CLEARED }))).toBe("LIAISON_BAD_ID");
    }
    expect((await api(be, "GET", `/v1/records/${newest}`)).status).toBe(200);
    expect((await api(be, "GET", `/v1/files/${entry}`)).status).toBe(200);
  });

  it("refuses an id that is not an id in a message body (inReplyTo)", async () => {
    const res = await api(be, "POST", "/v1/messages", { kind: "reply", to: ["NL"], subject: "re", body: "x", inReplyTo: "a.>" });
    expect([res.status, res.body.code]).toEqual([400, "LIAISON_VALIDATION"]);
  });

  it("refuses a path parameter longer than the router takes with 414 and a registered code", async () => {
    for (const url of [`/v1/records/${"x".repeat(2_000)}`, `/v1/messages/${"a".repeat(101)}`]) {
      const res = await api(be, "GET", url);
      expect(res.status).toBe(414);
      expect(res.type).toMatch(/^application\/problem\+json/);
      expect(res.body).toMatchObject({ status: 414, code: "LIAISON_URI_TOO_LONG" });
    }
  });

  it("refuses JSON nested 100,000 and 3,000,000 deep at once, without exhausting memory or stalling /healthz", async () => {
    await deepRefusal(100_000);
    // As deep as the body limit allows (6 MB of brackets): parsed, this took seconds and hundreds of MB.
    await deepRefusal(3_000_000);
  });

  async function deepRefusal(depth: number) {
    const payload = `${"[".repeat(depth)}${"]".repeat(depth)}`;
    const heapBefore = process.memoryUsage().heapUsed;
    const started = performance.now();
    const sending = be.app.inject({ method: "POST", url: "/v1/messages", headers: { authorization: `Bearer ${be.token}`, "content-type": "application/json" }, payload });
    const health = be.app.inject({ method: "GET", url: "/healthz" });
    const [res, h] = await Promise.all([sending, health]);
    const took = performance.now() - started;
    expect(h.statusCode).toBe(200);
    expect(res.statusCode).toBe(400);
    expect(res.headers["content-type"]).toMatch(/^application\/problem\+json/);
    expect(res.json()).toMatchObject({ code: "LIAISON_TOO_DEEP" });
    expect(took).toBeLessThan(1_000);
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(64 * 1024 * 1024);
    // The same inside an object field, and nested objects: refused the same way.
    const objects = Math.min(depth, 100_000); // five bytes a level: deeper would pass the body limit
    const inField = `{"kind":"request","to":["NL"],"subject":"s","body":"b","legalBasis":"enquiries","handling":${'{"x":'.repeat(objects)}1${"}".repeat(objects)}}`;
    const deepObj = await be.app.inject({ method: "POST", url: "/v1/messages", headers: { authorization: `Bearer ${be.token}`, "content-type": "application/json" }, payload: inField });
    expect(deepObj.json()).toMatchObject({ code: "LIAISON_TOO_DEEP" });
    // Brackets inside strings are text, not nesting: an ordinary message with them goes through.
    const text = await api(be, "POST", "/v1/messages", { kind: "request", to: ["NL"], legalBasis: "enquiries", subject: "[[[[", body: "[".repeat(5_000) + '\\"{' });
    expect(text.status).toBe(202);
  }

  it("builds a reply's default subject without opening the original: no read receipt, no unlogged read", async () => {
    const sent = await api(be, "POST", "/v1/messages", { kind: "request", to: ["NL"], legalBasis: "enquiries", subject: "Original subject 5521", body: "please answer" });
    expect(sent.status).toBe(202);
    const id = sent.body.id as string;
    await until(() => nl.mailbox.has(id), "delivery to NL");
    // NL answers without opening the message first.
    const reply = await api(nl, "POST", `/v1/messages/${id}/reply`, { body: "answered unseen" });
    expect(reply.status).toBe(202);
    const replyId = reply.body.id as string;
    await until(() => be.mailbox.status(be.mailbox.get(id)).status === "answered", "BE to see it answered");
    await until(() => be.mailbox.has(replyId), "the reply at BE");
    const original = await api(be, "GET", `/v1/messages/${id}`);
    expect((original.body.receipts as Array<{ kind: string }>).map((r) => r.kind)).not.toContain("read");
    const answer = await api(be, "GET", `/v1/messages/${replyId}`);
    expect(answer.body.subject).not.toContain("5521");
    expect(answer.body.subject).toContain(sent.body.caseRef as string);
    // NL logged no READ of the original, because nothing of it was read.
    const events = await hub.auditEvents();
    expect(events.some((e) => e.authority === "NL" && e.action === pb.AuditAction.AUDIT_ACTION_READ && e.objectId === id)).toBe(false);
  });
});
