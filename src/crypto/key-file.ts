// A contact point's key file, written by `liaison keys init`: its Ed25519 signing key and X25519
// encryption key, each with a key id, readable only by its owner (mode 0600). Only the public
// halves ever leave the access point (into the registry).
import { z } from "zod";
import { LiaisonError } from "../errors.js";
import { b64u, fromB64u } from "./bytes.js";
import { generateEncryptionKey, generateSigningKey, keyIdFor, type KeyPair } from "./keys.js";
import { readSecretFile, writeSecretFile } from "./secret-file.js";

const b64key = z.string().regex(/^[A-Za-z0-9_-]{43}$/, "must be 32 bytes, base64url");

const storedKey = z.object({
  keyId: z.string().min(1),
  use: z.enum(["sig", "enc"]),
  publicKey: b64key,
  secretKey: b64key,
  createdAt: z.string(),
});

const keyFileSchema = z.object({
  version: z.literal(1),
  owner: z.string().min(1),
  createdAt: z.string(),
  keys: z.array(storedKey).min(2),
});

export interface ContactPointKeys {
  readonly owner: string;
  /** The current signing key. */
  readonly signing: KeyPair;
  /** Encryption keys, newest first: older ones still open older messages. */
  readonly encryption: readonly KeyPair[];
}

export function generateContactPointKeys(owner: string): ContactPointKeys {
  return { owner, signing: generateSigningKey(owner), encryption: [generateEncryptionKey(owner)] };
}

export function serialiseKeyFile(keys: ContactPointKeys, now = new Date()): string {
  const at = now.toISOString();
  const entry = (k: KeyPair) => ({ keyId: k.keyId, use: k.use, publicKey: b64u(k.publicKey), secretKey: b64u(k.secretKey), createdAt: at });
  return JSON.stringify({ version: 1, owner: keys.owner, createdAt: at, keys: [entry(keys.signing), ...keys.encryption.map(entry)] }, null, 2) + "\n";
}

/** `liaison keys init`: generates and writes a new key file (0600); never overwrites one unless forced. */
export function initKeyFile(path: string, owner: string, opts: { overwrite?: boolean } = {}): ContactPointKeys {
  const keys = generateContactPointKeys(owner);
  writeSecretFile(path, serialiseKeyFile(keys), opts);
  return keys;
}

export function parseKeyFile(text: string, where: string): ContactPointKeys {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new LiaisonError("LIAISON_CONFIG_INVALID", `${where} is not a key file (not JSON)`, { cause: err });
  }
  const parsed = keyFileSchema.safeParse(raw);
  if (!parsed.success) throw new LiaisonError("LIAISON_CONFIG_INVALID", `${where} is not a valid key file: ${z.prettifyError(parsed.error)}`);
  const toPair = (k: z.infer<typeof storedKey>): KeyPair => {
    const publicKey = fromB64u(k.publicKey);
    if (keyIdFor(parsed.data.owner, k.use, publicKey) !== k.keyId) {
      throw new LiaisonError("LIAISON_CONFIG_INVALID", `${where}: key id ${k.keyId} does not match its public key`);
    }
    return { keyId: k.keyId, use: k.use, publicKey, secretKey: fromB64u(k.secretKey) };
  };
  const byAge = [...parsed.data.keys].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  const signing = byAge.filter((k) => k.use === "sig").map(toPair);
  const encryption = byAge.filter((k) => k.use === "enc").map(toPair);
  if (!signing[0] || !encryption[0]) throw new LiaisonError("LIAISON_CONFIG_INVALID", `${where} needs a signing and an encryption key`);
  return { owner: parsed.data.owner, signing: signing[0], encryption };
}

export function readKeyFile(path: string): ContactPointKeys {
  return parseKeyFile(new TextDecoder().decode(readSecretFile(path)), path);
}
