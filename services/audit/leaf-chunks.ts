// The tree's leaves, persisted in AUDIT_LEAVES: chunk k (subject liaison.v1.audit.leaves.<k>) holds
// leaves [k·LEAF_CHUNK, (k+1)·LEAF_CHUNK), one message per subject, rewritten as the last chunk
// fills. Leaf hashes outlive the events (AUDIT ages out after 3 years), so old heads stay provable.
// Each leaf also records where its event sits (AUDIT sequence, position in the batch) for queries.
// Layout: u32 count ‖ count×32 leaf hashes ‖ count×f64 AUDIT sequences ‖ count×u32 positions (LE).
// Every write expects the subject's last sequence, so an instance that lost the checkpoint fence
// (see appender.ts) cannot overwrite a chunk the current appender wrote.
import type { JetStreamClient, JetStreamManager } from "@nats-io/jetstream";
import { LiaisonError } from "../../src/errors.js";
import { HASH_SIZE } from "../../src/merkle/mod.js";
import { STREAMS, subjects } from "../../src/nats/mod.js";
import { FencedError, isWrongLastSequence } from "./fencing.js";

/** Leaves per chunk; fixed for the life of a log (the checkpoint records it). */
export const LEAF_CHUNK = 1_024;

export interface LeafChunk {
  readonly count: number;
  readonly hashes: Uint8Array;
  readonly seqs: Float64Array;
  readonly positions: Uint32Array;
}

export function encodeChunk(hashes: Uint8Array, seqs: Float64Array, positions: Uint32Array): Uint8Array {
  const count = positions.length;
  const out = new Uint8Array(4 + count * (HASH_SIZE + 8 + 4));
  const dv = new DataView(out.buffer);
  dv.setUint32(0, count, true);
  out.set(hashes.subarray(0, count * HASH_SIZE), 4);
  let at = 4 + count * HASH_SIZE;
  for (let i = 0; i < count; i++, at += 8) dv.setFloat64(at, seqs[i] as number, true);
  for (let i = 0; i < count; i++, at += 4) dv.setUint32(at, positions[i] as number, true);
  return out;
}

export function decodeChunk(bytes: Uint8Array): LeafChunk {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = bytes.length >= 4 ? dv.getUint32(0, true) : -1;
  if (count < 0 || count > LEAF_CHUNK || bytes.length !== 4 + count * (HASH_SIZE + 12)) {
    throw new LiaisonError("LIAISON_INTERNAL", "an AUDIT_LEAVES chunk is malformed");
  }
  const hashes = bytes.slice(4, 4 + count * HASH_SIZE);
  const seqs = new Float64Array(count);
  const positions = new Uint32Array(count);
  let at = 4 + count * HASH_SIZE;
  for (let i = 0; i < count; i++, at += 8) seqs[i] = dv.getFloat64(at, true);
  for (let i = 0; i < count; i++, at += 4) positions[i] = dv.getUint32(at, true);
  return { count, hashes, seqs, positions };
}

export class LeafChunkStore {
  readonly #js: JetStreamClient;
  readonly #jsm: JetStreamManager;
  // The stream sequence of each chunk subject's current message, as this instance last saw it.
  readonly #lastSeq = new Map<number, number>();

  constructor(js: JetStreamClient, jsm: JetStreamManager) {
    this.#js = js;
    this.#jsm = jsm;
  }

  /** Forgets the sequences seen, so the next write of each chunk reads it first. */
  forget(): void {
    this.#lastSeq.clear();
  }

  /** Chunk k as stored, or undefined; remembers its sequence for the next write. */
  async read(k: number): Promise<LeafChunk | undefined> {
    const m = await this.#jsm.streams.getMessage(STREAMS.AUDIT_LEAVES.name, { last_by_subj: subjects.auditLeaves(k) });
    this.#lastSeq.set(k, m?.seq ?? 0);
    return m ? decodeChunk(m.data) : undefined;
  }

  /** Reads chunks 0..count-1, a few requests in flight at a time. */
  async readAll(count: number, concurrency = 16): Promise<LeafChunk[]> {
    const out: LeafChunk[] = new Array(count);
    let next = 0;
    const worker = async () => {
      for (let k = next++; k < count; k = next++) {
        const c = await this.read(k);
        if (!c) throw new LiaisonError("LIAISON_INTERNAL", `AUDIT_LEAVES chunk ${k} is missing`);
        out[k] = c;
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
    return out;
  }

  /** Writes chunks in parallel; each must replace exactly the message this instance last saw. */
  async write(chunks: ReadonlyArray<{ k: number; data: Uint8Array }>): Promise<void> {
    for (const { k } of chunks) if (!this.#lastSeq.has(k)) await this.read(k);
    const results = await Promise.allSettled(
      chunks.map(({ k, data }) =>
        this.#js.publish(subjects.auditLeaves(k), data, {
          expect: { streamName: STREAMS.AUDIT_LEAVES.name, lastSubjectSequence: this.#lastSeq.get(k) ?? 0 },
        }),
      ),
    );
    let fenced = false;
    results.forEach((r, i) => {
      const k = (chunks[i] as { k: number }).k;
      if (r.status === "fulfilled") this.#lastSeq.set(k, r.value.seq);
      else {
        this.#lastSeq.delete(k);
        if (isWrongLastSequence(r.reason)) fenced = true;
      }
    });
    const failed = results.find((r) => r.status === "rejected") as PromiseRejectedResult | undefined;
    if (fenced) throw new FencedError("another instance wrote a leaf chunk");
    if (failed) throw failed.reason;
  }
}
