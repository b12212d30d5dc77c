// Registry entries signed by the hub's registry key (Ed25519, domain-separated) and checked by every
// reader against the registry public key it was configured with. A reader that finds an entry not
// signed by that key, signed for another code, or older than one it has seen keeps what it had.
import { readFileSync, writeFileSync } from "node:fs";
import { b64u, concat, ed25519Verify, Ed25519Signer, fromB64u, keyIdFor, utf8, type KeyPair } from "../crypto/mod.js";
import { LiaisonError } from "../errors.js";
import { pb } from "../proto/mod.js";

const CONTEXT = concat(utf8("liaison.v1.registry-entry"), new Uint8Array([0]));

/** The registry's public key as readers are configured with it (raw 32 bytes), and its key id. */
export interface RegistryTrust {
  readonly publicKey: Uint8Array;
  readonly keyId: string;
}

export function registryTrust(publicKey: Uint8Array): RegistryTrust {
  if (publicKey.length !== 32) throw new LiaisonError("LIAISON_CONFIG_INVALID", "the registry public key must be 32 bytes (Ed25519)");
  return { publicKey, keyId: keyIdFor("REGISTRY", "sig", publicKey) };
}

/** Signs an entry as the registry's administrator does. */
export function signEntry(cp: pb.IContactPoint, key: KeyPair): Uint8Array {
  const entry = pb.ContactPoint.encode(cp).finish();
  const signature = new Ed25519Signer(key).sign(concat(CONTEXT, entry));
  return pb.SignedContactPoint.encode({ entry, keyId: key.keyId, signature }).finish();
}

/**
 * The entry in `bytes`, if the registry key signed it for `expectedCode`; LIAISON_REGISTRY_TAMPERED
 * otherwise (unsigned, another key, altered bytes, another code).
 */
export function verifyEntry(bytes: Uint8Array, trust: RegistryTrust, expectedCode?: string): pb.ContactPoint {
  let signed: pb.SignedContactPoint;
  try {
    signed = pb.SignedContactPoint.decode(bytes);
  } catch (err) {
    throw new LiaisonError("LIAISON_REGISTRY_TAMPERED", "not a signed registry entry", { cause: err });
  }
  if (signed.keyId !== trust.keyId || signed.signature.length !== 64 || !ed25519Verify(trust.publicKey, concat(CONTEXT, signed.entry), signed.signature)) {
    throw new LiaisonError("LIAISON_REGISTRY_TAMPERED", `the entry is not signed by the registry key ${trust.keyId}`);
  }
  let cp: pb.ContactPoint;
  try {
    cp = pb.ContactPoint.decode(signed.entry);
  } catch (err) {
    throw new LiaisonError("LIAISON_REGISTRY_TAMPERED", "the signed entry does not decode", { cause: err });
  }
  if (expectedCode !== undefined && cp.code !== expectedCode) {
    throw new LiaisonError("LIAISON_REGISTRY_TAMPERED", `an entry signed for ${cp.code} is stored as ${expectedCode}`);
  }
  return cp;
}

/** Keeps the newest version seen per code: an older signed entry replayed into the bucket is refused. */
export class VersionFloor {
  readonly #seen = new Map<string, number>();

  /** Throws LIAISON_REGISTRY_TAMPERED when `cp` is older than what was accepted for its code. */
  accept(cp: pb.IContactPoint): void {
    const code = cp.code ?? "";
    const v = Number(cp.version ?? 0);
    const floor = this.#seen.get(code) ?? -1;
    if (v < floor) throw new LiaisonError("LIAISON_REGISTRY_TAMPERED", `entry ${code} version ${v} is older than version ${floor} already seen`);
    this.#seen.set(code, v);
  }
}

/** Reads a registry public key file (base64url of the 32-byte Ed25519 key, one line). */
export function readRegistryTrust(path: string): RegistryTrust {
  let text: string;
  try {
    text = readFileSync(path, "utf8").trim();
  } catch (err) {
    throw new LiaisonError("LIAISON_CONFIG_INVALID", `cannot read the registry public key ${path}`, { cause: err });
  }
  let key: Uint8Array;
  try {
    key = fromB64u(text);
  } catch (err) {
    throw new LiaisonError("LIAISON_CONFIG_INVALID", `${path} is not a base64url registry public key`, { cause: err });
  }
  return registryTrust(key);
}

/** Writes a registry public key file for readers (0644: it is public). */
export function writeRegistryTrust(path: string, publicKey: Uint8Array): void {
  writeFileSync(path, `${b64u(publicKey)}\n`, { mode: 0o644 });
}
