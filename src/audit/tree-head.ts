// Signed tree heads of the access log (RFC 9162 §4.10 in spirit): Ed25519 over a domain prefix
// followed by the canonical proto3 encoding of TreeHead {tree_size, root_hash, timestamp_ms, key_id}
// with the signature field absent. Fields go out in field-number order with defaults omitted, so
// the bytes are a pure function of the four values and the verifier can rebuild them exactly.
import { type Ed25519Signer, b64u, ed25519Verify, fromB64u, keyIdFor, utf8 } from "../crypto/mod.js";
import { HASH_SIZE } from "../merkle/mod.js";
import { pb } from "../proto/mod.js";

/** Separates tree-head signatures from every other use of the audit key. */
export const TREE_HEAD_DOMAIN = "liaison.v1.audit.tree-head\n";
/** The owner name of the audit key file (key ids read `AUDIT.sig.<thumbprint>`). */
export const AUDIT_KEY_OWNER = "AUDIT";

/** A tree head with its fields in plain types (sizes and times as numbers). */
export interface SignedTreeHead {
  readonly treeSize: number;
  readonly rootHash: Uint8Array;
  readonly timestampMs: number;
  readonly keyId: string;
  readonly signature: Uint8Array;
}

/** The exact bytes the audit key signs for a head. */
export function treeHeadSigningInput(h: Omit<SignedTreeHead, "signature">): Uint8Array {
  const body = pb.TreeHead.encode({ treeSize: h.treeSize, rootHash: h.rootHash, timestampMs: h.timestampMs, keyId: h.keyId }).finish();
  const prefix = utf8(TREE_HEAD_DOMAIN);
  const out = new Uint8Array(prefix.length + body.length);
  out.set(prefix);
  out.set(body, prefix.length);
  return out;
}

export function signTreeHead(signer: Ed25519Signer, treeSize: number, rootHash: Uint8Array, timestampMs: number): SignedTreeHead {
  if (rootHash.length !== HASH_SIZE) throw new RangeError("a root hash is 32 bytes");
  const unsigned = { treeSize, rootHash, timestampMs, keyId: signer.keyId };
  return { ...unsigned, signature: signer.sign(treeHeadSigningInput(unsigned)) };
}

/** Whether `publicKey` signed this head. A head naming another key id is not accepted. */
export function verifyTreeHead(publicKey: Uint8Array, h: SignedTreeHead): boolean {
  if (h.keyId !== auditKeyId(publicKey)) return false;
  if (!(h.rootHash instanceof Uint8Array) || h.rootHash.length !== HASH_SIZE) return false;
  return ed25519Verify(publicKey, treeHeadSigningInput(h), h.signature);
}

/** The key id a head signed by this public key carries. */
export const auditKeyId = (publicKey: Uint8Array): string => keyIdFor(AUDIT_KEY_OWNER, "sig", publicKey);

export function treeHeadToProto(h: SignedTreeHead): pb.ITreeHead {
  return { treeSize: h.treeSize, rootHash: h.rootHash, timestampMs: h.timestampMs, keyId: h.keyId, signature: h.signature };
}

export function treeHeadFromProto(p: pb.ITreeHead): SignedTreeHead {
  return {
    treeSize: Number(p.treeSize ?? 0),
    rootHash: p.rootHash ?? new Uint8Array(0),
    timestampMs: Number(p.timestampMs ?? 0),
    keyId: p.keyId ?? "",
    signature: p.signature ?? new Uint8Array(0),
  };
}

/** A head as JSON (exports, head files, the console): hashes and signatures in base64url. */
export interface TreeHeadJson {
  treeSize: number;
  rootHash: string;
  timestampMs: number;
  keyId: string;
  signature: string;
}

export function treeHeadToJson(h: SignedTreeHead): TreeHeadJson {
  return { treeSize: h.treeSize, rootHash: b64u(h.rootHash), timestampMs: h.timestampMs, keyId: h.keyId, signature: b64u(h.signature) };
}

export function treeHeadFromJson(j: TreeHeadJson): SignedTreeHead {
  return { treeSize: j.treeSize, rootHash: fromB64u(j.rootHash), timestampMs: j.timestampMs, keyId: j.keyId, signature: fromB64u(j.signature) };
}
