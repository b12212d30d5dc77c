import { describe, expect, it } from "vitest";
import { DAY_MS, fileRetention, holdInForce, recordReviewDue, reminderTimes, RETENTION_RULES } from "../../src/domain/mod.js";
import { pb } from "../../src/proto/mod.js";

const at = (iso: string) => Date.parse(iso);
const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

describe("retention rules", () => {
  it("puts a CIS record's review 12 months after creation or renewal, or per category", () => {
    const s = { reviewPeriod: { months: 12, ms: 0 }, reviewPeriodByCategory: { [pb.RecordCategory.RECORD_CATEGORY_PERSON]: { months: 6, ms: 0 } } };
    expect(day(recordReviewDue(at("2026-01-31T10:00:00Z"), pb.RecordCategory.RECORD_CATEGORY_COMMODITY, s))).toBe("2027-01-31");
    expect(day(recordReviewDue(at("2026-01-31T10:00:00Z"), pb.RecordCategory.RECORD_CATEGORY_PERSON, s))).toBe("2026-07-31");
    expect(recordReviewDue(1_000, 1, { reviewPeriod: { months: 0, ms: 30_000 } })).toBe(31_000);
  });

  it("reminds 30, 7 and 1 days before the review, skipping reminders already past", () => {
    const due = at("2026-12-31T00:00:00Z");
    expect(reminderTimes(due, at("2026-01-01T00:00:00Z")).map((r) => r.days)).toEqual([30, 7, 1]);
    expect(reminderTimes(due, due - 10 * DAY_MS).map((r) => r.days)).toEqual([7, 1]);
    expect(reminderTimes(due, due)).toEqual([]);
    // Configured days in any order (LIAISON_REMINDER_DAYS=1,14,7) still come earliest first, so none is skipped.
    expect(reminderTimes(due, due - 20 * DAY_MS, [1, 14, 7, 14]).map((r) => r.days)).toEqual([14, 7, 1]);
  });

  it("keeps FIDE entries 3, 6 or 10 years by status, an ongoing file no longer than 12 months after its last act", () => {
    const reg = at("2026-03-01T00:00:00Z");
    const ongoing = fileRetention({ status: pb.FileStatus.FILE_STATUS_ONGOING_NO_OFFENCE_ESTABLISHED, registeredAtMs: reg, lastInvestigativeActMs: at("2026-06-15T00:00:00Z"), statusSetAtMs: reg });
    expect([day(ongoing.untilMs), ongoing.rule]).toEqual(["2027-06-15", "fide-ongoing"]);
    const active = fileRetention({ status: pb.FileStatus.FILE_STATUS_ONGOING_NO_OFFENCE_ESTABLISHED, registeredAtMs: reg, lastInvestigativeActMs: at("2028-12-01T00:00:00Z"), statusSetAtMs: reg });
    expect(day(active.untilMs)).toBe("2029-03-01");
    const offence = fileRetention({ status: pb.FileStatus.FILE_STATUS_OFFENCE_ESTABLISHED_NO_CONVICTION, registeredAtMs: reg, lastInvestigativeActMs: reg, statusSetAtMs: at("2027-01-01T00:00:00Z") });
    expect([day(offence.untilMs), offence.rule]).toEqual(["2032-03-01", "fide-offence"]);
    const convicted = fileRetention({ status: pb.FileStatus.FILE_STATUS_CONVICTION_OR_PENALTY, registeredAtMs: reg, lastInvestigativeActMs: reg, statusSetAtMs: at("2028-05-20T00:00:00Z") });
    expect([day(convicted.untilMs), convicted.rule]).toEqual(["2038-05-20", "fide-conviction"]);
    const cleared = fileRetention({ status: pb.FileStatus.FILE_STATUS_SUBJECT_CLEARED, registeredAtMs: reg, lastInvestigativeActMs: reg, statusSetAtMs: at("2027-02-02T00:00:00Z") });
    expect([cleared.untilMs, cleared.rule]).toEqual([at("2027-02-02T00:00:00Z"), "fide-cleared"]);
  });

  it("holds until the hold's end date, or until lifted when it has none", () => {
    expect(holdInForce({ untilMs: 2_000 }, 1_000)).toBe(true);
    expect(holdInForce({ untilMs: 2_000 }, 2_000)).toBe(false);
    expect(holdInForce({ untilMs: 0 }, 9e15)).toBe(true);
    expect(holdInForce(null, 1)).toBe(false);
  });

  it("names every rule the services apply in the supervisor's table", () => {
    const ids = RETENTION_RULES.map((r) => r.id);
    for (const rule of ["cis-review", "cis-supplier-erasure", "fide-ongoing", "fide-offence", "fide-conviction", "fide-cleared", "message-delivered", "hit", "audit", "legal-hold"]) expect(ids).toContain(rule);
  });
});
