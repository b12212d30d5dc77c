// The audit service's request/reply API on NATS (protobuf on the wire), one subject per operation.
import { subjects } from "../nats/mod.js";

export const AUDIT_SERVICE = "audit";

export const AUDIT_API = Object.freeze({
  /** AuditHeadRequest → AuditHeadResponse: the latest signed head, or one of a given size. */
  head: subjects.api(AUDIT_SERVICE, "head"),
  /** (empty) → AuditHeadResponse: signs and publishes a head of the tree as it is now. */
  signHead: subjects.api(AUDIT_SERVICE, "sign-head"),
  /** InclusionRequest → InclusionProof. */
  inclusion: subjects.api(AUDIT_SERVICE, "inclusion"),
  /** ConsistencyRequest → ConsistencyProof. */
  consistency: subjects.api(AUDIT_SERVICE, "consistency"),
  /** AuditQuery → AuditQueryResult. */
  query: subjects.api(AUDIT_SERVICE, "query"),
  /** AuditExportRequest → AuditExportPage. */
  export: subjects.api(AUDIT_SERVICE, "export"),
  /** (empty) → AuditKeyInfo. */
  key: subjects.api(AUDIT_SERVICE, "key"),
});

/** Leaves per export page by default; a page stays well under the 8 MiB NATS payload limit. */
export const EXPORT_PAGE_LEAVES = 4_096;
/** Most records one query answer carries. */
export const MAX_QUERY_LIMIT = 1_000;
