// Who may set, replace and lift a legal hold (src/domain/legal-holds.ts): the supplier its own, a
// supervisor any; a supervisor's hold in force is refused to the supplier, with who holds it and why.
import { describe, expect, it } from "vitest";
import { describeHold, supervisorHoldChange, supplierHoldChange } from "../../src/domain/mod.js";
import { isLiaisonError } from "../../src/errors.js";

const NOW = Date.UTC(2026, 5, 1);
const DAY = 86_400_000;
const refusal = (f: () => unknown) => {
  try {
    f();
  } catch (err) {
    if (isLiaisonError(err)) return { code: err.code, detail: err.detail };
    throw err;
  }
  throw new Error("not refused");
};

describe("legal holds", () => {
  const supervisors = supervisorHoldChange(null, { reason: "audit of the BE files", untilMs: 0, lift: false }, "ana", NOW, "file entry e1");

  it("marks a supervisor's hold as the supervisor's, with its reason and end", () => {
    expect(supervisors).toEqual({ setBy: "SUPERVISOR:ana", reason: "audit of the BE files", setAtMs: NOW, untilMs: 0, supervisory: true });
    expect(supplierHoldChange(null, { reason: "pending court case", untilMs: NOW + DAY, lift: false }, "BE:op", NOW, "record r1")).toEqual({
      setBy: "BE:op",
      reason: "pending court case",
      setAtMs: NOW,
      untilMs: NOW + DAY,
      supervisory: false,
    });
  });

  it("refuses the supplier the lifting or replacing of a supervisor's hold in force, naming who holds it and why", () => {
    for (const lift of [true, false]) {
      const r = refusal(() => supplierHoldChange(supervisors, { reason: "my own hold", untilMs: 0, lift }, "BE:op", NOW, "file entry e1"));
      expect(r.code).toBe("LIAISON_ON_HOLD");
      expect(r.detail).toContain("SUPERVISOR:ana");
      expect(r.detail).toContain("audit of the BE files");
    }
  });

  it("lets the supplier hold again once a supervisor's hold has ended", () => {
    const ended = { ...supervisors, untilMs: NOW - 1 };
    expect(supplierHoldChange(ended, { reason: "", untilMs: 0, lift: true }, "BE:op", NOW, "file entry e1")).toBeNull();
  });

  it("lets a supervisor replace the supplier's hold, and lift its own, but not the supplier's", () => {
    const own = supplierHoldChange(null, { reason: "pending court case", untilMs: 0, lift: false }, "BE:op", NOW, "record r1");
    expect(supervisorHoldChange(own, { reason: "supervision", untilMs: 0, lift: false }, "ana", NOW, "record r1")?.setBy).toBe("SUPERVISOR:ana");
    expect(supervisorHoldChange(supervisors, { reason: "", untilMs: 0, lift: true }, "ana", NOW, "record r1")).toBeNull();
    const r = refusal(() => supervisorHoldChange(own, { reason: "", untilMs: 0, lift: true }, "ana", NOW, "record r1"));
    expect(r.code).toBe("LIAISON_CONFLICT");
    expect(r.detail).toContain("BE:op");
  });

  it("requires a reason to set a hold, and a supervisor's name", () => {
    expect(refusal(() => supplierHoldChange(null, { reason: " x ", untilMs: 0, lift: false }, "BE:op", NOW, "record r1")).code).toBe("LIAISON_VALIDATION");
    expect(refusal(() => supervisorHoldChange(null, { reason: "x", untilMs: 0, lift: false }, "ana", NOW, "record r1")).code).toBe("LIAISON_VALIDATION");
    expect(refusal(() => supervisorHoldChange(null, { reason: "supervision", untilMs: 0, lift: false }, "", NOW, "record r1")).code).toBe("LIAISON_MISSING_FIELD");
  });

  it("describes a hold by who set it and why", () => {
    expect(describeHold(supervisors ?? {})).toBe("a supervisor's legal hold (SUPERVISOR:ana: audit of the BE files)");
  });
});
