// The operations of the issue #18 scenario (DE's "Athena V" with two operational phases and a week's
// break, FR's "Hermes II" that overlaps it, a WCO operation entered for coordination) and a call to
// an access point's API as its operator: shared by the JCO tests.
import type { OperationIn } from "../../src/api/mod.js";
import type { TestAccessPoint } from "./hub.js";

type Json = Record<string, unknown>;

/** A call to the access point's HTTP API (app.inject) with its operator's token. */
export async function apCall(ap: TestAccessPoint, method: "GET" | "POST" | "PATCH", url: string, payload?: unknown): Promise<{ status: number; body: Json }> {
  const res = await ap.app.inject({ method, url, headers: { authorization: `Bearer ${ap.token}` }, ...(payload !== undefined ? { payload: payload as object } : {}) });
  return { status: res.statusCode, body: res.json() as Json };
}

export const athena: OperationIn = {
  name: "Athena V",
  kind: "full-scale-jco",
  leaders: ["DE"],
  participants: ["NL", "BE"],
  observers: ["OLAF"],
  objectives: [
    { description: "detect undeclared cash at the external border", metric: "cash seizures", target: 20 },
    { description: "detect cigarettes smuggled in containers", metric: "cigarettes seized (millions)", target: 5 },
  ],
  riskAreas: ["money-laundering-and-cash", "tobacco-and-alcohol-smuggling"],
  commodityCodes: ["240220"],
  routes: [{ from: "CN", to: "DE" }],
  legalBasis: "Naples II Convention, Art. 28",
  phases: [
    { kind: "planning", start: "2027-01-04", end: "2027-02-26" },
    { kind: "operational", start: "2027-03-01", end: "2027-03-07" },
    // A week's break to review the risk profiles against the first results.
    { kind: "operational", start: "2027-03-15", end: "2027-03-21" },
    { kind: "debriefing", start: "2027-04-05", end: "2027-04-06" },
    { kind: "final-report", start: "2027-04-07", end: "2027-05-31" },
  ],
  status: "planned",
};

export const hermes: OperationIn = {
  name: "Hermes II",
  kind: "regional-jco",
  leaders: ["FR"],
  participants: [],
  observers: [],
  objectives: [{ description: "cigarettes smuggled by road", metric: "lorries checked", target: 400 }],
  riskAreas: ["tobacco-and-alcohol-smuggling"],
  commodityCodes: [],
  routes: [],
  legalBasis: "Naples II Convention, Art. 28",
  phases: [{ kind: "operational", start: "2027-03-18", end: "2027-03-25" }],
  status: "planned",
};

export const wcoOperation: OperationIn = {
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
