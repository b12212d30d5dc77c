// Joint customs operations (JCOs) and the calendar of operations, as the CCWP working group on the
// JCO concept asks for it: what a well-formed operation is (its phases in order, the operational
// phase possibly split in two with a break), and when two operations overlap "in relation to both
// objectives as well as timing". Pure functions; the operations service stores and notifies.

/** A calendar day, YYYY-MM-DD (UTC). */
export type Day = string;

export const OPERATION_KINDS = ["full-scale-jco", "regional-jco", "jcpo", "other-body"] as const;
export type OperationKindName = (typeof OPERATION_KINDS)[number];

/** The phases of an operation, in the order they run. */
export const PHASE_KINDS = ["planning", "business-case", "operational", "debriefing", "final-report"] as const;
export type PhaseKindName = (typeof PHASE_KINDS)[number];

export const OPERATION_STATUSES = ["planned", "approved", "running", "completed", "cancelled"] as const;
export type OperationStatusName = (typeof OPERATION_STATUSES)[number];

/** The operational phase may be split in two (with a break between), never more. */
export const MAX_OPERATIONAL_PHASES = 2;
/** The shortest break between two operational phases, in whole days with no operation. */
export const MIN_BREAK_DAYS = 1;
/** No phase runs longer than this (a longer one is a typing error in a date). */
export const MAX_PHASE_DAYS = 366;
/** Commodity codes are compared on their first four digits, the HS heading (fewer if one code is only a chapter). */
export const HS_MATCH_DIGITS = 4;

/** The most of each list one operation holds (the access point's API takes no more either). */
export const OPERATION_LIMITS = Object.freeze({ parties: 100, objectives: 20, commodityCodes: 100, routes: 50, phases: 8, text: 2_000 });

export interface OperationPhase {
  readonly kind: PhaseKindName;
  readonly start: Day;
  /** The last day of the phase (included). */
  readonly end: Day;
}

export interface OperationObjective {
  readonly description: string;
  readonly metric: string;
  readonly target: number;
}

export interface OperationRoute {
  readonly from: string;
  readonly to: string;
}

export interface Operation {
  readonly id: string;
  readonly name: string;
  readonly kind: OperationKindName;
  readonly leaders: readonly string[];
  readonly participants: readonly string[];
  readonly observers: readonly string[];
  readonly objectives: readonly OperationObjective[];
  readonly riskAreas: readonly string[];
  readonly commodityCodes: readonly string[];
  readonly routes: readonly OperationRoute[];
  readonly legalBasis: string;
  readonly phases: readonly OperationPhase[];
  readonly status: OperationStatusName;
}

/** What the overlap rule looks at. */
export type OverlapSubject = Pick<Operation, "id" | "name" | "status" | "leaders" | "participants" | "riskAreas" | "commodityCodes" | "routes" | "phases">;

export interface OperationRefusal {
  readonly field: string;
  readonly detail: string;
}

const DAY_MS = 86_400_000;
const DAY_PATTERN = /^\d{4}-\d{2}-\d{2}$/;
const PARTY_PATTERN = /^(?:[A-Z]{2}|[A-Z][A-Z0-9]{2,9})$/;
const PLACE_PATTERN = /^[A-Z]{2}(?:[A-Z0-9]{3})?$/;
const COMMODITY_PATTERN = /^\d{2}(?:\d{2}){0,4}$/;

/** The day as epoch ms at 00:00 UTC; undefined unless it is a real YYYY-MM-DD date. */
export function dayMs(day: string): number | undefined {
  if (!DAY_PATTERN.test(day)) return undefined;
  const ms = Date.parse(`${day}T00:00:00Z`);
  return Number.isFinite(ms) && new Date(ms).toISOString().slice(0, 10) === day ? ms : undefined;
}

/** Whole days from `a` to `b` (both valid days). */
const daysBetween = (a: Day, b: Day) => Math.round(((dayMs(b) ?? 0) - (dayMs(a) ?? 0)) / DAY_MS);
const later = (a: Day, b: Day) => (a > b ? a : b);
const earlier = (a: Day, b: Day) => (a < b ? a : b);

function checkPhases(phases: readonly OperationPhase[]): OperationRefusal[] {
  const out: OperationRefusal[] = [];
  const refuse = (field: string, detail: string) => out.push({ field, detail });
  phases.forEach((p, i) => {
    const f = `phases[${i}]`;
    if (!PHASE_KINDS.includes(p.kind)) refuse(`${f}.kind`, `unknown phase kind ${String(p.kind)}`);
    const s = dayMs(p.start);
    const e = dayMs(p.end);
    if (s === undefined) refuse(`${f}.start`, "not a date (YYYY-MM-DD)");
    if (e === undefined) refuse(`${f}.end`, "not a date (YYYY-MM-DD)");
    if (s !== undefined && e !== undefined) {
      if (e < s) refuse(f, `ends (${p.end}) before it starts (${p.start})`);
      else if (daysBetween(p.start, p.end) + 1 > MAX_PHASE_DAYS) refuse(f, `runs longer than ${MAX_PHASE_DAYS} days`);
    }
  });
  if (out.length > 0) return out;

  const operational = phases.filter((p) => p.kind === "operational");
  if (operational.length === 0) refuse("phases", "an operation needs an operational phase");
  if (operational.length > MAX_OPERATIONAL_PHASES) refuse("phases", `the operational phase may be split in two at most, not ${operational.length}`);
  for (const kind of PHASE_KINDS) {
    if (kind !== "operational" && phases.filter((p) => p.kind === kind).length > 1) refuse("phases", `more than one ${kind} phase`);
  }
  // Listed in the order they run: planning, business case, operational, debriefing, final report.
  for (let i = 1; i < phases.length; i++) {
    const prev = phases[i - 1] as OperationPhase;
    const p = phases[i] as OperationPhase;
    if (PHASE_KINDS.indexOf(p.kind) < PHASE_KINDS.indexOf(prev.kind)) refuse(`phases[${i}]`, `${p.kind} listed after ${prev.kind}`);
    else if (p.start < prev.start) refuse(`phases[${i}]`, `${p.kind} starts (${p.start}) before ${prev.kind} (${prev.start})`);
  }
  if (out.length > 0 || operational.length === 0) return out;

  const first = operational[0] as OperationPhase;
  const last = operational[operational.length - 1] as OperationPhase;
  if (operational.length === 2) {
    const gap = daysBetween(first.end, last.start) - 1;
    if (gap < MIN_BREAK_DAYS) refuse("phases", `a split operational phase needs a break of at least ${MIN_BREAK_DAYS} day between its two parts (${first.end}, ${last.start})`);
  }
  phases.forEach((p, i) => {
    if ((p.kind === "planning" || p.kind === "business-case") && p.end >= first.start) refuse(`phases[${i}]`, `${p.kind} must end before the operational phase starts (${first.start})`);
    if ((p.kind === "debriefing" || p.kind === "final-report") && p.start <= last.end) refuse(`phases[${i}]`, `${p.kind} must start after the operational phase ends (${last.end})`);
  });
  return out;
}

/** Everything wrong with an operation as entered; empty when it may be stored. */
export function checkOperation(op: Omit<Operation, "id">): OperationRefusal[] {
  const out: OperationRefusal[] = [];
  const refuse = (field: string, detail: string) => out.push({ field, detail });
  const name = op.name.trim();
  if (name.length === 0 || name.length > 200) refuse("name", "1 to 200 characters");
  if (!OPERATION_KINDS.includes(op.kind)) refuse("kind", `unknown kind ${String(op.kind)}`);
  if (!OPERATION_STATUSES.includes(op.status)) refuse("status", `unknown status ${String(op.status)}`);
  if (op.leaders.length === 0) refuse("leaders", "an operation has at least one leader");
  const roles = new Map<string, string>();
  for (const [field, parties] of [["leaders", op.leaders], ["participants", op.participants], ["observers", op.observers]] as const) {
    parties.forEach((p, i) => {
      if (!PARTY_PATTERN.test(p)) refuse(`${field}[${i}]`, "a party code such as DE, OLAF, WCO or FRONTEX");
      const had = roles.get(p);
      if (had !== undefined) refuse(`${field}[${i}]`, `${p} is already among the ${had}`);
      else roles.set(p, field);
    });
  }
  if (op.objectives.length === 0) refuse("objectives", "an operation has at least one objective");
  op.objectives.forEach((o, i) => {
    if (o.description.trim().length === 0) refuse(`objectives[${i}].description`, "required");
    if (o.metric.trim().length === 0) refuse(`objectives[${i}].metric`, "what is counted: required, so the target can be measured");
    if (!Number.isFinite(o.target) || o.target <= 0) refuse(`objectives[${i}].target`, "a figure above 0");
  });
  if (op.riskAreas.length === 0) refuse("riskAreas", "an operation has at least one risk area");
  op.commodityCodes.forEach((c, i) => {
    if (!COMMODITY_PATTERN.test(c)) refuse(`commodityCodes[${i}]`, "an HS, CN or TARIC code: 2, 4, 6, 8 or 10 digits");
  });
  op.routes.forEach((r, i) => {
    if (!PLACE_PATTERN.test(r.from) || !PLACE_PATTERN.test(r.to)) refuse(`routes[${i}]`, "ends are ISO 3166 country codes or UN/LOCODEs");
    else if (r.from === r.to) refuse(`routes[${i}]`, "a route goes somewhere else");
  });
  if (op.legalBasis.trim().length === 0) refuse("legalBasis", "required");
  const L = OPERATION_LIMITS;
  for (const [field, n, max] of [
    ["leaders", op.leaders.length, L.parties],
    ["participants", op.participants.length, L.parties],
    ["observers", op.observers.length, L.parties],
    ["objectives", op.objectives.length, L.objectives],
    ["commodityCodes", op.commodityCodes.length, L.commodityCodes],
    ["routes", op.routes.length, L.routes],
    ["phases", op.phases.length, L.phases],
  ] as const) {
    if (n > max) refuse(field, `at most ${max}`);
  }
  if (op.legalBasis.length > L.text || op.objectives.some((o) => o.description.length > L.text || o.metric.length > L.text)) refuse("text", `texts of at most ${L.text} characters`);
  if (out.length > 0) return out;
  out.push(...checkPhases(op.phases));
  return out;
}

// ------------------------------------------------------------------ the overlap rule

export interface OverlapPeriod {
  readonly aPhase: string;
  readonly bPhase: string;
  readonly from: Day;
  readonly to: Day;
}

export interface SharedCommodityCode {
  readonly a: string;
  readonly b: string;
  readonly prefix: string;
}

/** Two operations that overlap, and what they share: risk areas, routes and participants as an operation names them, periods, and commodity codes. */
export interface Overlap extends Pick<Operation, "riskAreas" | "routes" | "participants"> {
  readonly a: Pick<Operation, "id" | "name">;
  readonly b: Pick<Operation, "id" | "name">;
  readonly periods: readonly OverlapPeriod[];
  readonly commodityCodes: readonly SharedCommodityCode[];
  /** The same, in words, one reason a line. */
  readonly reasons: readonly string[];
}

/** The phases the overlap rule compares (operational only), each with its label. */
export function operationalPhases(op: Pick<Operation, "phases">): Array<OperationPhase & { label: string }> {
  const ops = op.phases.filter((p) => p.kind === "operational");
  return ops.map((p, i) => ({ ...p, label: ops.length > 1 ? `operational ${i + 1}` : "operational" }));
}

/** Whether two commodity codes fall under the same HS heading (or chapter, when one is only a chapter): the digits they share, or undefined. */
export function sharedCommodityPrefix(a: string, b: string): string | undefined {
  const n = Math.min(HS_MATCH_DIGITS, a.length, b.length);
  return n >= 2 && a.slice(0, n) === b.slice(0, n) ? a.slice(0, n) : undefined;
}

/** Who commits people to an operation: its leaders and participants (observers do not). */
const committed = (op: Pick<Operation, "leaders" | "participants">) => new Set([...op.leaders, ...op.participants]);

/**
 * Whether `a` and `b` overlap, and why: an operational phase of one shares a day with an
 * operational phase of the other (planning, business case, debriefing and final report do not
 * count: they run for months alongside every other operation and commit no officers at the
 * border), AND they share a risk area, a commodity code (same HS heading), a route or a committed
 * party (a leader or participant of both). A cancelled operation overlaps nothing.
 */
export function findOverlap(a: OverlapSubject, b: OverlapSubject): Overlap | undefined {
  if (a.id === b.id || a.status === "cancelled" || b.status === "cancelled") return undefined;
  const periods: OverlapPeriod[] = [];
  for (const pa of operationalPhases(a)) {
    for (const pb of operationalPhases(b)) {
      const from = later(pa.start, pb.start);
      const to = earlier(pa.end, pb.end);
      if (from <= to) periods.push({ aPhase: pa.label, bPhase: pb.label, from, to });
    }
  }
  if (periods.length === 0) return undefined;
  const riskAreas = [...new Set(a.riskAreas)].filter((r) => b.riskAreas.includes(r));
  const commodityCodes: SharedCommodityCode[] = [];
  for (const ca of new Set(a.commodityCodes)) {
    for (const cb of new Set(b.commodityCodes)) {
      const prefix = sharedCommodityPrefix(ca, cb);
      if (prefix) commodityCodes.push({ a: ca, b: cb, prefix });
    }
  }
  const routes = a.routes.filter((r, i) => b.routes.some((s) => s.from === r.from && s.to === r.to) && a.routes.findIndex((x) => x.from === r.from && x.to === r.to) === i);
  const inB = committed(b);
  const participants = [...committed(a)].filter((p) => inB.has(p)).sort();
  if (riskAreas.length + commodityCodes.length + routes.length + participants.length === 0) return undefined;
  const reasons = [
    ...periods.map((p) => `${p.aPhase} phase of ${a.name} and ${p.bPhase} phase of ${b.name} both run from ${p.from} to ${p.to}`),
    ...(riskAreas.length > 0 ? [`both cover risk area ${riskAreas.join(", ")}`] : []),
    ...commodityCodes.map((c) => `commodity codes ${c.a} and ${c.b} share HS ${c.prefix.length === 2 ? "chapter" : "heading"} ${c.prefix}`),
    ...routes.map((r) => `both work the route ${r.from}-${r.to}`),
    ...(participants.length > 0 ? [`${participants.join(", ")} ${participants.length === 1 ? "takes" : "take"} part in both`] : []),
  ];
  return { a: { id: a.id, name: a.name }, b: { id: b.id, name: b.name }, periods, riskAreas, commodityCodes, routes, participants, reasons };
}

/** The overlaps of `op` with each of `others` (`op` is always side a). */
export function overlapsOf(op: OverlapSubject, others: Iterable<OverlapSubject>): Overlap[] {
  const out: Overlap[] = [];
  for (const o of others) {
    const found = findOverlap(op, o);
    if (found) out.push(found);
  }
  return out;
}

/** Every overlap among `ops`, each pair once (in the order given). */
export function calendarOverlaps(ops: readonly OverlapSubject[]): Overlap[] {
  const out: Overlap[] = [];
  ops.forEach((a, i) => out.push(...overlapsOf(a, ops.slice(i + 1))));
  return out;
}

/** Whether any phase of `op` shares a day with the period (both days included). */
export function inPeriod(op: Pick<Operation, "phases">, from: Day, to: Day): boolean {
  return op.phases.some((p) => p.start <= to && p.end >= from);
}

/** The first day of `op`'s first phase. */
export const firstDay = (op: Pick<Operation, "phases">): Day => op.phases.reduce((d, p) => (d === "" || p.start < d ? p.start : d), "");

/**
 * What a change of one operation means for the others' leaders: the overlaps it has now and did
 * not have before, or has with other reasons (flagged), and those it had and no longer has
 * (resolved). `before` and `after` are overlapsOf the operation before and after the change.
 */
export function overlapChanges(before: readonly Overlap[], after: readonly Overlap[]): { flagged: Overlap[]; resolved: Overlap[] } {
  const was = new Map(before.map((o) => [o.b.id, o]));
  const now = new Set(after.map((o) => o.b.id));
  const same = (x: Overlap, y: Overlap) => x.reasons.length === y.reasons.length && x.reasons.every((r, i) => r === y.reasons[i]);
  return {
    flagged: after.filter((o) => {
      const old = was.get(o.b.id);
      return !old || !same(old, o);
    }),
    resolved: before.filter((o) => !now.has(o.b.id)),
  };
}
