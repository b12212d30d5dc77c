import { describe, expect, it } from "vitest";
import { addPeriod, parsePeriod } from "../../src/domain/mod.js";

describe("durations", () => {
  it("parses compound durations", () => {
    expect(parsePeriod("1y6mo")).toEqual({ months: 18, ms: 0 });
    expect(parsePeriod("1h30m")).toEqual({ months: 0, ms: 5_400_000 });
    expect(parsePeriod("250ms")).toEqual({ months: 0, ms: 250 });
    expect(parsePeriod("1.5s")).toEqual({ months: 0, ms: 1_500 });
  });

  it("refuses what is not a duration", () => {
    for (const bad of ["", "12", "1 y", "1x", "1.5mo", "mo", "3d!"]) expect(parsePeriod(bad)).toBeUndefined();
  });

  it("adds calendar months, clamping to the end of a shorter month", () => {
    const jan31 = Date.UTC(2026, 0, 31, 12);
    expect(new Date(addPeriod(jan31, { months: 1, ms: 0 })).toISOString()).toBe("2026-02-28T12:00:00.000Z");
    const leap = Date.UTC(2028, 1, 29);
    expect(new Date(addPeriod(leap, { months: 12, ms: 0 })).toISOString()).toBe("2029-02-28T00:00:00.000Z");
    expect(addPeriod(1_000, { months: 0, ms: 30_000 })).toBe(31_000);
  });
});
