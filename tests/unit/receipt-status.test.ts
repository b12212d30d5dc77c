// The receipt/status rules of src/domain/receipt-status.ts: how far a sent message has got at each
// recipient, which receipt moves it and which does not, and the status words lists show.
import { describe, expect, it } from "vitest";
import {
  advances,
  HUB,
  isHubReceipt,
  isOwnRead,
  messageStatus,
  receiptIssuer,
  receiptState,
  RECIPIENT_STATE_RANK,
  sentStatus,
  type RecipientState,
} from "../../src/domain/mod.js";
import { pb } from "../../src/proto/mod.js";

const K = pb.ReceiptKind;
const ORDER: RecipientState[] = ["submitted", "accepted", "delivered", "read", "answered"];
const ROUTED: RecipientState[] = ["accepted", "delivered", "read", "answered"];

/** A recipient's state after receipts arrive in this order, as the access point's index folds them. */
const fold = (states: RecipientState[]): RecipientState => states.reduce<RecipientState>((cur, next) => (advances(cur, next) ? next : cur), "submitted");

describe("receipt status", () => {
  it("orders a recipient's progress submitted < accepted < delivered < read < answered, with a rejection outside the order", () => {
    const ranks = ORDER.map((s) => RECIPIENT_STATE_RANK[s]);
    expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
    expect(new Set(ranks).size).toBe(ORDER.length);
    for (const s of ORDER) expect(RECIPIENT_STATE_RANK.rejected).toBeLessThan(RECIPIENT_STATE_RANK[s]);
  });

  it("moves a recipient forward only: never back, never to where it already is", () => {
    for (const [i, cur] of ORDER.entries()) {
      for (const [j, next] of ORDER.entries()) {
        if (next === "submitted") continue; // no receipt records it
        expect(advances(cur, next), `${cur} → ${next}`).toBe(j > i);
      }
    }
  });

  it("takes a rejection only while the message is merely submitted: after acceptance it is the echo of our own resubmission", () => {
    expect(advances("submitted", "rejected")).toBe(true);
    for (const cur of [...ROUTED, "rejected" as const]) expect(advances(cur, "rejected"), `${cur} → rejected`).toBe(false);
    expect(fold(["accepted", "rejected"])).toBe("accepted");
    expect(fold(["delivered", "rejected"])).toBe("delivered");
  });

  it("lets the hub's acceptance or the recipient's signed word outweigh an earlier rejection", () => {
    for (const next of ROUTED) expect(advances("rejected", next), `rejected → ${next}`).toBe(true);
    expect(fold(["rejected", "delivered"])).toBe("delivered");
    expect(fold(["rejected", "accepted"])).toBe("accepted");
    // A late acceptance does not step back what the recipient already confirmed.
    expect(fold(["delivered", "read", "accepted"])).toBe("read");
  });

  it("maps each receipt kind to the state it records, the hub's for every recipient, the recipient's for itself only", () => {
    expect(receiptState(K.RECEIPT_KIND_ACCEPTED)).toEqual({ state: "accepted", everyRecipient: true });
    expect(receiptState(K.RECEIPT_KIND_REJECTED)).toEqual({ state: "rejected", everyRecipient: true });
    expect(receiptState(K.RECEIPT_KIND_DELIVERED)).toEqual({ state: "delivered", everyRecipient: false });
    expect(receiptState(K.RECEIPT_KIND_READ)).toEqual({ state: "read", everyRecipient: false });
    expect(receiptState(K.RECEIPT_KIND_ANSWERED)).toEqual({ state: "answered", everyRecipient: false });
    expect(receiptState(K.RECEIPT_KIND_UNSPECIFIED)).toBeUndefined();
  });

  it("expects accepted and rejected receipts signed by the hub and the others by the recipient they speak for", () => {
    for (const kind of [K.RECEIPT_KIND_ACCEPTED, K.RECEIPT_KIND_REJECTED]) {
      expect(isHubReceipt(kind)).toBe(true);
      expect(receiptIssuer(kind, "NL")).toBe(HUB);
    }
    for (const kind of [K.RECEIPT_KIND_DELIVERED, K.RECEIPT_KIND_READ, K.RECEIPT_KIND_ANSWERED]) {
      expect(isHubReceipt(kind)).toBe(false);
      expect(receiptIssuer(kind, "NL")).toBe("NL");
    }
  });

  it("keeps on a received message only a read by this contact point", () => {
    expect(isOwnRead(K.RECEIPT_KIND_READ, "BE", "BE")).toBe(true);
    expect(isOwnRead(K.RECEIPT_KIND_READ, "NL", "BE")).toBe(false);
    for (const kind of [K.RECEIPT_KIND_ACCEPTED, K.RECEIPT_KIND_REJECTED, K.RECEIPT_KIND_DELIVERED, K.RECEIPT_KIND_ANSWERED]) expect(isOwnRead(kind, "BE", "BE")).toBe(false);
  });

  it("shows a sent message as rejected if any recipient rejected it, else at its slowest recipient's progress", () => {
    expect(sentStatus(["answered", "delivered", "read"])).toBe("delivered");
    expect(sentStatus(["answered", "submitted"])).toBe("submitted");
    expect(sentStatus(["answered", "answered"])).toBe("answered");
    expect(sentStatus(["answered", "rejected", "accepted"])).toBe("rejected");
    for (const s of ORDER) expect(sentStatus([s])).toBe(s);
  });
});

describe("message status", () => {
  const request = pb.MessageKind.MESSAGE_KIND_REQUEST;
  const replyByMs = 1_000;
  const inbox = (read: boolean, answered: boolean, kind = request) => ({ box: "inbox" as const, kind, replyByMs, read, answered });
  const sent = (states: RecipientState[], kind = request) => ({ box: "sent" as const, kind, replyByMs, states });

  it("calls a received message new, read, then answered", () => {
    expect(messageStatus(inbox(false, false), 0).status).toBe("new");
    expect(messageStatus(inbox(true, false), 0).status).toBe("read");
    expect(messageStatus(inbox(true, true), 0).status).toBe("answered");
    expect(messageStatus(inbox(false, true), 0).status).toBe("answered");
  });

  it("calls a received request overdue after its reply-by time until it is answered", () => {
    expect(messageStatus(inbox(true, false), replyByMs).overdue).toBe(false);
    expect(messageStatus(inbox(true, false), replyByMs + 1).overdue).toBe(true);
    expect(messageStatus(inbox(true, true), replyByMs + 1).overdue).toBe(false);
  });

  it("calls a sent request overdue after its reply-by time until every recipient answered, and never once rejected", () => {
    expect(messageStatus(sent(["answered", "read"]), replyByMs).overdue).toBe(false);
    expect(messageStatus(sent(["answered", "read"]), replyByMs + 1)).toEqual({ status: "read", overdue: true });
    expect(messageStatus(sent(["answered", "answered"]), replyByMs + 1)).toEqual({ status: "answered", overdue: false });
    expect(messageStatus(sent(["rejected", "read"]), replyByMs + 1)).toEqual({ status: "rejected", overdue: false });
  });

  it("never calls a message overdue that is not a request or has no reply-by time", () => {
    for (const kind of [pb.MessageKind.MESSAGE_KIND_REPLY, pb.MessageKind.MESSAGE_KIND_SPONTANEOUS, pb.MessageKind.MESSAGE_KIND_SPECIAL_FORM]) {
      expect(messageStatus(inbox(false, false, kind), replyByMs + 1).overdue).toBe(false);
      expect(messageStatus(sent(["submitted"], kind), replyByMs + 1).overdue).toBe(false);
    }
    expect(messageStatus({ ...inbox(false, false), replyByMs: 0 }, 5).overdue).toBe(false);
    expect(messageStatus({ ...sent(["submitted"]), replyByMs: 0 }, 5).overdue).toBe(false);
  });
});
