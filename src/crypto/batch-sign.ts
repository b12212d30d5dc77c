// Batch signatures: the signer puts the items it signs in one burst into an RFC 9162 Merkle tree,
// signs the tree head once with Ed25519, and gives each item its inclusion path (as X-Road batches
// signatures). A verifier recomputes the root from the path and checks each head's signature once.
import { setImmediate } from "node:timers";
import { createHash } from "node:crypto";
import { batchProofs } from "../merkle/mod.js";
import { pb } from "../proto/mod.js";
import { concat, utf8 } from "./bytes.js";
import type { Ed25519Signer } from "./keys.js";

/** Domain separation: a signature over one kind of item never verifies as another kind. */
export const SIGNED_TYPES = Object.freeze({
  envelope: "liaison.v1.envelope",
  receipt: "liaison.v1.receipt",
  notice: "liaison.v1.notice",
  response: "liaison.v1.response",
});
export type SignedType = keyof typeof SIGNED_TYPES;

const HEAD_PREFIX = utf8("liaison.v1.batch-tree-head\0");

/** 0x00 (RFC 9162 leaf prefix) ‖ type name ‖ 0x00, per type, computed once. */
const LEAF_PREFIX = Object.fromEntries(
  Object.entries(SIGNED_TYPES).map(([k, v]) => [k, concat(new Uint8Array([0]), utf8(v), new Uint8Array([0]))]),
) as Record<SignedType, Uint8Array>;

/** The Merkle leaf hash of a signed item: leafHash(type ‖ 0x00 ‖ bytes), hashed without copying the item. */
export function signedLeaf(type: SignedType, bytes: Uint8Array): Uint8Array {
  return new Uint8Array(createHash("sha256").update(LEAF_PREFIX[type]).update(bytes).digest());
}

/** The exact bytes an Ed25519 batch signature covers. */
export function batchHeadBytes(head: pb.IBatchTreeHead): Uint8Array {
  return concat(HEAD_PREFIX, pb.BatchTreeHead.encode(head).finish());
}

export interface SignItem {
  readonly type: SignedType;
  readonly bytes: Uint8Array;
}

interface Pending extends SignItem {
  resolve(sig: pb.IBatchSignature): void;
  reject(err: unknown): void;
}

export class BatchSigner {
  readonly #signer: Ed25519Signer;
  readonly #now: () => number;
  readonly #maxBatch: number;
  #queue: Pending[] = [];
  #scheduled = false;

  constructor(signer: Ed25519Signer, opts: { maxBatch?: number; now?: () => number } = {}) {
    this.#signer = signer;
    this.#now = opts.now ?? Date.now;
    this.#maxBatch = opts.maxBatch ?? 1_024;
  }

  get keyId(): string {
    return this.#signer.keyId;
  }

  /** Signs the items as one batch, now. */
  signMany(items: readonly SignItem[]): pb.IBatchSignature[] {
    if (items.length === 0) return [];
    const proofs = batchProofs(items.map((i) => signedLeaf(i.type, i.bytes)));
    const head: pb.IBatchTreeHead = { keyId: this.#signer.keyId, treeSize: items.length, rootHash: proofs.root, signedAtMs: this.#now() };
    const signature = this.#signer.sign(batchHeadBytes(head));
    return items.map((_, i) => ({
      keyId: head.keyId,
      treeSize: items.length,
      leafIndex: i,
      auditPath: proofs.paths[i] ?? [],
      signedAtMs: head.signedAtMs,
      signature,
    }));
  }

  /** Signs an item together with whatever else is signed in the same turn of the event loop. */
  sign(type: SignedType, bytes: Uint8Array): Promise<pb.IBatchSignature> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ type, bytes, resolve, reject });
      if (this.#queue.length >= this.#maxBatch) this.#flush();
      else if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => this.#flush());
      }
    });
  }

  #flush(): void {
    this.#scheduled = false;
    const batch = this.#queue;
    this.#queue = [];
    if (batch.length === 0) return;
    try {
      const sigs = this.signMany(batch);
      batch.forEach((p, i) => p.resolve(sigs[i] as pb.IBatchSignature));
    } catch (err) {
      for (const p of batch) p.reject(err);
    }
  }
}
