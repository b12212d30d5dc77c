import { join } from "node:path";
import { jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HIT_KEEP_MS, KEY_SHARDS, keyShardStream } from "../../src/nats/mod.js";
import { pb } from "../../src/proto/mod.js";
import { startTestHub, until, type TestAccessPoint, type TestHub } from "../support/hub.js";
import { filesUnder, readStoreFile } from "../support/store-files.js";

type Json = Record<string, unknown>;

async function api(ap: TestAccessPoint, method: "GET" | "POST" | "PATCH" | "DELETE", url: string, payload?: unknown) {
  const res = await ap.app.inject({ method, url, headers: { authorization: `Bearer ${ap.token}` }, ...(payload !== undefined ? { payload: payload as object } : {}) });
  return { status: res.statusCode, body: res.json() as Json };
}

const personRecord = (name: string, extra: Json = {}) => ({
  category: "person",
  purpose: "specific-check",
  suggestedAction: "check luggage and vehicle",
  identifiers: [
    { type: "person-name", value: name, dateOfBirth: "1971-04-02" },
    { type: "travel-document-number", value: "XK 4471 009" },
  ],
  freeText: "Suspected of cigarette smuggling via Zeebrugge",
  handling: { codes: ["H2"] },
  ...extra,
});

describe("CIS records", () => {
  let hub: TestHub;
  let be: TestAccessPoint;
  let nl: TestAccessPoint;

  beforeAll(async () => {
    hub = await startTestHub({ cps: ["BE", "NL"] });
    await hub.startExchange();
    await hub.startRecords();
    [be, nl] = await Promise.all([hub.startAp("BE"), hub.startAp("NL")]);
  });
  afterAll(async () => {
    await hub?.stop();
  });

  it("finds a record by a name written differently, tells the supplier of the hit, and takes the outcome", async () => {
    const created = await api(be, "POST", "/v1/records", personRecord("MÜLLER, Hans"));
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    expect(Date.parse(created.body.reviewDue as string) - Date.now()).toBeGreaterThan(360 * 86_400_000);

    const q = await api(nl, "POST", "/v1/records/query", { identifiers: [{ type: "person-name", value: "muller hans" }], purpose: "border check at Rotterdam, case NL-77" });
    expect(q.status).toBe(200);
    const matches = q.body.matches as Array<{ record: Json; hitId: string; matchedOn: string[] }>;
    expect(matches).toHaveLength(1);
    expect(matches[0]?.record.id).toBe(id);
    expect(matches[0]?.record.freeText).toBe("Suspected of cigarette smuggling via Zeebrugge");
    expect(matches[0]?.matchedOn).toEqual(["IDENTIFIER_TYPE_PERSON_NAME"]);
    const hitId = matches[0]?.hitId as string;
    expect(hitId).toBeTruthy();

    // Name with date of birth matches the pair; a different date of birth matches the name only.
    const precise = await api(nl, "POST", "/v1/records/query", { identifiers: [{ type: "person-name", value: "Hans Muller", dateOfBirth: "02.04.1971" }], purpose: "border check" });
    expect((precise.body.matches as Array<{ matchedOn: string[] }>)[0]?.matchedOn.sort()).toEqual(["IDENTIFIER_TYPE_PERSON_NAME", "PERSON_NAME_DATE_OF_BIRTH"]);
    const none = await api(nl, "POST", "/v1/records/query", { identifiers: [{ type: "person-name", value: "Hans Meier" }], purpose: "border check" });
    expect(none.body.matches).toEqual([]);

    await until(() => be.mailbox.notices().some((n) => n.notice.kind === pb.NoticeKind.NOTICE_KIND_HIT && n.notice.objectId === id), "the hit notice at BE");
    const notices = await api(be, "GET", "/v1/notices?kind=hit");
    const notice = (notices.body.items as Json[]).find((n) => (n.details as Json).hitId === hitId) as Json;
    expect(notice).toMatchObject({ matchedBy: "NL", purpose: "border check at Rotterdam, case NL-77" });

    const outcome = `vehicle stopped and searched; 40 cartons seized (${Math.random().toString(36).slice(2)})`;
    const out = await api(nl, "POST", `/v1/hits/${hitId}/outcome`, { outcome });
    expect(out.status).toBe(200);
    await until(() => be.mailbox.notices().some((n) => n.notice.kind === pb.NoticeKind.NOTICE_KIND_HIT_OUTCOME && n.notice.details.hitId === hitId), "the outcome at BE");
    // The supplier reads the outcome: it came sealed to BE and opens at BE's access point.
    const outcomes = await api(be, "GET", "/v1/notices?kind=hit-outcome");
    expect((outcomes.body.items as Json[]).find((n) => (n.details as Json).hitId === hitId)).toMatchObject({ matchedBy: "NL", details: { hitId, outcome } });

    // The hit is kept, without its outcome, in a bucket that lets it go after a year; the outcome
    // is content and is in no file of the hub's store (not in the hit, not in the notice's copy).
    const hits = await new Kvm(hub.admin).open("hits");
    const kept = await hits.get(`rec.hit.${hitId}`);
    expect(kept && pb.StoredHit.decode(kept.value)).toMatchObject({ objectId: id, matchedBy: "NL", supplier: "BE" });
    expect(Number(kept && pb.StoredHit.decode(kept.value).outcomeAtMs)).toBeGreaterThan(0);
    const holding = filesUnder(hub.nats.storeDir as string).filter((f) => readStoreFile(f).includes(Buffer.from(outcome)));
    expect(holding.map((f) => f.slice((hub.nats.storeDir as string).length))).toEqual([]);
    expect((await hits.status()).ttl).toBe(HIT_KEEP_MS);
    expect(HIT_KEEP_MS).toBe(365 * 86_400_000);

    const events = await hub.auditEvents();
    const query = events.find((e) => e.action === pb.AuditAction.AUDIT_ACTION_QUERY && e.authority === "NL" && e.service === "records");
    expect(query?.purpose).toBe("border check at Rotterdam, case NL-77");
    expect(query?.searchRefs?.[0]).toMatch(/^[0-9a-f]{64}$/);
    expect(query?.matched).toEqual([id]);
    expect(events.some((e) => e.action === pb.AuditAction.AUDIT_ACTION_HIT && e.objectId === id && e.authority === "NL")).toBe(true);
  });

  it("reads a record with its attachment, and logs the read", async () => {
    const created = await api(be, "POST", "/v1/records", personRecord("Jan Peeters", { attachments: [{ name: "photo.txt", mediaType: "text/plain", contentBase64: Buffer.from("a picture").toString("base64") }] }));
    const id = created.body.id as string;
    const got = await api(nl, "GET", `/v1/records/${id}`);
    expect(got.status).toBe(200);
    expect(got.body.supplier).toBe("BE");
    expect((got.body.attachments as Json[])[0]).toMatchObject({ name: "photo.txt", size: 9, contentBase64: Buffer.from("a picture").toString("base64") });
    expect((got.body.handling as Json).codes).toEqual([{ code: "H2", meaning: expect.stringContaining("disseminated") }]);
    const events = await hub.auditEvents();
    expect(events.some((e) => e.action === pb.AuditAction.AUDIT_ACTION_READ && e.objectId === id && e.authority === "NL" && e.service === "records")).toBe(true);
  });

  it("lets only the supplier amend, renew or erase, and logs every refusal", async () => {
    const id = (await api(be, "POST", "/v1/records", personRecord("Anna Visser"))).body.id as string;
    for (const [method, url, body] of [
      ["PATCH", `/v1/records/${id}`, personRecord("Someone Else")],
      ["POST", `/v1/records/${id}/renew`, { reason: "still relevant" }],
      ["DELETE", `/v1/records/${id}`, undefined],
    ] as const) {
      const res = await api(nl, method, url, body);
      expect(res.status, `${method} ${url}`).toBe(403);
      expect(res.body.code).toBe("LIAISON_NOT_SUPPLIER");
    }
    const refusals = (await hub.auditEvents()).filter((e) => e.action === pb.AuditAction.AUDIT_ACTION_REFUSAL && e.reasonCode === "LIAISON_NOT_SUPPLIER" && e.authority === "NL");
    expect(refusals.length).toBe(3);

    const renewed = await api(be, "POST", `/v1/records/${id}/renew`, { reason: "case still open" });
    expect(renewed.status).toBe(200);
    expect(renewed.body.renewals).toBe(1);
    const amended = await api(be, "PATCH", `/v1/records/${id}`, personRecord("Anna Visser-de Vries"));
    expect(amended.status).toBe(200);
    expect((amended.body.identifiers as Json[])[0]?.value).toBe("Anna Visser-de Vries");
    const q = await api(nl, "POST", "/v1/records/query", { identifiers: [{ type: "person-name", value: "visser de vries anna" }], purpose: "check" });
    expect((q.body.matches as unknown[]).length).toBe(1);

    const erased = await api(be, "DELETE", `/v1/records/${id}?reason=case+closed`);
    expect(erased.status).toBe(200);
    expect((await api(nl, "GET", `/v1/records/${id}`)).status).toBe(404);
    const q2 = await api(nl, "POST", "/v1/records/query", { identifiers: [{ type: "person-name", value: "visser de vries anna" }], purpose: "check" });
    expect(q2.body.matches).toEqual([]);
    const cert = (await hub.auditEvents()).find((e) => e.action === pb.AuditAction.AUDIT_ACTION_ERASE && e.objectId === id && e.service === "records")?.erasure;
    expect(cert).toMatchObject({ objectType: "record", objectId: id, supplier: "BE", rule: "cis-supplier-erasure" });
  });

  it("refuses a query without a purpose, and bad input of every kind, storing nothing", async () => {
    const jsm = await jetstreamManager(hub.admin);
    const count = async () => Promise.all(["KV_records", ...Array.from({ length: KEY_SHARDS }, (_, k) => keyShardStream(k))].map(async (s) => (await jsm.streams.info(s)).state.messages));
    const before = await count();

    const noPurpose = await api(nl, "POST", "/v1/records/query", { identifiers: [{ type: "person-name", value: "x y" }], purpose: "  " });
    expect(noPurpose.status).toBe(400);
    expect(noPurpose.body.code).toBe("LIAISON_PURPOSE_REQUIRED");

    const unknownCategory = await api(be, "POST", "/v1/records", personRecord("A B", { category: "weapons" }));
    expect(unknownCategory.status).toBe(400);
    expect(unknownCategory.body.code).toBe("LIAISON_VALIDATION");
    expect(unknownCategory.body.detail).toMatch(/category/);

    const badContainer = await api(be, "POST", "/v1/records", personRecord("A B", { identifiers: [{ type: "container-number", value: "CSQU3054384" }] }));
    expect(badContainer.status).toBe(400);
    expect(badContainer.body.code).toBe("LIAISON_BAD_IDENTIFIER");

    const badDate = await api(be, "POST", "/v1/records", personRecord("A B", { identifiers: [{ type: "person-name", value: "A B", dateOfBirth: "1980-02-31" }] }));
    expect(badDate.status).toBe(400);
    expect(badDate.body.code).toBe("LIAISON_BAD_DATE");

    const big = await api(be, "POST", "/v1/records", personRecord("A B", { attachments: [{ name: "big.bin", contentBase64: Buffer.alloc(4 * 1024 * 1024 + 1).toString("base64") }] }));
    expect(big.status).toBe(413);
    expect(big.body.code).toBe("LIAISON_ATTACHMENT_TOO_LARGE");

    expect(await count()).toEqual(before);
    const refusals = (await hub.auditEvents()).filter((e) => e.action === pb.AuditAction.AUDIT_ACTION_REFUSAL && e.service === "records").map((e) => e.reasonCode);
    expect(refusals).toEqual(expect.arrayContaining(["LIAISON_PURPOSE_REQUIRED", "LIAISON_BAD_IDENTIFIER", "LIAISON_BAD_DATE", "LIAISON_ATTACHMENT_TOO_LARGE"]));
  });

  it("keeps no identifier and no content in clear anywhere in the JetStream store", async () => {
    const name = `Zyxwv${Date.now()} Markerman`;
    const doc = `QZ${Date.now()}`;
    const text = `FREETEXT-MARKER-${Math.random().toString(36).slice(2)}`;
    const res = await api(be, "POST", "/v1/records", personRecord(name, { identifiers: [{ type: "person-name", value: name }, { type: "travel-document-number", value: doc }], freeText: text }));
    expect(res.status).toBe(201);
    const q = await api(nl, "POST", "/v1/records/query", { identifiers: [{ type: "travel-document-number", value: doc }], purpose: "marker check" });
    expect((q.body.matches as unknown[]).length).toBe(1);
    await hub.auditEvents(); // everything emitted is stored by now
    const storeDir = hub.nats.storeDir as string;
    const files = filesUnder(storeDir);
    expect(files.length).toBeGreaterThan(10);
    for (const marker of [name, name.toLowerCase(), "markerman zyxwv", doc, text]) {
      expect(files.filter((f) => readStoreFile(f).includes(marker)), marker).toEqual([]);
    }
  });
});

describe("refused identifiers", () => {
  let hub: TestHub;
  let be: TestAccessPoint;
  let nl: TestAccessPoint;

  beforeAll(async () => {
    hub = await startTestHub({ cps: ["BE", "NL"] });
    await hub.startExchange();
    await hub.startRecords();
    [be, nl] = await Promise.all([hub.startAp("BE"), hub.startAp("NL")]);
  });
  afterAll(async () => {
    await hub?.stop();
  });

  it("names a refused identifier by its type and position, and writes its value nowhere in the audit log", async () => {
    // Too long for a travel document, and a date that does not exist: both refused, both distinctive.
    const doc = `QZ${Date.now()}${Math.floor(Math.random() * 1e9)}`;
    const dob = "31.02.1957";
    const submitted = await api(be, "POST", "/v1/records", personRecord("Anna Bad", { identifiers: [{ type: "person-name", value: "Anna Bad" }, { type: "travel-document-number", value: doc }] }));
    expect(submitted.status).toBe(400);
    expect(submitted.body.code).toBe("LIAISON_BAD_IDENTIFIER");
    expect(submitted.body.detail).toMatch(/identifiers\[1\].*TRAVEL_DOCUMENT_NUMBER/);
    const queried = await api(nl, "POST", "/v1/records/query", { identifiers: [{ type: "travel-document-number", value: doc }], purpose: "marker check" });
    expect(queried.status).toBe(400);
    expect(queried.body.detail).toMatch(/identifiers\[0\].*TRAVEL_DOCUMENT_NUMBER/);
    const badDob = await api(nl, "POST", "/v1/records/query", { identifiers: [{ type: "person-name", value: "Anna Bad" }, { type: "person-name", value: "Bert Bad", dateOfBirth: dob }], purpose: "marker check" });
    expect(badDob.status).toBe(400);
    expect(badDob.body.code).toBe("LIAISON_BAD_DATE");
    expect(badDob.body.detail).toMatch(/identifiers\[1\].*date of birth/);

    const events = await hub.auditEvents();
    const refusals = events.filter((e) => e.action === pb.AuditAction.AUDIT_ACTION_REFUSAL && e.service === "records");
    expect(refusals.map((e) => e.reasonCode)).toEqual(expect.arrayContaining(["LIAISON_BAD_IDENTIFIER", "LIAISON_BAD_DATE"]));
    const everything = JSON.stringify(events);
    const markers = [doc, dob, "1957-02-31", "31021957"];
    for (const m of markers) expect(everything.includes(m), m).toBe(false);
    // Nor in any file of the AUDIT stream, nor anywhere else in the store.
    const files = filesUnder(hub.nats.storeDir as string);
    expect(files.some((f) => f.includes(`${join("streams", "AUDIT")}`))).toBe(true);
    for (const m of markers) expect(files.filter((f) => readStoreFile(f).includes(m)), m).toEqual([]);
  });
});
