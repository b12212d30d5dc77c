// Sealing a payload for its recipients (docs/architecture.md, "Sending a message", step 2): encrypt once with a fresh content
// key (XChaCha20-Poly1305), wrap that key for each recipient (ephemeral X25519, HKDF-SHA256, AEAD),
// with the serialised header as associated data of every AEAD operation.
//
// The ephemeral X25519 key is shared by the envelopes sealed in one burst (at most maxUses
// envelopes and maxAgeMs), then discarded: agreement once per burst and recipient instead of once
// per envelope. Each envelope still has its own content key and random nonces.
import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { pb } from "../proto/mod.js";
import { aeadSeal, randomKey } from "./aead.js";
import { concat, fromB64u } from "./bytes.js";
import { hkdf32, x25519 } from "./keys.js";

export const WRAP_INFO = "liaison.v1 content-key wrap";

export interface RecipientKey {
  /** The contact point the key belongs to. */
  readonly cp: string;
  readonly keyId: string;
  readonly publicKey: Uint8Array;
}

export interface SealerOptions {
  readonly maxUses?: number;
  readonly maxAgeMs?: number;
  readonly now?: () => number;
}

interface Ephemeral {
  readonly publicKey: Uint8Array;
  readonly secret: KeyObject;
  readonly bornAt: number;
  uses: number;
  readonly wrapKeys: Map<string, Uint8Array>;
}

/** Derives the key that wraps content keys for one recipient from an X25519 shared secret. */
export function wrapKeyFrom(shared: Uint8Array, ephemeralPublic: Uint8Array, recipientPublic: Uint8Array): Uint8Array {
  const key = hkdf32(shared, concat(ephemeralPublic, recipientPublic), WRAP_INFO);
  shared.fill(0);
  return key;
}

export class Sealer {
  readonly #maxUses: number;
  readonly #maxAgeMs: number;
  readonly #now: () => number;
  #eph: Ephemeral | undefined;

  constructor(opts: SealerOptions = {}) {
    this.#maxUses = opts.maxUses ?? 256;
    this.#maxAgeMs = opts.maxAgeMs ?? 1_000;
    this.#now = opts.now ?? Date.now;
  }

  #ephemeral(): Ephemeral {
    const now = this.#now();
    const e = this.#eph;
    if (e && e.uses < this.#maxUses && now - e.bornAt < this.#maxAgeMs) {
      e.uses++;
      return e;
    }
    if (e) for (const k of e.wrapKeys.values()) k.fill(0);
    const { privateKey, publicKey } = generateKeyPairSync("x25519");
    const fresh: Ephemeral = {
      publicKey: fromB64u(publicKey.export({ format: "jwk" }).x ?? ""),
      secret: privateKey,
      bornAt: now,
      uses: 1,
      wrapKeys: new Map(),
    };
    this.#eph = fresh;
    return fresh;
  }

  /** Returns the serialised SealedContent: the bytes the sender then signs. */
  seal(header: pb.IEnvelopeHeader, payload: Uint8Array, recipients: readonly RecipientKey[]): Uint8Array {
    const headerBytes = pb.EnvelopeHeader.encode(header).finish();
    const contentKey = randomKey();
    try {
      const body = aeadSeal(contentKey, payload, headerBytes);
      const eph = this.#ephemeral();
      const keys = recipients.map((r): pb.IWrappedKey => {
        let wk = eph.wrapKeys.get(r.keyId);
        if (!wk) {
          wk = wrapKeyFrom(x25519(eph.secret, r.publicKey), eph.publicKey, r.publicKey);
          eph.wrapKeys.set(r.keyId, wk);
        }
        const w = aeadSeal(wk, contentKey, headerBytes);
        return { recipient: r.cp, keyId: r.keyId, ephemeralPublicKey: eph.publicKey, nonce: w.nonce, wrapped: w.ciphertext };
      });
      return pb.SealedContent.encode({ header: headerBytes, keys, nonce: body.nonce, ciphertext: body.ciphertext }).finish();
    } finally {
      contentKey.fill(0);
    }
  }
}
