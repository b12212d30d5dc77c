// Opening a sealed envelope at a recipient's access point: find the wrapped key addressed to this
// contact point, agree with its X25519 key, unwrap the content key, decrypt. Any change to the
// header, a wrapped key or the ciphertext makes an AEAD check fail.
import type { KeyObject } from "node:crypto";
import { LiaisonError } from "../errors.js";
import { pb } from "../proto/mod.js";
import { AEAD_KEY_SIZE, aeadOpen } from "./aead.js";
import { b64u } from "./bytes.js";
import { privateKeyObject, x25519, type KeyPair } from "./keys.js";
import { wrapKeyFrom } from "./seal.js";

const WRAP_CACHE_SIZE = 4_096;

export interface Opened {
  readonly header: pb.EnvelopeHeader;
  readonly payload: Uint8Array;
}

export class Opener {
  readonly owner: string;
  readonly #keys: Map<string, { pair: KeyPair; object: KeyObject }>;
  readonly #source: readonly KeyPair[];
  /** Wrap keys by (key id, ephemeral public key): one agreement per sealing burst, not per envelope. */
  readonly #wrapKeys = new Map<string, Uint8Array>();

  /**
   * `encryptionKeys`: every private key of this contact point, newest first. The list may grow while
   * the opener is in use (a rotation the access point picked up from its key file): a key id it
   * does not know yet is looked for there again.
   */
  constructor(owner: string, encryptionKeys: readonly KeyPair[]) {
    this.owner = owner;
    this.#source = encryptionKeys;
    this.#keys = new Map(encryptionKeys.map((k) => [k.keyId, { pair: k, object: privateKeyObject(k) }]));
  }

  /** The private key a wrapped key names, if this contact point holds it. */
  #key(keyId: string): { pair: KeyPair; object: KeyObject } | undefined {
    let mine = this.#keys.get(keyId);
    if (!mine) {
      const pair = this.#source.find((k) => k.keyId === keyId);
      if (pair) {
        mine = { pair, object: privateKeyObject(pair) };
        this.#keys.set(keyId, mine);
      }
    }
    return mine;
  }

  #wrapKey(keyId: string, ephemeralPublic: Uint8Array): Uint8Array {
    const mine = this.#key(keyId);
    if (!mine) throw new LiaisonError("LIAISON_DECRYPT_FAILED", `no private key ${keyId} at ${this.owner}`);
    const id = `${keyId}:${b64u(ephemeralPublic)}`;
    let wk = this.#wrapKeys.get(id);
    if (!wk) {
      wk = wrapKeyFrom(x25519(mine.object, ephemeralPublic), ephemeralPublic, mine.pair.publicKey);
      if (this.#wrapKeys.size >= WRAP_CACHE_SIZE) {
        const oldest = this.#wrapKeys.keys().next().value;
        if (oldest !== undefined) {
          this.#wrapKeys.get(oldest)?.fill(0);
          this.#wrapKeys.delete(oldest);
        }
      }
      this.#wrapKeys.set(id, wk);
    }
    return wk;
  }

  /** Decrypts the payload of a SealedContent addressed to this contact point. */
  open(sealed: pb.SealedContent): Opened {
    const header = pb.EnvelopeHeader.decode(sealed.header);
    const wrapped = sealed.keys.find((k) => k.recipient === this.owner && this.#key(k.keyId ?? "") !== undefined);
    if (!wrapped?.keyId || !wrapped.ephemeralPublicKey || !wrapped.nonce || !wrapped.wrapped) {
      throw new LiaisonError("LIAISON_DECRYPT_FAILED", `envelope ${header.id} has no key for ${this.owner}`);
    }
    const contentKey = aeadOpen(this.#wrapKey(wrapped.keyId, wrapped.ephemeralPublicKey), wrapped.nonce, wrapped.wrapped, sealed.header);
    try {
      // The sender chose what it wrapped: a key of the wrong length is its fault, not ours.
      if (contentKey.length !== AEAD_KEY_SIZE) throw new LiaisonError("LIAISON_DECRYPT_FAILED", `envelope ${header.id}: the wrapped content key is not ${AEAD_KEY_SIZE} bytes`);
      return { header, payload: aeadOpen(contentKey, sealed.nonce, sealed.ciphertext, sealed.header) };
    } finally {
      contentKey.fill(0);
    }
  }
}
