// Durations in configuration: "250ms", "30s", "10m", "24h", "30d", "2w" for intervals, plus
// calendar "12mo" and "3y" for retention periods, where a month is a calendar month, not 30 days.
import { z } from "zod";
import { parsePeriod, type Period } from "../domain/mod.js";

/** A calendar period ("12mo", "3y", "30s"); a bare number is milliseconds. */
export const zPeriod = z.union([z.number().int().nonnegative(), z.string()]).transform((v, ctx): Period => {
  if (typeof v === "number") return Object.freeze({ months: 0, ms: v });
  const p = parsePeriod(v);
  if (!p) {
    ctx.addIssue({ code: "custom", message: `"${v}" is not a duration (use e.g. 30s, 15m, 24h, 90d, 12mo, 3y)` });
    return z.NEVER;
  }
  return p;
});

/** An interval in milliseconds ("250ms", "30s", "1h"); months and years are refused. */
export const zDurationMs = z.union([z.number().int().nonnegative(), z.string()]).transform((v, ctx): number => {
  if (typeof v === "number") return v;
  const p = parsePeriod(v);
  if (!p || p.months !== 0) {
    ctx.addIssue({ code: "custom", message: `"${v}" is not an interval (use e.g. 500ms, 30s, 15m, 24h, 7d)` });
    return z.NEVER;
  }
  return p.ms;
});
