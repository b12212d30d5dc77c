// How receipts move a message's status: a sent message's progress at each recipient (the hub's
// accepted/rejected, the recipient's signed delivered/read/answered), and a received one's here.
import { pb } from "../proto/mod.js";
import { HUB } from "./contact-point.js";

export type RecipientState = "submitted" | "accepted" | "rejected" | "delivered" | "read" | "answered";

/** How far a sent message has got at a recipient; a rejection stands outside the order. */
export const RECIPIENT_STATE_RANK: Readonly<Record<RecipientState, number>> = { submitted: 0, accepted: 1, delivered: 2, read: 3, answered: 4, rejected: -1 };

/** The receipts the hub issues (about every recipient at once); the others are the recipient's own. */
export function isHubReceipt(kind: pb.ReceiptKind): boolean {
  return kind === pb.ReceiptKind.RECEIPT_KIND_ACCEPTED || kind === pb.ReceiptKind.RECEIPT_KIND_REJECTED;
}

/** Who must have signed a receipt of this kind about `recipient`. */
export function receiptIssuer(kind: pb.ReceiptKind, recipient: string): string {
  return isHubReceipt(kind) ? HUB : recipient;
}

/** The state a receipt records, and whether for every recipient (the hub's word) or only its own; undefined for none. */
export function receiptState(kind: pb.ReceiptKind): { state: RecipientState; everyRecipient: boolean } | undefined {
  switch (kind) {
    case pb.ReceiptKind.RECEIPT_KIND_ACCEPTED:
      return { state: "accepted", everyRecipient: true };
    case pb.ReceiptKind.RECEIPT_KIND_REJECTED:
      return { state: "rejected", everyRecipient: true };
    case pb.ReceiptKind.RECEIPT_KIND_DELIVERED:
      return { state: "delivered", everyRecipient: false };
    case pb.ReceiptKind.RECEIPT_KIND_READ:
      return { state: "read", everyRecipient: false };
    case pb.ReceiptKind.RECEIPT_KIND_ANSWERED:
      return { state: "answered", everyRecipient: false };
    default:
      return undefined;
  }
}

/**
 * Whether a recipient at `cur` moves to `next`. Forward only, with two exceptions: a rejection
 * counts only before anything else (after acceptance it is the echo of our own resubmission), and
 * anything routed outweighs a rejection: the hub's acceptance, or the recipient's own signed word
 * that it holds the message (a resubmission refused as a replay before the exchange recognised
 * resubmissions left such rejections in stores).
 */
export function advances(cur: RecipientState, next: RecipientState): boolean {
  if (next === "rejected") return cur === "submitted";
  return cur === "rejected" || RECIPIENT_STATE_RANK[next] > RECIPIENT_STATE_RANK[cur];
}

/** A received message keeps only one kind of receipt: a read by a user of this contact point. */
export function isOwnRead(kind: pb.ReceiptKind, issuer: string, cp: string): boolean {
  return kind === pb.ReceiptKind.RECEIPT_KIND_READ && issuer === cp;
}

/** A sent message's status: rejected if any recipient rejected it, else the least progress among them. */
export function sentStatus(states: readonly RecipientState[]): RecipientState {
  if (states.includes("rejected")) return "rejected";
  return states.reduce<RecipientState>((min, s) => (RECIPIENT_STATE_RANK[s] < RECIPIENT_STATE_RANK[min] ? s : min), "answered");
}

export type MessageStatusInput =
  | { readonly box: "inbox"; readonly kind: pb.MessageKind; readonly replyByMs: number; readonly read: boolean; readonly answered: boolean }
  | { readonly box: "sent"; readonly kind: pb.MessageKind; readonly replyByMs: number; readonly states: readonly RecipientState[] };

/**
 * Status words for lists and filters. A request with a reply-by date is overdue after it while
 * unanswered: here (received) until we reply, there (sent) until every recipient answered, and
 * never once rejected.
 */
export function messageStatus(m: MessageStatusInput, nowMs: number): { status: string; overdue: boolean } {
  const isRequest = m.kind === pb.MessageKind.MESSAGE_KIND_REQUEST && m.replyByMs > 0;
  if (m.box === "inbox") {
    return { status: m.answered ? "answered" : m.read ? "read" : "new", overdue: isRequest && !m.answered && nowMs > m.replyByMs };
  }
  const status = sentStatus(m.states);
  return { status, overdue: isRequest && status !== "rejected" && m.states.some((s) => s !== "answered") && nowMs > m.replyByMs };
}
