// The access log: emitting audit events (every service), signed tree heads, the export format,
// the offline verifier (the supervisor's CLI) and the client of the audit service (the console).
export { AuditEmitter, AuditAction, AuditOutcome, logRegistryRefusal, type AuditInput, type AuditEmitterOptions } from "./emit.js";
export {
  TREE_HEAD_DOMAIN,
  AUDIT_KEY_OWNER,
  treeHeadSigningInput,
  signTreeHead,
  verifyTreeHead,
  auditKeyId,
  treeHeadToProto,
  treeHeadFromProto,
  treeHeadToJson,
  treeHeadFromJson,
  type SignedTreeHead,
  type TreeHeadJson,
} from "./tree-head.js";
export { splitAuditBatch } from "./batch-events.js";
export {
  rangeNeighbours,
  frontierOf,
  frontierRanges,
  maximalNodes,
  outerNodes,
  nodeHashFrom,
  rootFrom,
  flatTreeHash,
  MissingNodeError,
  type NodeRange,
  type TreeParts,
} from "./compact-range.js";
export {
  EXPORT_TYPE,
  HEAD_FILE_TYPE,
  EXPORT_VERSION,
  EXPORT_MEDIA_TYPE,
  headerLine,
  leavesLine,
  eventLine,
  expiredLine,
  scanExport,
  reparseLine,
  headFileText,
  parseHeadFile,
  type ExportHeader,
  type HeadFile,
  type ScannedExport,
  type ScanOptions,
  type ConsistencyJson,
  type LineProblem,
} from "./export-format.js";
export { BLOCK_LEAVES, computeLeafHashes, decodeB64uInto, B64U_TABLE, type ComputedLeaves } from "./leaf-hashes.js";
export { scanAndHash, PARALLEL_THRESHOLD, type ScanAndHashOptions } from "./leaf-hash-pool.js";
export { verifyExport, type Fault, type FaultKind, type TrustedReference, type VerifyOptions, type VerifyResult } from "./verify.js";
export { verifyExportFile, loadTrustedReference, parseAuditPublicKey, readShared, openShared, type SharedFile, type VerifyFileOptions } from "./verify-file.js";
export { AUDIT_API, AUDIT_SERVICE, auditOperation, EXPORT_PAGE_LEAVES, MAX_QUERY_LIMIT, type AuditOp, type AuditOperation, type AuditReply, type AuditReplyInput, type AuditRequest, type AuditRequestInput } from "./api.js";
export { AuditClient, type HeadWithFrontier } from "./client.js";
export { exportChunks, pageText, type ExportRange, type FetchExportPage } from "./export-writer.js";
