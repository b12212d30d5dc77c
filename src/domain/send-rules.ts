// What a message must say before its access point seals it (Naples II Convention). The hub cannot
// check any of this (the payload is sealed), so the sender's access point refuses, before anything
// is stored or submitted, what would otherwise go out silently wrong: a hot pursuit (Art. 20) or a
// cross-border surveillance (Art. 21) that does not say where the border is crossed, a reply-by
// time already past or on a kind nobody answers by a date, a detail of another kind.
import { pb } from "../proto/mod.js";

/** How far a reply-by time may lie before now: the clock skew between an operator's desk and its access point. */
export const REPLY_BY_SKEW_MS = 60_000;

/**
 * Special forms that cross into the recipient's territory unannounced, so the notification is what
 * tells it where: hot pursuit (Art. 20: the authorities are contacted at the latest when the border
 * is crossed) and cross-border surveillance (Art. 21: notified during it that the border was
 * crossed). Controlled deliveries, covert investigations and joint teams are agreed on request first.
 */
export const FORMS_WITH_LOCATION: ReadonlySet<pb.SpecialForm> = new Set([pb.SpecialForm.SPECIAL_FORM_HOT_PURSUIT, pb.SpecialForm.SPECIAL_FORM_CROSS_BORDER_SURVEILLANCE]);

export type SendRefusal = { code: "LIAISON_MISSING_FIELD" | "LIAISON_KIND_NOT_ALLOWED" | "LIAISON_REPLY_BY_PASSED"; detail: string };

/** The payload detail each kind carries, and how a refusal names it. */
const DETAILS = [
  { kind: pb.MessageKind.MESSAGE_KIND_REQUEST, field: "request", names: "legal basis" },
  { kind: pb.MessageKind.MESSAGE_KIND_REPLY, field: "reply", names: "reply's answer (declined)" },
  { kind: pb.MessageKind.MESSAGE_KIND_SPONTANEOUS, field: "spontaneous", names: "spontaneous basis" },
  { kind: pb.MessageKind.MESSAGE_KIND_SPECIAL_FORM, field: "specialForm", names: "special form" },
] as const;

const KIND_WORDS: Partial<Record<pb.MessageKind, string>> = {
  [pb.MessageKind.MESSAGE_KIND_REQUEST]: "a request",
  [pb.MessageKind.MESSAGE_KIND_REPLY]: "a reply",
  [pb.MessageKind.MESSAGE_KIND_SPONTANEOUS]: "spontaneous information",
  [pb.MessageKind.MESSAGE_KIND_SPECIAL_FORM]: "a special-form notification",
};

/**
 * Checks a message about to be sent; undefined when it may go. What applies to each kind:
 * - request: states its legal basis; a reply-by time, if any, not more than REPLY_BY_SKEW_MS past;
 * - reply, spontaneous information, special-form notification: no reply-by time (nothing marks
 *   them overdue, so one would be accepted and never mean anything);
 * - special form: says which, and where the border is crossed for FORMS_WITH_LOCATION;
 * - every kind: no detail of another kind (a spontaneous message with a legal basis).
 * Recipients, threading and who may send which kind: checkKind (the hub checks those too).
 */
export function checkSend(m: { kind: pb.MessageKind; payload: pb.IPayload; replyByMs?: number | null }, nowMs: number): SendRefusal | undefined {
  const kind = KIND_WORDS[m.kind] ?? "this kind of message";
  for (const d of DETAILS) {
    if (d.kind !== m.kind && m.payload[d.field]) return { code: "LIAISON_KIND_NOT_ALLOWED", detail: `${kind} carries no ${d.names}` };
  }
  if (m.kind === pb.MessageKind.MESSAGE_KIND_REQUEST && !m.payload.request?.legalBasis) {
    return { code: "LIAISON_MISSING_FIELD", detail: "legalBasis (a request states its Naples II legal basis)" };
  }
  if (m.kind === pb.MessageKind.MESSAGE_KIND_SPECIAL_FORM) {
    const sf = m.payload.specialForm;
    if (!sf?.form) return { code: "LIAISON_MISSING_FIELD", detail: "specialForm.form (say which special form of cooperation)" };
    if (FORMS_WITH_LOCATION.has(sf.form) && !sf.location?.trim()) {
      const what = sf.form === pb.SpecialForm.SPECIAL_FORM_HOT_PURSUIT ? "a hot pursuit (Naples II Art. 20)" : "a cross-border surveillance (Naples II Art. 21)";
      return { code: "LIAISON_MISSING_FIELD", detail: `specialForm.location: ${what} says where the border is crossed` };
    }
  }
  const replyBy = Number(m.replyByMs ?? 0);
  if (replyBy > 0) {
    if (m.kind !== pb.MessageKind.MESSAGE_KIND_REQUEST) return { code: "LIAISON_KIND_NOT_ALLOWED", detail: `replyBy: only a request is answered by a date, not ${kind}` };
    if (replyBy < nowMs - REPLY_BY_SKEW_MS) return { code: "LIAISON_REPLY_BY_PASSED", detail: `replyBy ${new Date(replyBy).toISOString()} is before now (${new Date(nowMs).toISOString()})` };
  }
  return undefined;
}
