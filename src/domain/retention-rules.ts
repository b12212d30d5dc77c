// How long Liaison keeps what it keeps, in one place a supervisor can read. Pure functions of the
// item's dates and status: the retention service and the records and files services call them.
//   CIS records ............ Decision 2009/917/JHA Art. 14: reviewed by the supplier at least once a
//                            year; not renewed by the review date → erased.
//   FIDE entries ........... Decision 2009/917/JHA Art. 19: 3 / 6 / 10 years by the file's status,
//                            an ongoing file also ends 12 months after the last investigative act.
//   Hub copies of messages . until delivered to every recipient + 30 days, undelivered at most 90 days.
//   Audit events ........... 3 years (as Reg. 2018/1862 Art. 12(4)); leaf hashes stay for verification.
//   Joint customs operations  sealed items (documents, comments, group messages, seizure reports,
//                            results, recommendations) 2 years after the final report phase ends;
//                            the calendar entry (clear metadata) 5 years after it (operationRetention).
//   Legal hold ............. suspends all of the above until it ends or is lifted.
import { dayMs } from "./operations.js";
import { addPeriod, type Period } from "./period.js";
import { pb } from "../proto/mod.js";

export const DAY_MS = 86_400_000;

export interface RetentionRule {
  readonly id: string;
  readonly applies: string;
  readonly keep: string;
  readonly basis: string;
}

/** The table shown to supervisors (console, `liaison retention rules`). */
export const RETENTION_RULES: readonly RetentionRule[] = Object.freeze([
  { id: "cis-review", applies: "CIS record", keep: "until its review date (creation or last renewal + the review period, default 12 months); erased if not renewed by then", basis: "Decision 2009/917/JHA Art. 14" },
  { id: "cis-supplier-erasure", applies: "CIS record", keep: "erased at once when its supplier erases it", basis: "Decision 2009/917/JHA Art. 13" },
  { id: "fide-ongoing", applies: "FIDE entry, no offence established", keep: "3 years from registration, and no longer than 12 months after the last investigative act", basis: "Decision 2009/917/JHA Art. 19(1)(a)" },
  { id: "fide-offence", applies: "FIDE entry, offence established, no conviction yet", keep: "6 years from registration", basis: "Decision 2009/917/JHA Art. 19(1)(b)" },
  { id: "fide-conviction", applies: "FIDE entry, conviction or penalty", keep: "10 years from the conviction or penalty", basis: "Decision 2009/917/JHA Art. 19(1)(c)" },
  { id: "fide-cleared", applies: "FIDE entry, subject cleared", keep: "erased at once", basis: "Decision 2009/917/JHA Art. 19(2)" },
  { id: "fide-supplier-erasure", applies: "FIDE entry", keep: "erased at once when its supplier erases it", basis: "Decision 2009/917/JHA Art. 19" },
  { id: "message-delivered", applies: "hub copy of a message", keep: "until delivered to every recipient, plus 30 days", basis: "Liaison configuration (LIAISON_MESSAGE_KEEP)" },
  { id: "message-undelivered", applies: "hub copy of a message never delivered", keep: "90 days at most", basis: "Liaison configuration (JetStream max_age on INBOX)" },
  { id: "route", applies: "routing record of a message: its id, sender, recipients and a digest (no content)", keep: "1 year", basis: "Liaison configuration (JetStream max_age on KV bucket routes)" },
  { id: "hit", applies: "hit on a CIS record or FIDE entry: who matched, the purpose, the outcome reported", keep: "1 year (the audit log keeps the query and hit events for its own period)", basis: "Liaison configuration (JetStream max_age on KV bucket hits)" },
  { id: "audit", applies: "audit event contents", keep: "3 years; leaf hashes are kept so older tree heads stay verifiable", basis: "Regulation (EU) 2018/1862 Art. 12(4)" },
  {
    id: "operation-items",
    applies: "joint customs operation: its sealed documents, comments, group messages, seizure reports, results and recommendations (hub copies, sealed)",
    keep: "2 years after its final report phase ends (its last phase when it has none), default; configurable (LIAISON_OPERATION_ITEMS_KEEP)",
    basis: "Liaison configuration: the follow-up of issue #18 item 4 (late results, open recommendations) runs on them after the final report",
  },
  {
    id: "operation-entry",
    applies: "joint customs operation: its calendar entry (name, kind, parties, phases, objectives: clear metadata, no member content)",
    keep: "5 years after its final report phase ends (its last phase when it has none), default, and never before its items; configurable (LIAISON_OPERATION_ENTRY_KEEP)",
    basis: "Liaison configuration: the calendar's look-back and the usage figures per year compare several years",
  },
  { id: "legal-hold", applies: "any of the above", keep: "not erased while a legal hold is in force", basis: "set by the supplier or a supervisor, with a reason and an end date" },
]);

export interface RetentionSettings {
  /** Default CIS review period (12 months). */
  readonly reviewPeriod: Period;
  /** Per-category review periods overriding the default. */
  readonly reviewPeriodByCategory?: Readonly<Partial<Record<number, Period>>>;
  /** Reminders before the review date, in days. */
  readonly reminderDays?: readonly number[];
}

export const DEFAULT_REMINDER_DAYS = [30, 7, 1] as const;

export function reviewPeriodFor(category: pb.RecordCategory, s: RetentionSettings): Period {
  return s.reviewPeriodByCategory?.[category] ?? s.reviewPeriod;
}

/** The review date of a CIS record created or last renewed at `fromMs`. */
export function recordReviewDue(fromMs: number, category: pb.RecordCategory, s: RetentionSettings): number {
  return addPeriod(fromMs, reviewPeriodFor(category, s));
}

/**
 * When the supplier is reminded of a review: 30, 7 and 1 days before, or the days configured
 * (LIAISON_REMINDER_DAYS, in any order), earliest first, those still ahead of `nowMs`.
 */
export function reminderTimes(reviewDueMs: number, nowMs: number, days: readonly number[] = DEFAULT_REMINDER_DAYS): Array<{ days: number; atMs: number }> {
  return [...new Set(days)]
    .sort((a, b) => b - a)
    .map((d) => ({ days: d, atMs: reviewDueMs - d * DAY_MS }))
    .filter((r) => r.atMs > nowMs);
}

export type RecordStage = "reminder" | "review";

/**
 * The next thing that happens to a CIS record: a reminder (30, 7, 1 days before its review date)
 * or, at the review date, erasure unless it was renewed. The due index holds one entry per record,
 * at this time.
 */
export function nextRecordEvent(reviewDueMs: number, nowMs: number, days: readonly number[] = DEFAULT_REMINDER_DAYS): { atMs: number; stage: RecordStage; daysBefore: number } {
  const next = reminderTimes(reviewDueMs, nowMs, days)[0];
  return next ? { atMs: next.atMs, stage: "reminder", daysBefore: next.days } : { atMs: reviewDueMs, stage: "review", daysBefore: 0 };
}

export interface FileDates {
  readonly status: pb.FileStatus;
  readonly registeredAtMs: number;
  readonly lastInvestigativeActMs: number;
  /** When the current status was set (the conviction date for FILE_STATUS_CONVICTION_OR_PENALTY). */
  readonly statusSetAtMs: number;
}

const years = (n: number): Period => ({ months: 12 * n, ms: 0 });
const months = (n: number): Period => ({ months: n, ms: 0 });

/** When a FIDE entry must be gone, and by which rule. */
export function fileRetention(f: FileDates): { untilMs: number; rule: string } {
  switch (f.status) {
    case pb.FileStatus.FILE_STATUS_SUBJECT_CLEARED:
      return { untilMs: f.statusSetAtMs, rule: "fide-cleared" };
    case pb.FileStatus.FILE_STATUS_CONVICTION_OR_PENALTY:
      return { untilMs: addPeriod(f.statusSetAtMs, years(10)), rule: "fide-conviction" };
    case pb.FileStatus.FILE_STATUS_OFFENCE_ESTABLISHED_NO_CONVICTION:
      return { untilMs: addPeriod(f.registeredAtMs, years(6)), rule: "fide-offence" };
    default: {
      const byAge = addPeriod(f.registeredAtMs, years(3));
      const byActivity = addPeriod(f.lastInvestigativeActMs || f.registeredAtMs, months(12));
      return { untilMs: Math.min(byAge, byActivity), rule: "fide-ongoing" };
    }
  }
}

export interface Hold {
  readonly untilMs?: number | null;
}

/** A legal hold is in force until its end date (no end date: until lifted). */
export function holdInForce(hold: Hold | null | undefined, nowMs: number): boolean {
  if (!hold) return false;
  return !hold.untilMs || hold.untilMs > nowMs;
}

/** Hub copies of messages. */
export const MESSAGE_KEEP_AFTER_DELIVERY: Period = { months: 0, ms: 30 * DAY_MS };
export const MESSAGE_KEEP_UNDELIVERED: Period = { months: 0, ms: 90 * DAY_MS };
export const AUDIT_KEEP: Period = years(3);

/**
 * Joint customs operations (issue #18 item 5). The sealed items exist for the operation and its
 * follow-up: comments on the documents, the group's exchange during the phases, and after the
 * final report the results that arrive late and the recommendations monitored until done. So
 * they are kept a set time after the final report phase ends (the last phase's end when there is
 * none: an operation of another body entered for coordination, or one without a report phase),
 * by default 2 years, then erased; what a member needs for longer it keeps in its national
 * systems under its own law. The calendar entry holds only clear metadata and is what the
 * calendar and the usage figures per year count, so it is kept longer (5 years by default),
 * never erased before its items. A legal hold would stop both, as for records; operations have
 * no hold yet (see docs/retention.md).
 */
export const OPERATION_ITEMS_KEEP: Period = years(2);
export const OPERATION_ENTRY_KEEP: Period = years(5);

export interface OperationRetentionSettings {
  readonly itemsKeep: Period;
  readonly entryKeep: Period;
}

export const DEFAULT_OPERATION_RETENTION: OperationRetentionSettings = Object.freeze({ itemsKeep: OPERATION_ITEMS_KEEP, entryKeep: OPERATION_ENTRY_KEEP });

export type OperationStage = "operation-items" | "operation-entry";

/**
 * When an operation's items and its entry fall due: `endMs` is the end of its final report phase
 * (the start of the day after its last day), or of its latest phase when it has no final report
 * phase; undefined when it has no phase with a valid end day.
 */
export function operationRetention(
  phases: ReadonlyArray<{ readonly kind: string; readonly end: string }>,
  s: OperationRetentionSettings = DEFAULT_OPERATION_RETENTION,
): { endMs: number; itemsDueMs: number; entryDueMs: number } | undefined {
  const ends = (list: typeof phases) => list.map((p) => dayMs(p.end)).filter((d): d is number => d !== undefined);
  const report = ends(phases.filter((p) => p.kind === "final-report"));
  const all = report.length > 0 ? report : ends(phases);
  if (all.length === 0) return undefined;
  const endMs = Math.max(...all) + DAY_MS;
  const itemsDueMs = addPeriod(endMs, s.itemsKeep);
  return { endMs, itemsDueMs, entryDueMs: Math.max(itemsDueMs, addPeriod(endMs, s.entryKeep)) };
}

/**
 * Why a change of an operation's phases from `before` to `after` is refused at `nowMs`, or
 * undefined when it may be made. Once the phase end its retention runs from (`endMs` of
 * operationRetention) has passed, that end may move earlier but not later, nor go: otherwise a
 * leader could keep moving the final report phase and postpone the erasure for ever.
 */
export function retentionClockMove(
  before: ReadonlyArray<{ readonly kind: string; readonly end: string }>,
  after: ReadonlyArray<{ readonly kind: string; readonly end: string }>,
  nowMs: number,
): string | undefined {
  const was = operationRetention(before);
  if (!was || was.endMs > nowMs) return undefined;
  const next = operationRetention(after);
  if (next && next.endMs <= was.endMs) return undefined;
  const ended = new Date(was.endMs - DAY_MS).toISOString().slice(0, 10);
  return `phases: the phase this operation's retention runs from ended on ${ended}; its end may not move later or go`;
}

/** What is due of an operation at `nowMs`: its items (until they are erased), then its entry. */
export function operationStageDue(
  phases: ReadonlyArray<{ readonly kind: string; readonly end: string }>,
  itemsErased: boolean,
  nowMs: number,
  s: OperationRetentionSettings = DEFAULT_OPERATION_RETENTION,
): { stage: OperationStage; dueAtMs: number } | undefined {
  const r = operationRetention(phases, s);
  if (!r) return undefined;
  if (r.entryDueMs <= nowMs) return { stage: "operation-entry", dueAtMs: r.entryDueMs };
  if (!itemsErased && r.itemsDueMs <= nowMs) return { stage: "operation-items", dueAtMs: r.itemsDueMs };
  return undefined;
}
