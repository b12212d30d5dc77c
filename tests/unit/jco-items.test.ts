// Who is in an operation's closed group, and the figures an access point computes from the seizure
// reports and results it opened (src/domain/jco-items.ts).
import { describe, expect, it } from "vitest";
import { checkMarking, evaluateObjectives, metricValue, missingComments, openDays, operationMembers, sameParties, tally, type OperationResult, type SeizureReport } from "../../src/domain/mod.js";

const reports: SeizureReport[] = [
  { participant: "NL", commodity: "Cigarettes", quantity: { amount: 2.5, unit: "million pieces" }, riskProfile: "RP-TOB-07" },
  { participant: "BE", commodity: "cash", quantity: { amount: 120_000, unit: "EUR" }, riskProfile: "RP-CASH-02" },
  { participant: "NL", commodity: "cigarettes", quantity: { amount: 1.5, unit: "million pieces" }, riskProfile: "RP-TOB-07" },
];

describe("an operation's group and figures", () => {
  it("has as members the leaders and participants that are contact points, never observers or other bodies", () => {
    expect(operationMembers({ leaders: ["DE", "WCO"], participants: ["NL", "BE", "NL"] }, ["BE", "DE", "FR", "NL", "OLAF"])).toEqual(["BE", "DE", "NL"]);
    expect(sameParties(["NL", "DE"], ["DE", "NL"])).toBe(true);
    expect(sameParties(["NL", "DE"], ["DE", "NL", "BE"])).toBe(false);
    expect(sameParties(["NL", "NL"], ["NL", "DE"])).toBe(false);
  });

  it("refuses a malformed classification marking or handling code, and takes RESTREINT UE", () => {
    expect(checkMarking("RESTREINT UE/EU RESTRICTED", ["H0", "H2"])).toEqual([]);
    expect(checkMarking("", [])).toEqual([]);
    expect(checkMarking("restreint ue", [])).toHaveLength(1);
    expect(checkMarking("RESTREINT UE", ["h0"])[0]).toContain("handlingCodes[0]");
  });

  it("lists who has not commented: every member but the author and those that did", () => {
    expect(missingComments(["BE", "DE", "FR", "NL"], "DE", ["NL", "FR"])).toEqual(["BE"]);
  });

  it("counts days open until now while a recommendation is open, until its closing once done", () => {
    const day = 86_400_000;
    expect(openDays(0, "open", day, 40 * day + 5)).toBe(40);
    expect(openDays(0, "in-progress", day, 12 * day)).toBe(12);
    expect(openDays(0, "done", 3 * day, 40 * day)).toBe(3);
  });

  it("tallies seizures by participant, commodity (without case) and risk profile, with quantities summed per unit", () => {
    const t = tally(reports, [], []);
    expect(t.seizures).toBe(3);
    expect(t.byParticipant).toEqual([
      { key: "BE", seizures: 1, quantities: [{ unit: "EUR", amount: 120_000 }] },
      { key: "NL", seizures: 2, quantities: [{ unit: "million pieces", amount: 4 }] },
    ]);
    expect(t.byCommodity.map((r) => [r.key, r.seizures])).toEqual([["cash", 1], ["cigarettes", 2]]);
    expect(t.byProfile.map((r) => [r.key, r.seizures])).toEqual([["RP-CASH-02", 1], ["RP-TOB-07", 2]]);
  });

  it("counts later results by kind with their amounts, null when none had one", () => {
    const results: OperationResult[] = [{ kind: "conviction", amount: null }, { kind: "penalty", amount: 5_000 }, { kind: "penalty", amount: 2_500 }];
    expect(tally([], results, []).results).toEqual([{ kind: "conviction", count: 1, amount: null }, { kind: "penalty", count: 2, amount: 7_500 }]);
  });

  it("evaluates objectives whose metric the figures measure, and leaves the others open (null)", () => {
    const results: OperationResult[] = [{ kind: "conviction", amount: null }];
    expect(metricValue("Seizures", reports, results)).toBe(3);
    expect(metricValue("cash seizures", reports, results)).toBe(1);
    expect(metricValue("cigarettes seized (million pieces)", reports, results)).toBe(4);
    expect(metricValue("convictions", reports, results)).toBe(1);
    expect(metricValue("lorries checked", reports, results)).toBeNull();
    // Cigarettes were seized, but reported in million pieces: a metric in another unit reads no
    // figure (not a misleading 0); one for a commodity nobody seized reads 0.
    expect(metricValue("cigarettes seized (cartons)", reports, results)).toBeNull();
    expect(metricValue("cocaine seized (kg)", reports, results)).toBe(0);
    expect(
      evaluateObjectives(
        [
          { description: "cash", metric: "cash seizures", target: 20 },
          { description: "cigarettes", metric: "cigarettes seized (million pieces)", target: 4 },
          { description: "lorries", metric: "lorries checked", target: 400 },
        ],
        reports,
        results,
      ).map((o) => [o.actual, o.met]),
    ).toEqual([[1, false], [4, true], [null, null]]);
  });
});
