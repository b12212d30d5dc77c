// Periods: "250ms", "30s", "10m", "24h", "30d", "2w" for intervals, plus calendar "12mo" and "3y" for
// retention periods, where a month is a calendar month, not 30 days. Configuration parses them with
// zPeriod / zDurationMs (src/config/duration.ts); the retention rules add them to dates.

export interface Period {
  readonly months: number;
  readonly ms: number;
}

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};
const UNIT_MONTHS: Record<string, number> = { mo: 1, y: 12 };
const PART = /(\d+(?:\.\d+)?)(ms|mo|s|m|h|d|w|y)/gy;

/** Parses "1y6mo", "90d", "30s"; returns undefined when the text is not a duration. */
export function parsePeriod(text: string): Period | undefined {
  const s = text.trim();
  if (s === "") return undefined;
  let months = 0;
  let ms = 0;
  PART.lastIndex = 0;
  let end = 0;
  for (let m = PART.exec(s); m; m = PART.exec(s)) {
    const n = Number(m[1]);
    const unit = m[2] ?? "";
    if (unit in UNIT_MONTHS) {
      if (!Number.isInteger(n)) return undefined;
      months += n * (UNIT_MONTHS[unit] ?? 0);
    } else {
      ms += n * (UNIT_MS[unit] ?? 0);
    }
    end = PART.lastIndex;
  }
  if (end !== s.length) return undefined;
  return Object.freeze({ months, ms: Math.round(ms) });
}

/** Adds a period to a time in ms, month by calendar month (UTC), clamping to the month's last day. */
export function addPeriod(atMs: number, p: Period): number {
  if (p.months === 0) return atMs + p.ms;
  const d = new Date(atMs);
  const day = d.getUTCDate();
  d.setUTCDate(1);
  d.setUTCMonth(d.getUTCMonth() + p.months);
  const lastDay = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate();
  d.setUTCDate(Math.min(day, lastDay));
  return d.getTime() + p.ms;
}

export function formatPeriod(p: Period): string {
  const parts: string[] = [];
  if (p.months) parts.push(p.months % 12 === 0 ? `${p.months / 12}y` : `${p.months}mo`);
  if (p.ms || parts.length === 0) parts.push(`${p.ms}ms`);
  return parts.join("");
}
