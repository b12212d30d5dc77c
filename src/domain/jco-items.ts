// What members exchange inside a joint customs operation (issue #18, items 2 to 4): who its
// members are (the group an item is sealed to), the vocabularies of documents, group templates,
// results and recommendations, and the figures an access point computes from the seizure reports
// and results it opened: the live tally, the final report's statistics and the objectives met.
// Pure functions; the hub never sees the content these count.
import type { Operation, OperationObjective } from "./operations.js";

export const ITEM_KINDS = ["document", "comment", "message", "recommendation"] as const;
export type ItemKind = (typeof ITEM_KINDS)[number];

export const DOCUMENT_KINDS = ["business-case", "operational-plan", "national-report", "final-report"] as const;
export type DocumentKind = (typeof DOCUMENT_KINDS)[number];

/** The metadata fields each kind of item carries, besides its operation, kind and marking; any other set is refused. */
export const ITEM_META_FIELDS: Readonly<Record<ItemKind, readonly string[]>> = Object.freeze({
  document: ["documentId", "documentKind", "version", "commentDeadlineMs"],
  comment: ["documentId", "version"],
  message: ["template", "inReplyTo"],
  recommendation: ["owner"],
});
const KIND_FIELDS = [...new Set(Object.values(ITEM_META_FIELDS).flat())];

/** The fields set in `meta` (a non-empty string, a non-zero number) that do not belong to an item of `kind`. */
export function strayMetaFields(kind: ItemKind, meta: Readonly<Record<string, unknown>>): string[] {
  const isSet = (v: unknown) => v !== undefined && v !== null && (typeof v === "string" ? v !== "" : Number(v) !== 0);
  return KIND_FIELDS.filter((f) => !ITEM_META_FIELDS[kind].includes(f) && isSet(meta[f]));
}

/** The group's message templates: a warning (a suspect consignment on its way), feedback on one, a seizure report, a result that arrived later, a note. */
export const GROUP_TEMPLATES = ["warning", "feedback", "seizure", "result", "note"] as const;
export type GroupTemplate = (typeof GROUP_TEMPLATES)[number];

export const RESULT_KINDS = ["conviction", "penalty", "investigation-closed", "other"] as const;
export type ResultKind = (typeof RESULT_KINDS)[number];

export const RECOMMENDATION_STATES = ["open", "in-progress", "done", "rejected"] as const;
export type RecommendationState = (typeof RECOMMENDATION_STATES)[number];

/** A classification marking (RESTREINT UE/EU RESTRICTED, CONFIDENTIEL UE/EU CONFIDENTIAL, a national one): capitals, digits, spaces, '/', '-'. */
export const CLASSIFICATION_PATTERN = /^[A-Z][A-Z0-9 /-]{1,62}[A-Z0-9]$/;
/** A handling code (SIENA style: H0, H1, H2, or a member's own up to 16 characters). */
export const HANDLING_CODE_PATTERN = /^[A-Z][A-Z0-9-]{0,15}$/;
export const MAX_HANDLING_CODES = 8;

const DAY_MS = 86_400_000;

/**
 * The largest item envelope the hub stores. A document's text is at most 200,000 UTF-16 units
 * (src/api/operation-items.ts), at most 600,000 bytes in UTF-8, plus its title, the wrapped key of
 * each member and the signature: 1 MiB holds the largest legitimate item with room to spare.
 */
export const MAX_ITEM_ENVELOPE_BYTES = 1_048_576;
/** The most items one operation holds (documents, comments, messages and recommendations together). */
export const MAX_ITEMS_PER_OPERATION = 5_000;
/**
 * The bytes of stored items one `items` reply carries at most (one item over it when that item
 * alone is larger, which MAX_ITEM_ENVELOPE_BYTES bounds): the reply stays well under NATS's
 * max_payload (8 MiB); the reader follows `next` until it is empty.
 */
export const ITEMS_PAGE_BYTES = 4_194_304;

/**
 * The members of an operation's group: its leaders and participants that are contact points in
 * the registry (observers and other bodies are not), sorted. Items are sealed to exactly these.
 */
export function operationMembers(op: Pick<Operation, "leaders" | "participants">, contactPoints: Iterable<string>): string[] {
  const cps = new Set(contactPoints);
  return [...new Set([...op.leaders, ...op.participants])].filter((p) => cps.has(p)).sort();
}

/** Whether two lists name the same parties (order and repeats aside). */
export function sameParties(a: readonly string[], b: readonly string[]): boolean {
  const sa = new Set(a);
  const sb = new Set(b);
  return sa.size === sb.size && [...sa].every((x) => sb.has(x));
}

/** What is wrong with an item's marking; empty when it may travel. */
export function checkMarking(classification: string, handlingCodes: readonly string[]): string[] {
  const out: string[] = [];
  if (classification !== "" && !CLASSIFICATION_PATTERN.test(classification)) out.push("classification: a marking such as RESTREINT UE/EU RESTRICTED (capitals, digits, spaces, '/', '-'; 3 to 64 characters)");
  if (handlingCodes.length > MAX_HANDLING_CODES) out.push(`handlingCodes: at most ${MAX_HANDLING_CODES}`);
  handlingCodes.forEach((c, i) => {
    if (!HANDLING_CODE_PATTERN.test(c)) out.push(`handlingCodes[${i}]: a code such as H0, H1 or H2`);
  });
  return out;
}

/** The members that have not commented on a document version: every member but its author and those that did. */
export function missingComments(members: readonly string[], author: string, commenters: Iterable<string>): string[] {
  const did = new Set(commenters);
  return members.filter((m) => m !== author && !did.has(m));
}

/** Whole days a recommendation has been open: until now while it is open or in progress, until its last change once done or rejected. */
export function openDays(openedAtMs: number, state: RecommendationState, updatedAtMs: number, nowMs: number): number {
  const end = state === "open" || state === "in-progress" ? nowMs : updatedAtMs;
  return Math.max(0, Math.floor((end - openedAtMs) / DAY_MS));
}

// ------------------------------------------------------------------ figures

export interface Quantity {
  readonly amount: number;
  readonly unit: string;
}

/** A seizure report as its reader opened it: who reported it and what it says. */
export interface SeizureReport {
  readonly participant: string;
  readonly commodity: string;
  readonly quantity: Quantity;
  readonly riskProfile: string;
}

/** A result that arrived later (a conviction, a penalty, a closed investigation), with its amount if it has one (a fine, in euro). */
export interface OperationResult {
  readonly kind: ResultKind;
  readonly amount: number | null;
}

export interface TallyRow {
  readonly key: string;
  readonly seizures: number;
  readonly quantities: Array<{ unit: string; amount: number }>;
}

export interface ObjectiveEvaluation extends OperationObjective {
  /** The figure the metric reads, or null when the metric is not one the figures measure. */
  readonly actual: number | null;
  readonly met: boolean | null;
}

export interface Tally {
  readonly seizures: number;
  readonly byParticipant: TallyRow[];
  readonly byCommodity: TallyRow[];
  readonly byProfile: TallyRow[];
  readonly results: Array<{ kind: ResultKind; count: number; amount: number | null }>;
  readonly objectives: ObjectiveEvaluation[];
}

/** Seizures and summed quantities (per unit) grouped by `keyOf`, by key. */
function rows(reports: readonly SeizureReport[], keyOf: (r: SeizureReport) => string): TallyRow[] {
  const by = new Map<string, { seizures: number; units: Map<string, number> }>();
  for (const r of reports) {
    const k = keyOf(r);
    const row = by.get(k) ?? { seizures: 0, units: new Map<string, number>() };
    row.seizures++;
    row.units.set(r.quantity.unit, (row.units.get(r.quantity.unit) ?? 0) + r.quantity.amount);
    by.set(k, row);
  }
  return [...by.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, r]) => ({ key, seizures: r.seizures, quantities: [...r.units.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([unit, amount]) => ({ unit, amount })) }));
}

const norm = (s: string) => s.trim().toLowerCase().replace(/\s+/g, " ");

/** The result kinds a metric may count, by the words an objective uses. */
const RESULT_METRICS: ReadonlyMap<string, ResultKind> = new Map([
  ["convictions", "conviction"],
  ["penalties", "penalty"],
  ["investigations closed", "investigation-closed"],
  ["closed investigations", "investigation-closed"],
]);

/**
 * The figure an objective's metric reads from the seizure reports and results, or null when it
 * reads none. Metrics the figures measure: "seizures"; "<commodity> seizures"; "<commodity> seized
 * (<unit>)" (the quantities of that commodity in that unit; null when that commodity was seized
 * but reported only in other units); "convictions", "penalties", "investigations closed".
 * Commodity and unit are compared without case.
 */
export function metricValue(metric: string, reports: readonly SeizureReport[], results: readonly OperationResult[]): number | null {
  const m = norm(metric);
  if (m === "seizures") return reports.length;
  const resultKind = RESULT_METRICS.get(m);
  if (resultKind) return results.filter((r) => r.kind === resultKind).length;
  const count = /^(.+) seizures$/.exec(m);
  if (count?.[1]) {
    const c = count[1];
    return reports.filter((r) => norm(r.commodity) === c).length;
  }
  const seized = /^(.+) seized \((.+)\)$/.exec(m);
  if (seized?.[1] && seized[2]) {
    const [c, unit] = [seized[1], seized[2]];
    const ofCommodity = reports.filter((r) => norm(r.commodity) === c);
    const inUnit = ofCommodity.filter((r) => norm(r.quantity.unit) === unit);
    // Seized, but reported only in other units (pieces against millions): not a figure this metric
    // can read, rather than a misleading 0.
    if (inUnit.length === 0 && ofCommodity.length > 0) return null;
    return inUnit.reduce((s, r) => s + r.quantity.amount, 0);
  }
  return null;
}

/** Each objective with the figure its metric reads and whether the target is reached. */
export function evaluateObjectives(objectives: readonly OperationObjective[], reports: readonly SeizureReport[], results: readonly OperationResult[]): ObjectiveEvaluation[] {
  return objectives.map((o) => {
    const actual = metricValue(o.metric, reports, results);
    return { ...o, actual, met: actual === null ? null : actual >= o.target };
  });
}

/**
 * The live tally of an operation from the seizure reports and results a member opened: seizures
 * by participant, commodity and risk profile, results by kind (with their summed amounts, null
 * when none had one), and the objectives evaluated. The final report's statistics are this tally.
 */
export function tally(reports: readonly SeizureReport[], results: readonly OperationResult[], objectives: readonly OperationObjective[]): Tally {
  const byKind = new Map<ResultKind, { count: number; amount: number | null }>();
  for (const r of results) {
    const k = byKind.get(r.kind) ?? { count: 0, amount: null };
    k.count++;
    if (r.amount !== null) k.amount = (k.amount ?? 0) + r.amount;
    byKind.set(r.kind, k);
  }
  return {
    seizures: reports.length,
    byParticipant: rows(reports, (r) => r.participant),
    byCommodity: rows(reports, (r) => norm(r.commodity)),
    byProfile: rows(reports, (r) => r.riskProfile),
    results: RESULT_KINDS.filter((k) => byKind.has(k)).map((kind) => ({ kind, ...(byKind.get(kind) as { count: number; amount: number | null }) })),
    objectives: evaluateObjectives(objectives, reports, results),
  };
}
