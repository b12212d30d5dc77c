// What one audit event adds to the usage counters. Which events count, and for whom:
//   exchange ROUTE        → sender: messages sent (mutual-assistance kinds only, not hub calls)
//   exchange DELIVERY     → recipient (the receipt's author): messages received
//   exchange RECEIPT      → ANSWERED receipts: the answering CP's messages answered, reply time
//                           (answer time − request created) and on time / late against replyBy
//   records SUBMIT/QUERY/HIT, files SUBMIT/QUERY/HIT → the acting CP's records and files figures
//   access point CONNECT  → last connection
//   REFUSAL (any service) → the refused CP's refusals
// Any event whose authority is a contact point moves its last activity. Events from an access
// point count only for that access point's own authority (the audit service drops the others).
import { isContactPointCode, monthOf, replyTimeBucket, REPLY_TIME_BOUNDS_S } from "../../src/domain/mod.js";
import { pb } from "../../src/proto/mod.js";

const A = pb.AuditAction;

/** Mutual-assistance kinds: what counts as a message (hub calls travel as envelopes too). */
const COUNTED_KINDS = new Set(["MESSAGE_KIND_REQUEST", "MESSAGE_KIND_REPLY", "MESSAGE_KIND_SPONTANEOUS", "MESSAGE_KIND_SPECIAL_FORM"]);

/** What usage needs to know of a routed request to time its answers. */
export interface RequestFacts {
  readonly from: string;
  readonly createdAtMs: number;
  readonly replyByMs: number;
}

/** A counter update: which CP's month, and what to add. */
export interface Delta {
  readonly cp: string;
  readonly month: string;
  readonly apply: (c: pb.IUsageCounters) => void;
}

export type Tally = "routed" | "receipts" | "queries" | "refusals";

export interface Counted {
  readonly deltas: Delta[];
  /** A routed request to remember for its answers. */
  readonly request?: { id: string; facts: RequestFacts };
  /** An answer whose request facts must be looked up first (see `answerDelta`). */
  readonly answer?: { requestId: string; cp: string; atMs: number };
  /** For the live throughput sample. */
  readonly tally?: Tally;
  /** For refusals by reason. */
  readonly refusalReason?: string;
  /** How many refusals the event stands for (one event may count many from one source). */
  readonly refusalCount?: number;
}

const add = (field: keyof pb.IUsageCounters, n = 1) => (c: pb.IUsageCounters) => {
  (c as Record<string, unknown>)[field] = Number(c[field] ?? 0) + n;
};
const latest = (field: "lastConnectionMs" | "lastActivityMs", at: number) => (c: pb.IUsageCounters) => {
  if (Number(c[field] ?? 0) < at) c[field] = at;
};

/**
 * The updates one event makes. `source` is the AUDIT subject's last token (a service name or a
 * CP code); an event an access point logged for another authority counts for nobody.
 */
export function countEvent(e: pb.IAuditEvent, source: string): Counted {
  const authority = e.authority ?? "";
  if (isContactPointCode(source) && authority !== source) return { deltas: [] };
  const at = Number(e.atMs ?? 0);
  const month = monthOf(at);
  const deltas: Delta[] = [];
  const cpActs = isContactPointCode(authority);
  if (cpActs) deltas.push({ cp: authority, month, apply: latest("lastActivityMs", at) });
  const ok = e.outcome === pb.AuditOutcome.AUDIT_OUTCOME_SUCCESS;
  const service = e.service ?? "";
  const objectType = e.objectType ?? "";
  const details = e.details ?? {};
  const out: { -readonly [K in keyof Counted]: Counted[K] } = { deltas };

  switch (e.action) {
    case A.AUDIT_ACTION_ROUTE:
      if (cpActs && ok && service === "exchange" && COUNTED_KINDS.has(details.kind ?? "")) {
        deltas.push({ cp: authority, month, apply: add("messagesSent") });
        out.tally = "routed";
        if (details.kind === "MESSAGE_KIND_REQUEST" && e.objectId) {
          out.request = { id: e.objectId, facts: { from: authority, createdAtMs: Number(details.createdAtMs ?? at), replyByMs: Number(details.replyByMs ?? 0) } };
        }
      }
      break;
    case A.AUDIT_ACTION_DELIVERY:
      if (cpActs && ok && service === "exchange") {
        deltas.push({ cp: authority, month, apply: add("messagesReceived") });
        out.tally = "receipts";
      }
      break;
    case A.AUDIT_ACTION_RECEIPT:
      if (cpActs && ok && service === "exchange") {
        out.tally = "receipts";
        if (details.receipt === "RECEIPT_KIND_ANSWERED" && e.objectId) out.answer = { requestId: e.objectId, cp: authority, atMs: Number(details.atMs ?? at) };
      }
      break;
    case A.AUDIT_ACTION_SUBMIT:
      if (cpActs && ok && service === "records" && objectType === "record") deltas.push({ cp: authority, month, apply: add("recordsSubmitted") });
      if (cpActs && ok && service === "files" && objectType === "file") deltas.push({ cp: authority, month, apply: add("filesRegistered") });
      break;
    case A.AUDIT_ACTION_QUERY:
      if (cpActs && ok && service === "records") {
        deltas.push({ cp: authority, month, apply: add("recordsQueried") });
        out.tally = "queries";
      }
      if (cpActs && ok && service === "files") {
        deltas.push({ cp: authority, month, apply: add("filesQueried") });
        out.tally = "queries";
      }
      break;
    case A.AUDIT_ACTION_HIT:
      // A hit is logged for the querying CP; the supplier's report on it carries outcome "reported".
      if (cpActs && ok && details.outcome !== "reported" && service === "records") deltas.push({ cp: authority, month, apply: add("recordHits") });
      if (cpActs && ok && service === "files") deltas.push({ cp: authority, month, apply: add("fileHits") });
      break;
    case A.AUDIT_ACTION_CONNECT:
      if (cpActs && ok) deltas.push({ cp: authority, month, apply: latest("lastConnectionMs", at) });
      break;
    case A.AUDIT_ACTION_REFUSAL: {
      // Repeated refusals from one source arrive as one event carrying their count (src/http/refusal-log.ts).
      const n = Math.min(1_000_000, Math.max(1, Math.floor(Number(details.count ?? 1)) || 1));
      if (cpActs) deltas.push({ cp: authority, month, apply: add("refusals", n) });
      out.tally = "refusals";
      out.refusalReason = e.reasonCode || "UNSPECIFIED";
      out.refusalCount = n;
      break;
    }
    default:
      break;
  }
  return out;
}

/** The counter update for an answer, once its request's facts are known. */
export function answerDelta(answer: { cp: string; atMs: number }, req: RequestFacts | undefined): Delta {
  return {
    cp: answer.cp,
    month: monthOf(answer.atMs),
    apply: (c) => {
      c.messagesAnswered = Number(c.messagesAnswered ?? 0) + 1;
      if (!req) return; // the request is not in the log any more: counted, but not timed
      const hist = Array.from({ length: REPLY_TIME_BOUNDS_S.length + 1 }, (_, i) => Number(c.replyTimeHistogram?.[i] ?? 0));
      const b = replyTimeBucket(Math.max(0, (answer.atMs - req.createdAtMs) / 1000));
      hist[b] = (hist[b] ?? 0) + 1;
      c.replyTimeHistogram = hist;
      if (req.replyByMs > 0) {
        if (answer.atMs <= req.replyByMs) c.repliesOnTime = Number(c.repliesOnTime ?? 0) + 1;
        else c.repliesLate = Number(c.repliesLate ?? 0) + 1;
      }
    },
  };
}
