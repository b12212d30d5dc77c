// Joint customs operations and the calendar (issue #18, step 1): DE enters "Athena V", FR an
// operation whose dates and risk area overlap it; both hear of the overlap with its reasons, and
// that it is gone when FR moves its dates; a WCO operation entered for coordination overlaps too.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OperationIn } from "../../src/api/mod.js";
import { requestService, subjects } from "../../src/nats/mod.js";
import { pb } from "../../src/proto/mod.js";
import { startTestHub, until, type TestAccessPoint, type TestHub } from "../support/hub.js";
import { athena, hermes } from "../support/jco.js";
import { api, cli } from "../support/operator.js";

type Json = Record<string, unknown>;

const wcoOperation: OperationIn = {
  name: "WCO Operation Sentinel",
  kind: "other-body",
  leaders: ["WCO"],
  participants: [],
  observers: [],
  objectives: [{ description: "cash couriers at airports", metric: "cash detections", target: 50 }],
  riskAreas: ["money-laundering-and-cash"],
  commodityCodes: [],
  routes: [],
  legalBasis: "WCO RILO network",
  phases: [{ kind: "operational", start: "2027-02-25", end: "2027-03-02" }],
  status: "approved",
};

describe("joint customs operations and the calendar", () => {
  let hub: TestHub;
  let de: TestAccessPoint;
  let fr: TestAccessPoint;
  let nl: TestAccessPoint;

  beforeAll(async () => {
    hub = await startTestHub({ cps: ["DE", "FR", "NL"] });
    await hub.startExchange();
    await hub.startOperations();
    [de, fr, nl] = await Promise.all([hub.startAp("DE"), hub.startAp("FR"), hub.startAp("NL")]);
  });
  afterAll(async () => {
    await hub?.stop();
  });

  const overlapNotices = (ap: TestAccessPoint, state: string, other: string) =>
    ap.mailbox.notices().filter((n) => n.notice.kind === pb.NoticeKind.NOTICE_KIND_OVERLAP && n.notice.details.state === state && (n.notice.details.other === other || n.notice.details.operation === other));

  let athenaId = "";
  let hermesId = "";

  it("DE enters Athena V with two operational phases and a week's break; nothing overlaps it yet", async () => {
    const res = await api(de, "POST", "/v1/operations", athena);
    expect(res.status).toBe(201);
    const op = res.body.operation as Json;
    athenaId = op.id as string;
    expect(op).toMatchObject({ name: "Athena V", kind: "full-scale-jco", createdBy: "DE", leaders: ["DE"], riskAreas: athena.riskAreas, phases: athena.phases, status: "planned" });
    expect(res.body.overlaps).toEqual([]);
    const read = await api(fr, "GET", `/v1/operations/${athenaId}`);
    expect(read.status).toBe(200);
    expect((read.body.operation as Json).objectives).toEqual(athena.objectives);
  });

  it("refuses an operation whose phases are out of order, and a joint operation entered by a member that does not lead it", async () => {
    const swapped = await api(de, "POST", "/v1/operations", { ...athena, phases: [athena.phases[1], athena.phases[0]] });
    expect(swapped.status).toBe(400);
    expect(swapped.body.code).toBe("LIAISON_VALIDATION");
    expect(String(swapped.body.detail)).toContain("planning listed after operational");
    const noBreak = await api(de, "POST", "/v1/operations", { ...athena, phases: [{ kind: "operational", start: "2027-03-01", end: "2027-03-07" }, { kind: "operational", start: "2027-03-08", end: "2027-03-14" }] });
    expect(noBreak.status).toBe(400);
    expect(String(noBreak.body.detail)).toContain("needs a break");
    const notLeader = await api(fr, "POST", "/v1/operations", athena);
    expect(notLeader.status).toBe(403);
    expect(notLeader.body.code).toBe("LIAISON_FORBIDDEN");
  });

  it("FR enters an operation whose dates and risk area overlap Athena V: the overlap is flagged to both with its reasons", async () => {
    const res = await api(fr, "POST", "/v1/operations", hermes);
    expect(res.status).toBe(201);
    hermesId = (res.body.operation as Json).id as string;
    const overlaps = res.body.overlaps as Json[];
    expect(overlaps).toHaveLength(1);
    expect(overlaps[0]).toMatchObject({
      a: { id: hermesId, name: "Hermes II" },
      b: { id: athenaId, name: "Athena V" },
      periods: [{ aPhase: "operational", bPhase: "operational 2", from: "2027-03-18", to: "2027-03-21" }],
      riskAreas: ["tobacco-and-alcohol-smuggling"],
      commodityCodes: [],
      routes: [],
      participants: [],
    });
    const reasons = ["operational phase of Hermes II and operational 2 phase of Athena V both run from 2027-03-18 to 2027-03-21", "both cover risk area tobacco-and-alcohol-smuggling"];
    expect(overlaps[0]?.reasons).toEqual(reasons);

    for (const ap of [de, fr]) {
      await until(() => overlapNotices(ap, "flagged", athenaId).length > 0, `the overlap notice at ${ap.cp}`);
      const n = overlapNotices(ap, "flagged", athenaId)[0]?.notice;
      expect(n?.objectType).toBe("operation");
      expect(n?.details).toEqual({ state: "flagged", operation: hermesId, operationName: "Hermes II", other: athenaId, otherName: "Athena V", reasons: reasons.join("\n") });
    }
    // NL takes part in Athena V but leads neither and entered neither: it is not told.
    expect(overlapNotices(nl, "flagged", athenaId)).toEqual([]);
    const listed = await api(de, "GET", "/v1/notices?kind=overlap");
    expect(listed.status).toBe(200);
    expect((listed.body.items as Json[]).map((i) => (i.details as Json).state)).toEqual(["flagged"]);

    const cal = await api(nl, "GET", "/v1/calendar?from=2027-03-01&to=2027-03-31");
    expect(cal.status).toBe(200);
    expect((cal.body.operations as Json[]).map((o) => o.name)).toEqual(["Athena V", "Hermes II"]);
    expect((cal.body.overlaps as Json[]).map((o) => [(o.a as Json).name, (o.b as Json).name, o.reasons])).toEqual([["Athena V", "Hermes II", ["operational 2 phase of Athena V and operational phase of Hermes II both run from 2027-03-18 to 2027-03-21", "both cover risk area tobacco-and-alcohol-smuggling"]]]);
  });

  it("only the member that entered an operation or one of its leaders may move its dates", async () => {
    const res = await api(de, "PATCH", `/v1/operations/${hermesId}`, { phases: [{ kind: "operational", start: "2027-04-12", end: "2027-04-18" }] });
    expect(res.status).toBe(403);
    expect(res.body.code).toBe("LIAISON_NOT_SUPPLIER");
  });

  it("when FR moves its dates the overlap is gone, and both hear that too", async () => {
    const res = await api(fr, "PATCH", `/v1/operations/${hermesId}`, { phases: [{ kind: "operational", start: "2027-04-12", end: "2027-04-18" }] });
    expect(res.status).toBe(200);
    expect((res.body.operation as Json).phases).toEqual([{ kind: "operational", start: "2027-04-12", end: "2027-04-18" }]);
    expect((res.body.operation as Json).riskAreas).toEqual(hermes.riskAreas);
    expect(res.body.overlaps).toEqual([]);
    for (const ap of [de, fr]) {
      await until(() => overlapNotices(ap, "resolved", athenaId).length > 0, `the resolution notice at ${ap.cp}`);
      expect(overlapNotices(ap, "resolved", athenaId)[0]?.notice.details).toMatchObject({ state: "resolved", operation: hermesId, other: athenaId });
    }
    const cal = await api(de, "GET", "/v1/calendar?from=2027-01-01&to=2027-06-30");
    expect((cal.body.operations as Json[]).map((o) => o.name)).toEqual(["Athena V", "Hermes II"]);
    expect(cal.body.overlaps).toEqual([]);
  });

  it("a WCO operation entered for coordination overlaps Athena V too, and DE and the member that entered it hear of it", async () => {
    const res = await api(nl, "POST", "/v1/operations", wcoOperation);
    expect(res.status).toBe(201);
    const wcoId = (res.body.operation as Json).id as string;
    expect(res.body.operation).toMatchObject({ kind: "other-body", leaders: ["WCO"], createdBy: "NL" });
    expect((res.body.overlaps as Json[]).map((o) => [(o.b as Json).id, o.riskAreas, o.periods])).toEqual([
      [athenaId, ["money-laundering-and-cash"], [{ aPhase: "operational", bPhase: "operational 1", from: "2027-03-01", to: "2027-03-02" }]],
    ]);
    for (const ap of [de, nl]) await until(() => overlapNotices(ap, "flagged", wcoId).length > 0, `the WCO overlap notice at ${ap.cp}`);
    expect(overlapNotices(fr, "flagged", wcoId)).toEqual([]);
    const view = await api(de, "GET", `/v1/operations/${athenaId}`);
    expect((view.body.overlaps as Json[]).map((o) => (o.b as Json).name)).toEqual(["WCO Operation Sentinel"]);
  });

  it("lets a member call the operations service only as itself: FR's connection reaches no DE subject", async () => {
    const err = await requestService(fr.nc, subjects.cpApi("operations", "DE", "get"), new Uint8Array(), 2_000).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "LIAISON_UNAVAILABLE" });
    // Its own subject is there (an unsigned request is refused by the service, not by the server).
    const own = await requestService(fr.nc, subjects.cpApi("operations", "FR", "get"), new Uint8Array(), 2_000).catch((e: unknown) => e);
    expect(own).toMatchObject({ name: "LiaisonError" });
    expect((own as { code: string }).code).not.toBe("LIAISON_UNAVAILABLE");
  });

  it("shows the calendar and moves dates from the command line", async () => {
    const [deUrl, frUrl] = await Promise.all([de.app.listen({ host: "127.0.0.1", port: 0 }), fr.app.listen({ host: "127.0.0.1", port: 0 })]);
    const calendar = await cli(de, deUrl, ["operations", "calendar", "--from", "2027-02-01", "--to", "2027-04-30"]);
    expect(calendar).toMatch(/Athena V\s+full-scale-jco\s+DE\s+2027-03-01\.\.2027-03-07, 2027-03-15\.\.2027-03-21\s+planned/);
    expect(calendar).toContain(`Overlap: Athena V (${athenaId}) and WCO Operation Sentinel`);
    expect(calendar).toContain("  - both cover risk area money-laundering-and-cash");
    const moved = JSON.parse(await cli(fr, frUrl, ["operations", "update", hermesId, "--phase", "operational:2027-04-13..2027-04-19", "--json"])) as Json;
    expect((moved.operation as Json).phases).toEqual([{ kind: "operational", start: "2027-04-13", end: "2027-04-19" }]);
  }, 120_000);

  it("a cancelled operation overlaps nothing: cancelling the WCO operation resolves its overlap for DE and NL", async () => {
    const cal = await api(de, "GET", "/v1/calendar?from=2027-02-01&to=2027-03-31");
    const wco = (cal.body.operations as Json[]).find((o) => o.name === "WCO Operation Sentinel") as Json;
    const res = await api(nl, "PATCH", `/v1/operations/${wco.id as string}`, { status: "cancelled" });
    expect(res.status).toBe(200);
    expect((res.body.operation as Json).status).toBe("cancelled");
    expect(res.body.overlaps).toEqual([]);
    for (const ap of [de, nl]) await until(() => overlapNotices(ap, "resolved", wco.id as string).length > 0, `the resolution at ${ap.cp}`);
    expect((await api(de, "GET", "/v1/calendar?from=2027-02-01&to=2027-03-31")).body.overlaps).toEqual([]);
  });

  it("logs every read and change at the hub as an audit event", async () => {
    const events = (await hub.auditEvents()).filter((e) => e.service === "operations");
    const of = (action: pb.AuditAction, objectId: string) => events.filter((e) => e.action === action && e.objectId === objectId);
    expect(of(pb.AuditAction.AUDIT_ACTION_SUBMIT, athenaId).map((e) => e.authority)).toEqual(["DE"]);
    expect(of(pb.AuditAction.AUDIT_ACTION_SUBMIT, hermesId)[0]?.details).toMatchObject({ overlapsWith: athenaId });
    expect(of(pb.AuditAction.AUDIT_ACTION_AMEND, hermesId)[0]?.details).toMatchObject({ fields: "phases", overlapsWith: "", resolvedWith: athenaId });
    expect(of(pb.AuditAction.AUDIT_ACTION_READ, athenaId).map((e) => e.authority)).toEqual(["FR", "DE"]);
    expect(of(pb.AuditAction.AUDIT_ACTION_READ, "2027-03-01..2027-03-31").map((e) => e.authority)).toEqual(["NL"]);
    expect(events.some((e) => e.action === pb.AuditAction.AUDIT_ACTION_REFUSAL && e.authority === "DE" && e.reasonCode === "LIAISON_NOT_SUPPLIER")).toBe(true);
  });
});
