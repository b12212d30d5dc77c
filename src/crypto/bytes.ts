// Byte helpers shared by the crypto code: encoding, comparison, guards at the boundary.
import { createHash, timingSafeEqual } from "node:crypto";
import { LiaisonError } from "../errors.js";

export const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

export function b64u(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64url");
}

export function fromB64u(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, "base64url"));
}

export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Fails loudly on a wrong-length key, nonce or hash instead of letting it reach a primitive. What
 * reaches it is Liaison's own key material (key files, hub secrets, derived keys), so a wrong length
 * is a fault of this system (LIAISON_INTERNAL, 500), not of a client: bytes from outside are checked
 * where they come in, with the refusal that fits them (an envelope's keys: LIAISON_DECRYPT_FAILED).
 */
export function assertLength(bytes: Uint8Array | null | undefined, length: number, what: string): Uint8Array {
  if (!(bytes instanceof Uint8Array) || bytes.length !== length) {
    throw new LiaisonError("LIAISON_INTERNAL", `${what} must be ${length} bytes`);
  }
  return bytes;
}

export function sha256(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(createHash("sha256").update(bytes).digest());
}
