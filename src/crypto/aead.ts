// XChaCha20-Poly1305 (draft-irtf-cfrg-xchacha) through @noble/ciphers: a random 24-byte nonce is
// safe to pick per message, so no nonce bookkeeping is needed anywhere.
import { randomBytes } from "node:crypto";
import { xchacha20poly1305 } from "@noble/ciphers/chacha.js";
import { LiaisonError } from "../errors.js";
import { assertLength } from "./bytes.js";

export const AEAD_KEY_SIZE = 32;
export const AEAD_NONCE_SIZE = 24;
export const AEAD_TAG_SIZE = 16;

export function randomKey(): Uint8Array {
  return new Uint8Array(randomBytes(AEAD_KEY_SIZE));
}

export function aeadSeal(key: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): { nonce: Uint8Array; ciphertext: Uint8Array } {
  assertLength(key, AEAD_KEY_SIZE, "AEAD key");
  const nonce = new Uint8Array(randomBytes(AEAD_NONCE_SIZE));
  return { nonce, ciphertext: xchacha20poly1305(key, nonce, aad).encrypt(plaintext) };
}

/** Opens or throws LIAISON_DECRYPT_FAILED: wrong key, altered ciphertext, or other associated data. */
export function aeadOpen(key: Uint8Array, nonce: Uint8Array, ciphertext: Uint8Array, aad: Uint8Array): Uint8Array {
  assertLength(key, AEAD_KEY_SIZE, "AEAD key");
  if (!(nonce instanceof Uint8Array) || nonce.length !== AEAD_NONCE_SIZE || ciphertext.length < AEAD_TAG_SIZE) {
    throw new LiaisonError("LIAISON_DECRYPT_FAILED", "malformed nonce or ciphertext");
  }
  try {
    return xchacha20poly1305(key, nonce, aad).decrypt(ciphertext);
  } catch (err) {
    throw new LiaisonError("LIAISON_DECRYPT_FAILED", "authentication failed", { cause: err });
  }
}
