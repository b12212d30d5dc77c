// Legal holds on FIDE entries and a supervisor's holds (docs/retention.md, "Legal holds"). Until now
// only a record's supplier could hold it: a FIDE entry had no hold at all, and the supervisory
// authority none, though the retention rules say a supervisor may set one. Now the supplier holds
// its entry through POST /v1/files/{id}/hold and `liaison files hold`; a supervisor holds a record
// or an entry from the console (POST /v1/holds/{records|files}/{id}), which asks the owning
// service (hub-internal `hold`) and never reads its bucket; the supplier cannot lift or replace a
// supervisor's hold and is told who holds it; a held object is neither erased by its supplier nor
// by the retention sweep; the setter and reason show at the access point, in the CLI and on the console.
import { execFile } from "node:child_process";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuditEmitter } from "../../src/audit/mod.js";
import type { LiaisonApp } from "../../src/http/mod.js";
import { tokenHash, UserStore } from "../../src/http/mod.js";
import { pb } from "../../src/proto/mod.js";
import type { RunningRetention } from "../../services/retention/service.js";
import { buildConsoleApp } from "../../services/console/app.js";
import { quiet, startTestHub, until, type TestAccessPoint, type TestHub } from "../support/hub.js";

type Json = Record<string, unknown>;
type Hold = { setBy: string; supervisory: boolean; reason: string; setAt: string; until?: string };
const DAY = 86_400_000;
const ROOT = join(import.meta.dirname, "..", "..");
const run = promisify(execFile);
const SUP = { authorization: "Bearer sup-token" };
const OPS = { authorization: "Bearer ops-token" };

async function api(ap: TestAccessPoint, method: "GET" | "POST" | "DELETE", url: string, payload?: unknown) {
  const res = await ap.app.inject({ method, url, headers: { authorization: `Bearer ${ap.token}` }, ...(payload !== undefined ? { payload: payload as object } : {}) });
  return { status: res.statusCode, body: res.json() as Json, text: res.body };
}

const entry = (ref: string) => ({
  fileReference: ref,
  investigatingService: "AAD&A Antwerpen",
  contact: "insp. J. Peeters",
  subjects: [{ type: "person-name", value: `Held ${ref}` }],
  offenceArea: "customs-duty-evasion",
  status: "ongoing",
  lastInvestigativeAct: new Date(Date.now() - DAY).toISOString().slice(0, 10),
});
const record = (name: string) => ({ category: "person", purpose: "specific-check", identifiers: [{ type: "person-name", value: name }], freeText: "held" });

describe("legal holds on FIDE entries, and a supervisor's holds", () => {
  let hub: TestHub;
  let be: TestAccessPoint;
  let nl: TestAccessPoint;
  let console_: LiaisonApp;
  let retention: RunningRetention;
  /** The records, files and retention services' clocks run this far ahead (to make objects fall due). */
  let shift = 0;
  const now = () => Date.now() + shift;

  beforeAll(async () => {
    hub = await startTestHub({ cps: ["BE", "NL"] });
    await hub.startExchange();
    await hub.startRecords({ now, reviewPeriod: "10s" });
    await hub.startFiles({ now });
    retention = await hub.startRetention({ now });
    [be, nl] = await Promise.all([hub.startAp("BE"), hub.startAp("NL")]);
    // The console as it runs: its own NATS identity, with the console's permissions.
    const nc = await hub.connectHub("console");
    const users = new UserStore({
      users: [
        { id: "sup-1", role: "supervisor", tokenSha256: tokenHash("sup-token"), expiresAt: new Date(Date.now() + 3_600_000).toISOString() },
        { id: "ops-1", role: "operations", tokenSha256: tokenHash("ops-token"), expiresAt: new Date(Date.now() + 3_600_000).toISOString() },
      ],
    });
    console_ = await buildConsoleApp({ nc, users, audit: new AuditEmitter(nc, "console"), log: quiet });
    await console_.ready();
  });
  afterAll(async () => {
    await console_?.close();
    await hub?.stop();
  });

  const supervise = async (kind: "records" | "files", id: string, body: Json, headers = SUP) => {
    const res = await console_.inject({ method: "POST", url: `/v1/holds/${kind}/${id}`, headers, payload: body });
    return { status: res.statusCode, body: res.json() as Json };
  };

  it("lets the supplier hold its FIDE entry: shown with setter and reason, no erasure while it holds, lifted by it", async () => {
    const id = (await api(be, "POST", "/v1/files", entry("BE/HOLD/0001"))).body.id as string;
    const until = new Date(Date.now() + 30 * DAY).toISOString();
    const held = await api(be, "POST", `/v1/files/${id}/hold`, { reason: "court order 12/2026", until });
    expect(held.status).toBe(200);
    expect(held.body.hold).toEqual({ setBy: "BE:be-operator", supervisory: false, reason: "court order 12/2026", setAt: expect.any(String), until });
    expect(((await api(be, "GET", `/v1/files/${id}`)).body.hold as Hold).reason).toBe("court order 12/2026");

    const refused = await api(be, "DELETE", `/v1/files/${id}`);
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe("LIAISON_ON_HOLD");
    // Only the supplier holds its entry; a reason is required.
    expect((await api(nl, "POST", `/v1/files/${id}/hold`, { reason: "not mine" })).body.code).toBe("LIAISON_NOT_SUPPLIER");
    expect((await api(be, "POST", `/v1/files/${id}/hold`, { reason: "" })).body.code).toBe("LIAISON_VALIDATION");

    const lifted = await api(be, "POST", `/v1/files/${id}/hold`, { lift: true });
    expect(lifted.status).toBe(200);
    expect(lifted.body.hold).toBeUndefined();
    expect((await api(be, "DELETE", `/v1/files/${id}`)).status).toBe(200);
    const events = (await hub.auditEvents()).filter((e) => e.service === "files" && e.objectId === id);
    expect(events.map((e) => [e.action, e.authority])).toEqual(
      expect.arrayContaining([
        [pb.AuditAction.AUDIT_ACTION_LEGAL_HOLD_SET, "BE"],
        [pb.AuditAction.AUDIT_ACTION_LEGAL_HOLD_LIFTED, "BE"],
      ]),
    );
  });

  it("has `liaison files hold` set, show and lift the supplier's hold", async () => {
    const id = (await api(be, "POST", "/v1/files", entry("BE/HOLD/0002"))).body.id as string;
    await be.app.listen({ port: 0, host: "127.0.0.1" });
    const env = { ...process.env, LIAISON_URL: `http://127.0.0.1:${(be.app.server.address() as AddressInfo).port}`, LIAISON_TOKEN: be.token };
    const cli = async (...args: string[]) => (await run(process.execPath, ["--import", "tsx", "src/cli/main.ts", "files", ...args], { cwd: ROOT, env })).stdout;
    const printed = await cli("hold", id, "--reason", "pending appeal", "--until", "2099-01-31");
    const hold = (await api(be, "GET", `/v1/files/${id}`)).body.hold as Hold;
    expect(hold).toMatchObject({ setBy: "BE:be-operator", reason: "pending appeal", until: "2099-01-31T23:59:59.000Z" });
    expect(printed).toBe(`${id} Legal hold by BE:be-operator since ${hold.setAt} until 2099-01-31T23:59:59.000Z: pending appeal\n`);
    expect(await cli("get", id)).toContain("Legal hold by BE:be-operator since");
    expect(await cli("hold", id, "--lift")).toBe(`${id} has no legal hold\n`);
  });

  it("lets a supervisor hold a FIDE entry from the console; the supplier cannot lift or replace it and is told who holds it", async () => {
    const id = (await api(be, "POST", "/v1/files", entry("BE/HOLD/0003"))).body.id as string;
    // The supplier's own hold is replaced by the supervisor's.
    expect((await api(be, "POST", `/v1/files/${id}/hold`, { reason: "own hold" })).status).toBe(200);
    expect((await supervise("files", id, { reason: "supervisory audit 2026-7" }, OPS)).status).toBe(403);
    const set = await supervise("files", id, { reason: "supervisory audit 2026-7" });
    expect(set.status).toBe(200);
    expect(set.body).toEqual({ objectType: "file", id, supplier: "BE", hold: { setBy: "SUPERVISOR:sup-1", supervisory: true, reason: "supervisory audit 2026-7", setAt: expect.any(String) } });
    expect((await api(be, "GET", `/v1/files/${id}`)).body.hold).toMatchObject({ setBy: "SUPERVISOR:sup-1", supervisory: true, reason: "supervisory audit 2026-7" });

    for (const attempt of [{ lift: true }, { reason: "my own again" }]) {
      const refused = await api(be, "POST", `/v1/files/${id}/hold`, attempt);
      expect(refused.status).toBe(409);
      expect(refused.body.code).toBe("LIAISON_ON_HOLD");
      expect(refused.body.detail).toContain("SUPERVISOR:sup-1");
      expect(refused.body.detail).toContain("supervisory audit 2026-7");
    }
    expect((await api(be, "DELETE", `/v1/files/${id}`)).body.code).toBe("LIAISON_ON_HOLD");

    // Logged by the files service as the supervisor's, and by the console as its user's access.
    await until(async () => (await hub.auditEvents()).some((e) => e.service === "console" && e.action === pb.AuditAction.AUDIT_ACTION_LEGAL_HOLD_SET && e.objectId === id), "the console's event");
    const events = (await hub.auditEvents()).filter((e) => e.objectId === id && e.action === pb.AuditAction.AUDIT_ACTION_LEGAL_HOLD_SET);
    expect(events.filter((e) => e.service === "files").map((e) => [e.authority, e.userId, e.details?.reason])).toEqual([
      ["BE", "be-operator", "own hold"],
      ["SUPERVISOR", "sup-1", "supervisory audit 2026-7"],
    ]);
    expect(events.filter((e) => e.service === "console")).toEqual([expect.objectContaining({ authority: "SUPERVISOR", userId: "sup-1", objectType: "file", outcome: pb.AuditOutcome.AUDIT_OUTCOME_SUCCESS })]);
    // The console's compliance report lists the hold with its setter and reason.
    await until(async () => {
      const c = (await console_.inject({ method: "GET", url: "/v1/compliance", headers: SUP })).json() as { holds: Array<{ objectId: string; setBy: string; reason: string }> };
      return c.holds.some((h) => h.objectId === id && h.setBy === "SUPERVISOR:sup-1" && h.reason === "supervisory audit 2026-7");
    }, "the hold in the compliance report");

    const lifted = await supervise("files", id, { lift: true });
    expect(lifted.body).toEqual({ objectType: "file", id, supplier: "BE", hold: null });
    expect((await api(be, "DELETE", `/v1/files/${id}`)).status).toBe(200);
  });

  it("lets a supervisor hold a record; the supplier cannot erase it or lift the hold, and a supervisor lifts only a supervisor's hold", async () => {
    const id = (await api(be, "POST", "/v1/records", record("Rita Held"))).body.id as string;
    const set = await supervise("records", id, { reason: "complaint under review", until: new Date(Date.now() + 90 * DAY).toISOString() });
    expect(set.status).toBe(200);
    expect((set.body.hold as Hold).setBy).toBe("SUPERVISOR:sup-1");
    expect(((await api(be, "GET", `/v1/records/${id}`)).body.hold as Hold).setBy).toBe("SUPERVISOR:sup-1");
    const refused = await api(be, "POST", `/v1/records/${id}/hold`, { lift: true });
    expect(refused.body.code).toBe("LIAISON_ON_HOLD");
    expect(refused.body.detail).toContain("SUPERVISOR:sup-1");
    expect((await api(be, "DELETE", `/v1/records/${id}`)).body.code).toBe("LIAISON_ON_HOLD");
    expect((await supervise("records", id, { lift: true })).body.hold).toBeNull();

    // The supplier's own hold is not a supervisor's to lift.
    expect((await api(be, "POST", `/v1/records/${id}/hold`, { reason: "own reasons" })).status).toBe(200);
    const conflict = await supervise("records", id, { lift: true });
    expect(conflict.status).toBe(409);
    expect(conflict.body.code).toBe("LIAISON_CONFLICT");
    expect((await supervise("files", "no-such-entry", { reason: "whatever it is" })).status).toBe(404);
    expect((await supervise("records", id, { reason: "" })).body.code).toBe("LIAISON_VALIDATION");
  });

  it("keeps what is held through the retention sweep, and erases it once the hold is lifted", async () => {
    const rec = (await api(be, "POST", "/v1/records", record("Sven Swept"))).body.id as string;
    const own = (await api(be, "POST", "/v1/files", entry("BE/HOLD/0004"))).body.id as string;
    const sup = (await api(be, "POST", "/v1/files", entry("BE/HOLD/0005"))).body.id as string;
    expect((await supervise("records", rec, { reason: "supervisory audit" })).status).toBe(200);
    expect((await api(be, "POST", `/v1/files/${own}/hold`, { reason: "court order" })).status).toBe(200);
    expect((await supervise("files", sup, { reason: "supervisory audit" })).status).toBe(200);

    // The sweep runs with the services' clocks past the record's review date and the entries' Art. 19
    // limit; the access point's requests are checked for freshness by those clocks, so they go in now.
    const sweepAt = async (days: number) => {
      shift = days * DAY;
      try {
        return await retention.run();
      } finally {
        shift = 0;
      }
    };
    const first = await sweepAt(400);
    expect(Number(first.held)).toBeGreaterThanOrEqual(3);
    expect((await api(be, "GET", `/v1/records/${rec}`)).status).toBe(200);
    expect((await api(be, "GET", `/v1/files/${own}`)).status).toBe(200);
    expect((await api(be, "GET", `/v1/files/${sup}`)).status).toBe(200);

    expect((await supervise("records", rec, { lift: true })).status).toBe(200);
    expect((await api(be, "POST", `/v1/files/${own}/hold`, { lift: true })).status).toBe(200);
    expect((await supervise("files", sup, { lift: true })).status).toBe(200);
    const second = await sweepAt(402); // past the day the held filings were moved to
    expect(Number(second.erased)).toBeGreaterThanOrEqual(3);
    expect((await api(be, "GET", `/v1/records/${rec}`)).status).toBe(404);
    expect((await api(be, "GET", `/v1/files/${own}`)).status).toBe(404);
    expect((await api(be, "GET", `/v1/files/${sup}`)).status).toBe(404);
    // The sweep's erasure of an entry gives its supplier the certificate too, as for records.
    await until(
      () => be.mailbox.notices().some((n) => n.notice.kind === pb.NoticeKind.NOTICE_KIND_ERASED && n.notice.erasures.some((c) => c.certificate?.objectId === own && c.certificate.objectType === "file")),
      "the sweep's erasure notice for the FIDE entry",
    );
  });
});
