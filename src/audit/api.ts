// The audit service's request/reply API on NATS (protobuf on the wire), one subject per operation:
// the rpcs of `service AuditService` (proto/liaison/v1/audit.proto), as data the client and the
// service's handlers are both typed from. A request declared `null` (google.protobuf.Empty) is not read.
import type { MessageType } from "../crypto/mod.js";
import { subjects } from "../nats/mod.js";
import { pb } from "../proto/mod.js";

export const AUDIT_SERVICE = "audit";

export interface AuditOperation<QI, Q, RI, R> {
  /** The endpoint's name, and the last token of its subject. */
  readonly name: string;
  readonly subject: string;
  readonly request: MessageType<QI, Q> | null;
  readonly reply: MessageType<RI, R>;
}

const op = <QI, Q, RI, R>(name: string, request: MessageType<QI, Q> | null, reply: MessageType<RI, R>): AuditOperation<QI, Q, RI, R> =>
  Object.freeze({ name, subject: subjects.api(AUDIT_SERVICE, name), request, reply });
const NONE = null as MessageType<null, null> | null;

export const AUDIT_API = Object.freeze({
  /** The latest signed head (size 0), or one of a given size. */
  head: op("head", pb.AuditHeadRequest, pb.AuditHeadResponse),
  /** Signs and publishes a head of the tree as it is now. */
  signHead: op("sign-head", NONE, pb.AuditHeadResponse),
  inclusion: op("inclusion", pb.InclusionRequest, pb.InclusionProof),
  consistency: op("consistency", pb.ConsistencyRequest, pb.ConsistencyProof),
  query: op("query", pb.AuditQuery, pb.AuditQueryResult),
  export: op("export", pb.AuditExportRequest, pb.AuditExportPage),
  key: op("key", NONE, pb.AuditKeyInfo),
});

type AuditOps = typeof AUDIT_API;
export type AuditOp = keyof AuditOps;
type Parts<T> = T extends AuditOperation<infer QI, infer Q, infer RI, infer R> ? { readonly requestIn: QI; readonly request: Q; readonly replyIn: RI; readonly reply: R } : never;

/** What the client sends for `op` (null: nothing). */
export type AuditRequestInput<K extends AuditOp> = Parts<AuditOps[K]>["requestIn"];
/** What the service's handler for `op` gets, decoded (null: nothing). */
export type AuditRequest<K extends AuditOp> = Parts<AuditOps[K]>["request"];
/** What the handler answers. */
export type AuditReplyInput<K extends AuditOp> = Parts<AuditOps[K]>["replyIn"];
/** What the client gets back, decoded. */
export type AuditReply<K extends AuditOp> = Parts<AuditOps[K]>["reply"];

/** `op`'s declaration with its types. */
export const auditOperation = <K extends AuditOp>(op: K) =>
  AUDIT_API[op] as unknown as AuditOperation<AuditRequestInput<K>, AuditRequest<K>, AuditReplyInput<K>, AuditReply<K>>;

/** Leaves per export page by default; a page stays well under the 8 MiB NATS payload limit. */
export const EXPORT_PAGE_LEAVES = 4_096;
/** Most records one query answer carries. */
export const MAX_QUERY_LIMIT = 1_000;
