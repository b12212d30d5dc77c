// The usage rules: reply-time buckets and quantiles, and dormancy (src/domain/usage-rules.ts).
import { describe, expect, it } from "vitest";
import { DEFAULT_DORMANCY, dormancy, histogramQuantile, monthOf, REPLY_TIME_BOUNDS_S, replyTimeBucket } from "../../src/domain/mod.js";

const DAY = 86_400_000;

describe("reply times", () => {
  it("buckets a reply by the first bound at or above it; beyond a year is the open bucket", () => {
    expect(replyTimeBucket(0)).toBe(0);
    expect(replyTimeBucket(60)).toBe(0);
    expect(replyTimeBucket(61)).toBe(1);
    expect(REPLY_TIME_BOUNDS_S[replyTimeBucket(3 * 86_400)]).toBe(259_200);
    expect(replyTimeBucket(2 * 31_536_000)).toBe(REPLY_TIME_BOUNDS_S.length);
  });

  it("reads the median and the 90th percentile off the histogram", () => {
    const h = new Array<number>(REPLY_TIME_BOUNDS_S.length + 1).fill(0);
    // 10 replies: 5 within an hour, 4 within a day, 1 within a week.
    h[replyTimeBucket(1_800)] = 5;
    h[replyTimeBucket(80_000)] = 4;
    h[replyTimeBucket(500_000)] = 1;
    expect(histogramQuantile(h, 0.5)).toBe(1_800);
    expect(histogramQuantile(h, 0.9)).toBe(86_400);
    expect(histogramQuantile(h, 1)).toBe(604_800);
    expect(histogramQuantile([], 0.5)).toBeUndefined();
  });

  it("names months in UTC", () => {
    expect(monthOf(Date.UTC(2026, 0, 31, 23, 59))).toBe("2026-01");
    expect(monthOf(Date.UTC(2026, 1, 1, 0, 0))).toBe("2026-02");
  });
});

describe("dormancy", () => {
  const t0 = Date.UTC(2026, 0, 1);
  it("counts from the last connection, or from registration for a member that never connected", () => {
    expect(dormancy(t0, 0, t0 + 29 * DAY).dormant).toBe(false);
    expect(dormancy(t0, 0, t0 + 30 * DAY).dormant).toBe(true);
    expect(dormancy(0, t0, t0 + 31 * DAY)).toMatchObject({ dormant: true, dormantSinceMs: t0 + 30 * DAY });
  });
  it("warns ten days before suspension", () => {
    const due = t0 + DEFAULT_DORMANCY.suspendAfterMs;
    expect(dormancy(t0, 0, due - 10 * DAY - 1).warnSuspension).toBe(false);
    expect(dormancy(t0, 0, due - 10 * DAY)).toMatchObject({ warnSuspension: true, suspensionDueMs: due });
  });
});
