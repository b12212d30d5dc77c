// The JCO rules (src/domain/operations.ts): a well-formed operation, and the overlap rule with its reasons.
import { describe, expect, it } from "vitest";
import { calendarOverlaps, checkOperation, dayMs, findOverlap, firstDay, inPeriod, overlapChanges, overlapsOf, sharedCommodityPrefix, type Operation } from "../../src/domain/mod.js";

const athena: Operation = {
  id: "athena",
  name: "Athena V",
  kind: "full-scale-jco",
  leaders: ["DE"],
  participants: ["NL", "BE"],
  observers: ["OLAF"],
  objectives: [{ description: "detect undeclared cash", metric: "cash seizures", target: 20 }],
  riskAreas: ["money-laundering-and-cash", "tobacco-and-alcohol-smuggling"],
  commodityCodes: ["240220"],
  routes: [{ from: "CN", to: "DE" }],
  legalBasis: "Naples II Art. 28",
  phases: [
    { kind: "planning", start: "2027-01-04", end: "2027-02-26" },
    { kind: "business-case", start: "2027-01-11", end: "2027-01-29" },
    { kind: "operational", start: "2027-03-01", end: "2027-03-07" },
    { kind: "operational", start: "2027-03-15", end: "2027-03-21" },
    { kind: "debriefing", start: "2027-04-05", end: "2027-04-06" },
    { kind: "final-report", start: "2027-04-07", end: "2027-05-31" },
  ],
  status: "planned",
};

/** An operation that shares nothing with Athena V unless a test gives it something. */
const other = (over: Partial<Operation> = {}): Operation => ({
  id: "other",
  name: "Other",
  kind: "regional-jco",
  leaders: ["FR"],
  participants: [],
  observers: [],
  objectives: [{ description: "check containers", metric: "containers", target: 100 }],
  riskAreas: ["drug-trafficking"],
  commodityCodes: [],
  routes: [],
  legalBasis: "Naples II",
  phases: [{ kind: "operational", start: "2027-03-05", end: "2027-03-16" }],
  status: "planned",
  ...over,
});

const fields = (op: Omit<Operation, "id">) => checkOperation(op).map((r) => r.field);

describe("an operation", () => {
  it("is accepted with its phases in order and the operational phase split by a week's break", () => {
    expect(checkOperation(athena)).toEqual([]);
  });

  it("needs a name, a leader, an objective with a measurable target, a risk area and a legal basis", () => {
    const bad = { ...athena, name: " ", leaders: [], objectives: [{ description: "x", metric: "", target: 0 }], riskAreas: [], legalBasis: "" };
    expect(fields(bad)).toEqual(["name", "leaders", "objectives[0].metric", "objectives[0].target", "riskAreas", "legalBasis"]);
    expect(fields({ ...athena, objectives: [] })).toEqual(["objectives"]);
  });

  it("names its parties by code, each in one role only", () => {
    expect(fields({ ...athena, participants: ["nl"] })).toEqual(["participants[0]"]);
    expect(checkOperation({ ...athena, observers: ["DE"] })).toEqual([{ field: "observers[0]", detail: "DE is already among the leaders" }]);
    expect(checkOperation({ ...athena, observers: ["WCO", "FRONTEX", "EUROPOL", "UA"] })).toEqual([]);
  });

  it("takes HS, CN and TARIC codes of 2 to 10 digits and routes between two places", () => {
    expect(checkOperation({ ...athena, commodityCodes: ["24", "2402", "240220", "24022090", "2402209000"] })).toEqual([]);
    expect(fields({ ...athena, commodityCodes: ["2", "240", "24022090001", "24O2"] })).toEqual(["commodityCodes[0]", "commodityCodes[1]", "commodityCodes[2]", "commodityCodes[3]"]);
    expect(fields({ ...athena, routes: [{ from: "CNSHA", to: "DEHAM" }, { from: "DE", to: "DE" }, { from: "china", to: "DE" }] })).toEqual(["routes[1]", "routes[2]"]);
  });

  it("holds no more than its limits, whoever calls the hub", () => {
    const many = Array.from({ length: 101 }, (_, i) => `P${String(i).padStart(2, "0")}`);
    expect(fields({ ...athena, participants: many })).toEqual(["participants"]);
    expect(fields({ ...athena, commodityCodes: Array.from({ length: 101 }, () => "2402") })).toEqual(["commodityCodes"]);
    expect(fields({ ...athena, legalBasis: "x".repeat(2_001) })).toEqual(["text"]);
    const nine = Array.from({ length: 9 }, (_, i) => ({ kind: "debriefing" as const, start: `2027-05-0${i + 1}`, end: `2027-05-0${i + 1}` }));
    expect(fields({ ...athena, phases: nine })).toEqual(["phases"]);
  });

  it("has one operational phase, or two, never none or three", () => {
    expect(checkOperation({ ...athena, phases: [{ kind: "operational", start: "2027-03-01", end: "2027-03-14" }] })).toEqual([]);
    expect(checkOperation({ ...athena, phases: [{ kind: "planning", start: "2027-01-01", end: "2027-02-01" }] })).toEqual([{ field: "phases", detail: "an operation needs an operational phase" }]);
    const three = [
      { kind: "operational", start: "2027-03-01", end: "2027-03-03" },
      { kind: "operational", start: "2027-03-10", end: "2027-03-12" },
      { kind: "operational", start: "2027-03-20", end: "2027-03-22" },
    ] as const;
    expect(checkOperation({ ...athena, phases: three })).toEqual([{ field: "phases", detail: "the operational phase may be split in two at most, not 3" }]);
  });

  it("needs a break of at least a day between the two parts of a split operational phase", () => {
    const split = (secondStart: string) => checkOperation({ ...athena, phases: [{ kind: "operational", start: "2027-03-01", end: "2027-03-07" }, { kind: "operational", start: secondStart, end: "2027-03-20" }] });
    expect(split("2027-03-09")).toEqual([]);
    expect(split("2027-03-08").map((r) => r.field)).toEqual(["phases"]);
    expect(split("2027-03-05").map((r) => r.field)).toEqual(["phases"]);
  });

  it("lists its phases in the order they run, each kind once but the operational one", () => {
    const swapped = [athena.phases[2], athena.phases[0], athena.phases[3]].filter((p) => p !== undefined);
    expect(checkOperation({ ...athena, phases: swapped })).toEqual([{ field: "phases[1]", detail: "planning listed after operational" }]);
    const twice = [athena.phases[0], athena.phases[0], athena.phases[2]].filter((p) => p !== undefined);
    expect(fields({ ...athena, phases: twice })).toEqual(["phases"]);
  });

  it("ends planning and the business case before the operational phase, and debriefs after it", () => {
    const p = (kind: "planning" | "debriefing", start: string, end: string) => ({ kind, start, end });
    const op = { kind: "operational" as const, start: "2027-03-01", end: "2027-03-07" };
    expect(checkOperation({ ...athena, phases: [p("planning", "2027-01-01", "2027-03-01"), op] })).toEqual([{ field: "phases[0]", detail: "planning must end before the operational phase starts (2027-03-01)" }]);
    expect(checkOperation({ ...athena, phases: [op, p("debriefing", "2027-03-07", "2027-03-08")] })).toEqual([{ field: "phases[1]", detail: "debriefing must start after the operational phase ends (2027-03-07)" }]);
  });

  it("refuses dates that are not days, a phase that ends before it starts, and one longer than a year", () => {
    const one = (start: string, end: string) => checkOperation({ ...athena, phases: [{ kind: "operational", start, end }] });
    expect(one("2027-02-30", "2027-03-01")).toEqual([{ field: "phases[0].start", detail: "not a date (YYYY-MM-DD)" }]);
    expect(one("1 March", "2027-03-01").map((r) => r.field)).toEqual(["phases[0].start"]);
    expect(one("2027-03-05", "2027-03-01")).toEqual([{ field: "phases[0]", detail: "ends (2027-03-01) before it starts (2027-03-05)" }]);
    expect(one("2027-01-01", "2028-01-02")).toEqual([{ field: "phases[0]", detail: "runs longer than 366 days" }]);
    expect(one("2027-01-01", "2028-01-01")).toEqual([]);
    expect(dayMs("2027-03-01")).toBe(Date.UTC(2027, 2, 1));
    expect(dayMs("2027-13-01")).toBeUndefined();
  });
});

describe("the overlap rule", () => {
  it("flags operational phases sharing days and a risk area, with the phases, the dates and what is shared", () => {
    const fr = other({ name: "Hermes", riskAreas: ["tobacco-and-alcohol-smuggling"] });
    const o = findOverlap(athena, fr);
    expect(o?.periods).toEqual([
      { aPhase: "operational 1", bPhase: "operational", from: "2027-03-05", to: "2027-03-07" },
      { aPhase: "operational 2", bPhase: "operational", from: "2027-03-15", to: "2027-03-16" },
    ]);
    expect(o?.riskAreas).toEqual(["tobacco-and-alcohol-smuggling"]);
    expect(o?.reasons).toEqual([
      "operational 1 phase of Athena V and operational phase of Hermes both run from 2027-03-05 to 2027-03-07",
      "operational 2 phase of Athena V and operational phase of Hermes both run from 2027-03-15 to 2027-03-16",
      "both cover risk area tobacco-and-alcohol-smuggling",
    ]);
    expect(o?.a).toEqual({ id: "athena", name: "Athena V" });
    expect(o?.b).toEqual({ id: "other", name: "Hermes" });
  });

  it("does not flag timing alone, nor shared objectives at other times", () => {
    expect(findOverlap(athena, other())).toBeUndefined();
    expect(findOverlap(athena, other({ riskAreas: ["tobacco-and-alcohol-smuggling"], phases: [{ kind: "operational", start: "2027-03-08", end: "2027-03-14" }] }))).toBeUndefined();
  });

  it("counts only operational phases: planning periods that meet do not overlap", () => {
    const planningOnly = other({
      riskAreas: ["money-laundering-and-cash"],
      phases: [
        { kind: "planning", start: "2027-01-01", end: "2027-03-31" },
        { kind: "operational", start: "2027-06-01", end: "2027-06-07" },
      ],
    });
    expect(findOverlap(athena, planningOnly)).toBeUndefined();
  });

  it("counts the first and last day of a phase", () => {
    const touching = other({ riskAreas: ["money-laundering-and-cash"], phases: [{ kind: "operational", start: "2027-03-21", end: "2027-03-25" }] });
    expect(findOverlap(athena, touching)?.periods).toEqual([{ aPhase: "operational 2", bPhase: "operational", from: "2027-03-21", to: "2027-03-21" }]);
  });

  it("shares a commodity code when both are under the same HS heading, or chapter when one is only a chapter", () => {
    expect(sharedCommodityPrefix("240220", "2402209000")).toBe("2402");
    expect(sharedCommodityPrefix("24022090", "24029000")).toBe("2402");
    expect(sharedCommodityPrefix("2402", "2403")).toBeUndefined();
    expect(sharedCommodityPrefix("24", "240311")).toBe("24");
    const cigars = other({ commodityCodes: ["24021000", "7113"] });
    expect(findOverlap(athena, cigars)?.commodityCodes).toEqual([{ a: "240220", b: "24021000", prefix: "2402" }]);
    expect(findOverlap(athena, cigars)?.reasons.at(-1)).toBe("commodity codes 240220 and 24021000 share HS heading 2402");
    expect(findOverlap(athena, other({ commodityCodes: ["2403"] }))).toBeUndefined();
  });

  it("shares a route only in the same direction", () => {
    expect(findOverlap(athena, other({ routes: [{ from: "CN", to: "DE" }] }))?.reasons.at(-1)).toBe("both work the route CN-DE");
    expect(findOverlap(athena, other({ routes: [{ from: "DE", to: "CN" }] }))).toBeUndefined();
  });

  it("shares a party that leads or takes part in both; an observer does not count", () => {
    expect(findOverlap(athena, other({ participants: ["NL", "BE"] }))?.participants).toEqual(["BE", "NL"]);
    expect(findOverlap(athena, other({ participants: ["NL"] }))?.reasons.at(-1)).toBe("NL takes part in both");
    expect(findOverlap(athena, other({ leaders: ["DE"] }))?.participants).toEqual(["DE"]);
    expect(findOverlap(athena, other({ participants: ["OLAF"] }))).toBeUndefined();
  });

  it("leaves out cancelled operations and the operation itself", () => {
    const fr = other({ riskAreas: ["money-laundering-and-cash"] });
    expect(findOverlap(athena, { ...fr, status: "cancelled" })).toBeUndefined();
    expect(findOverlap(athena, athena)).toBeUndefined();
    expect(findOverlap({ ...fr, status: "completed" }, athena)).toBeDefined();
  });

  it("lists every pair of a calendar once", () => {
    const b = other({ id: "b", riskAreas: ["money-laundering-and-cash"] });
    const c = other({ id: "c", participants: ["NL"] });
    expect(overlapsOf(athena, [athena, b, c]).map((o) => o.b.id)).toEqual(["b", "c"]);
    expect(calendarOverlaps([athena, b, c]).map((o) => `${o.a.id}/${o.b.id}`)).toEqual(["athena/b", "athena/c", "b/c"]);
  });

  it("tells what a change flagged and what it resolved", () => {
    const fr = other({ riskAreas: ["money-laundering-and-cash"] });
    const before = overlapsOf(fr, [athena]);
    const moved = { ...fr, phases: [{ kind: "operational" as const, start: "2027-04-12", end: "2027-04-18" }] };
    expect(overlapChanges(before, overlapsOf(moved, [athena]))).toEqual({ flagged: [], resolved: before });
    expect(overlapChanges([], before)).toEqual({ flagged: before, resolved: [] });
    expect(overlapChanges(before, overlapsOf(fr, [athena]))).toEqual({ flagged: [], resolved: [] });
    const wider = overlapsOf({ ...fr, participants: ["NL"] }, [athena]);
    expect(overlapChanges(before, wider)).toEqual({ flagged: wider, resolved: [] });
  });

  it("places an operation in a period by any of its phases", () => {
    expect(inPeriod(athena, "2027-05-31", "2027-06-30")).toBe(true);
    expect(inPeriod(athena, "2027-06-01", "2027-06-30")).toBe(false);
    expect(firstDay(athena)).toBe("2027-01-04");
  });
});
