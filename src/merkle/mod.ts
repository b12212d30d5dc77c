// RFC 9162 §2.1 Merkle trees (Certificate Transparency v2 hashing): tree hashes, inclusion and
// consistency proofs for signed batches, and an append-only log that serves proofs fast.
export { HASH_SIZE, leafHash, nodeHash, emptyRoot } from "./hash.js";
export { rootOf } from "./tree-hash.js";
export { inclusionPath } from "./inclusion.js";
export { rootFromInclusion, verifyInclusion } from "./inclusion-verify.js";
export { consistencyPath } from "./consistency.js";
export { verifyConsistency } from "./consistency-verify.js";
export { batchProofs, type BatchProofs } from "./batch.js";
export { MerkleLog } from "./log.js";
export { MerkleProofError, isMerkleProofError, type MerkleProofFault } from "./errors.js";
