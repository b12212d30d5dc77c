// Which mutual-assistance messages may go from whom to whom (Naples II Convention).
// Special forms of cooperation (Title V, Art. 19–24) are between Member States' authorities;
// EU bodies such as OLAF take part in requests, replies and spontaneous information.
import { pb } from "../proto/mod.js";

export const MAX_RECIPIENTS = 64;

const ISO_ALPHA2 = /^[A-Z]{2}$/;

export function isMemberState(code: string): boolean {
  return ISO_ALPHA2.test(code);
}

/** Kinds that travel between contact points (hub requests and responses never do). */
const ROUTABLE = new Set<number>([
  pb.MessageKind.MESSAGE_KIND_REQUEST,
  pb.MessageKind.MESSAGE_KIND_REPLY,
  pb.MessageKind.MESSAGE_KIND_SPONTANEOUS,
  pb.MessageKind.MESSAGE_KIND_SPECIAL_FORM,
]);

export type KindRefusal = { code: "LIAISON_KIND_NOT_ALLOWED" | "LIAISON_MISSING_FIELD" | "LIAISON_BAD_REQUEST"; detail: string };

/** Checks an envelope header's kind against its sender, recipients and threading; undefined when allowed. */
export function checkKind(h: {
  kind: pb.MessageKind;
  sender: string;
  recipients: readonly string[];
  inReplyTo?: string | null;
  priority?: pb.Priority | null;
}): KindRefusal | undefined {
  if (!ROUTABLE.has(h.kind)) return { code: "LIAISON_KIND_NOT_ALLOWED", detail: `message kind ${pb.MessageKind[h.kind] ?? h.kind} is not exchanged between contact points` };
  if (h.recipients.length === 0) return { code: "LIAISON_MISSING_FIELD", detail: "recipients" };
  if (h.recipients.length > MAX_RECIPIENTS) return { code: "LIAISON_BAD_REQUEST", detail: `more than ${MAX_RECIPIENTS} recipients` };
  if (new Set(h.recipients).size !== h.recipients.length) return { code: "LIAISON_BAD_REQUEST", detail: "a recipient is named twice" };
  if (h.recipients.includes(h.sender)) return { code: "LIAISON_BAD_REQUEST", detail: "a contact point cannot send to itself" };
  if (h.kind === pb.MessageKind.MESSAGE_KIND_REPLY && !h.inReplyTo) return { code: "LIAISON_MISSING_FIELD", detail: "in_reply_to (a reply answers an envelope)" };
  if (h.kind !== pb.MessageKind.MESSAGE_KIND_REPLY && h.inReplyTo) {
    return { code: "LIAISON_KIND_NOT_ALLOWED", detail: "only a reply may carry in_reply_to" };
  }
  if (h.kind === pb.MessageKind.MESSAGE_KIND_SPECIAL_FORM) {
    const outsider = [h.sender, ...h.recipients].find((c) => !isMemberState(c));
    if (outsider) return { code: "LIAISON_KIND_NOT_ALLOWED", detail: `special forms of cooperation are between Member States; ${outsider} is not one` };
  }
  return undefined;
}

/** Special-form notifications are urgent by nature (hot pursuit cannot wait behind a backlog). */
export function effectivePriority(kind: pb.MessageKind, requested: pb.Priority | null | undefined): pb.Priority {
  if (kind === pb.MessageKind.MESSAGE_KIND_SPECIAL_FORM) return pb.Priority.PRIORITY_URGENT;
  return requested === pb.Priority.PRIORITY_URGENT ? pb.Priority.PRIORITY_URGENT : pb.Priority.PRIORITY_NORMAL;
}
