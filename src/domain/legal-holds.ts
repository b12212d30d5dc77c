// Who may set and lift a legal hold on a record or a FIDE entry (docs/retention.md, "Legal holds"):
// its supplier, and the supervisory authority. A supervisor's hold in force is the supervisor's to
// lift or replace; the supplier is refused and told who holds it. A supervisor's hold replaces the
// supplier's. A hold states its reason, and may end at a given time.
import { LiaisonError } from "../errors.js";
import type { pb } from "../proto/mod.js";
import { holdInForce } from "./retention-rules.js";

/** The authority a supervisor's hold names as its setter: `SUPERVISOR:<user>`. */
export const SUPERVISOR_AUTHORITY = "SUPERVISOR";
const MIN_REASON = 3;

export interface HoldChange {
  readonly reason: string;
  /** When it ends (0: until lifted). */
  readonly untilMs: number;
  readonly lift: boolean;
}

/** "under a supervisor's legal hold (SUPERVISOR:ana: audit pending)": who holds it, and why. */
export function describeHold(hold: pb.ILegalHold): string {
  return `${hold.supervisory ? "a supervisor's" : "the supplier's"} legal hold (${hold.setBy ?? ""}: ${hold.reason ?? ""})`;
}

function newHold(change: HoldChange, setBy: string, supervisory: boolean, nowMs: number): pb.ILegalHold {
  if (change.reason.trim().length < MIN_REASON) throw new LiaisonError("LIAISON_VALIDATION", "a legal hold states its reason");
  return { setBy, reason: change.reason, setAtMs: nowMs, untilMs: change.untilMs, supervisory };
}

/**
 * The hold after its supplier's change (`setBy`: `<cp>:<user>`), or null when lifted. A
 * supervisor's hold in force is neither lifted nor replaced by the supplier: LIAISON_ON_HOLD, naming it.
 */
export function supplierHoldChange(current: pb.ILegalHold | null | undefined, change: HoldChange, setBy: string, nowMs: number, what: string): pb.ILegalHold | null {
  if (current?.supervisory && holdInForce(current, nowMs)) {
    throw new LiaisonError("LIAISON_ON_HOLD", `${what} is under ${describeHold(current)}: only a supervisor may ${change.lift ? "lift" : "replace"} it`);
  }
  return change.lift ? null : newHold(change, setBy, false, nowMs);
}

/**
 * The hold after a supervisor's change (`supervisor`: the console user), or null when lifted. It
 * replaces the supplier's hold; a supervisor lifts a supervisor's hold only, not the supplier's
 * (LIAISON_CONFLICT, naming it).
 */
export function supervisorHoldChange(current: pb.ILegalHold | null | undefined, change: HoldChange, supervisor: string, nowMs: number, what: string): pb.ILegalHold | null {
  if (!supervisor) throw new LiaisonError("LIAISON_MISSING_FIELD", "supervisor");
  if (!change.lift) return newHold(change, `${SUPERVISOR_AUTHORITY}:${supervisor}`, true, nowMs);
  if (current && !current.supervisory) throw new LiaisonError("LIAISON_CONFLICT", `${what} has no supervisor's hold to lift: it is under ${describeHold(current)}`);
  return null;
}
