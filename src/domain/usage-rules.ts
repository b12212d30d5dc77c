// Usage rules: how reply times are bucketed and summarised, and when a contact point counts as
// dormant or heads for suspension for inactivity. Pure functions; the usage service applies them.

const DAY = 86_400_000;

/**
 * Upper bounds (seconds) of the reply-time histogram's buckets; the last bucket is open. Log-spaced
 * from a minute to a year: a reply in an hour and one in three months both land in a narrow bucket.
 */
export const REPLY_TIME_BOUNDS_S: readonly number[] = [
  60, 300, 900, 1_800, 3_600, 7_200, 14_400, 28_800, 43_200, 86_400, 172_800, 259_200, 432_000, 604_800, 864_000, 1_209_600, 1_814_400, 2_592_000,
  3_888_000, 5_184_000, 7_776_000, 15_552_000, 31_536_000,
];

/** The histogram bucket a reply time falls in (bounds.length for the open last bucket). */
export function replyTimeBucket(seconds: number): number {
  const i = REPLY_TIME_BOUNDS_S.findIndex((b) => seconds <= b);
  return i < 0 ? REPLY_TIME_BOUNDS_S.length : i;
}

/**
 * The q-quantile (0..1) of a reply-time histogram, as the upper bound of the bucket that holds it
 * (an upper estimate, as Prometheus' histogram_quantile without interpolation); undefined when empty.
 * The open bucket reports the last bound.
 */
export function histogramQuantile(counts: readonly number[], q: number): number | undefined {
  const total = counts.reduce((a, b) => a + b, 0);
  if (total === 0) return undefined;
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (let i = 0; i < counts.length; i++) {
    seen += counts[i] ?? 0;
    if (seen >= rank) return REPLY_TIME_BOUNDS_S[Math.min(i, REPLY_TIME_BOUNDS_S.length - 1)];
  }
  return REPLY_TIME_BOUNDS_S[REPLY_TIME_BOUNDS_S.length - 1];
}

/** Adds two histograms bucket by bucket (for totals over months or members). */
export function addHistograms(a: readonly number[], b: readonly number[]): number[] {
  return Array.from({ length: Math.max(a.length, b.length) }, (_, i) => (a[i] ?? 0) + (b[i] ?? 0));
}

/** "YYYY-MM" (UTC) of an instant. */
export function monthOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 7);
}

export interface DormancyPolicy {
  /** No connection for this long makes a contact point dormant (default 30 days). */
  readonly dormantAfterMs: number;
  /** No connection for this long would get the account suspended for inactivity. */
  readonly suspendAfterMs: number;
  /** The reminder goes out this long before the suspension would take effect (default 10 days). */
  readonly warnBeforeMs: number;
}

export const DEFAULT_DORMANCY: DormancyPolicy = { dormantAfterMs: 30 * DAY, suspendAfterMs: 90 * DAY, warnBeforeMs: 10 * DAY };

export interface DormancyState {
  readonly dormant: boolean;
  /** When it became (or becomes) dormant. */
  readonly dormantSinceMs: number;
  /** When the account would be suspended. */
  readonly suspensionDueMs: number;
  /** Inside the reminder window before suspension. */
  readonly warnSuspension: boolean;
}

/**
 * Dormancy of a contact point that last connected at `lastConnectionMs` (0: never; then its
 * registration counts as the start, so a member that never connects turns dormant too).
 */
export function dormancy(lastConnectionMs: number, registeredAtMs: number, nowMs: number, p: DormancyPolicy = DEFAULT_DORMANCY): DormancyState {
  const since = lastConnectionMs > 0 ? lastConnectionMs : registeredAtMs;
  const dormantSinceMs = since + p.dormantAfterMs;
  const suspensionDueMs = since + p.suspendAfterMs;
  return {
    dormant: nowMs >= dormantSinceMs,
    dormantSinceMs,
    suspensionDueMs,
    warnSuspension: nowMs >= suspensionDueMs - p.warnBeforeMs,
  };
}
