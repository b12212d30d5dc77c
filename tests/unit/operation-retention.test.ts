// The retention rule of joint customs operations (src/domain/retention-rules.ts, issue #18 item 5).
import { describe, expect, it } from "vitest";
import { operationRetention, operationStageDue, retentionClockMove, RETENTION_RULES } from "../../src/domain/mod.js";

const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString().slice(0, 10));
const athena = [
  { kind: "planning", end: "2027-02-26" },
  { kind: "operational", end: "2027-03-07" },
  { kind: "final-report", end: "2027-05-31" },
  // A phase after the report (out of order phases are refused elsewhere) does not move the date.
  { kind: "debriefing", end: "2027-09-30" },
];

describe("retention of joint customs operations", () => {
  it("erases the items 2 years and the entry 5 years after the final report phase's last day", () => {
    const r = operationRetention(athena);
    expect([iso(r?.endMs), iso(r?.itemsDueMs), iso(r?.entryDueMs)]).toEqual(["2027-06-01", "2029-06-01", "2032-06-01"]);
  });

  it("counts from the last phase's end when there is no final report phase, and not at all without a dated phase", () => {
    expect(iso(operationRetention([{ kind: "operational", end: "2028-09-10" }, { kind: "planning", end: "2028-01-31" }])?.itemsDueMs)).toBe("2030-09-11");
    expect(operationRetention([{ kind: "operational", end: "not a day" }])).toBeUndefined();
    expect(operationRetention([])).toBeUndefined();
  });

  it("takes the periods configured, and never erases the entry before the items", () => {
    const r = operationRetention(athena, { itemsKeep: { months: 6, ms: 0 }, entryKeep: { months: 1, ms: 0 } });
    expect([iso(r?.itemsDueMs), iso(r?.entryDueMs)]).toEqual(["2027-12-01", "2027-12-01"]);
  });

  it("says what is due: nothing, then the items once, then the entry", () => {
    expect(operationStageDue(athena, false, Date.parse("2029-05-31T23:59:59Z"))).toBeUndefined();
    expect(operationStageDue(athena, false, Date.parse("2029-06-01T00:00:00Z"))).toEqual({ stage: "operation-items", dueAtMs: Date.parse("2029-06-01T00:00:00Z") });
    expect(operationStageDue(athena, true, Date.parse("2030-01-01T00:00:00Z"))).toBeUndefined();
    expect(operationStageDue(athena, true, Date.parse("2032-06-01T00:00:00Z"))?.stage).toBe("operation-entry");
    expect(operationStageDue(athena, false, Date.parse("2032-06-01T00:00:00Z"))?.stage).toBe("operation-entry");
  });

  it("is in the supervisor's table with its reason", () => {
    const ids = RETENTION_RULES.map((r) => r.id);
    expect(ids).toContain("operation-items");
    expect(ids).toContain("operation-entry");
  });

  it("lets the final report's end move freely until it has passed, then only earlier", () => {
    const withReport = (end: string) => athena.map((p) => (p.kind === "final-report" ? { ...p, end } : p));
    const before = Date.parse("2027-05-31T12:00:00Z");
    const after = Date.parse("2027-06-01T00:00:00Z");
    expect(retentionClockMove(athena, withReport("2027-12-31"), before)).toBeUndefined();
    expect(retentionClockMove(athena, withReport("2027-12-31"), after)).toMatch(/ended on 2027-05-31/);
    expect(retentionClockMove(athena, withReport("2027-05-30"), after)).toBeUndefined();
    expect(retentionClockMove(athena, athena, after)).toBeUndefined();
    // Dropping the final report phase would count from the later debriefing: refused too.
    expect(retentionClockMove(athena, athena.filter((p) => p.kind !== "final-report"), after)).toBeDefined();
    // No phase with an end: nothing runs yet.
    expect(retentionClockMove([], withReport("2030-01-01"), after)).toBeUndefined();
  });
});
