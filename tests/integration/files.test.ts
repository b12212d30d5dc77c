import { DeliverPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/nats-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isLiaisonError } from "../../src/errors.js";
import { FILES_STORE } from "../../src/hub-data/mod.js";
import { KEY_SHARDS, keyShardStream, requestService, subjects } from "../../src/nats/mod.js";
import { pb } from "../../src/proto/mod.js";
import { fideCaseRef } from "../../services/access-point/routes/files.js";
import { startTestHub, until, type TestAccessPoint, type TestHub } from "../support/hub.js";
import { filesUnder, readStoreFile } from "../support/store-files.js";

type Json = Record<string, unknown>;
const DAY = 86_400_000;
const HOUR = 3_600_000;

async function api(ap: TestAccessPoint, method: "GET" | "POST" | "DELETE", url: string, payload?: unknown) {
  const res = await ap.app.inject({ method, url, headers: { authorization: `Bearer ${ap.token}` }, ...(payload !== undefined ? { payload: payload as object } : {}) });
  return { status: res.statusCode, body: res.json() as Json, text: res.body };
}

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
/** The same day `years` later (UTC), as the retention rules count. */
const plusYears = (ms: number, years: number) => {
  const d = new Date(ms);
  d.setUTCFullYear(d.getUTCFullYear() + years);
  return d.getTime();
};

const file = (ref: string, extra: Json = {}) => ({
  fileReference: ref,
  investigatingService: "AAD&A Antwerpen, recherche",
  contact: "insp. J. Peeters, +32 3 555 01 02",
  subjects: [
    { type: "person-name", value: "MÜLLER, Hans", dateOfBirth: "1971-04-02" },
    { type: "travel-document-number", value: "XK 4471 009" },
  ],
  offenceArea: "tobacco-and-alcohol-smuggling",
  status: "ongoing",
  lastInvestigativeAct: day(Date.now() - 30 * DAY),
  ...extra,
});

describe("FIDE investigation-file index", () => {
  let hub: TestHub;
  let be: TestAccessPoint;
  let nl: TestAccessPoint;
  let de: TestAccessPoint;
  let retention: NatsConnection;
  /** The files service's clock runs this far ahead (to make an entry fall due). */
  let shift = 0;

  beforeAll(async () => {
    hub = await startTestHub({ cps: ["BE", "NL", "DE"] });
    await hub.startExchange();
    await hub.startFiles({ now: () => Date.now() + shift });
    [be, nl, de] = await Promise.all([hub.startAp("BE"), hub.startAp("NL"), hub.startAp("DE")]);
    retention = await hub.connectHub("retention");
  });
  afterAll(async () => {
    await hub?.stop();
  });

  /** The hours under which the due index holds a filing for this entry. */
  const dueFilings = async (id: string) => {
    const jsm = await jetstreamManager(hub.admin);
    const total = (await jsm.streams.info("DUE")).state.messages;
    if (total === 0) return [];
    const c = await jetstream(hub.admin).consumers.get("DUE", { filter_subjects: subjects.dueAll, deliver_policy: DeliverPolicy.All });
    const out: string[] = [];
    let seen = 0;
    const iter = await c.consume();
    for await (const m of iter) {
      const item = m.json<{ kind: string; id: string }>();
      if (item.kind === "file" && item.id === id) out.push(m.subject);
      if (++seen >= total || m.info.pending === 0) break;
    }
    await iter.close();
    return out;
  };

  it("answers a differently written name with only whom to ask, tells the supplier, and sends the one-call request", async () => {
    const lastAct = Date.parse(`${day(Date.now() - 30 * DAY)}T00:00:00Z`);
    const created = await api(be, "POST", "/v1/files", file("BE/AAD/2025/0042"));
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    // Ongoing: 12 months after the last investigative act (sooner than 3 years after registration).
    expect(Date.parse(created.body.retentionUntil as string)).toBe(plusYears(lastAct, 1));
    expect(await dueFilings(id)).toEqual([subjects.dueHour(String(Math.floor(plusYears(lastAct, 1) / HOUR)))]);

    const q = await api(nl, "POST", "/v1/files/query", { subjects: [{ type: "person-name", value: "hans muller" }], purpose: "container check at Rotterdam, case NL-81" });
    expect(q.status).toBe(200);
    const hits = q.body.hits as Json[];
    expect(hits).toHaveLength(1);
    const hit = hits[0] as Json;
    expect(Object.keys(hit).sort()).toEqual(["contact", "fileReference", "hitId", "investigatingService", "strength", "supplier"]);
    expect(hit).toMatchObject({ supplier: "BE", investigatingService: "AAD&A Antwerpen, recherche", contact: "insp. J. Peeters, +32 3 555 01 02", fileReference: "BE/AAD/2025/0042" });
    // Nothing about the subject, the offence or the status comes back.
    for (const leak of ["MÜLLER", "Hans", "1971", "XK", "4471", "tobacco", "ongoing", id]) expect(q.text, leak).not.toContain(leak);
    const hitId = hit.hitId as string;

    // The travel document number written another way hits too; another name does not.
    const byDoc = await api(nl, "POST", "/v1/files/query", { subjects: [{ type: "travel-document-number", value: "xk4471009" }], purpose: "second check" });
    expect((byDoc.body.hits as Json[]).map((h) => h.fileReference)).toEqual(["BE/AAD/2025/0042"]);
    const none = await api(nl, "POST", "/v1/files/query", { subjects: [{ type: "person-name", value: "Hans Meier" }], purpose: "third check" });
    expect(none.body.hits).toEqual([]);

    // The supplier's own query finds its entry, without a hit.
    const own = await api(be, "POST", "/v1/files/query", { subjects: [{ type: "person-name", value: "Müller Hans" }], purpose: "own check" });
    expect(own.body.hits).toEqual([expect.objectContaining({ entryId: id, supplier: "BE" })]);
    expect((own.body.hits as Json[])[0]).not.toHaveProperty("hitId");

    await until(() => be.mailbox.notices().some((n) => n.notice.kind === pb.NoticeKind.NOTICE_KIND_HIT && n.notice.details.hitId === hitId), "the hit notice at BE");
    const notice = ((await api(be, "GET", "/v1/notices?kind=hit")).body.items as Json[]).find((n) => (n.details as Json).hitId === hitId);
    expect(notice).toMatchObject({ objectType: "file", objectId: id, matchedBy: "NL", purpose: "container check at Rotterdam, case NL-81" });

    // One call: a mutual-assistance request to the contact point holding the file.
    const sent = await api(nl, "POST", `/v1/files/hits/${hitId}/request`, { body: "Please share what you hold on this person.", replyBy: new Date(Date.now() + 14 * DAY).toISOString() });
    expect(sent.status).toBe(202);
    expect(sent.body).toMatchObject({ status: "submitted", to: "BE", caseRef: fideCaseRef("BE", "BE/AAD/2025/0042") });
    const msgId = sent.body.id as string;
    await until(() => be.mailbox.entries().some((e) => e.box === "inbox" && e.id === msgId), "the request in BE's inbox");
    const opened = await api(be, "GET", `/v1/messages/${msgId}`);
    expect(opened.status).toBe(200);
    expect(opened.body).toMatchObject({ kind: "request", from: "NL", to: ["BE"], legalBasis: "assistance-on-request", caseRef: sent.body.caseRef });
    expect(opened.body.subject).toContain("BE/AAD/2025/0042");
    expect(opened.body.body).toContain("Please share what you hold on this person.");
    expect(opened.body.body).toContain(hitId);

    // The hit is NL's: another contact point cannot use it.
    const foreign = await api(de, "POST", `/v1/files/hits/${hitId}/request`, { body: "let me ask too" });
    expect(foreign.status).toBe(403);
    expect(foreign.body.code).toBe("LIAISON_FORBIDDEN");

    const events = await hub.auditEvents();
    const query = events.find((e) => e.action === pb.AuditAction.AUDIT_ACTION_QUERY && e.service === "files" && e.authority === "NL" && e.purpose === "container check at Rotterdam, case NL-81");
    expect(query?.searchRefs?.[0]).toMatch(/^[0-9a-f]{64}$/);
    expect(query?.matched).toEqual([id]);
    expect(events.some((e) => e.action === pb.AuditAction.AUDIT_ACTION_HIT && e.service === "files" && e.objectId === id && e.authority === "NL" && e.details?.hitId === hitId)).toBe(true);
    expect(events.some((e) => e.action === pb.AuditAction.AUDIT_ACTION_SUBMIT && e.service === "files" && e.objectId === id && e.authority === "BE")).toBe(true);
  });

  it("moves the retention limit with the status as Art. 19 says, for the supplier only", async () => {
    const lastAct = Date.parse(`${day(Date.now() - 60 * DAY)}T00:00:00Z`);
    const id = (await api(be, "POST", "/v1/files", file("BE/AAD/2025/0043", { lastInvestigativeAct: day(lastAct) }))).body.id as string;
    const entry = await api(be, "GET", `/v1/files/${id}`);
    expect(entry.status).toBe(200);
    expect(entry.body).toMatchObject({ id, supplier: "BE", fileReference: "BE/AAD/2025/0043", status: "ongoing", offenceArea: "tobacco-and-alcohol-smuggling", retentionRule: "fide-ongoing" });
    expect((entry.body.subjects as Json[])[0]).toEqual({ type: "person-name", value: "MÜLLER, Hans", dateOfBirth: "1971-04-02" });
    const createdAt = Date.parse(entry.body.createdAt as string);

    for (const [method, url, body] of [
      ["POST", `/v1/files/${id}/status`, { status: "offence-established" }],
      ["GET", `/v1/files/${id}`, undefined],
      ["DELETE", `/v1/files/${id}`, undefined],
    ] as const) {
      const res = await api(nl, method, url, body);
      expect(res.status, `${method} ${url}`).toBe(403);
      expect(res.body.code).toBe("LIAISON_NOT_SUPPLIER");
    }
    const refusals = (await hub.auditEvents()).filter((e) => e.action === pb.AuditAction.AUDIT_ACTION_REFUSAL && e.service === "files" && e.authority === "NL" && e.reasonCode === "LIAISON_NOT_SUPPLIER");
    expect(refusals.map((e) => e.objectId).sort()).toEqual(["files.erase", "files.get", "files.status"]);
    expect((await api(be, "GET", `/v1/files/${id}`)).body.status).toBe("ongoing");

    const offence = await api(be, "POST", `/v1/files/${id}/status`, { status: "offence-established" });
    expect(offence.status).toBe(200);
    expect(offence.body).toMatchObject({ status: "offence-established", rule: "fide-offence", erased: false });
    expect(Date.parse(offence.body.retentionUntil as string)).toBe(plusYears(createdAt, 6));

    const before = Date.now();
    const conviction = await api(be, "POST", `/v1/files/${id}/status`, { status: "conviction-or-penalty" });
    expect(conviction.body).toMatchObject({ status: "conviction-or-penalty", rule: "fide-conviction" });
    const until10 = Date.parse(conviction.body.retentionUntil as string);
    expect(until10).toBeGreaterThanOrEqual(plusYears(before, 10));
    expect(until10).toBeLessThanOrEqual(plusYears(Date.now(), 10));

    // Back to ongoing with a fresh investigative act: 12 months after it.
    const today = Date.parse(`${day(Date.now())}T00:00:00Z`);
    const ongoing = await api(be, "POST", `/v1/files/${id}/status`, { status: "ongoing", lastInvestigativeAct: day(today) });
    expect(ongoing.body).toMatchObject({ status: "ongoing", rule: "fide-ongoing" });
    expect(Date.parse(ongoing.body.retentionUntil as string)).toBe(plusYears(today, 1));
    const after = await api(be, "GET", `/v1/files/${id}`);
    expect(after.body).toMatchObject({ status: "ongoing", lastInvestigativeAct: new Date(today).toISOString(), retentionUntil: ongoing.body.retentionUntil });
    // The due index holds one filing, under the new limit's hour.
    expect(await dueFilings(id)).toEqual([subjects.dueHour(String(Math.floor(plusYears(today, 1) / HOUR)))]);

    const amends = (await hub.auditEvents()).filter((e) => e.action === pb.AuditAction.AUDIT_ACTION_AMEND && e.service === "files" && e.objectId === id);
    expect(amends.map((e) => e.details?.rule)).toEqual(["fide-offence", "fide-conviction", "fide-ongoing"]);
  });

  it("erases an entry at once when its subject is cleared, with an erasure certificate in the log", async () => {
    const id = (await api(be, "POST", "/v1/files", file("BE/AAD/2025/0044", { subjects: [{ type: "person-name", value: "Clara Cleared" }] }))).body.id as string;
    const q = await api(nl, "POST", "/v1/files/query", { subjects: [{ type: "person-name", value: "cleared clara" }], purpose: "check before clearing" });
    const hitId = (q.body.hits as Json[])[0]?.hitId as string;
    expect(hitId).toBeTruthy();

    const cleared = await api(be, "POST", `/v1/files/${id}/status`, { status: "subject-cleared" });
    expect(cleared.status).toBe(200);
    expect(cleared.body).toMatchObject({ id, status: "subject-cleared", rule: "fide-cleared", erased: true });
    expect((await api(be, "GET", `/v1/files/${id}`)).status).toBe(404);
    const again = await api(nl, "POST", "/v1/files/query", { subjects: [{ type: "person-name", value: "cleared clara" }], purpose: "check after clearing" });
    expect(again.body.hits).toEqual([]);
    const late = await api(nl, "POST", `/v1/files/hits/${hitId}/request`, { body: "still there?" });
    expect(late.status).toBe(410);
    expect(late.body.code).toBe("LIAISON_ERASED");
    expect(await dueFilings(id)).toEqual([]);

    const cert = (await hub.auditEvents()).find((e) => e.action === pb.AuditAction.AUDIT_ACTION_ERASE && e.service === "files" && e.objectId === id)?.erasure;
    expect(cert).toMatchObject({ objectType: "file", objectId: id, supplier: "BE", rule: "fide-cleared" });
    expect(cert?.contentCommitment?.length).toBe(32);

    // The supplier may also erase an entry outright, and gets its certificate (tests/integration/erasure-certificates.test.ts).
    const other = (await api(be, "POST", "/v1/files", file("BE/AAD/2025/0045"))).body.id as string;
    const erased = await api(be, "DELETE", `/v1/files/${other}?reason=registered+in+error`);
    expect(erased.body).toEqual({ id: other, erased: true, certificate: expect.objectContaining({ objectType: "file", objectId: other, supplier: "BE", rule: "fide-supplier-erasure" }) });
    expect((await api(be, "GET", `/v1/files/${other}`)).status).toBe(404);
    const cert2 = (await hub.auditEvents()).find((e) => e.action === pb.AuditAction.AUDIT_ACTION_ERASE && e.service === "files" && e.objectId === other)?.erasure;
    expect(cert2).toMatchObject({ objectType: "file", rule: "fide-supplier-erasure" });
  });

  it("erases an entry on the retention service's order once its limit has passed, and not before", async () => {
    const id = (await api(be, "POST", "/v1/files", file("BE/AAD/2025/0046", { subjects: [{ type: "person-name", value: "Otto Overdue" }] }))).body.id as string;
    const entry = await api(be, "GET", `/v1/files/${id}`);
    const dueAtMs = Date.parse(entry.body.retentionUntil as string);
    const order = pb.ErasureOrder.encode({ objectId: id, rule: "fide-ongoing", dueAtMs }).finish();

    const early = await requestService(retention, subjects.api("files", "erase-due"), order).catch((e: unknown) => e);
    expect(isLiaisonError(early) && early.code).toBe("LIAISON_CONFLICT");
    expect((await api(be, "GET", `/v1/files/${id}`)).status).toBe(200);

    shift = dueAtMs - Date.now() + DAY;
    let certBytes: Uint8Array;
    try {
      certBytes = await requestService(retention, subjects.api("files", "erase-due"), order);
    } finally {
      shift = 0;
    }
    const cert = pb.CertifiedErasure.decode(certBytes).certificate as pb.ErasureCertificate;
    expect(cert).toMatchObject({ objectType: "file", objectId: id, supplier: "BE", rule: "fide-ongoing", dueAtMs });
    expect((await api(be, "GET", `/v1/files/${id}`)).status).toBe(404);
    // The second step: the entry's stored revision, named in the certificate, is overwritten on the
    // sweep's order; until then its filing stays, so a sweep cut short still finishes it.
    const revision = Number(cert.overwritePendingRevision);
    expect(revision).toBeGreaterThan(0);
    const jsm = await jetstreamManager(hub.admin);
    expect((await jsm.streams.getMessage("KV_files", { seq: revision }))?.subject).toBe(`$KV.files.file.${id}`);
    expect(await dueFilings(id)).not.toEqual([]);
    await requestService(retention, subjects.api("files", "erase-due"), pb.ErasureOrder.encode({ objectId: id, overwriteRevision: revision }).finish());
    expect(await jsm.streams.getMessage("KV_files", { seq: revision })).toBeNull();
    const again = await requestService(retention, subjects.api("files", "erase-due"), order).catch((e: unknown) => e);
    expect(isLiaisonError(again) && again.code).toBe("LIAISON_NOT_FOUND");
    const event = (await hub.auditEvents()).find((e) => e.action === pb.AuditAction.AUDIT_ACTION_ERASE && e.service === "files" && e.objectId === id);
    expect(event).toMatchObject({ authority: "HUB", userId: "retention", erasure: expect.objectContaining({ rule: "fide-ongoing" }) });
  });

  it("refuses a query without a purpose, and bad input of every kind, storing nothing", async () => {
    const jsm = await jetstreamManager(hub.admin);
    const count = async () => Promise.all(["KV_files", "DUE", ...Array.from({ length: KEY_SHARDS }, (_, k) => keyShardStream(k))].map(async (s) => (await jsm.streams.info(s)).state.messages));
    const before = await count();

    const noPurpose = await api(nl, "POST", "/v1/files/query", { subjects: [{ type: "person-name", value: "x y" }], purpose: "  " });
    expect(noPurpose.status).toBe(400);
    expect(noPurpose.body.code).toBe("LIAISON_PURPOSE_REQUIRED");

    const cases: Array<[string, Json, string]> = [
      ["bad container number", file("BE/X/1", { subjects: [{ type: "container-number", value: "CSQU3054384" }] }), "LIAISON_BAD_IDENTIFIER"],
      ["impossible date of birth", file("BE/X/2", { subjects: [{ type: "person-name", value: "A B", dateOfBirth: "1980-02-31" }] }), "LIAISON_BAD_DATE"],
      ["impossible date of the last act", file("BE/X/3", { lastInvestigativeAct: "2025-02-30" }), "LIAISON_BAD_DATE"],
      ["last act in the future", file("BE/X/4", { lastInvestigativeAct: day(Date.now() + 30 * DAY) }), "LIAISON_BAD_DATE"],
      ["registered as cleared", file("BE/X/5", { status: "subject-cleared" }), "LIAISON_VALIDATION"],
      ["ongoing, last act over a year ago", file("BE/X/6", { lastInvestigativeAct: day(Date.now() - 400 * DAY) }), "LIAISON_VALIDATION"],
      ["unknown offence area", file("BE/X/7", { offenceArea: "piracy" }), "LIAISON_VALIDATION"],
      ["no subjects", file("BE/X/8", { subjects: [] }), "LIAISON_VALIDATION"],
    ];
    for (const [what, body, code] of cases) {
      const res = await api(be, "POST", "/v1/files", body);
      expect(res.status, what).toBe(400);
      expect(res.body.code, what).toBe(code);
    }

    expect(await count()).toEqual(before);
    const refusals = (await hub.auditEvents()).filter((e) => e.action === pb.AuditAction.AUDIT_ACTION_REFUSAL && e.service === "files").map((e) => e.reasonCode);
    expect(refusals).toEqual(expect.arrayContaining(["LIAISON_PURPOSE_REQUIRED", "LIAISON_BAD_IDENTIFIER", "LIAISON_BAD_DATE", "LIAISON_VALIDATION"]));
  });

  it("documents every /v1/files route in the access point's OpenAPI", async () => {
    const doc = (await be.app.inject({ method: "GET", url: "/docs/json" })).json() as { paths: Record<string, Record<string, unknown>> };
    expect(Object.keys(doc.paths["/v1/files"] ?? {})).toEqual(["post"]);
    expect(Object.keys(doc.paths["/v1/files/{id}"] ?? {}).sort()).toEqual(["delete", "get"]);
    for (const p of ["/v1/files/query", "/v1/files/{id}/status", "/v1/files/hits/{hitId}/request"]) expect(Object.keys(doc.paths[p] ?? {}), p).toEqual(["post"]);
  });

  it("keeps no identifier, file reference or contact in clear anywhere in the JetStream store", async () => {
    const stamp = `${Date.now()}${Math.random().toString(36).slice(2, 8)}`;
    const name = `Zyxwv${stamp} Filemarker`;
    const doc = `QF${stamp}`.toUpperCase().slice(0, 20);
    const ref = `FREF-MARKER-${stamp}`;
    const contact = `CONTACT-MARKER-${stamp}`;
    const service = `SERVICE-MARKER-${stamp}`;
    const res = await api(be, "POST", "/v1/files", {
      ...file(ref, { subjects: [{ type: "person-name", value: name }, { type: "travel-document-number", value: doc }] }),
      contact,
      investigatingService: service,
    });
    expect(res.status).toBe(201);
    const q = await api(nl, "POST", "/v1/files/query", { subjects: [{ type: "travel-document-number", value: doc }], purpose: "marker check" });
    const hitId = (q.body.hits as Json[])[0]?.hitId as string;
    expect((q.body.hits as Json[])[0]?.fileReference).toBe(ref);
    const sent = await api(nl, "POST", `/v1/files/hits/${hitId}/request`, { body: "marker request" });
    expect(sent.status).toBe(202);
    await until(() => be.mailbox.entries().some((e) => e.id === sent.body.id), "the request at BE");
    const st = await api(be, "POST", `/v1/files/${res.body.id as string}/status`, { status: "offence-established" });
    expect(st.status).toBe(200);
    await hub.auditEvents(); // everything emitted is stored by now

    const storeDir = hub.nats.storeDir as string;
    const files = filesUnder(storeDir);
    expect(files.length).toBeGreaterThan(10);
    for (const marker of [name, name.toLowerCase(), `filemarker zyxwv${stamp}`.toLowerCase(), doc, ref, contact, service]) {
      expect(files.filter((f) => readStoreFile(f).includes(marker)), marker).toEqual([]);
    }
  });

  // Last in this file: it moves the clocks past every entry's limit.
  it("is erased by the retention sweep once its limit has passed: stored entry overwritten, filing gone, certified once", async () => {
    const id = (await api(be, "POST", "/v1/files", file("BE/AAD/2025/SWEEP"))).body.id as string;
    const until = Date.parse((await api(be, "GET", `/v1/files/${id}`)).body.retentionUntil as string);
    const stored = await new Kvm(hub.admin).open(FILES_STORE.bucket).then((kv) => kv.get(FILES_STORE.key(id)));
    const ciphertext = Buffer.from(FILES_STORE.decode(stored?.value ?? new Uint8Array()).ciphertext);
    const onDisk = () => filesUnder(hub.nats.storeDir as string).filter((f) => readStoreFile(f).includes(ciphertext));
    expect(ciphertext.length).toBeGreaterThan(0);
    expect(onDisk().length).toBeGreaterThan(0);
    expect(await dueFilings(id)).not.toEqual([]);

    shift = until - Date.now() + 1_000; // both services' clocks: just past the limit
    const sweeper = await hub.startRetention({ now: () => Date.now() + shift });
    try {
      const result = await sweeper.run();
      expect(result.erased).toBeGreaterThanOrEqual(1);
      expect(result.overwritten).toBe(result.erased);
    } finally {
      shift = 0;
      await sweeper.close();
    }
    expect((await api(be, "GET", `/v1/files/${id}`)).status).toBe(404);
    expect(onDisk()).toEqual([]);
    expect(await dueFilings(id)).toEqual([]);
    const certs = (await hub.auditEvents()).filter((e) => e.action === pb.AuditAction.AUDIT_ACTION_ERASE && e.objectId === id);
    expect(certs.map((e) => e.id)).toEqual([`erasure.file.${id}`]);
    expect(certs[0]?.erasure).toMatchObject({ objectType: "file", supplier: "BE", rule: "fide-ongoing", dueAtMs: until });
  });
});

