// The verifier's own leaf hashes of an export, RFC 9162 §2.1.1: SHA-256(0x00 ‖ event bytes) of
// each leaf line as written, plus the MTH of every complete block of BLOCK_LEAVES leaves aligned
// on leaf indices, so the root of a million leaves is folded from a few dozen block roots.
import { hash } from "node:crypto";
import { HASH_SIZE } from "../merkle/mod.js";
import { flatTreeHash } from "./compact-range.js";
import { reparseLine, type ScannedExport } from "./export-format.js";

/** Leaves per block (a power of two, so blocks are nodes of every tree that contains them). */
export const BLOCK_LEAVES = 16_384;

export interface ComputedLeaves {
  /** Leaf hash of each position (file order), 32 bytes each; zeros where the event expired. */
  readonly flat: Uint8Array;
  /** MTH of blocks [b·B, (b+1)·B) of leaf indices, where position k is taken as leaf from + k. */
  readonly blockRoots: ReadonlyMap<number, Uint8Array>;
}

/** The blocks wholly inside positions [0, usable) that hold no expired leaf: [block, firstPos, lastPos). */
export function completeBlocks(scanned: ScannedExport, from: number, usable: number): Array<[number, number, number]> {
  const out: Array<[number, number, number]> = [];
  for (let b = Math.ceil(from / BLOCK_LEAVES); (b + 1) * BLOCK_LEAVES - from <= usable; b++) {
    const p0 = b * BLOCK_LEAVES - from;
    const p1 = p0 + BLOCK_LEAVES;
    if (!scanned.expired.subarray(p0, p1).includes(1)) out.push([b, p0, p1]);
  }
  return out;
}

/** base64url digit values by character code; -1 for anything else (padding included). */
export const B64U_TABLE: Int8Array = (() => {
  const t = new Int8Array(256).fill(-1);
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  for (let i = 0; i < alphabet.length; i++) t[alphabet.charCodeAt(i)] = i;
  return t;
})();

/**
 * Decodes the base64url text src[s, e) into out from `at` on; returns the byte count, or -1 when
 * the text is not base64url (or out is too small). Self-contained: the hashing workers run this
 * very function's source.
 */
export function decodeB64uInto(src: Uint8Array, s: number, e: number, out: Uint8Array, at: number, table: Int8Array): number {
  const len = e - s;
  if (len % 4 === 1) return -1;
  const bytes = Math.floor((len * 3) / 4);
  if (at + bytes > out.length) return -1;
  let o = at;
  let i = s;
  for (const end = s + len - (len % 4); i < end; i += 4) {
    const a = table[src[i] as number] as number;
    const b = table[src[i + 1] as number] as number;
    const c = table[src[i + 2] as number] as number;
    const d = table[src[i + 3] as number] as number;
    if ((a | b | c | d) < 0) return -1;
    const v = (a << 18) | (b << 12) | (c << 6) | d;
    out[o++] = v >>> 16;
    out[o++] = (v >>> 8) & 0xff;
    out[o++] = v & 0xff;
  }
  const rest = len % 4;
  if (rest >= 2) {
    const a = table[src[i] as number] as number;
    const b = table[src[i + 1] as number] as number;
    const c = rest === 3 ? (table[src[i + 2] as number] as number) : 0;
    if ((a | b | c) < 0) return -1;
    const v = (a << 18) | (b << 12) | (c << 6);
    out[o++] = v >>> 16;
    if (rest === 3) out[o++] = (v >>> 8) & 0xff;
  }
  return o - at;
}

let scratch = new Uint8Array(4096);

/** The leaf hash of position k (undefined for an expired leaf), decoding on this thread. */
function leafHashAt(scanned: ScannedExport, k: number): Uint8Array | undefined {
  if (scanned.expired[k]) return undefined;
  let bytes = scanned.decoded.get(k);
  if (!bytes) {
    const s = scanned.b64Start[k] as number;
    const e = scanned.b64End[k] as number;
    if (scratch.length < 1 + e - s) scratch = new Uint8Array(2 * (1 + e - s));
    const n = decodeB64uInto(scanned.source, s, e, scratch, 1, B64U_TABLE);
    if (n >= 0) {
      scratch[0] = 0;
      return hash("sha256", scratch.subarray(0, 1 + n), "buffer");
    }
    bytes = reparseLine(scanned, k);
  }
  const input = new Uint8Array(1 + bytes.length);
  input.set(bytes, 1);
  return hash("sha256", input, "buffer");
}

/** Hashes the lines the workers could not decode (they are parsed as JSON here). */
export function hashRejected(scanned: ScannedExport, positions: Iterable<number>, flat: Uint8Array): void {
  for (const k of positions) {
    const input = new Uint8Array(1 + reparseLine(scanned, k).length);
    input.set(scanned.decoded.get(k) as Uint8Array, 1);
    flat.set(hash("sha256", input, "buffer"), k * HASH_SIZE);
  }
}

/** Computes every position's leaf hash and the complete blocks' roots on this thread. */
export function computeLeafHashes(scanned: ScannedExport): ComputedLeaves {
  const from = scanned.header?.from ?? 0;
  const n = scanned.header ? Math.max(0, scanned.header.to - scanned.header.from) : scanned.lines;
  const flat = new Uint8Array(scanned.lines * HASH_SIZE);
  for (let k = 0; k < scanned.lines; k++) {
    const h = leafHashAt(scanned, k);
    if (h) flat.set(h, k * HASH_SIZE);
  }
  const blockRoots = new Map<number, Uint8Array>();
  for (const [b, p0] of completeBlocks(scanned, from, Math.min(scanned.lines, n))) blockRoots.set(b, flatTreeHash(flat, p0, BLOCK_LEAVES));
  return { flat, blockRoots };
}
