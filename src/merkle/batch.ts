// Proofs for a whole batch at once (RFC 9162 §2.1.3.1): an access point signs one root and
// hands every item its own audit path. Calling inclusionPath per item would rehash the batch
// n times; building the levels once makes each path O(log n).
import { flattenHashes } from "./guards.js";
import { MerkleLog } from "./log.js";

export interface BatchProofs {
  /** MTH over the batch's leaf hashes. */
  readonly root: Uint8Array;
  /** paths[i] is the audit path of leaf i in the tree of the whole batch. */
  readonly paths: Uint8Array[][];
}

/** The root of `leafHashes` and the inclusion path of every leaf, in O(n log n). */
export function batchProofs(leafHashes: readonly Uint8Array[]): BatchProofs {
  flattenHashes(leafHashes);
  const log = new MerkleLog(leafHashes);
  const paths: Uint8Array[][] = [];
  for (let i = 0; i < log.size; i++) paths.push(log.inclusion(i));
  return { root: log.root(), paths };
}
