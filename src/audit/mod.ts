// The access log: emitting audit events (every service), and the Merkle tree, proofs and
// verification (the audit service and the supervisor's offline verifier).
export { AuditEmitter, AuditAction, AuditOutcome, type AuditInput, type AuditEmitterOptions } from "./emit.js";
