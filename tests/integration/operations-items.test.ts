// Inside a joint customs operation (issue #18, items 2 to 4): the business case's comment round
// (one participant misses the deadline, adoption recorded); the closed group (warning, feedback,
// three seizure reports) and its tally, which the final report's statistics equal; a conviction
// recorded later changes the figures; a recommendation stays open in the monitoring view. An
// outsider reads nothing over HTTP or NATS; a member removed reads nothing sent after; a tampered
// item or one not sealed to the members now is refused and stores nothing.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DocumentDetailOut, DocumentOut, GroupMessageOut, OperationIn, RecommendationOut, TallyOut } from "../../src/api/mod.js";
import { OperationItemSealer } from "../../src/hub-rpc/mod.js";
import { requestService, subjects } from "../../src/nats/mod.js";
import { pb } from "../../src/proto/mod.js";
import type { RunningOperations } from "../../services/operations/service.js";
import { followRegistry } from "../../src/registry/mod.js";
import { quiet, startTestHub, until, type TestAccessPoint, type TestHub } from "../support/hub.js";
import { api, cli } from "../support/operator.js";

type Json = Record<string, unknown>;
const DAY = 86_400_000;
const MARKING = "RESTREINT UE/EU RESTRICTED";

const athena: OperationIn = {
  name: "Athena V",
  kind: "full-scale-jco",
  leaders: ["DE"],
  participants: ["NL", "BE", "FR"],
  observers: ["OLAF"],
  objectives: [
    { description: "seizures in the operation", metric: "seizures", target: 3 },
    { description: "detect undeclared cash at the external border", metric: "cash seizures", target: 2 },
    { description: "cases brought to court", metric: "convictions", target: 1 },
  ],
  riskAreas: ["money-laundering-and-cash", "tobacco-and-alcohol-smuggling"],
  commodityCodes: ["240220"],
  routes: [],
  legalBasis: "Naples II Convention, Art. 28",
  phases: [
    { kind: "operational", start: "2027-03-01", end: "2027-03-07" },
    { kind: "operational", start: "2027-03-15", end: "2027-03-21" },
  ],
  status: "running",
};

describe("documents, the closed group, the tally and recommendations of a joint operation", () => {
  let hub: TestHub;
  let de: TestAccessPoint;
  let nl: TestAccessPoint;
  let be: TestAccessPoint;
  let fr: TestAccessPoint;
  let pl: TestAccessPoint;
  /** NL's access point reads ten days ahead, so a recommendation opened now shows as open for ten days there. */
  const nlNow = () => Date.now() + 10 * DAY;
  let opId = "";
  let ops: RunningOperations;

  beforeAll(async () => {
    hub = await startTestHub({ cps: ["DE", "NL", "BE", "FR", "PL"] });
    await hub.startExchange();
    ops = await hub.startOperations();
    [de, nl, be, fr, pl] = await Promise.all([hub.startAp("DE"), hub.startAp("NL", { now: nlNow }), hub.startAp("BE"), hub.startAp("FR"), hub.startAp("PL")]);
    const res = await api(de, "POST", "/v1/operations", athena);
    expect(res.status).toBe(201);
    opId = (res.body.operation as Json).id as string;
  }, 120_000);
  afterAll(async () => {
    await hub?.stop();
  });

  let docId = "";

  it("runs a comment round on the business case: one participant misses the deadline and shows as missing; adoption is recorded", async () => {
    const deadline = new Date(Date.now() + 2_500).toISOString();
    const created = await api<DocumentOut>(de, "POST", `/v1/operations/${opId}/documents`, { kind: "business-case", title: "Athena V business case", text: "Cash couriers and cigarettes on the CN-EU routes.", classification: MARKING, handlingCodes: ["H2"], commentDeadline: deadline });
    expect(created.status).toBe(201);
    docId = created.body.id;
    expect(created.body).toMatchObject({ kind: "business-case", version: 1, author: "DE", classification: MARKING, handlingCodes: ["H2"], comments: 0, missing: ["BE", "FR", "NL"], adoptedAt: null });
    for (const [ap, text] of [[nl, "NL agrees; add the Rotterdam terminal."], [be, "BE joins the second phase only."]] as const) {
      const c = await api(ap, "POST", `/v1/operations/${opId}/documents/${docId}/comments`, { text });
      expect(c.status).toBe(201);
      expect(c.body).toMatchObject({ author: ap.cp, version: 1, text });
    }
    await new Promise((r) => setTimeout(r, Math.max(0, Date.parse(deadline) - Date.now() + 100)));
    const late = await api(fr, "POST", `/v1/operations/${opId}/documents/${docId}/comments`, { text: "FR is late" });
    expect(late.status).toBe(422);
    expect(late.body.code).toBe("LIAISON_DEADLINE_PASSED");

    const list = await api<{ documents: DocumentOut[] }>(de, "GET", `/v1/operations/${opId}/documents`);
    expect(list.status).toBe(200);
    expect(list.body.documents).toEqual([{ id: docId, kind: "business-case", title: "Athena V business case", version: 1, author: "DE", classification: MARKING, handlingCodes: ["H2"], commentDeadline: deadline, adoptedAt: null, comments: 2, missing: ["FR"] }]);
    // The marking is shown on every read, to every member.
    const opened = await api<DocumentDetailOut>(be, "GET", `/v1/operations/${opId}/documents/${docId}`);
    expect(opened.status).toBe(200);
    expect(opened.body).toMatchObject({ classification: MARKING, text: "Cash couriers and cigarettes on the CN-EU routes.", statistics: null });
    expect(opened.body.commentsOnVersion.map((c) => [c.author, c.text])).toEqual([["NL", "NL agrees; add the Rotterdam terminal."], ["BE", "BE joins the second phase only."]]);

    const notLeader = await api(nl, "POST", `/v1/operations/${opId}/documents/${docId}/adopt`);
    expect(notLeader.status).toBe(403);
    const adopted = await api<DocumentOut>(de, "POST", `/v1/operations/${opId}/documents/${docId}/adopt`);
    expect(adopted.status).toBe(200);
    expect(Date.parse(adopted.body.adoptedAt ?? "")).toBeGreaterThan(0);
    expect(adopted.body.missing).toEqual([]);
    const again = await api(de, "POST", `/v1/operations/${opId}/documents/${docId}/versions`, { text: "changed after adoption" });
    expect(again.status).toBe(409);
  }, 60_000);

  it("a new version of a document opens a new comment round; only its author or a leader writes one", async () => {
    const inAnHour = new Date(Date.now() + 3_600_000).toISOString();
    const plan = await api<DocumentOut>(de, "POST", `/v1/operations/${opId}/documents`, { kind: "operational-plan", title: "Athena V operational plan", text: "v1", commentDeadline: inAnHour });
    expect(plan.status).toBe(201);
    expect((await api(nl, "POST", `/v1/operations/${opId}/documents/${plan.body.id}/comments`, { text: "on v1" })).status).toBe(201);
    const byNl = await api(nl, "POST", `/v1/operations/${opId}/documents/${plan.body.id}/versions`, { text: "NL's own v2" });
    expect(byNl.status).toBe(403);
    const v2 = await api<DocumentOut>(de, "POST", `/v1/operations/${opId}/documents/${plan.body.id}/versions`, { text: "v2", commentDeadline: inAnHour });
    expect(v2.status).toBe(201);
    expect(v2.body).toMatchObject({ id: plan.body.id, kind: "operational-plan", title: "Athena V operational plan", version: 2, comments: 0, missing: ["BE", "FR", "NL"] });
    const detail = await api<DocumentDetailOut>(fr, "GET", `/v1/operations/${opId}/documents/${plan.body.id}`);
    expect(detail.body.versions.map((v) => [v.version, v.text])).toEqual([[1, "v1"], [2, "v2"]]);
    expect(detail.body.text).toBe("v2");
  });

  let warningId = "";
  const seizures = [
    { ap: () => nl, body: { commodity: "cigarettes", quantity: { amount: 2.4, unit: "million pieces" }, place: "NLRTM", riskProfile: "RP-TOB-07" } },
    { ap: () => be, body: { commodity: "cash", quantity: { amount: 120_000, unit: "EUR" }, place: "BEBRU", riskProfile: "RP-CASH-02" } },
    { ap: () => de, body: { commodity: "cash", quantity: { amount: 80_000, unit: "EUR" }, place: "DEFRA", riskProfile: "RP-CASH-02" } },
  ];

  it("carries a warning, feedback on it and three seizure reports in the group, each with its marking", async () => {
    const warning = await api<GroupMessageOut>(nl, "POST", `/v1/operations/${opId}/group`, {
      template: "warning",
      classification: MARKING,
      body: { consignment: "container MSKU1234565 on MV Ever Given", route: "CNSHA-BEANR", commodity: "cigarettes", riskProfile: "RP-TOB-07" },
    });
    expect(warning.status).toBe(201);
    warningId = warning.body.id;
    expect(warning.body).toMatchObject({ sender: "NL", template: "warning", classification: MARKING, inReplyTo: null });
    const feedback = await api<GroupMessageOut>(be, "POST", `/v1/operations/${opId}/group`, { template: "feedback", inReplyTo: warningId, body: { outcome: "under-surveillance", detail: "container held at Antwerp" } });
    expect(feedback.status).toBe(201);
    const unanswered = await api(be, "POST", `/v1/operations/${opId}/group`, { template: "feedback", body: { outcome: "not-checked" } });
    expect(unanswered.status).toBe(400);
    for (const s of seizures) expect((await api(s.ap(), "POST", `/v1/operations/${opId}/group`, { template: "seizure", body: s.body })).status).toBe(201);

    const group = await api<{ messages: GroupMessageOut[] }>(fr, "GET", `/v1/operations/${opId}/group`);
    expect(group.status).toBe(200);
    expect(group.body.messages.map((m) => [m.sender, m.template, m.classification])).toEqual([["NL", "warning", MARKING], ["BE", "feedback", null], ["NL", "seizure", null], ["BE", "seizure", null], ["DE", "seizure", null]]);
    expect(group.body.messages[1]).toMatchObject({ inReplyTo: warningId, body: { outcome: "under-surveillance", detail: "container held at Antwerp" } });
    expect(group.body.messages[2]?.body).toEqual(seizures[0]?.body);
  });

  let finalId = "";

  it("tallies the seizures by participant, commodity and profile, and the final report's statistics equal the tally", async () => {
    const t = await api<TallyOut>(de, "GET", `/v1/operations/${opId}/tally`);
    expect(t.status).toBe(200);
    expect(t.body).toMatchObject({
      operationId: opId,
      seizures: 3,
      byParticipant: [
        { key: "BE", seizures: 1, quantities: [{ unit: "EUR", amount: 120_000 }] },
        { key: "DE", seizures: 1, quantities: [{ unit: "EUR", amount: 80_000 }] },
        { key: "NL", seizures: 1, quantities: [{ unit: "million pieces", amount: 2.4 }] },
      ],
      byCommodity: [
        { key: "cash", seizures: 2, quantities: [{ unit: "EUR", amount: 200_000 }] },
        { key: "cigarettes", seizures: 1, quantities: [{ unit: "million pieces", amount: 2.4 }] },
      ],
      byProfile: [
        { key: "RP-CASH-02", seizures: 2, quantities: [{ unit: "EUR", amount: 200_000 }] },
        { key: "RP-TOB-07", seizures: 1, quantities: [{ unit: "million pieces", amount: 2.4 }] },
      ],
      results: [],
    });
    expect(t.body.objectives.map((o) => [o.metric, o.actual, o.met])).toEqual([["seizures", 3, true], ["cash seizures", 2, true], ["convictions", 0, false]]);

    const final = await api<DocumentOut>(de, "POST", `/v1/operations/${opId}/documents`, { kind: "final-report", title: "Athena V final report", text: "The operation ran in two phases.", classification: MARKING });
    expect(final.status).toBe(201);
    finalId = final.body.id;
    const report = await api<DocumentDetailOut>(nl, "GET", `/v1/operations/${opId}/documents/${finalId}`);
    expect(report.status).toBe(200);
    const { asOf: _a, ...stats } = report.body.statistics ?? ({} as TallyOut);
    const { asOf: _b, ...tallied } = t.body;
    expect(stats).toEqual(tallied);
  });

  it("a conviction recorded later attaches to the operation and its figures update", async () => {
    const seizureId = (await api<{ messages: GroupMessageOut[] }>(de, "GET", `/v1/operations/${opId}/group`)).body.messages.find((m) => m.template === "seizure" && m.sender === "BE")?.id;
    const res = await api(be, "POST", `/v1/operations/${opId}/group`, { template: "result", body: { kind: "conviction", seizure: seizureId, detail: "courier convicted, Brussels court" } });
    expect(res.status).toBe(201);
    const t = await api<TallyOut>(de, "GET", `/v1/operations/${opId}/tally`);
    expect(t.body.seizures).toBe(3);
    expect(t.body.results).toEqual([{ kind: "conviction", count: 1, amount: null }]);
    expect(t.body.objectives.find((o) => o.metric === "convictions")).toMatchObject({ actual: 1, met: true });
    const report = await api<DocumentDetailOut>(be, "GET", `/v1/operations/${opId}/documents/${finalId}`);
    expect(report.body.statistics?.results).toEqual([{ kind: "conviction", count: 1, amount: null }]);
  });

  it("keeps a recommendation open with its owner, and the monitoring view shows it with how long it has been open", async () => {
    const rec = await api<RecommendationOut>(de, "POST", `/v1/operations/${opId}/recommendations`, { text: "Share the RP-CASH-02 profile with all airports", owner: "NL" });
    expect(rec.status).toBe(201);
    expect(rec.body).toMatchObject({ operationId: opId, operationName: "Athena V", owner: "NL", state: "open", openDays: 0 });
    const done = await api<RecommendationOut>(de, "POST", `/v1/operations/${opId}/recommendations`, { text: "Debrief at Frankfurt", owner: "DE" });
    expect((await api(nl, "PATCH", `/v1/recommendations/${done.body.id}`, { state: "done" })).status).toBe(403);
    expect((await api<RecommendationOut>(de, "PATCH", `/v1/recommendations/${done.body.id}`, { state: "done" })).body.state).toBe("done");
    const progress = await api<RecommendationOut>(nl, "PATCH", `/v1/recommendations/${rec.body.id}`, { state: "in-progress" });
    expect(progress.status).toBe(200);

    const open = await api<{ recommendations: RecommendationOut[] }>(nl, "GET", "/v1/recommendations");
    expect(open.status).toBe(200);
    expect(open.body.recommendations.map((r) => [r.id, r.operationName, r.owner, r.state, r.openDays])).toEqual([[rec.body.id, "Athena V", "NL", "in-progress", 10]]);
    const all = await api<{ recommendations: RecommendationOut[] }>(de, "GET", `/v1/recommendations?state=all&operation=${opId}`);
    expect(all.body.recommendations.map((r) => r.state).sort()).toEqual(["done", "in-progress"]);
    expect((await api<{ recommendations: RecommendationOut[] }>(pl, "GET", "/v1/recommendations")).body.recommendations).toEqual([]);
  });

  it("shows the tally and the monitoring view from the command line", async () => {
    const url = await de.app.listen({ host: "127.0.0.1", port: 0 });
    const [tallyText, recs] = await Promise.all([cli(de, url, ["operations", "tally", opId]), cli(de, url, ["operations", "recommendations", "--all", "--json"])]);
    expect(tallyText).toContain(`Tally of ${opId}`);
    expect(tallyText).toContain("  cash: 2 seizure(s), 200000 EUR");
    expect(tallyText).toContain("Results: 1 conviction");
    expect(tallyText).toContain("Objective: cases brought to court: 1 of 1 convictions (met)");
    expect((JSON.parse(recs) as { recommendations: RecommendationOut[] }).recommendations.map((r) => [r.owner, r.state]).sort()).toEqual([["DE", "done"], ["NL", "in-progress"]]);
    const recorded = await cli(de, url, ["operations", "recommend", opId, "--owner", "BE", "--text", "Train BE's airport teams on RP-CASH-02"]);
    expect(recorded).toMatch(/^Recommendation \S+ · Athena V · owner BE · open · open 0 day\(s\)/);
  }, 120_000);

  it("lets an outsider read none of the group's messages or documents, over HTTP or by calling the operations service itself", async () => {
    for (const path of ["group", "documents", `documents/${docId}`, "tally"]) {
      const res = await api(pl, "GET", `/v1/operations/${opId}/${path}`);
      expect(res.status, path).toBe(403);
      expect(res.body.code, path).toBe("LIAISON_NOT_MEMBER");
    }
    const post = await api(pl, "POST", `/v1/operations/${opId}/group`, { template: "note", body: { text: "let me in" } });
    expect(post.status).toBe(403);
    // Its own credentials, straight to the service: a refusal, and no sealed bytes.
    const err = await pl.hub.call("operations", "items", "pl-operator", { operationId: opId }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "LIAISON_NOT_MEMBER" });
    const recs = await pl.hub.call("operations", "recommendations", "pl-operator", { operationId: opId, openOnly: false });
    expect(recs.items).toEqual([]);
    // Another member's subject is not reachable from its account at all.
    expect(await requestService(pl.nc, subjects.cpApi("operations", "DE", "items"), new Uint8Array(), 2_000).catch((e: unknown) => e)).toMatchObject({ code: "LIAISON_UNAVAILABLE" });
  });

  it("a member removed during the operation reads what it got before and nothing sent after; one added reads from then on", async () => {
    // FR leaves, PL joins.
    const changed = await api(de, "PATCH", `/v1/operations/${opId}`, { participants: ["NL", "BE", "PL"] });
    expect(changed.status).toBe(200);
    const note = await api<GroupMessageOut>(nl, "POST", `/v1/operations/${opId}/group`, { template: "note", classification: MARKING, body: { text: "phase 2 starts Monday" } });
    expect(note.status).toBe(201);
    const frGroup = await api<{ messages: GroupMessageOut[] }>(fr, "GET", `/v1/operations/${opId}/group`);
    expect(frGroup.status).toBe(200);
    expect(frGroup.body.messages.map((m) => m.template)).toEqual(["warning", "feedback", "seizure", "seizure", "seizure", "result"]);
    expect(frGroup.body.messages.some((m) => m.id === note.body.id)).toBe(false);
    const items = await fr.hub.call("operations", "items", "fr-operator", { operationId: opId });
    expect(items.items.every((i) => (i.recipients ?? []).includes("FR"))).toBe(true);
    expect(items.items.map((i) => i.id)).not.toContain(note.body.id);
    const frPost = await api(fr, "POST", `/v1/operations/${opId}/group`, { template: "note", body: { text: "still here" } });
    expect(frPost.status).toBe(403);
    expect(frPost.body.code).toBe("LIAISON_NOT_MEMBER");
    const nlGroup = await api<{ messages: GroupMessageOut[] }>(nl, "GET", `/v1/operations/${opId}/group`);
    expect(nlGroup.body.messages.at(-1)).toMatchObject({ id: note.body.id, classification: MARKING, body: { text: "phase 2 starts Monday" } });
    const plGroup = await api<{ messages: GroupMessageOut[] }>(pl, "GET", `/v1/operations/${opId}/group`);
    expect(plGroup.status).toBe(200);
    expect(plGroup.body.messages.map((m) => m.id)).toEqual([note.body.id]);
    expect((await api<{ documents: DocumentOut[] }>(pl, "GET", `/v1/operations/${opId}/documents`)).body.documents).toEqual([]);
    // PL leaves again: the members are DE, NL and BE from here on.
    expect((await api(de, "PATCH", `/v1/operations/${opId}`, { participants: ["NL", "BE"] })).status).toBe(200);
  });

  it("refuses a tampered signature, changed metadata, or an item not sealed to the members now, and stores nothing", async () => {
    const before = (await nl.hub.call("operations", "items", "nl-operator", { operationId: opId })).items;
    // Sealed before FR was removed: signed, but to DE, NL, BE and FR.
    const old = before.find((i) => i.author === "NL" && i.meta?.template === "warning") as pb.StoredOperationItem;
    const env = pb.Envelope.decode(old.envelope);
    const sealed = Uint8Array.from(env.sealed);
    sealed[sealed.length - 1] = (sealed[sealed.length - 1] ?? 0) ^ 1;
    const tampered = pb.Envelope.encode({ sealed, signature: env.signature }).finish();
    const refusals = [
      [{ meta: old.meta, envelope: tampered }, "LIAISON_BAD_SIGNATURE"],
      [{ meta: { ...pb.OperationItemMeta.toObject(old.meta as pb.OperationItemMeta), classification: "" }, envelope: old.envelope }, "LIAISON_BAD_SIGNATURE"],
      [{ meta: old.meta, envelope: old.envelope }, "LIAISON_NOT_SEALED_TO_MEMBERS"],
    ] as const;
    for (const [request, code] of refusals) {
      const err = await nl.hub.call("operations", "post", "nl-operator", request as pb.IOperationItemPost).catch((e: unknown) => e);
      expect(err, code).toMatchObject({ code });
    }
    // BE posting NL's envelope as its own: the signature is not BE's.
    expect(await be.hub.call("operations", "post", "be-operator", { meta: old.meta, envelope: old.envelope }).catch((e: unknown) => e)).toMatchObject({ code: "LIAISON_FORGED_SENDER" });
    const after = (await nl.hub.call("operations", "items", "nl-operator", { operationId: opId })).items;
    expect(after.map((i) => i.id)).toEqual(before.map((i) => i.id));
  });

  it("checks at the hub what an access point checks too: marking, kind, who writes a recommendation and who owns it; refused items store nothing", async () => {
    const before = (await nl.hub.call("operations", "items", "nl-operator", { operationId: opId })).items.length;
    // NL's own keys and registry, sealing correctly to the members now: only the metadata is wrong.
    const registry = await followRegistry(nl.nc, quiet, { trust: hub.registryTrust });
    const sealer = new OperationItemSealer(hub.keys("NL"), registry.view);
    const members = ["BE", "DE", "NL"];
    const cases = [
      [{ operationId: opId, kind: "message", template: "note", classification: "secret stuff" }, "LIAISON_VALIDATION"],
      [{ operationId: opId, kind: "message", template: "gossip" }, "LIAISON_VALIDATION"],
      [{ operationId: opId, kind: "minutes" }, "LIAISON_VALIDATION"],
      [{ operationId: opId, kind: "recommendation", owner: "NL" }, "LIAISON_FORBIDDEN"],
      [{ operationId: opId, kind: "message", template: "feedback", inReplyTo: "no-such-message" }, "LIAISON_NOT_FOUND"],
      [{ operationId: opId, kind: "comment", documentId: docId, version: 1 }, "LIAISON_CONFLICT"],
      // Only the fields of its kind, each in its format: nothing unchecked is stored or audited.
      [{ operationId: opId, kind: "document", documentKind: "national-report", version: 1, template: "note" }, "LIAISON_VALIDATION"],
      [{ operationId: opId, kind: "document", documentKind: "national-report", version: 1, owner: "NL" }, "LIAISON_VALIDATION"],
      [{ operationId: opId, kind: "document", documentKind: "national-report", version: 1, inReplyTo: docId }, "LIAISON_VALIDATION"],
      [{ operationId: opId, kind: "comment", documentId: docId, version: 1, template: "note" }, "LIAISON_VALIDATION"],
      [{ operationId: opId, kind: "message", template: "note", documentId: docId }, "LIAISON_VALIDATION"],
      [{ operationId: opId, kind: "recommendation", owner: "NL", documentId: docId }, "LIAISON_VALIDATION"],
      [{ operationId: opId, kind: "comment", documentId: "../etc", version: 1 }, "LIAISON_VALIDATION"],
      [{ operationId: opId, kind: "message", template: "note", inReplyTo: "not an id!" }, "LIAISON_VALIDATION"],
      [{ operationId: opId, kind: "recommendation", owner: "nl" }, "LIAISON_VALIDATION"],
    ] as const;
    for (const [meta, code] of cases) {
      const { envelope } = await sealer.seal(meta, { text: "x" }, members);
      expect(await nl.hub.call("operations", "post", "nl-operator", { meta, envelope }).catch((e: unknown) => e), JSON.stringify(meta)).toMatchObject({ code });
    }
    registry.stop();
    const owner = await api(de, "POST", `/v1/operations/${opId}/recommendations`, { text: "x", owner: "PL" });
    expect(owner.status).toBe(400);
    expect((await nl.hub.call("operations", "items", "nl-operator", { operationId: opId })).items).toHaveLength(before);
  });

  it("logs every read and change as an audit event, at the hub and at the access point", async () => {
    let events: pb.IAuditEvent[] = [];
    await until(async () => {
      events = await hub.auditEvents();
      return events.some((e) => e.service === "operations" && e.reasonCode === "LIAISON_FORGED_SENDER");
    }, "the refusals in the audit stream");
    const hubEvents = events.filter((e) => e.service === "operations");
    const at = (type: string, action: pb.AuditAction) => hubEvents.filter((e) => e.objectType === type && e.action === action);
    expect(at("operation-document", pb.AuditAction.AUDIT_ACTION_SUBMIT).map((e) => e.authority)).toEqual(["DE", "DE", "DE", "DE"]);
    expect(at("operation-comment", pb.AuditAction.AUDIT_ACTION_SUBMIT).map((e) => e.authority)).toEqual(["NL", "BE", "NL"]);
    expect(at("operation-document", pb.AuditAction.AUDIT_ACTION_AMEND).map((e) => e.objectId)).toEqual([docId]);
    expect(at("operation-message", pb.AuditAction.AUDIT_ACTION_SUBMIT).map((e) => e.details?.template)).toEqual(["warning", "feedback", "seizure", "seizure", "seizure", "result", "note"]);
    expect(at("operation-message", pb.AuditAction.AUDIT_ACTION_SUBMIT).at(-1)?.details).toMatchObject({ recipients: "BE,DE,NL,PL", classification: MARKING });
    expect(at("operation-items", pb.AuditAction.AUDIT_ACTION_READ).some((e) => e.authority === "FR" && e.details?.member === "false")).toBe(true);
    expect(at("operation-recommendation", pb.AuditAction.AUDIT_ACTION_AMEND).map((e) => e.details?.state).sort()).toEqual(["done", "in-progress"]);
    const refused = (code: string) => hubEvents.filter((e) => e.action === pb.AuditAction.AUDIT_ACTION_REFUSAL && e.reasonCode === code).map((e) => e.authority);
    expect(refused("LIAISON_NOT_MEMBER")).toEqual(expect.arrayContaining(["PL", "FR"]));
    expect(refused("LIAISON_DEADLINE_PASSED")).toEqual(["FR"]);
    expect(refused("LIAISON_BAD_SIGNATURE")).toEqual(["NL", "NL"]);
    expect(refused("LIAISON_NOT_SEALED_TO_MEMBERS")).toEqual(["NL"]);
    // The access points log their side too: each read of the group, the tally and the documents.
    const apEvents = events.filter((e) => e.service !== "operations");
    expect(apEvents.filter((e) => e.objectType === "operation-tally" && e.action === pb.AuditAction.AUDIT_ACTION_READ).map((e) => e.authority)).toEqual(["DE", "DE", "DE", "PL"]);
    expect(apEvents.some((e) => e.objectType === "operation-group" && e.authority === "PL" && e.reasonCode === "LIAISON_NOT_MEMBER")).toBe(true);
    // Nothing in any event is content: no comment, message body or recommendation text.
    const all = JSON.stringify(events);
    for (const secret of ["Rotterdam terminal", "MSKU1234565", "RP-CASH-02 profile", "phase 2 starts Monday"]) expect(all).not.toContain(secret);
  });

  it("erases every item of the operation when the retention service orders it, and says how many there were", async () => {
    const held = (await de.hub.call("operations", "items", "de-operator", { operationId: opId })).items.length;
    expect(held).toBeGreaterThan(10);
    expect(await ops.items.eraseOperation(opId)).toEqual({ items: held });
    expect((await de.hub.call("operations", "items", "de-operator", { operationId: opId })).items).toEqual([]);
    expect((await api<{ messages: GroupMessageOut[] }>(de, "GET", `/v1/operations/${opId}/group`)).body.messages).toEqual([]);
  });
});
