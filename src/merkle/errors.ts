// The one error the Merkle module raises for a proof that is malformed for its tree
// (RFC 9162 §2.1.3.2 and §2.1.4.2 fail such proofs). Wrong argument types are TypeError/RangeError.

export type MerkleProofFault =
  | "index-out-of-range" // leaf index >= tree size, or first size > second size
  | "bad-path-element" // a path element is not a 32-byte hash
  | "path-too-long" // more path elements than the tree has levels for this leaf
  | "path-too-short"; // fewer path elements than the tree needs for this leaf

export class MerkleProofError extends Error {
  override readonly name = "MerkleProofError";
  readonly fault: MerkleProofFault;

  constructor(fault: MerkleProofFault, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.fault = fault;
  }
}

export function isMerkleProofError(err: unknown): err is MerkleProofError {
  return err instanceof MerkleProofError;
}
