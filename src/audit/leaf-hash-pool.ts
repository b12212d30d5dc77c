// The same leaf hashes as leaf-hashes.ts, spread over worker threads: one SHA-256 call costs 1.5 to
// 2 µs, so a million leaves and their tree are seconds on one core. The export is read into shared
// memory once; each worker decodes and hashes whole blocks of lines in place and returns each
// block's root. The worker is plain JavaScript evaluated from a string (so it runs under any
// loader) and decodes with leaf-hashes.ts's own decodeB64uInto, whose source it is given.
import { hash } from "node:crypto";
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { HASH_SIZE } from "../merkle/mod.js";
import { scanExport, type ScannedExport } from "./export-format.js";
import { B64U_TABLE, BLOCK_LEAVES, computeLeafHashes, decodeB64uInto, hashRejected, type ComputedLeaves } from "./leaf-hashes.js";

// Digests come back as 32-character latin1 strings and are written straight into the shared
// output: asking node:crypto for a Buffer allocates an ArrayBuffer per hash, which costs more than
// the hash itself and does not scale across threads.
const workerSource = () => `
const { parentPort, workerData } = require("node:worker_threads");
const { hash } = require("node:crypto");
const decodeB64uInto = ${decodeB64uInto.toString()};
const table = new Int8Array(256);
table.set(new Int8Array(workerData.table));
const src = new Uint8Array(workerData.source, workerData.sourceOffset, workerData.sourceLength);
const flat = Buffer.from(workerData.flat);
const node = Buffer.alloc(65);
node[0] = 1;
let input = Buffer.alloc(4096);
function treeHash(p0, count) {
  const work = Buffer.alloc(Math.ceil(count / 2) * 32);
  let s = flat, at = p0 * 32, n = count;
  while (n > 1) {
    const pairs = Math.floor(n / 2);
    for (let i = 0; i < pairs; i++) {
      s.copy(node, 1, at + 64 * i, at + 64 * i + 64);
      work.write(hash("sha256", node, "latin1"), 32 * i, "latin1");
    }
    if (n % 2 === 1) s.copy(work, pairs * 32, at + (n - 1) * 32, at + n * 32);
    s = work; at = 0; n = pairs + (n % 2);
  }
  return new Uint8Array(work.subarray(0, 32));
}
parentPort.on("message", (job) => {
  const rejected = [];
  const starts = job.starts, ends = job.ends;
  for (let k = job.p0; k < job.p1; k++) {
    const s = starts[k - job.p0], e = ends[k - job.p0];
    if (s === e) continue;
    if (input.length < e - s + 1) input = Buffer.alloc(2 * (e - s + 1));
    const len = decodeB64uInto(src, s, e, input, 1, table);
    if (len < 0) { rejected.push(k); continue; }
    input[0] = 0;
    flat.write(hash("sha256", input.subarray(0, 1 + len), "latin1"), k * 32, "latin1");
  }
  const root = job.root && rejected.length === 0 ? treeHash(job.p0, job.p1 - job.p0) : undefined;
  parentPort.postMessage({ root, rejected });
});
`;

/** Exports with fewer lines than this are hashed on the calling thread (workers cost more to start). */
export const PARALLEL_THRESHOLD = 50_000;

interface Job {
  readonly p0: number;
  readonly p1: number;
  readonly root: boolean;
  readonly block: number;
  readonly starts: Float64Array;
  readonly ends: Float64Array;
}

/** Worker threads hashing blocks of lines while the main thread is still reading the rest. */
class HashPool {
  readonly #workers: Worker[];
  readonly #idle: Worker[];
  readonly #queue: Job[] = [];
  readonly #inFlight = new Map<Worker, Job>();
  readonly blockRoots = new Map<number, Uint8Array>();
  readonly rejected: number[] = [];
  #failed: unknown;
  #done: (() => void) | undefined;

  constructor(threads: number, workerData: Record<string, unknown>) {
    const code = workerSource();
    this.#workers = Array.from({ length: threads }, () => new Worker(code, { eval: true, workerData }));
    this.#idle = [...this.#workers];
    for (const w of this.#workers) {
      w.on("message", (m: { root?: Uint8Array; rejected: number[] }) => {
        const job = this.#inFlight.get(w);
        this.#inFlight.delete(w);
        if (job?.root && m.root) this.blockRoots.set(job.block, new Uint8Array(m.root));
        this.rejected.push(...m.rejected);
        this.#idle.push(w);
        this.#dispatch();
      });
      w.once("error", (err) => {
        this.#failed = err;
        this.#done?.();
      });
    }
  }

  submit(job: Job): void {
    this.#queue.push(job);
    this.#dispatch();
  }

  #dispatch(): void {
    while (this.#idle.length > 0 && this.#queue.length > 0) {
      const w = this.#idle.pop() as Worker;
      const job = this.#queue.shift() as Job;
      this.#inFlight.set(w, job);
      w.postMessage({ p0: job.p0, p1: job.p1, root: job.root, starts: job.starts, ends: job.ends });
    }
    if (this.#queue.length === 0 && this.#inFlight.size === 0) this.#done?.();
  }

  async finish(): Promise<void> {
    try {
      if (this.#queue.length > 0 || this.#inFlight.size > 0) await new Promise<void>((r) => (this.#done = r));
      if (this.#failed) throw this.#failed;
    } finally {
      await Promise.all(this.#workers.map((w) => w.terminate()));
    }
  }
}

export interface ScanAndHashOptions {
  readonly threads?: number;
  /** Fewer (estimated) lines than this are hashed on the calling thread. */
  readonly threshold?: number;
  /** Bytes of the source that hold data so far, and how to read more (see scanExport). */
  readonly loaded?: number;
  readonly fill?: () => number;
}

/**
 * Reads an export and hashes its leaves: with worker threads hashing each block of lines as soon
 * as it has been read, when the source is in shared memory (openShared) and large enough;
 * otherwise on this thread.
 */
export async function scanAndHash(source: Uint8Array, o: ScanAndHashOptions = {}): Promise<{ scanned: ScannedExport; computed: ComputedLeaves }> {
  const threads = o.threads ?? availableParallelism();
  const reading = { ...(o.loaded !== undefined ? { loaded: o.loaded } : {}), ...(o.fill ? { fill: o.fill } : {}) };
  const parallel = threads >= 2 && source.buffer instanceof SharedArrayBuffer && source.byteLength / 128 >= (o.threshold ?? PARALLEL_THRESHOLD);
  if (!parallel) {
    const scanned = scanExport(source, reading);
    return { scanned, computed: computeLeafHashes(scanned) };
  }
  let pool: HashPool | undefined;
  let flat: Uint8Array = new Uint8Array(0);
  // Positions the shared output has room for: the leaves the header announces, and some slack.
  let room = 0;
  const onLeaves = (p0: number, p1: number, sofar: ScannedExport) => {
    const from = sofar.header?.from ?? 0;
    const n = sofar.header ? Math.max(0, sofar.header.to - sofar.header.from) : Math.ceil(source.byteLength / 64);
    if (!pool) {
      room = n + 2 * BLOCK_LEAVES;
      flat = new Uint8Array(new SharedArrayBuffer(room * HASH_SIZE));
      const table = new SharedArrayBuffer(256);
      new Int8Array(table).set(B64U_TABLE);
      pool = new HashPool(threads, { source: source.buffer, sourceOffset: source.byteOffset, sourceLength: source.byteLength, flat: flat.buffer, table });
    }
    if (p1 > room) return;
    // Lines read as JSON were decoded while scanning: hash them here, before the block's root.
    for (let k = p0; k < p1; k++) {
      const bytes = sofar.decoded.get(k);
      if (!bytes) continue;
      const input = new Uint8Array(1 + bytes.length);
      input.set(bytes, 1);
      flat.set(hash("sha256", input, "buffer"), k * HASH_SIZE);
    }
    const block = Math.floor((from + p0) / BLOCK_LEAVES);
    const whole = p1 - p0 === BLOCK_LEAVES && (from + p0) % BLOCK_LEAVES === 0 && p1 <= n && !sofar.expired.subarray(p0, p1).includes(1);
    pool.submit({ p0, p1, root: whole, block, starts: sofar.b64Start.slice(p0, p1), ends: sofar.b64End.slice(p0, p1) });
  };
  const scanned = scanExport(source, { ...reading, onLeaves, blockLeaves: BLOCK_LEAVES });
  if (!pool) return { scanned, computed: computeLeafHashes(scanned) };
  await pool.finish();
  const blockRoots = pool.blockRoots;
  const from = scanned.header?.from ?? 0;
  // Lines whose text was not base64url are read as JSON here, and their blocks' roots dropped.
  if (pool.rejected.length > 0) {
    hashRejected(scanned, pool.rejected, flat);
    for (const k of pool.rejected) blockRoots.delete(Math.floor((from + k) / BLOCK_LEAVES));
  }
  // More lines than the header announced (someone added some): hash the overflow here.
  if (scanned.lines > room) {
    const all = new Uint8Array(scanned.lines * HASH_SIZE);
    all.set(flat);
    const rest = computeLeafHashes({ ...scanned, lines: scanned.lines }).flat;
    all.set(rest.subarray(room * HASH_SIZE), room * HASH_SIZE);
    return { scanned, computed: { flat: all, blockRoots } };
  }
  return { scanned, computed: { flat: flat.subarray(0, scanned.lines * HASH_SIZE), blockRoots } };
}
