// A contact point's key file, written by `liaison keys init`: its Ed25519 signing key and X25519
// encryption key, each with a key id, readable only by its owner (mode 0600). Only the public
// halves ever leave the access point (into the registry). `liaison keys rotate` adds a new pair
// and keeps the older encryption keys, which still open what was sealed to them.
import { existsSync, renameSync, rmSync, unwatchFile, watchFile } from "node:fs";
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

function parseStored(text: string, where: string): z.infer<typeof keyFileSchema> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new LiaisonError("LIAISON_CONFIG_INVALID", `${where} is not a key file (not JSON)`, { cause: err });
  }
  const parsed = keyFileSchema.safeParse(raw);
  if (!parsed.success) throw new LiaisonError("LIAISON_CONFIG_INVALID", `${where} is not a valid key file: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

export function parseKeyFile(text: string, where: string): ContactPointKeys {
  const parsed = { data: parseStored(text, where) };
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

/** A rotation written beside the key file, not yet in force: commit() after the registry has the new keys. */
export interface KeyRotation {
  /** The key file as it will be: the new signing key, the new encryption key first, then the older ones. */
  readonly keys: ContactPointKeys;
  /** The new signing and encryption keys (their public halves go into the registry). */
  readonly added: readonly KeyPair[];
  /** Replaces the key file with the rotated one (a rename: the file is never half written). */
  commit(): void;
  /** Drops the rotation; the key file stays as it was. */
  abort(): void;
}

/**
 * `liaison keys rotate`: a new signing and a new encryption key, written to `<path>.rotating`
 * (0600) with the older encryption keys, whose private halves still open what was sealed to them.
 * The older signing key's private half is dropped: its public half stays in the registry to verify
 * what it signed, and nothing needs it to sign again. Refuses while an earlier rotation is pending.
 */
export function rotateKeyFile(path: string, now = new Date()): KeyRotation {
  const stored = parseStored(new TextDecoder().decode(readSecretFile(path)), path);
  // Checks the key ids as reading does: a rotation never carries over a damaged key.
  parseKeyFile(JSON.stringify(stored), path);
  const pending = `${path}.rotating`;
  if (existsSync(pending)) throw new LiaisonError("LIAISON_CONFLICT", `${pending} exists: an earlier rotation did not finish; remove it or finish it first`);
  const latest = stored.keys.reduce((max, k) => (k.createdAt > max ? k.createdAt : max), "");
  // Strictly newer than every key already there, whatever the clock says.
  const at = now.toISOString() > latest ? now.toISOString() : new Date(Date.parse(latest) + 1).toISOString();
  const added = [generateSigningKey(stored.owner), generateEncryptionKey(stored.owner)];
  const entry = (k: KeyPair) => ({ keyId: k.keyId, use: k.use, publicKey: b64u(k.publicKey), secretKey: b64u(k.secretKey), createdAt: at });
  const next = { ...stored, keys: [...added.map(entry), ...stored.keys.filter((k) => k.use === "enc")] };
  const text = JSON.stringify(next, null, 2) + "\n";
  writeSecretFile(pending, text);
  return {
    keys: parseKeyFile(text, pending),
    added,
    commit: () => renameSync(pending, path),
    abort: () => rmSync(pending, { force: true }),
  };
}

/** A key file followed while in use: `keys.encryption` takes in, newest first, the keys a rotation adds. */
export interface FollowedKeyFile {
  readonly keys: ContactPointKeys;
  close(): void;
}

/**
 * Follows the key file at `path` (polled every `intervalMs`): an encryption key that
 * `liaison keys rotate` added is put first in `keys.encryption`, so an Opener built on that list
 * opens what is sealed to it without a restart. The signing key stays the one read at start.
 */
export function followKeyFile(path: string, initial: ContactPointKeys, o: { intervalMs: number; onAdded?: (count: number) => void; onError?: (err: unknown) => void }): FollowedKeyFile {
  const encryption: KeyPair[] = [...initial.encryption];
  const reread = () => {
    try {
      const fresh = readKeyFile(path);
      if (fresh.owner !== initial.owner) throw new LiaisonError("LIAISON_CONFIG_INVALID", `${path} now belongs to ${fresh.owner}, not ${initial.owner}`);
      const added = fresh.encryption.filter((k) => !encryption.some((held) => held.keyId === k.keyId));
      if (added.length > 0) {
        encryption.unshift(...added);
        o.onAdded?.(added.length);
      }
    } catch (err) {
      o.onError?.(err);
    }
  };
  watchFile(path, { interval: o.intervalMs, persistent: false }, reread);
  return { keys: { ...initial, encryption }, close: () => unwatchFile(path, reread) };
}
