// The events an access point pushes to its back office, made from what its mailbox reports: ids,
// kinds, the counterpart, the priority and the time (src/api/events.ts), never content, a subject
// line or an identifier. Each has a key that names what it is about, so a repeat stores nothing new.
import { isoRequired, KINDS, NOTICE_KINDS, PRIORITIES, RECEIPT_KINDS, type PushEventOut } from "../../../src/api/mod.js";
import { HUB } from "../../../src/domain/mod.js";
import { pb } from "../../../src/proto/mod.js";
import type { Entry, ReceiptView } from "../mailbox.js";

/** An event before the push log gives it its sequence, with the key it is stored under. */
export interface NewPushEvent {
  readonly key: string;
  readonly event: Omit<PushEventOut, "id">;
}

const word = (t: { toApi: (v: number) => string | undefined }, v: number) => t.toApi(v) ?? "unspecified";

/** A new message in the inbox. */
export function messageEvent(e: Entry, atMs: number): NewPushEvent {
  const h = e.header;
  return {
    key: `m_${e.id}`,
    event: { type: "message", at: isoRequired(atMs), kind: word(KINDS, h.kind), counterpart: h.sender, messageId: e.id, priority: PRIORITIES.toApi(h.priority) ?? "normal" },
  };
}

/** A receipt on a sent message, one event per message it names. */
export function receiptEvent(e: Entry, r: ReceiptView, atMs: number): NewPushEvent {
  return {
    key: `r_${r.id}_${e.id}`,
    event: {
      type: "receipt",
      at: isoRequired(atMs),
      kind: word(RECEIPT_KINDS, r.kind),
      counterpart: r.recipient || r.issuer,
      messageId: e.id,
      priority: PRIORITIES.toApi(e.header.priority) ?? "normal",
      receiptId: r.id,
      ...(r.reasonCode ? { reasonCode: r.reasonCode } : {}),
    },
  };
}

/** A notice from the hub: a hit notice is a "hit" (its counterpart the contact point that matched), any other a "notice". */
export function noticeEvent(n: pb.Notice, atMs: number): NewPushEvent {
  const hit = n.kind === pb.NoticeKind.NOTICE_KIND_HIT;
  return {
    key: `n_${n.id}`,
    event: {
      type: hit ? "hit" : "notice",
      at: isoRequired(atMs),
      kind: word(NOTICE_KINDS, n.kind),
      counterpart: hit && n.matchedBy ? n.matchedBy : HUB,
      noticeId: n.id,
      ...(n.objectType ? { objectType: n.objectType } : {}),
      ...(n.objectId ? { objectId: n.objectId } : {}),
    },
  };
}
