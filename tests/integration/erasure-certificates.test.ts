// A supplier that erases a record or a FIDE entry, or whose records a retention sweep erases, gets
// the erasure certificate to keep: in the erase answer (`liaison records erase` prints it) and as an erasure
// notice. It names what was erased, when and under which rule, holds no content, and carries the
// audit event's id and leaf hash, which match the event the audit log holds. Until now the
// certificate was only in the audit log and the answer said {"erased":true} (for FIDE entries, until
// they too got theirs).
import { execFile } from "node:child_process";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";
import { DeliverPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { splitAuditBatch } from "../../src/audit/mod.js";
import { leafHash } from "../../src/merkle/mod.js";
import { requestService, subjects } from "../../src/nats/mod.js";
import { pb } from "../../src/proto/mod.js";
import { startTestHub, until, type TestAccessPoint, type TestHub } from "../support/hub.js";

type Json = Record<string, unknown>;
type Certificate = Record<string, string>;

const ROOT = join(import.meta.dirname, "..", "..");
const run = promisify(execFile);
const b64u = (b: Uint8Array | null | undefined) => Buffer.from(b ?? new Uint8Array()).toString("base64url");

async function api(ap: TestAccessPoint, method: "GET" | "POST" | "DELETE", url: string, payload?: unknown) {
  const res = await ap.app.inject({ method, url, headers: { authorization: `Bearer ${ap.token}` }, ...(payload !== undefined ? { payload: payload as object } : {}) });
  return { status: res.statusCode, text: res.body, body: res.json() as Json };
}

const record = (name: string, freeText: string) => ({ category: "person", purpose: "specific-check", identifiers: [{ type: "person-name", value: name, dateOfBirth: "1970-02-03" }], freeText });

describe("erasure certificates for the supplier", () => {
  let hub: TestHub;
  let be: TestAccessPoint;
  let offset = 0;
  const now = () => Date.now() + offset;

  beforeAll(async () => {
    hub = await startTestHub({ cps: ["BE", "NL"] });
    await hub.startExchange();
    await hub.startRecords({ reviewPeriod: "10s" });
    await hub.startFiles();
    be = await hub.startAp("BE");
  });
  afterAll(async () => {
    await hub?.stop();
  });

  /** The audit event with this id, as the audit log holds its bytes (every AUDIT message read). */
  async function loggedEvent(id: string): Promise<{ bytes: Uint8Array; event: pb.AuditEvent } | undefined> {
    const info = await (await jetstreamManager(hub.admin)).streams.info("AUDIT");
    const c = await jetstream(hub.admin).consumers.get("AUDIT", { deliver_policy: DeliverPolicy.All });
    let found: { bytes: Uint8Array; event: pb.AuditEvent } | undefined;
    const iter = await c.consume();
    for await (const m of iter) {
      for (const bytes of splitAuditBatch(m.data)) {
        const event = pb.AuditEvent.decode(bytes);
        if (event.id === id && !found) found = { bytes: new Uint8Array(bytes), event };
      }
      if (m.info.pending === 0 || m.seq >= info.state.last_seq) break;
    }
    await iter.close();
    return found;
  }

  /** The certificate matches the audit log: the event named holds it, and hashes to the leaf hash given. */
  async function checkAgainstLog(c: Certificate, id: string, rule: string, objectType = "record") {
    expect(c).toMatchObject({ objectType, objectId: id, supplier: "BE", rule });
    const logged = await loggedEvent(c.auditEventId ?? "");
    expect(logged, "the certificate's audit event is in the log").toBeDefined();
    expect(b64u(leafHash(logged?.bytes ?? new Uint8Array()))).toBe(c.auditLeafHash);
    const e = logged?.event.erasure;
    expect(logged?.event).toMatchObject({ action: pb.AuditAction.AUDIT_ACTION_ERASE, objectId: id });
    expect({ rule: e?.rule, objectId: e?.objectId, supplier: e?.supplier, erasedAt: new Date(Number(e?.erasedAtMs)).toISOString(), dueAt: new Date(Number(e?.dueAtMs)).toISOString(), contentCommitment: b64u(e?.contentCommitment) }).toEqual({
      rule,
      objectId: id,
      supplier: "BE",
      erasedAt: c.erasedAt,
      dueAt: c.dueAt,
      contentCommitment: c.contentCommitment,
    });
  }

  /** The erasure notice at BE that carries this object's certificate, as the notices view shows it. */
  async function noticeCertificate(id: string): Promise<Certificate | undefined> {
    await until(() => be.mailbox.notices().some((n) => n.notice.kind === pb.NoticeKind.NOTICE_KIND_ERASED && n.notice.erasures.some((c) => c.certificate?.objectId === id)), "the erasure notice at BE");
    const list = await api(be, "GET", "/v1/notices?kind=erased");
    expect(list.status).toBe(200);
    const items = list.body.items as Array<{ certificates?: Certificate[] }>;
    return items.flatMap((n) => n.certificates ?? []).find((c) => c.objectId === id);
  }

  it("answers a supplier's erasure with its certificate, sends it as a notice, and both match the audit log", async () => {
    const created = await api(be, "POST", "/v1/records", record("Certa Erasmus", "CONTENT-MARKER-7731"));
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    const erased = await api(be, "DELETE", `/v1/records/${id}?reason=case%20closed`);
    expect(erased.status).toBe(200);
    expect(erased.body).toMatchObject({ id, erased: true });
    const c = erased.body.certificate as Certificate;
    expect(c.auditLeafHash).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(c.contentCommitment).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Date.parse(c.erasedAt ?? "")).toBeLessThanOrEqual(Date.now());
    // No content: neither an identifier nor the free text.
    expect(erased.text).not.toMatch(/Certa|Erasmus|CONTENT-MARKER|1970-02-03/);
    await checkAgainstLog(c, id, "cis-supplier-erasure");
    expect(await noticeCertificate(id)).toEqual(c);
  });

  it("has `liaison records erase` print the certificate to keep", async () => {
    const id = (await api(be, "POST", "/v1/records", record("Cli Erasmus", "erase me"))).body.id as string;
    await be.app.listen({ port: 0, host: "127.0.0.1" });
    const url = `http://127.0.0.1:${(be.app.server.address() as AddressInfo).port}`;
    const { stdout } = await run(process.execPath, ["--import", "tsx", "src/cli/main.ts", "records", "erase", id, "--reason", "case closed"], {
      cwd: ROOT,
      env: { ...process.env, LIAISON_URL: url, LIAISON_TOKEN: be.token },
    });
    expect(stdout).toMatch(new RegExp(`^${id} erased\\nErasure certificate`));
    const printed = Object.fromEntries([...stdout.matchAll(/^ {2}(\w+): (.*)$/gm)].map((m) => [m[1], m[2]]));
    expect(Object.keys(printed)).toEqual(["objectType", "objectId", "supplier", "rule", "dueAt", "erasedAt", "contentCommitment", "auditEventId", "auditLeafHash"]);
    await checkAgainstLog(printed, id, "cis-supplier-erasure");
  });

  const fideEntry = (ref: string) => ({
    fileReference: ref,
    investigatingService: "AAD&A Antwerpen",
    contact: "insp. J. Peeters",
    subjects: [{ type: "person-name", value: "Fide Erasmus", dateOfBirth: "1970-02-03" }],
    offenceArea: "counterfeit-goods",
    status: "ongoing",
    lastInvestigativeAct: new Date(Date.now() - 86_400_000).toISOString().slice(0, 10),
  });

  it("answers a supplier's erasure of a FIDE entry with its certificate, sends it as a notice, and both match the audit log", async () => {
    const created = await api(be, "POST", "/v1/files", fideEntry("BE/CERT/0001"));
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    const erased = await api(be, "DELETE", `/v1/files/${id}?reason=case%20closed`);
    expect(erased.status).toBe(200);
    expect(erased.body).toMatchObject({ id, erased: true });
    const c = erased.body.certificate as Certificate;
    expect(c.auditLeafHash).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(c.contentCommitment).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(erased.text).not.toMatch(/Fide|Erasmus|BE\/CERT|Peeters|1970-02-03/);
    await checkAgainstLog(c, id, "fide-supplier-erasure", "file");
    expect(await noticeCertificate(id)).toEqual(c);
  });

  it("answers a FIDE entry's erasure by subject cleared with its certificate, sends it as a notice, and both match the audit log", async () => {
    const id = (await api(be, "POST", "/v1/files", fideEntry("BE/CERT/0003"))).body.id as string;
    const cleared = await api(be, "POST", `/v1/files/${id}/status`, { status: "subject-cleared" });
    expect(cleared.status).toBe(200);
    expect(cleared.body).toMatchObject({ id, status: "subject-cleared", erased: true, rule: "fide-cleared" });
    const c = cleared.body.certificate as Certificate;
    expect(c.auditLeafHash).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(cleared.text).not.toMatch(/Fide|Erasmus|BE\/CERT|Peeters|1970-02-03/);
    await checkAgainstLog(c, id, "fide-cleared", "file");
    expect(await noticeCertificate(id)).toEqual(c);
  });

  it("has `liaison files erase` print a FIDE entry's certificate to keep", async () => {
    const id = (await api(be, "POST", "/v1/files", fideEntry("BE/CERT/0002"))).body.id as string;
    if (!be.app.server.listening) await be.app.listen({ port: 0, host: "127.0.0.1" });
    const url = `http://127.0.0.1:${(be.app.server.address() as AddressInfo).port}`;
    const { stdout } = await run(process.execPath, ["--import", "tsx", "src/cli/main.ts", "files", "erase", id, "--reason", "case closed"], {
      cwd: ROOT,
      env: { ...process.env, LIAISON_URL: url, LIAISON_TOKEN: be.token },
    });
    expect(stdout).toMatch(new RegExp(`^${id} erased\\nErasure certificate`));
    const printed = Object.fromEntries([...stdout.matchAll(/^ {2}(\w+): (.*)$/gm)].map((m) => [m[1], m[2]]));
    expect(Object.keys(printed)).toEqual(["objectType", "objectId", "supplier", "rule", "dueAt", "erasedAt", "contentCommitment", "auditEventId", "auditLeafHash"]);
    await checkAgainstLog(printed, id, "fide-supplier-erasure", "file");
  });

  it("sends the certificates of what a retention sweep erased to their supplier", async () => {
    const t0 = Date.now();
    const id = (await api(be, "POST", "/v1/records", record("Swept Erasmus", "lapses unreviewed"))).body.id as string;
    const retention = await hub.startRetention({ now });
    offset = t0 + 11_000 - Date.now();
    const result = await retention.run();
    expect(result.erased).toBeGreaterThanOrEqual(1);
    expect((await api(be, "GET", `/v1/records/${id}`)).status).toBe(404);
    const c = await noticeCertificate(id);
    expect(c?.auditEventId).toBe(`erasure.record.${id}`);
    await checkAgainstLog(c ?? {}, id, "cis-review");
  });

  it("answers an erasure order given twice with the same certificate and leaf hash, those of the event the audit log keeps", async () => {
    const id = (await api(be, "POST", "/v1/records", record("Twice Erasmus", "ordered twice"))).body.id as string;
    // The same order twice, as a sweep repeats it after a lost answer (the object is already erased then).
    const order = pb.ErasureOrder.encode({ objectId: id, rule: "cis-review", dueAtMs: Date.now() + 10 * 365 * 86_400_000 }).finish();
    const first = pb.CertifiedErasure.decode(await requestService(hub.admin, subjects.api("records", "erase-due"), order));
    await new Promise((r) => setTimeout(r, 5));
    const second = pb.CertifiedErasure.decode(await requestService(hub.admin, subjects.api("records", "erase-due"), order));
    expect(first.auditEventId).toBe(`erasure.record.${id}`);
    expect(second.auditEventId).toBe(first.auditEventId);
    expect(b64u(second.auditLeafHash)).toBe(b64u(first.auditLeafHash));
    expect(pb.ErasureCertificate.toObject(second.certificate as pb.ErasureCertificate)).toEqual(pb.ErasureCertificate.toObject(first.certificate as pb.ErasureCertificate));
    const logged = await loggedEvent(first.auditEventId);
    expect(b64u(leafHash(logged?.bytes ?? new Uint8Array()))).toBe(b64u(second.auditLeafHash));
  });
});
