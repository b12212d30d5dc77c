// What an operator sends that the access point cannot honour is refused with a reason, logged as a
// refusal, and neither stored nor sent (src/domain/send-rules.ts): a hot pursuit or cross-border
// surveillance that does not say where (Naples II Art. 20, 21), a reply-by time already past or on
// a kind nobody answers by a date, a basis or form of another kind. Each was once accepted and sent
// without it, or dropped without a word (`liaison send --kind spontaneous --legal-basis ...`).
import { execFile } from "node:child_process";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";
import { jetstreamManager } from "@nats-io/jetstream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pb } from "../../src/proto/mod.js";
import { startTestHub, until, type TestAccessPoint, type TestHub } from "../support/hub.js";

type Json = Record<string, unknown>;

const ROOT = join(import.meta.dirname, "..", "..");
const run = promisify(execFile);
const MINUTE = 60_000;
const DAY = 86_400_000;

async function api(ap: TestAccessPoint, method: "GET" | "POST", url: string, payload?: unknown) {
  const res = await ap.app.inject({ method, url, headers: { authorization: `Bearer ${ap.token}` }, ...(payload !== undefined ? { payload: payload as object } : {}) });
  return { status: res.statusCode, type: String(res.headers["content-type"] ?? ""), body: res.json() as Json };
}

const base = { to: ["NL"], subject: "s", body: "b" };
const request = (extra: Json = {}) => ({ kind: "request", legalBasis: "enquiries", ...base, ...extra });
const specialForm = (form: string, location?: string) => ({ kind: "special-form", ...base, specialForm: { form, ...(location !== undefined ? { location } : {}) } });

describe("access point: messages it cannot honour", () => {
  let hub: TestHub;
  let be: TestAccessPoint;
  let nl: TestAccessPoint;

  beforeAll(async () => {
    hub = await startTestHub({ cps: ["BE", "NL"] });
    await hub.startExchange();
    [be, nl] = await Promise.all([hub.startAp("BE"), hub.startAp("NL")]);
  });
  afterAll(async () => {
    await hub?.stop();
  });

  /** The last sequence of SUBMIT (a work queue: its message count drops as the exchange takes them). */
  const submitted = async () => (await (await jetstreamManager(hub.admin)).streams.info("SUBMIT")).state.last_seq;

  /** Sends what must be refused; checks the answer, that nothing was stored or submitted, and returns the detail. */
  async function refused(msg: Json, status: number, code: string, url = "/v1/messages"): Promise<string> {
    const before = { stored: be.mailbox.size, submitted: await submitted() };
    const res = await api(be, "POST", url, msg);
    expect([res.status, res.body.code], JSON.stringify(msg)).toEqual([status, code]);
    expect(res.type).toMatch(/^application\/problem\+json/);
    expect(be.mailbox.size).toBe(before.stored);
    expect(await submitted()).toBe(before.submitted);
    return String(res.body.detail);
  }

  async function accepted(msg: Json): Promise<string> {
    const res = await api(be, "POST", "/v1/messages", msg);
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    return res.body.id as string;
  }

  async function refusalsLogged(code: string): Promise<pb.IAuditEvent[]> {
    await be.audit.flush();
    return (await hub.auditEvents()).filter((e) => e.authority === "BE" && e.reasonCode === code && e.outcome === pb.AuditOutcome.AUDIT_OUTCOME_REFUSED && e.objectType === "message");
  }

  it("refuses a hot pursuit or cross-border surveillance that does not say where the border is crossed", async () => {
    expect(await refused(specialForm("hot-pursuit"), 400, "LIAISON_MISSING_FIELD")).toMatch(/specialForm\.location.*hot pursuit.*Art\. 20/);
    expect(await refused(specialForm("hot-pursuit", "   "), 400, "LIAISON_MISSING_FIELD")).toMatch(/specialForm\.location/);
    expect(await refused(specialForm("cross-border-surveillance"), 400, "LIAISON_MISSING_FIELD")).toMatch(/specialForm\.location.*Art\. 21/);
    expect(await refusalsLogged("LIAISON_MISSING_FIELD")).toHaveLength(3);
    // With a location they go; forms agreed on request first need none.
    const ids = [await accepted(specialForm("hot-pursuit", "E40 Aachen-Lichtenbusch")), await accepted(specialForm("controlled-delivery"))];
    await until(() => ids.every((id) => nl.mailbox.has(id)), "the notifications at NL");
  });

  it("refuses a request whose reply-by time has passed, allowing a minute of clock skew", async () => {
    expect(await refused(request({ replyBy: new Date(Date.now() - DAY).toISOString() }), 422, "LIAISON_REPLY_BY_PASSED")).toMatch(/replyBy .* is before now/);
    expect(await refused(request({ replyBy: new Date(Date.now() - 2 * MINUTE).toISOString() }), 422, "LIAISON_REPLY_BY_PASSED")).toMatch(/replyBy/);
    expect(await refusalsLogged("LIAISON_REPLY_BY_PASSED")).toHaveLength(2);
    const skewed = await accepted(request({ replyBy: new Date(Date.now() - 20_000).toISOString() }));
    const ahead = await accepted(request({ replyBy: new Date(Date.now() + DAY).toISOString() }));
    await until(() => nl.mailbox.has(skewed) && nl.mailbox.has(ahead), "the requests at NL");
  });

  it("refuses a reply-by time on anything but a request: nothing would ever be overdue", async () => {
    const replyBy = new Date(Date.now() + DAY).toISOString();
    expect(await refused({ kind: "spontaneous", ...base, replyBy }, 422, "LIAISON_KIND_NOT_ALLOWED")).toMatch(/only a request is answered by a date/);
    expect(await refused({ ...specialForm("hot-pursuit", "A3 Emmerich"), replyBy }, 422, "LIAISON_KIND_NOT_ALLOWED")).toMatch(/replyBy/);
    const original = await accepted(request());
    // NL's delivery receipt goes through SUBMIT too: counted before, once BE has it.
    await until(() => be.mailbox.has(original) && nl.mailbox.has(original) && be.mailbox.status(be.mailbox.get(original)).status === "delivered", "the request at NL, and its delivery receipt at BE");
    const before = { stored: nl.mailbox.size, submitted: await submitted() };
    const reply = await api(nl, "POST", "/v1/messages", { kind: "reply", ...base, to: ["BE"], inReplyTo: original, replyBy });
    expect([reply.status, reply.body.code]).toEqual([422, "LIAISON_KIND_NOT_ALLOWED"]);
    expect(nl.mailbox.size).toBe(before.stored);
    expect(await submitted()).toBe(before.submitted);
  });

  it("refuses a basis or a special form the message's kind does not have, instead of dropping it", async () => {
    expect(await refused(request({ spontaneousBasis: "surveillance" }), 422, "LIAISON_KIND_NOT_ALLOWED")).toBe("a request carries no spontaneous basis");
    expect(await refused(request({ specialForm: { form: "hot-pursuit", location: "E40" } }), 422, "LIAISON_KIND_NOT_ALLOWED")).toBe("a request carries no special form");
    expect(await refused({ kind: "spontaneous", ...base, specialForm: { form: "covert-investigation" } }, 422, "LIAISON_KIND_NOT_ALLOWED")).toBe("spontaneous information carries no special form");
    expect(await refused({ ...specialForm("hot-pursuit", "E40"), spontaneousBasis: "information" }, 422, "LIAISON_KIND_NOT_ALLOWED")).toMatch(/special-form notification carries no spontaneous basis/);
    expect((await refusalsLogged("LIAISON_KIND_NOT_ALLOWED")).length).toBeGreaterThanOrEqual(6);
  });

  it("has `liaison send` refuse a spontaneous message with a legal basis, where it once sent it without", async () => {
    await be.app.listen({ port: 0, host: "127.0.0.1" });
    const url = `http://127.0.0.1:${(be.app.server.address() as AddressInfo).port}`;
    const before = { stored: be.mailbox.size, submitted: await submitted() };
    const failed = await run(process.execPath, ["--import", "tsx", "src/cli/main.ts", "send", "--to", "NL", "--kind", "spontaneous", "--legal-basis", "enquiries", "--subject", "s", "--body", "b"], {
      cwd: ROOT,
      env: { ...process.env, LIAISON_URL: url, LIAISON_TOKEN: be.token },
    }).then(
      () => undefined,
      (err: { code: number; stderr: string }) => err,
    );
    expect(failed?.code).toBe(1);
    expect(failed?.stderr).toMatch(/LIAISON_VALIDATION.*only a request has a legal basis/);
    expect(be.mailbox.size).toBe(before.stored);
    expect(await submitted()).toBe(before.submitted);
  });
});
