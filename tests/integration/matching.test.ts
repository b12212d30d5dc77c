// What a contact point's operators expect of a blind name search (issue #17, "Matching"): the ICAO
// 9303 writings of umlauts, particles and apostrophes, a surname alone, and a strength on every
// match, also in the query's audit event (which names no one).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pb } from "../../src/proto/mod.js";
import { startTestHub, type TestAccessPoint, type TestHub } from "../support/hub.js";

type Json = Record<string, unknown>;
type Match = { record?: Json; hitId?: string; supplier?: string; category?: string; matchedOn: string[]; strength: string };

async function api(ap: TestAccessPoint, method: "POST", url: string, payload: unknown) {
  const res = await ap.app.inject({ method, url, headers: { authorization: `Bearer ${ap.token}` }, payload: payload as object });
  return { status: res.statusCode, body: res.json() as Json, text: res.body };
}

const record = (name: string, dateOfBirth?: string) => ({
  category: "person",
  purpose: "specific-check",
  identifiers: [{ type: "person-name", value: name, ...(dateOfBirth ? { dateOfBirth } : {}) }],
  freeText: "Suspected of cigarette smuggling via Zeebrugge",
});

describe("matching names blind", () => {
  let hub: TestHub;
  let be: TestAccessPoint;
  let nl: TestAccessPoint;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    hub = await startTestHub({ cps: ["BE", "NL"] });
    await hub.startExchange();
    await hub.startRecords();
    await hub.startFiles();
    [be, nl] = await Promise.all([hub.startAp("BE"), hub.startAp("NL")]);
    for (const [key, name, dob] of [
      ["muller", "Müller, Hans", "1971-04-02"],
      ["obrien", "O'Brien, Seán", undefined],
      ["vanderberg", "van der Berg, Jan", undefined],
      ["vanderbergJoined", "Piet Vanderberg", undefined],
    ] as const) {
      const created = await api(be, "POST", "/v1/records", record(name, dob));
      expect(created.status).toBe(201);
      ids[key] = created.body.id as string;
    }
  });
  afterAll(async () => {
    await hub?.stop();
  });

  const queryAs = async (ap: TestAccessPoint, value: string, dateOfBirth?: string) => {
    const q = await api(ap, "POST", "/v1/records/query", { identifiers: [{ type: "person-name", value, ...(dateOfBirth ? { dateOfBirth } : {}) }], purpose: "border check at Rotterdam" });
    expect(q.status).toBe(200);
    return q;
  };
  const query = async (value: string, dateOfBirth?: string): Promise<Match[]> => (await queryAs(nl, value, dateOfBirth)).body.matches as Match[];
  const found = (matches: Match[], key: string) => matches.find((m) => m.record?.id === ids[key]);
  /** The record a stub's hit was on, as the hub's hit event names it (the answer does not). */
  const hitObject = async (hitId: string | undefined) =>
    (await hub.auditEvents()).find((e) => e.action === pb.AuditAction.AUDIT_ACTION_HIT && e.details?.hitId === hitId)?.objectId;

  it("finds Müller written MUELLER (ICAO 9303: ü as UE) as a folded match, and MULLER as an exact one", async () => {
    expect(found(await query("MULLER HANS", "02.04.1971"), "muller")?.strength).toBe("exact");
    const folded = found(await query("MUELLER HANS", "02.04.1971"), "muller");
    expect(folded?.strength).toBe("folded");
    expect(folded?.matchedOn.sort()).toEqual(["PERSON_NAME_VARIANT", "PERSON_NAME_VARIANT_DATE_OF_BIRTH"]);
  });

  it("finds O'Brien written OBRIEN, the apostrophe dropped", async () => {
    expect(found(await query("OBRIEN SEAN"), "obrien")?.strength).toBe("folded");
  });

  it("finds van der Berg written VANDERBERG, and Vanderberg written van der Berg", async () => {
    expect(found(await query("VANDERBERG JAN"), "vanderberg")?.strength).toBe("folded");
    expect(found(await query("Piet van der Berg"), "vanderbergJoined")?.strength).toBe("folded");
  });

  it("finds a record by its surname alone, as a surname-only match answered with a stub: the hit, whom to ask, no content", async () => {
    const q = await queryAs(nl, "MÜLLER");
    const matches = q.body.matches as Match[];
    expect(matches).toEqual([{ hitId: expect.stringMatching(/^[0-9A-Za-z_-]+$/), supplier: "BE", category: "person", strength: "surname-only", matchedOn: ["PERSON_SURNAME"] }]);
    expect(await hitObject(matches[0]?.hitId)).toBe(ids.muller);
    // Neither the record nor its id: no name, no date of birth, no free text.
    for (const text of [ids.muller as string, "Hans", "1971", "Zeebrugge", "cigarette"]) expect(q.text, text).not.toContain(text);
    const byMueller = (await query("MUELLER"))[0];
    expect(byMueller).toMatchObject({ strength: "surname-only", supplier: "BE" });
    expect(byMueller?.record).toBeUndefined();
    expect(await hitObject(byMueller?.hitId)).toBe(ids.muller);
    const byVanderberg = (await query("VANDERBERG")).filter((m) => m.strength === "surname-only");
    expect(await Promise.all(byVanderberg.map((m) => hitObject(m.hitId)))).toContain(ids.vanderberg);
    // A given name is not the surname of a name written with a comma.
    expect(await query("HANS")).toEqual([]);
  });

  it("answers a query with a date of birth in full where the surname alone gave a stub", async () => {
    const withDob = found(await query("Hans Müller", "1971-04-02"), "muller");
    expect(withDob?.strength).toBe("exact");
    expect(withDob?.record).toMatchObject({ id: ids.muller, freeText: "Suspected of cigarette smuggling via Zeebrugge" });
  });

  it("answers a supplier's surname-only match on its own record in full", async () => {
    const own = (await queryAs(be, "MÜLLER")).body.matches as Match[];
    expect(found(own, "muller")).toMatchObject({ strength: "surname-only", record: { id: ids.muller } });
  });

  it("does not take a given name for the surname of a name written as people write it", async () => {
    const created = await api(be, "POST", "/v1/records", record("Maria Fernandez Garcia"));
    expect(created.status).toBe(201);
    expect(await query("Maria")).toEqual([]);
    const byGarcia = (await query("GARCIA"))[0];
    expect(byGarcia).toMatchObject({ strength: "surname-only", supplier: "BE" });
    expect(await hitObject(byGarcia?.hitId)).toBe(created.body.id);
  });

  it("lists at most 20 surname-only stubs and says how many more there were, and logs which were stubs", async () => {
    for (let n = 0; n < 22; n++) expect((await api(be, "POST", "/v1/records", record(`Kowalski, Jan${"a".repeat(n)}`))).status).toBe(201);
    const q = await queryAs(nl, "KOWALSKI");
    const matches = q.body.matches as Match[];
    expect(matches).toHaveLength(20);
    expect(matches.every((m) => m.strength === "surname-only" && m.record === undefined && m.supplier === "BE")).toBe(true);
    expect(q.body.surnameOnlyLeftOut).toBe(2);
    const event = (await hub.auditEvents()).find((e) => e.action === pb.AuditAction.AUDIT_ACTION_QUERY && e.service === "records" && e.details?.surnameOnlyLeftOut === "2");
    expect(event?.details?.stubs).toBe(Array(20).fill("1").join(","));
    expect(event?.matched).toHaveLength(20);
  });

  it("tells a conflicting date of birth from a missing one", async () => {
    expect(found(await query("Hans Müller", "1980-01-01"), "muller")?.strength).toBe("conflicting-date-of-birth");
    expect(found(await query("Hans Müller"), "muller")?.strength).toBe("name-without-date-of-birth");
    expect(found(await query("Jan van der Berg", "1980-01-01"), "vanderberg")?.strength).toBe("name-without-date-of-birth");
  });

  it("lists the strongest matches first", async () => {
    // The lookup meets Müller first (the first identifier's exact name), then O'Brien.
    const two = await api(nl, "POST", "/v1/records/query", {
      identifiers: [
        { type: "person-name", value: "Hans Müller", dateOfBirth: "1980-01-01" },
        { type: "person-name", value: "Sean O Brien" },
      ],
      purpose: "border check at Rotterdam",
    });
    expect((two.body.matches as Match[]).map((m) => [m.record?.id, m.strength])).toEqual([
      [ids.obrien, "exact"],
      [ids.muller, "conflicting-date-of-birth"],
    ]);
  });

  it("logs each match's strength with the query, and no name", async () => {
    await query("MUELLER HANS", "1971-04-02");
    const events = await hub.auditEvents();
    const logged = events.filter((e) => e.action === pb.AuditAction.AUDIT_ACTION_QUERY && e.service === "records" && e.authority === "NL");
    const last = logged.find((e) => e.matched?.length === 1 && e.details?.strengths === "folded");
    expect(last?.matched).toEqual([ids.muller]);
    const text = JSON.stringify(logged).toLowerCase();
    for (const name of ["mueller", "muller", "müller", "obrien", "brien", "vanderberg", "berg"]) expect(text, name).not.toContain(name);
  });

  it("gives a FIDE hit its strength too", async () => {
    const entry = await api(be, "POST", "/v1/files", {
      fileReference: "BE/AAD/2025/0077",
      investigatingService: "AAD&A Antwerpen, recherche",
      contact: "insp. J. Peeters",
      subjects: [{ type: "person-name", value: "Ström, Åsa", dateOfBirth: "1980-05-06" }],
      offenceArea: "tobacco-and-alcohol-smuggling",
      status: "ongoing",
      lastInvestigativeAct: new Date(Date.now() - 86_400_000).toISOString().slice(0, 10),
    });
    expect(entry.status).toBe(201);
    const q = await api(nl, "POST", "/v1/files/query", { subjects: [{ type: "person-name", value: "AASA STROEM", dateOfBirth: "1980-05-06" }], purpose: "container check" });
    expect(q.body.hits).toEqual([expect.objectContaining({ fileReference: "BE/AAD/2025/0077", strength: "folded" })]);
    const event = (await hub.auditEvents()).find((e) => e.action === pb.AuditAction.AUDIT_ACTION_QUERY && e.service === "files" && e.authority === "NL");
    expect(event?.details?.strengths).toBe("folded");
    // The surname alone: a stub, the supplier and the hit only.
    const bySurname = await api(nl, "POST", "/v1/files/query", { subjects: [{ type: "person-name", value: "STROEM" }], purpose: "container check" });
    expect(bySurname.status).toBe(200);
    expect(bySurname.body.hits).toEqual([{ supplier: "BE", hitId: expect.any(String), strength: "surname-only" }]);
    for (const text of ["BE/AAD/2025/0077", "Peeters", "Antwerpen", "1980"]) expect(bySurname.text, text).not.toContain(text);
    // A request quoting the stub goes to the supplier, and its answer names no file either.
    const hitId = (bySurname.body.hits as Array<{ hitId: string }>)[0]?.hitId;
    const asked = await api(nl, "POST", `/v1/files/hits/${hitId}/request`, { body: "Please tell us whether this is our person." });
    expect(asked.status).toBe(202);
    expect(asked.body).toMatchObject({ status: "submitted", to: "BE" });
    expect(asked.text).not.toContain("BE/AAD/2025/0077");
  });
});
