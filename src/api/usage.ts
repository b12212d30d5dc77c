// The console's operations and compliance APIs (/v1/usage, /v1/usage/dormant, /v1/usage/operations,
// /v1/compliance): usage counts per contact point and month, dormant members, joint customs
// operations per year, and the erasure compliance report.
// Counts and states only. Times the hub has not set are null here (see iso in ./common.ts).
import { z } from "zod";
import { iso, type EpochMs } from "./common.js";

/** These APIs show a time the hub has not set (0) as null. */
export const isoOrNull = (ms: EpochMs): string | null => iso(ms) ?? null;

const month = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, "is not a month such as 2026-12 (YYYY-MM)");
export const usageQuery = z.object({ from: month.optional(), to: month.optional(), cp: z.string().regex(/^[A-Z][A-Z0-9]{1,9}$/, "is not a contact point code such as BE").optional() });

/** A month's counts, named as the usage service's UsageCounters fields are. */
export const USAGE_COUNTS = [
  "messagesSent",
  "messagesReceived",
  "messagesAnswered",
  "repliesOnTime",
  "repliesLate",
  "recordsSubmitted",
  "recordsQueried",
  "recordHits",
  "filesRegistered",
  "filesQueried",
  "fileHits",
  "refusals",
] as const;
export type UsageCount = (typeof USAGE_COUNTS)[number];

export const monthOut = z.object({
  cp: z.string(),
  month: z.string(),
  ...(Object.fromEntries(USAGE_COUNTS.map((k) => [k, z.number()])) as Record<UsageCount, z.ZodNumber>),
  replyP50Seconds: z.number().nullable().describe("Median reply time (upper bound of its histogram bucket)"),
  replyP90Seconds: z.number().nullable(),
});
export type MonthOut = z.infer<typeof monthOut>;

export const activityOut = z.object({
  cp: z.string(),
  name: z.string(),
  active: z.boolean(),
  lastConnection: z.string().nullable(),
  lastActivity: z.string().nullable(),
  dormant: z.boolean(),
  dormantSince: z.string().nullable(),
  suspensionDue: z.string().nullable(),
  suspensionWarning: z.boolean(),
  notifiedAt: z.string().nullable(),
});
export type ActivityOut = z.infer<typeof activityOut>;

export const usageOut = z.object({ generatedAt: z.string(), months: z.array(monthOut), activity: z.array(activityOut), replyTimeBoundsSeconds: z.array(z.number()) });
export type UsageOut = z.infer<typeof usageOut>;
export const dormantOut = z.object({ dormant: z.array(activityOut), all: z.array(activityOut) });
export type DormantOut = z.infer<typeof dormantOut>;

const year = z.coerce.number().int().min(1990, "is not a year from 1990").max(2200, "is not a year up to 2200");
/** The longest span of years one report of operations covers. */
export const OPERATION_USAGE_MAX_YEARS = 50;
/** /v1/usage/operations: the years shown, both included (default: the first year with an operation to this year, or the last planned). */
export const operationUsageQuery = z
  .object({ from: year.optional(), to: year.optional() })
  .refine((q) => q.from === undefined || q.to === undefined || (q.to >= q.from && q.to - q.from < OPERATION_USAGE_MAX_YEARS), {
    message: `is before from, or more than ${OPERATION_USAGE_MAX_YEARS} years after it`,
    path: ["to"],
  });

/** A member's part in a year's joint customs operations; `notUsed`: it takes part in none (JSA: "not used at the expected level"). */
export const memberOperationsOut = z
  .object({
    cp: z.string(),
    leads: z.number().describe("Operations of the year it leads"),
    takesPart: z.number().describe("Operations of the year it leads or is a participant in (observers do not count)"),
    notUsed: z.boolean().describe("It takes part in no operation of the year: not used at the expected level"),
  })
  .meta({ id: "MemberOperationUsage" });

/** Joint customs operations of one year (those whose first day is in it, cancelled ones left out). */
export const operationYearOut = z
  .object({
    year: z.number(),
    operations: z.number(),
    byKind: z.array(z.object({ kind: z.string(), count: z.number() })),
    participants: z.object({ mean: z.number(), min: z.number(), max: z.number() }).describe("Parties (leaders and participants) per operation; 0 in a year without operations"),
    members: z.array(memberOperationsOut),
  })
  .meta({ id: "OperationYearUsage" });
export const operationUsageOut = z.object({ generatedAt: z.string(), years: z.array(operationYearOut) });
export type OperationUsageOut = z.infer<typeof operationUsageOut>;

/**
 * /v1/operations/calendar: the calendar of joint customs operations as the hub's operations team
 * sees it (clear metadata, as every member sees it), with the overlaps in timing and objectives
 * and their reasons. Its query is the members' calendarQuery (src/api/operations.ts).
 */
export const calendarOperationOut = z
  .object({
    id: z.string(),
    name: z.string(),
    kind: z.string(),
    createdBy: z.string(),
    leaders: z.array(z.string()),
    participants: z.array(z.string()),
    status: z.string(),
    phases: z.array(z.object({ kind: z.string(), start: z.string(), end: z.string() })),
  })
  .meta({ id: "ConsoleCalendarOperation" });
export const consoleCalendarOut = z.object({
  from: z.string(),
  to: z.string(),
  operations: z.array(calendarOperationOut).describe("Every operation with a phase in the period, by first day"),
  overlaps: z
    .array(
      z.object({
        a: z.object({ id: z.string(), name: z.string() }),
        b: z.object({ id: z.string(), name: z.string() }),
        periods: z.array(z.object({ aPhase: z.string(), bPhase: z.string(), from: z.string(), to: z.string() })).describe("operational phases of both that share days"),
        reasons: z.array(z.string()),
      }),
    )
    .describe("Pairs of the period's operations that overlap in timing and objectives, and why"),
});
export type ConsoleCalendarOut = z.infer<typeof consoleCalendarOut>;

/** One Server-Sent Event of /v1/throughput/stream: per-minute rates over the last minute. */
export const throughputOut = z.object({
  at: z.string(),
  messagesRouted: z.number(),
  receipts: z.number(),
  queries: z.number(),
  refusals: z.number(),
  auditEvents: z.number(),
});
export type ThroughputOut = z.infer<typeof throughputOut>;

/** /v1/health: the status src/ops gathers, passed through, with the hub services expected and missing. */
export const healthOut = z.object({ expectedServices: z.array(z.string()), missing: z.array(z.string()) }).passthrough();

/** A contact point's CIS reviews in a month: reminders sent (due), renewed, and lapsed (erased unrenewed). */
export const reviewOut = z
  .object({
    contactPoint: z.string(),
    month: z.string(),
    due: z.number().describe("Records whose review falls due within the month (their review reminder was sent)"),
    renewed: z.number(),
    lapsed: z.number().describe("Records erased because their review was not renewed in time"),
  })
  .meta({ id: "ComplianceReview" });
export type ReviewOut = z.infer<typeof reviewOut>;

/** A legal hold in force: what it holds, who set it, why, and until when (null: until lifted). */
export const holdOut = z
  .object({
    objectType: z.string(),
    objectId: z.string(),
    setBy: z.string().describe("authority:user"),
    reason: z.string(),
    setAt: z.string().nullable(),
    until: z.string().nullable(),
  })
  .meta({ id: "ComplianceHold" });
export type HoldOut = z.infer<typeof holdOut>;

/** /v1/compliance: the erasure compliance report (overdue must be 0), reviews per month and holds in force. */
export const complianceOut = z
  .object({
    generatedAt: z.string().nullable(),
    overdueCount: z.number(),
    overdue: z.array(z.object({ kind: z.string(), objectId: z.string(), supplier: z.string(), dueAt: z.string().nullable(), stage: z.string() })),
    erasures: z.array(z.object({ day: z.string(), rule: z.string(), supplier: z.string(), count: z.number() })),
    reviews: z.array(reviewOut),
    holds: z.array(holdOut),
    lastSweepAt: z.string().nullable(),
    kekEpoch: z.number(),
    kekCreatedAt: z.string().nullable(),
    erasedTotal: z.number(),
  })
  .passthrough();
export type ComplianceOut = z.infer<typeof complianceOut>;
