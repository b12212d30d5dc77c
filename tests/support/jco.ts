// The operations of the issue #18 scenario, for the JCO tests: DE's "Athena V" (cash and tobacco,
// two operational phases with a week's break) and FR's "Hermes II", whose dates and risk area overlap it.
import type { OperationIn } from "../../src/api/mod.js";

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
