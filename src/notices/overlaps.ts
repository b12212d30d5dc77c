// Overlap notices (issue #18, the calendar of joint customs operations): an operation entered or
// changed overlaps another in timing and objectives (flagged), or no longer does (resolved). A
// notice names the two operations and the reasons; nothing else of either goes with it.
import { pb } from "../proto/mod.js";

export type OverlapState = "flagged" | "resolved";

/** What an overlap notice says: the operation that changed (a), the other (b), and why they overlap(ped). */
export interface OverlapNoticeSubject {
  readonly a: { readonly id: string; readonly name: string };
  readonly b: { readonly id: string; readonly name: string };
  readonly reasons: readonly string[];
}

/** One notice for each addressee (each once), about operation `o.a`. */
export function overlapNotices(addressees: Iterable<string>, state: OverlapState, o: OverlapNoticeSubject): pb.INotice[] {
  return [...new Set(addressees)].map((addressee) => ({
    kind: pb.NoticeKind.NOTICE_KIND_OVERLAP,
    addressee,
    objectType: "operation",
    objectId: o.a.id,
    details: { state, operation: o.a.id, operationName: o.a.name, other: o.b.id, otherName: o.b.name, reasons: o.reasons.join("\n") },
  }));
}
