// The hub's symmetric secrets: the blind-index key (HMAC of identifiers) and the key-encryption
// keys (KEKs) that wrap every record's data key, one per epoch. They live outside JetStream on
// purpose: destroying an old KEK must make the data keys wrapped under it unreadable in every
// copy of the streams, including backups. (In production: an HSM or KMS; here a 0600 file.)
import { existsSync, readFileSync, renameSync, statSync } from "node:fs";
import { z } from "zod";
import { LiaisonError } from "../errors.js";
import { b64u, fromB64u } from "./bytes.js";
import { randomBytes } from "./random.js";
import { readSecretFile, writeSecretFile } from "./secret-file.js";

const b64key = z.string().regex(/^[A-Za-z0-9_-]{43}$/);
const fileSchema = z.object({
  version: z.literal(1),
  blindIndexKey: b64key,
  keks: z.array(z.object({ epoch: z.number().int().positive(), key: b64key, createdAt: z.string() })).min(1),
});

export interface Kek {
  readonly epoch: number;
  readonly key: Uint8Array;
  readonly createdAtMs: number;
}

export interface HubSecrets {
  readonly blindIndexKey: Uint8Array;
  /** Newest first. */
  readonly keks: readonly Kek[];
}

export function readHubSecrets(path: string): HubSecrets {
  const text = new TextDecoder().decode(readSecretFile(path));
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new LiaisonError("LIAISON_CONFIG_INVALID", `${path} is not JSON`, { cause: err });
  }
  const parsed = fileSchema.safeParse(raw);
  if (!parsed.success) throw new LiaisonError("LIAISON_CONFIG_INVALID", `${path}: ${z.prettifyError(parsed.error)}`);
  return {
    blindIndexKey: fromB64u(parsed.data.blindIndexKey),
    keks: parsed.data.keks.map((k) => ({ epoch: k.epoch, key: fromB64u(k.key), createdAtMs: Date.parse(k.createdAt) })).sort((a, b) => b.epoch - a.epoch),
  };
}

export function writeHubSecrets(path: string, s: HubSecrets): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeSecretFile(
    tmp,
    JSON.stringify(
      { version: 1, blindIndexKey: b64u(s.blindIndexKey), keks: s.keks.map((k) => ({ epoch: k.epoch, key: b64u(k.key), createdAt: new Date(k.createdAtMs).toISOString() })) },
      null,
      2,
    ) + "\n",
    { overwrite: true },
  );
  renameSync(tmp, path);
}

/** Creates the file with a fresh blind-index key and a first KEK if it does not exist. */
export function ensureHubSecrets(path: string, now = Date.now()): HubSecrets {
  if (existsSync(path)) return readHubSecrets(path);
  const s: HubSecrets = { blindIndexKey: randomBytes(32), keks: [{ epoch: 1, key: randomBytes(32), createdAtMs: now }] };
  writeHubSecrets(path, s);
  return s;
}

/** The KEKs as a service sees them; re-reads the file when it meets an epoch it does not know. */
export class KekRing {
  #secrets: HubSecrets;
  #mtimeMs: number;
  constructor(private readonly path: string) {
    this.#secrets = readHubSecrets(path);
    this.#mtimeMs = statSync(path).mtimeMs;
  }

  get blindIndexKey(): Uint8Array {
    return this.#secrets.blindIndexKey;
  }

  /** The KEK new data keys are wrapped with; the file is re-read when a rotation changed it. */
  current(): Kek {
    const mtime = statSync(this.path).mtimeMs;
    if (mtime !== this.#mtimeMs) this.reload();
    const k = this.#secrets.keks[0];
    if (!k) throw new LiaisonError("LIAISON_CONFIG_INVALID", `${this.path} has no key-encryption key`);
    return k;
  }

  get(epoch: number): Kek {
    let k = this.#secrets.keks.find((x) => x.epoch === epoch);
    if (!k) {
      this.reload();
      k = this.#secrets.keks.find((x) => x.epoch === epoch);
    }
    if (!k) throw new LiaisonError("LIAISON_ERASED", `key-encryption key of epoch ${epoch} no longer exists`);
    return k;
  }

  reload(): void {
    this.#mtimeMs = statSync(this.path).mtimeMs;
    this.#secrets = readHubSecrets(this.path);
  }

  /** Text of the file, for tests that copy it as a "backup". */
  raw(): string {
    return readFileSync(this.path, "utf8");
  }
}
