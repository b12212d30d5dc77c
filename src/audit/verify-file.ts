// `liaison audit verify` without the printing: reads an export (into shared memory, for the hashing
// workers), the audit public key and the supervisor's trusted head, and runs verify.ts. Offline:
// nothing here touches the network.
import { closeSync, existsSync, fstatSync, openSync, readFileSync, readSync } from "node:fs";
import { LiaisonError } from "../errors.js";
import { fromB64u } from "../crypto/mod.js";
import { PUBLIC_KEY_SIZE } from "../crypto/mod.js";
import { EXPORT_TYPE, parseHeadFile } from "./export-format.js";
import { scanAndHash } from "./leaf-hash-pool.js";
import { treeHeadFromJson } from "./tree-head.js";
import { verifyExport, type TrustedReference, type VerifyResult } from "./verify.js";

/** A file being read into memory that worker threads can share, a piece at a time. */
export interface SharedFile {
  readonly source: Uint8Array;
  /** Bytes read so far. */
  readonly loaded: number;
  /** Reads the next piece; returns the bytes read so far. */
  fill(): number;
  close(): void;
}

const PIECE = 16 * 1024 * 1024;

export function openShared(path: string): SharedFile {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (err) {
    throw new LiaisonError("LIAISON_NOT_FOUND", `cannot open ${path}`, { cause: err });
  }
  const size = fstatSync(fd).size;
  const source = new Uint8Array(new SharedArrayBuffer(size));
  let loaded = 0;
  let open = true;
  const file: SharedFile = {
    source,
    get loaded() {
      return loaded;
    },
    fill() {
      if (!open || loaded >= size) return loaded;
      const n = readSync(fd, source, loaded, Math.min(size - loaded, PIECE), loaded);
      if (n === 0) file.close();
      loaded += n;
      return loaded;
    },
    close() {
      if (open) closeSync(fd);
      open = false;
    },
  };
  return file;
}

/** Reads a whole file into memory that worker threads can share. */
export function readShared(path: string): Uint8Array {
  const f = openShared(path);
  try {
    while (f.loaded < f.source.length && f.fill() > 0 && f.loaded < f.source.length);
    return f.source.subarray(0, f.loaded);
  } finally {
    f.close();
  }
}

async function scanFile(path: string, threads: number | undefined) {
  const f = openShared(path);
  try {
    f.fill();
    return await scanAndHash(f.source, { loaded: f.loaded, fill: () => f.fill(), ...(threads ? { threads } : {}) });
  } finally {
    f.close();
  }
}

/**
 * The audit public key from `--key`: a file holding the console's /v1/audit/key JSON, an AUDIT key
 * file (only its public half is read), or base64; or the base64/base64url text itself.
 */
export function parseAuditPublicKey(arg: string): Uint8Array {
  const text = existsSync(arg) ? readFileSync(arg, "utf8").trim() : arg.trim();
  let candidate = text;
  if (text.startsWith("{")) {
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(text) as Record<string, unknown>;
    } catch (err) {
      throw new LiaisonError("LIAISON_BAD_REQUEST", "the audit key file is not JSON", { cause: err });
    }
    const keys = Array.isArray(o.keys) ? (o.keys as Array<Record<string, unknown>>) : [];
    const sig = keys.find((k) => k.use === "sig");
    const pk = typeof o.publicKey === "string" ? o.publicKey : typeof sig?.publicKey === "string" ? sig.publicKey : undefined;
    if (!pk) throw new LiaisonError("LIAISON_BAD_REQUEST", "the audit key file has no publicKey");
    candidate = pk;
  }
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(candidate)) throw new LiaisonError("LIAISON_BAD_REQUEST", "the audit key is neither a key file nor base64");
  const key = fromB64u(candidate.replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, ""));
  if (key.length !== PUBLIC_KEY_SIZE) throw new LiaisonError("LIAISON_BAD_REQUEST", `the audit public key must be ${PUBLIC_KEY_SIZE} bytes, got ${key.length}`);
  return key;
}

export interface VerifyFileOptions {
  readonly publicKey: Uint8Array;
  /** A head file from `liaison audit head --out`, or an earlier export. */
  readonly trustedHead?: string;
  readonly allowExpired?: boolean;
  readonly threads?: number;
}

/** Reads and checks one export; the result's faults say what, if anything, is wrong. */
export async function verifyExportFile(path: string, o: VerifyFileOptions): Promise<VerifyResult> {
  const trusted = o.trustedHead ? await loadTrustedReference(o.trustedHead, o) : undefined;
  const { scanned, computed } = await scanFile(path, o.threads);
  return verifyExport(scanned, { publicKey: o.publicKey, computed, ...(trusted ? { trusted } : {}), ...(o.allowExpired ? { allowExpired: true } : {}) });
}

/** A kept head file, or a kept export (verified first: only then are its leaf hashes trusted). */
export async function loadTrustedReference(path: string, o: VerifyFileOptions): Promise<TrustedReference> {
  let firstLine: string;
  try {
    const fd = openSync(path, "r");
    const head = Buffer.alloc(512);
    const n = readSync(fd, head, 0, 512, 0);
    closeSync(fd);
    firstLine = head.toString("utf8", 0, n);
  } catch (err) {
    throw new LiaisonError("LIAISON_NOT_FOUND", `cannot read ${path}`, { cause: err });
  }
  if (firstLine.includes(`"type":"${EXPORT_TYPE}"`)) {
    const { scanned, computed } = await scanFile(path, o.threads);
    const r = verifyExport(scanned, { publicKey: o.publicKey, computed, ...(o.allowExpired ? { allowExpired: true } : {}) });
    if (!r.ok || !r.head || !r.leafHashes) {
      throw new LiaisonError("LIAISON_AUDIT_TAMPERED", `the trusted export ${path} does not verify itself: ${r.firstBad?.message ?? "unknown fault"}`);
    }
    return { head: r.head, leaves: { from: r.from, flat: r.leafHashes, count: r.to - r.from } };
  }
  const file = parseHeadFile(readFileSync(path, "utf8"));
  if (!file) throw new LiaisonError("LIAISON_BAD_REQUEST", `${path} is neither a head file (liaison audit head --out) nor an export`);
  return { head: treeHeadFromJson(file.head), frontier: file.frontier.map(fromB64u) };
}
