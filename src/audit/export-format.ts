// The supervisor's export of the access log: JSON Lines (one JSON object per line, UTF-8, "\n").
// Line 1 is the header: the signed tree head, the range [from, to) and the RFC 9162 subtree
// hashes around it. Then, per page, a `leaves` line with the hub's stored leaf hashes followed by
// one line per leaf, `{"i":<index>,"e":"<base64url of the exact AuditEvent bytes>"}` (or
// `{"i":<index>,"expired":true}` once the event has aged out of the AUDIT stream). The verifier
// hashes the `e` bytes as they are; it never re-encodes an event. The head file that
// `liaison audit head --out` keeps is one JSON object: the signed head and its frontier.
import { b64u, fromB64u } from "../crypto/mod.js";
import { HASH_SIZE } from "../merkle/mod.js";
import type { TreeHeadJson } from "./tree-head.js";

export const EXPORT_TYPE = "liaison.audit.export";
export const HEAD_FILE_TYPE = "liaison.audit.head";
export const EXPORT_VERSION = 1;
/** What the console answers an export with. */
export const EXPORT_MEDIA_TYPE = "application/x-ndjson";

export interface ConsistencyJson {
  firstSize: number;
  secondSize: number;
  path: string[];
}

export interface ExportHeader {
  type: typeof EXPORT_TYPE;
  version: typeof EXPORT_VERSION;
  /** The first leaf exported. */
  from: number;
  /** One past the last leaf exported. */
  to: number;
  head: TreeHeadJson;
  /** Maximal subtrees of the head's tree left of `from`, left to right (base64url). */
  left: string[];
  /** Maximal subtrees right of `to`, left to right (base64url). */
  right: string[];
  /** Consistency proofs from earlier tree sizes the supervisor asked about. */
  consistency: ConsistencyJson[];
  exportedAt?: string;
}

export interface HeadFile {
  type: typeof HEAD_FILE_TYPE;
  version: typeof EXPORT_VERSION;
  head: TreeHeadJson;
  /** The head's frontier (base64url), so a later fork can be placed in a subtree. */
  frontier: string[];
  savedAt?: string;
}

export function headerLine(h: Omit<ExportHeader, "type" | "version">): string {
  return JSON.stringify({ type: EXPORT_TYPE, version: EXPORT_VERSION, ...h }) + "\n";
}

/** The stored leaf hashes of leaves from, from+1, ... (32 bytes each). */
export function leavesLine(from: number, hashes: Uint8Array): string {
  return `{"type":"leaves","from":${from},"hashes":"${b64u(hashes)}"}\n`;
}

export function eventLine(index: number, eventBytes: Uint8Array): string {
  return `{"i":${index},"e":"${b64u(eventBytes)}"}\n`;
}

export function expiredLine(index: number): string {
  return `{"i":${index},"expired":true}\n`;
}

/** A problem with one line of an export, found while reading it. */
export interface LineProblem {
  readonly line: number;
  readonly message: string;
}

/** An export read into arrays: what the lines say, before anything is verified. */
export interface ScannedExport {
  readonly source: Uint8Array;
  readonly header: ExportHeader | undefined;
  /** Leaf lines in file order ("positions"); position k claims index indexField[k]. */
  readonly lines: number;
  readonly indexField: Float64Array;
  /** 1-based line number of each position, for messages. */
  readonly lineNo: Uint32Array;
  /** Byte range of the base64url text of each position's event in `source` (start === end: see decoded/expired). */
  readonly b64Start: Float64Array;
  readonly b64End: Float64Array;
  /** Events of lines that were not in the canonical form, decoded on the main thread. */
  readonly decoded: Map<number, Uint8Array>;
  /** Positions whose line says the event has expired. */
  readonly expired: Uint8Array;
  /** The hub's stored leaf hashes, by leaf index relative to header.from; `count` contiguous ones. */
  readonly stated: { readonly flat: Uint8Array; readonly count: number };
  readonly problems: LineProblem[];
}

const QUOTE = 0x22;
const NEWLINE = 0x0a;
const CR = 0x0d;

export interface ScanOptions {
  /** Called as lines are read, with positions [p0, p1) ending on a multiple of `blockLeaves` leaf indices (and once at the end). */
  readonly onLeaves?: (p0: number, p1: number, sofar: ScannedExport) => void;
  readonly blockLeaves?: number;
  /** Bytes of `source` that hold data so far (default: all of it). */
  readonly loaded?: number;
  /** Reads more of the file into `source`; returns how many bytes hold data now. */
  readonly fill?: () => number;
}

/**
 * Reads an export's lines. Leaf lines in the canonical form are not decoded here (the verifier
 * hashes them where it likes, worker threads included); anything else is parsed as JSON. With
 * `fill`, reading the file and scanning it take turns, so hashing can start at the first block.
 */
export function scanExport(source: Uint8Array, opts: ScanOptions = {}): ScannedExport {
  const buf = Buffer.from(source.buffer, source.byteOffset, source.byteLength);
  const problems: LineProblem[] = [];
  let header: ExportHeader | undefined;
  let cap = 1024;
  let indexField = new Float64Array(cap);
  let lineNo = new Uint32Array(cap);
  let b64Start = new Float64Array(cap);
  let b64End = new Float64Array(cap);
  let expired = new Uint8Array(cap);
  const grow = () => {
    cap *= 2;
    const more = <T extends Float64Array | Uint32Array | Uint8Array>(a: T, make: (n: number) => T): T => {
      const b = make(cap);
      b.set(a);
      return b;
    };
    indexField = more(indexField, (n) => new Float64Array(n));
    lineNo = more(lineNo, (n) => new Uint32Array(n));
    b64Start = more(b64Start, (n) => new Float64Array(n));
    b64End = more(b64End, (n) => new Float64Array(n));
    expired = more(expired, (n) => new Uint8Array(n));
  };
  const block = opts.blockLeaves ?? 16_384;
  let posted = 0;
  const sofar = (): ScannedExport => ({ source, header, lines, indexField, lineNo, b64Start, b64End, decoded, expired, stated: { flat: new Uint8Array(0), count: 0 }, problems });
  const leafRead = () => {
    if (opts.onLeaves && ((header?.from ?? 0) + lines) % block === 0) {
      opts.onLeaves(posted, lines, sofar());
      posted = lines;
    }
  };
  const decoded = new Map<number, Uint8Array>();
  const leafChunks: Array<{ from: number; hashes: Uint8Array; line: number }> = [];
  let lines = 0;
  let line = 0;
  let pos = 0;
  let loaded = opts.loaded ?? buf.length;
  let view = buf.subarray(0, loaded);
  const more = (): boolean => {
    if (!opts.fill || loaded >= buf.length) return false;
    const now = opts.fill();
    if (now <= loaded) return false;
    loaded = now;
    view = buf.subarray(0, loaded);
    return true;
  };
  for (;;) {
    if (pos >= loaded && !more()) break;
    let end = view.indexOf(NEWLINE, pos);
    if (end === -1) {
      if (more()) continue;
      end = loaded;
    }
    line++;
    if (lines === cap) grow();
    let stop = end;
    if (stop > pos && view[stop - 1] === CR) stop--;
    const next = end + 1;
    if (line === 1) {
      if (stop > pos) header = parseHeader(view.toString("utf8", pos, stop), problems);
      else problems.push({ line, message: "the first line must be the export header" });
    } else if (stop === pos) {
      // A blank line carries nothing; only the trailing newline of the file makes one normally.
    } else if (fastEventLine(view, pos, stop, lines, indexField, b64Start, b64End)) {
      lineNo[lines++] = line;
      leafRead();
    } else {
      let obj: unknown;
      try {
        obj = JSON.parse(view.toString("utf8", pos, stop));
      } catch {
        obj = undefined;
      }
      const o = (typeof obj === "object" && obj !== null ? obj : {}) as Record<string, unknown>;
      if (o.type === "leaves" && Number.isSafeInteger(o.from) && typeof o.hashes === "string") {
        const hashes = fromB64u(o.hashes);
        if (hashes.length % HASH_SIZE !== 0) problems.push({ line, message: "a leaves line's hashes are not whole 32-byte hashes" });
        else leafChunks.push({ from: o.from as number, hashes, line });
      } else if ("i" in o) {
        indexField[lines] = Number.isSafeInteger(o.i) ? (o.i as number) : Number.NaN;
        b64Start[lines] = b64End[lines] = 0;
        if (o.expired === true) expired[lines] = 1;
        else if (typeof o.e === "string") decoded.set(lines, fromB64u(o.e));
        else {
          problems.push({ line, message: "a leaf line has neither an event (e) nor expired:true" });
          decoded.set(lines, new Uint8Array(0));
        }
        lineNo[lines++] = line;
        leafRead();
      } else {
        problems.push({ line, message: obj === undefined ? "the line is not JSON" : "the line is not a header, leaves or leaf line" });
      }
    }
    pos = next;
  }
  if (opts.onLeaves && lines > posted) opts.onLeaves(posted, lines, sofar());
  const from = header?.from ?? 0;
  const n = header ? Math.max(0, header.to - header.from) : 0;
  const flat = new Uint8Array(n * HASH_SIZE);
  let count = 0;
  leafChunks.sort((a, b) => a.from - b.from);
  for (const c of leafChunks) {
    const rel = c.from - from;
    const k = c.hashes.length / HASH_SIZE;
    if (rel !== count || rel + k > n) {
      problems.push({ line: c.line, message: `leaf hashes for ${c.from}..${c.from + k - 1} do not continue the ones before (expected ${from + count})` });
      continue;
    }
    flat.set(c.hashes, rel * HASH_SIZE);
    count += k;
  }
  return {
    source: source.subarray(0, loaded),
    header,
    lines,
    indexField,
    lineNo,
    b64Start,
    b64End,
    decoded,
    expired,
    stated: { flat, count },
    problems,
  };
}

// `{"i":123,"e":"...."}` exactly: the form the hub writes. Anything else goes to JSON.parse. The
// base64url text itself is checked where it is decoded (leaf-hashes.ts, the hashing workers): a
// line whose text is not pure base64url is parsed as JSON there instead.
function fastEventLine(buf: Buffer, pos: number, stop: number, k: number, indexField: Float64Array, b64Start: Float64Array, b64End: Float64Array): boolean {
  if (stop - pos < 12 || buf[pos] !== 0x7b || buf[pos + 1] !== QUOTE || buf[pos + 2] !== 0x69 || buf[pos + 3] !== QUOTE || buf[pos + 4] !== 0x3a) return false;
  let at = pos + 5;
  let index = 0;
  const digitsFrom = at;
  for (let c = buf[at] as number; c >= 0x30 && c <= 0x39 && at < stop; c = buf[++at] as number) index = index * 10 + (c - 0x30);
  if (at === digitsFrom || at - digitsFrom > 15 || (buf[digitsFrom] === 0x30 && at - digitsFrom > 1)) return false;
  // ,"e":"
  if (buf[at] !== 0x2c || buf[at + 1] !== QUOTE || buf[at + 2] !== 0x65 || buf[at + 3] !== QUOTE || buf[at + 4] !== 0x3a || buf[at + 5] !== QUOTE) return false;
  const b64From = at + 6;
  if (buf[stop - 1] !== 0x7d || buf[stop - 2] !== QUOTE || stop - 2 < b64From) return false;
  indexField[k] = index;
  b64Start[k] = b64From;
  b64End[k] = stop - 2;
  return true;
}

/**
 * Reads position k's line as JSON after its fast-path text turned out not to be base64url: records
 * the event it holds, or a problem (and empty content, which no leaf hashes to).
 */
export function reparseLine(scanned: ScannedExport, k: number): Uint8Array {
  const src = Buffer.from(scanned.source.buffer, scanned.source.byteOffset, scanned.source.byteLength);
  const at = scanned.b64Start[k] as number;
  const start = src.lastIndexOf(NEWLINE, at) + 1;
  let end = src.indexOf(NEWLINE, at);
  if (end === -1) end = src.length;
  let bytes: Uint8Array = new Uint8Array(0);
  try {
    const o = JSON.parse(src.toString("utf8", start, end)) as Record<string, unknown>;
    if (typeof o.e !== "string" || !/^[A-Za-z0-9_-]*$/.test(o.e)) throw new Error("not base64url");
    bytes = fromB64u(o.e);
  } catch {
    scanned.problems.push({ line: scanned.lineNo[k] as number, message: "the leaf line's event is not base64url" });
  }
  scanned.decoded.set(k, bytes);
  scanned.b64Start[k] = scanned.b64End[k] = 0;
  return bytes;
}

function parseHeader(text: string, problems: LineProblem[]): ExportHeader | undefined {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(text) as Record<string, unknown>;
  } catch {
    problems.push({ line: 1, message: "the header line is not JSON" });
    return undefined;
  }
  if (typeof o !== "object" || o === null || o.type !== EXPORT_TYPE) {
    problems.push({ line: 1, message: `the first line is not an export header (type ${EXPORT_TYPE})` });
    return undefined;
  }
  if (o.version !== EXPORT_VERSION) {
    problems.push({ line: 1, message: `export version ${String(o.version)} is not supported (expected ${EXPORT_VERSION})` });
    return undefined;
  }
  const h = o.head as Record<string, unknown> | undefined;
  const isCount = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0;
  const strings = (v: unknown) => Array.isArray(v) && v.every((s) => typeof s === "string");
  const okHead =
    typeof h === "object" &&
    h !== null &&
    isCount(h.treeSize) &&
    typeof h.rootHash === "string" &&
    Number.isSafeInteger(h.timestampMs) &&
    typeof h.keyId === "string" &&
    typeof h.signature === "string";
  const okConsistency =
    Array.isArray(o.consistency) &&
    o.consistency.every((c: unknown) => {
      const cc = c as Record<string, unknown>;
      return typeof cc === "object" && cc !== null && isCount(cc.firstSize) && isCount(cc.secondSize) && strings(cc.path);
    });
  if (!okHead || !isCount(o.from) || !isCount(o.to) || !strings(o.left) || !strings(o.right) || !okConsistency) {
    problems.push({ line: 1, message: "the header lacks a field or has one of the wrong type (head, from, to, left, right, consistency)" });
    return undefined;
  }
  return o as unknown as ExportHeader;
}

export function headFileText(f: Omit<HeadFile, "type" | "version">): string {
  return JSON.stringify({ type: HEAD_FILE_TYPE, version: EXPORT_VERSION, ...f }, null, 2) + "\n";
}

/** A head file's content, or undefined when the text is not one. */
export function parseHeadFile(text: string): HeadFile | undefined {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (typeof o !== "object" || o === null || o.type !== HEAD_FILE_TYPE || o.version !== EXPORT_VERSION) return undefined;
  const h = o.head as Record<string, unknown> | undefined;
  if (!h || !Number.isSafeInteger(h.treeSize) || typeof h.rootHash !== "string" || typeof h.signature !== "string" || typeof h.keyId !== "string") return undefined;
  if (!Number.isSafeInteger(h.timestampMs)) return undefined;
  const frontier = Array.isArray(o.frontier) && o.frontier.every((s) => typeof s === "string") ? (o.frontier as string[]) : [];
  return { type: HEAD_FILE_TYPE, version: EXPORT_VERSION, head: h as unknown as TreeHeadJson, frontier };
}
