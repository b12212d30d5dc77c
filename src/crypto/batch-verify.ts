// Verifies batch signatures against the registry's keys: the item's inclusion path must lead to a
// root whose head the owner's key signed. Each distinct head is checked with Ed25519 once and then
// remembered, so a batch of 500 envelopes costs one signature check.
import { LiaisonError } from "../errors.js";
import { MerkleProofError, rootFromInclusion } from "../merkle/mod.js";
import type { pb } from "../proto/mod.js";
import { b64u, equalBytes } from "./bytes.js";
import { batchHeadBytes, signedLeaf, type SignedType } from "./batch-sign.js";
import { ed25519Verify, SIGNATURE_SIZE } from "./keys.js";

export interface SignerKey {
  /** The contact point (or "HUB") that owns the key. */
  readonly owner: string;
  readonly publicKey: Uint8Array;
}

/** Finds a signing key by id; throws LIAISON_UNKNOWN_KEY, _KEY_REVOKED or _KEY_EXPIRED. */
export type SignerKeyLookup = (keyId: string) => SignerKey;

const MAX_PATH = 64;

function bad(detail: string, cause?: unknown): LiaisonError {
  return new LiaisonError("LIAISON_BAD_SIGNATURE", detail, cause === undefined ? undefined : { cause });
}

export class BatchVerifier {
  readonly #lookup: SignerKeyLookup;
  readonly #cacheSize: number;
  readonly #verified = new Map<string, Uint8Array>();

  constructor(lookup: SignerKeyLookup, opts: { cacheSize?: number } = {}) {
    this.#lookup = lookup;
    this.#cacheSize = opts.cacheSize ?? 8_192;
  }

  /**
   * Checks that `bytes` (an item of `type`) was signed by `expectedOwner`. Throws LIAISON_BAD_SIGNATURE,
   * LIAISON_FORGED_SENDER (signed with another owner's key) or the lookup's key errors.
   */
  verify(type: SignedType, bytes: Uint8Array, sig: pb.IBatchSignature | null | undefined, expectedOwner: string): void {
    if (!sig || typeof sig.keyId !== "string" || !sig.keyId) throw bad("no signature");
    const size = Number(sig.treeSize ?? 0);
    const index = Number(sig.leafIndex ?? 0);
    const path = sig.auditPath ?? [];
    if (!Number.isSafeInteger(size) || size < 1 || !Number.isSafeInteger(index) || index < 0 || index >= size || path.length > MAX_PATH) {
      throw bad("malformed batch position");
    }
    if (!(sig.signature instanceof Uint8Array) || sig.signature.length !== SIGNATURE_SIZE) throw bad("malformed signature");
    const key = this.#lookup(sig.keyId);
    if (key.owner !== expectedOwner) {
      throw new LiaisonError("LIAISON_FORGED_SENDER", `signed with a key of ${key.owner}, not of ${expectedOwner}`);
    }
    let root: Uint8Array;
    try {
      root = rootFromInclusion(signedLeaf(type, bytes), index, size, path);
    } catch (err) {
      if (err instanceof MerkleProofError || err instanceof RangeError) throw bad("malformed inclusion path", err);
      throw err;
    }
    const head: pb.IBatchTreeHead = { keyId: sig.keyId, treeSize: size, rootHash: root, signedAtMs: Number(sig.signedAtMs ?? 0) };
    const headBytes = batchHeadBytes(head);
    const cacheKey = b64u(sig.signature);
    const known = this.#verified.get(cacheKey);
    if (known && equalBytes(known, headBytes)) return;
    if (!ed25519Verify(key.publicKey, headBytes, sig.signature)) throw bad(`does not verify under ${sig.keyId}`);
    if (this.#verified.size >= this.#cacheSize) {
      const oldest = this.#verified.keys().next().value;
      if (oldest !== undefined) this.#verified.delete(oldest);
    }
    this.#verified.set(cacheKey, headBytes);
  }
}
