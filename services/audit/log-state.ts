// The audit log as one instance holds it in memory: the RFC 9162 tree (src/merkle MerkleLog), where
// each leaf's event sits in AUDIT, the search index and the dedupe window. Applying an AUDIT message
// is deterministic: the same messages in the same order give the same leaves on every instance.
// `restoreLogState` rebuilds it from what JetStream holds: checkpoint, leaf chunks, AUDIT replay.
import { DeliverPolicy, type JetStreamClient, type JetStreamManager } from "@nats-io/jetstream";
import { LiaisonError } from "../../src/errors.js";
import { splitAuditBatch } from "../../src/audit/mod.js";
import { isContactPointCode } from "../../src/domain/mod.js";
import { b64u } from "../../src/crypto/mod.js";
import type { Logger } from "../../src/log/mod.js";
import { hash } from "node:crypto";
import { HASH_SIZE, MerkleLog, leafHash } from "../../src/merkle/mod.js";
import { STREAMS } from "../../src/nats/mod.js";
import { pb } from "../../src/proto/mod.js";
import { type CheckpointStore, type StoredCheckpoint } from "./checkpoint.js";
import { DedupeWindow } from "./dedupe-window.js";
import { LEAF_CHUNK, type LeafChunk, type LeafChunkStore } from "./leaf-chunks.js";
import { Growable } from "./growable.js";
import { QueryIndex } from "./query-index.js";

/**
 * SHA-256(0x00 ‖ event), RFC 9162 §2.1.1, into one reused buffer (MerkleLog.append copies it):
 * taking the digest as a latin1 string avoids an ArrayBuffer per hash, which costs more than the
 * hash itself.
 */
class LeafHasher {
  #input = Buffer.alloc(4096);
  readonly #out = Buffer.alloc(HASH_SIZE);

  hash(bytes: Uint8Array): Uint8Array {
    if (this.#input.length < bytes.length + 1) this.#input = Buffer.alloc(2 * (bytes.length + 1));
    this.#input[0] = 0x00;
    this.#input.set(bytes, 1);
    this.#out.write(hash("sha256", this.#input.subarray(0, bytes.length + 1), "binary"), 0, "latin1");
    return this.#out;
  }
}

export interface ApplyStats {
  appended: number;
  duplicates: number;
  malformed: number;
  /** Events refused because they name another emitter, or another authority than the member that published them. */
  forged: number;
}

/** An event that was not appended because it was not its publisher's to log. */
export interface ForgedEvent {
  readonly seq: number;
  readonly position: number;
  /** Who published it (the subject's last token). */
  readonly source: string;
  readonly id: string;
  readonly reason: string;
}

/** The emitter of an AUDIT message: the last token of its subject (liaison.v1.audit.events.<emitter>). */
export const emitterOf = (subject: string | undefined) => subject?.split(".").pop() ?? "";

export class LogState {
  readonly tree = new MerkleLog();
  readonly index = new QueryIndex();
  readonly dedupe: DedupeWindow;
  /** AUDIT sequence and batch position of each leaf's event. */
  readonly seqs = new Growable((n) => new Float64Array(n));
  readonly positions = new Growable((n) => new Uint32Array(n));
  /** The last AUDIT sequence applied. */
  streamSeq = 0;
  readonly stats: ApplyStats = { appended: 0, duplicates: 0, malformed: 0, forged: 0 };
  /** Forged events seen since the engine last took them (the appending instance logs each as a refusal). */
  forged: ForgedEvent[] = [];
  readonly #hasher = new LeafHasher();

  constructor(dedupeWindow: number) {
    this.dedupe = new DedupeWindow(dedupeWindow);
  }

  get size(): number {
    return this.tree.size;
  }

  /**
   * Appends the events of AUDIT message `seq` as leaves, in batch order, skipping any whose id is
   * in the dedupe window. A message that is not an AuditBatch, or an event that is not an
   * AuditEvent, is not an access-log entry and is skipped (and counted).
   */
  /**
   * Appends the events of one AUDIT message. `subject` names who published it (only that emitter's
   * NATS user may publish there): an event is appended only if it names that emitter, and a
   * contact point (liaison.v1.audit.events.BE) may only log for itself. Anything else is forged:
   * not appended, counted, and kept in `forged` for the appending instance to log as a refusal.
   */
  apply(seq: number, data: Uint8Array, log?: Logger, subject?: string): void {
    const source = emitterOf(subject);
    const fromContactPoint = isContactPointCode(source);
    if (seq <= this.streamSeq) return;
    let events: Uint8Array[];
    try {
      events = splitAuditBatch(data);
    } catch (err) {
      this.stats.malformed++;
      log?.warn({ err, seq }, "AUDIT message is not an AuditBatch; skipped");
      this.streamSeq = seq;
      return;
    }
    for (let p = 0; p < events.length; p++) {
      const bytes = events[p] as Uint8Array;
      let e: pb.AuditEvent;
      try {
        e = pb.AuditEvent.decode(bytes);
      } catch (err) {
        this.stats.malformed++;
        log?.warn({ err, seq, position: p }, "AUDIT event does not decode; skipped");
        continue;
      }
      const forged =
        e.service !== source ? `names emitter ${JSON.stringify(e.service)}, published by ${source}` : fromContactPoint && e.authority !== source ? `names authority ${JSON.stringify(e.authority)}, published by ${source}` : undefined;
      if (forged) {
        this.stats.forged++;
        this.forged.push({ seq, position: p, source, id: e.id, reason: forged });
        log?.warn({ seq, position: p, source, service: e.service, authority: e.authority }, `audit event refused: it ${forged}`);
        continue;
      }
      if (this.dedupe.has(source, e.id)) {
        this.stats.duplicates++;
        continue;
      }
      this.#append(this.#hasher.hash(bytes), seq, p, e, source);
      this.stats.appended++;
    }
    this.streamSeq = seq;
  }

  #append(hash: Uint8Array, seq: number, position: number, e: pb.AuditEvent, source: string): number {
    const leaf = this.tree.append(hash);
    this.seqs.set(leaf, seq);
    this.positions.set(leaf, position);
    this.index.add(leaf, e);
    this.dedupe.add(source, e.id);
    return leaf;
  }

  /** The persisted form of leaves [from, to) of one chunk. */
  chunkBytes(from: number, to: number): { hashes: Uint8Array; seqs: Float64Array; positions: Uint32Array } {
    return { hashes: this.tree.leafRange(from, to), seqs: this.seqs.data.slice(from, to), positions: this.positions.data.slice(from, to) };
  }

  rootB64(): string {
    return b64u(this.tree.root());
  }
}

/**
 * How the audit service pulls AUDIT. An ordered consumer is one replica on one node: when that node
 * dies, or the consumer goes, nothing says so; the client sees it only when two idle heartbeats
 * (half the pull's expiry each) are missed. The 30-second default kept the tree still for about a
 * minute after a node died; with 2 s the engine replaces its consumer 2 to 3 s after the loss. The
 * price is one pull request every 2 s while AUDIT is idle.
 */
export const AUDIT_PULL = { max_messages: 256, expires: 2_000 } as const;

export interface RestoreDeps {
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly checkpoints: CheckpointStore;
  readonly chunks: LeafChunkStore;
  readonly dedupeWindow: number;
  readonly log: Logger;
}

/**
 * Rebuilds the log from JetStream: the checkpoint says how many leaves and up to which AUDIT
 * sequence; the leaf chunks give the hashes (leaves past the checkpoint, written before a crash,
 * are ignored: the events behind them are appended again); replaying AUDIT up to the checkpoint
 * rebuilds the index and the dedupe window and checks every leaf hash against its event's bytes.
 */
export async function restoreLogState(d: RestoreDeps): Promise<{ state: LogState; stored: StoredCheckpoint | undefined }> {
  const stored = await d.checkpoints.read();
  const state = new LogState(d.dedupeWindow);
  if (!stored) return { state, stored };
  const cp = stored.checkpoint;
  if (cp.chunkLeaves !== LEAF_CHUNK) {
    throw new LiaisonError("LIAISON_CONFIG_INVALID", `the audit log was written with ${cp.chunkLeaves} leaves per chunk, this build uses ${LEAF_CHUNK}`);
  }
  const started = performance.now();
  const chunks = await d.chunks.readAll(Math.ceil(cp.treeSize / LEAF_CHUNK));
  for (let k = 0; k < chunks.length; k++) {
    const c = chunks[k] as LeafChunk;
    const take = Math.min(c.count, cp.treeSize - k * LEAF_CHUNK);
    if (take < 0 || (take < LEAF_CHUNK && k < chunks.length - 1) || c.count < take) {
      throw new LiaisonError("LIAISON_INTERNAL", `AUDIT_LEAVES chunk ${k} holds ${c.count} leaves; the checkpoint needs ${take}`);
    }
    for (let i = 0; i < take; i++) {
      const leaf = state.tree.append(c.hashes.subarray(i * HASH_SIZE, (i + 1) * HASH_SIZE));
      state.seqs.set(leaf, c.seqs[i] as number);
      state.positions.set(leaf, c.positions[i] as number);
    }
  }
  if (state.rootB64() !== cp.root) {
    throw new LiaisonError("LIAISON_INTERNAL", `the leaf chunks do not rebuild the checkpoint's root at size ${cp.treeSize}: the stored tree is damaged`);
  }
  await replayIndex(d, state, cp.treeSize, cp.streamSeq);
  state.streamSeq = cp.streamSeq;
  d.log.info({ treeSize: cp.treeSize, streamSeq: cp.streamSeq, indexed: state.index.indexed, ms: Math.round(performance.now() - started) }, "audit log restored");
  return { state, stored };
}

async function replayIndex(d: RestoreDeps, state: LogState, size: number, lastSeq: number): Promise<void> {
  if (size === 0 || lastSeq === 0) return;
  const info = await d.jsm.streams.info(STREAMS.AUDIT.name);
  if (info.state.last_seq < lastSeq) {
    throw new LiaisonError("LIAISON_INTERNAL", `the AUDIT stream ends at ${info.state.last_seq}, before the checkpoint's ${lastSeq}`);
  }
  const firstSeq = Math.max(1, info.state.first_seq);
  if (firstSeq > lastSeq) return;
  const seqs = state.seqs.data;
  // The first leaf whose event may still be in the stream.
  let leaf = 0;
  while (leaf < size && (seqs[leaf] as number) < firstSeq) leaf++;
  const consumer = await d.js.consumers.get(STREAMS.AUDIT.name, { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: firstSeq });
  const messages = await consumer.consume(AUDIT_PULL);
  try {
    for await (const m of messages) {
      const seq = m.seq;
      while (leaf < size && (seqs[leaf] as number) < seq) leaf++;
      if (leaf < size && seqs[leaf] === seq) {
        const events = splitAuditBatch(m.data);
        for (; leaf < size && seqs[leaf] === seq; leaf++) {
          const bytes = events[state.positions.data[leaf] as number];
          if (!bytes || Buffer.compare(leafHash(bytes), state.tree.leafHash(leaf)) !== 0) {
            throw new LiaisonError("LIAISON_INTERNAL", `leaf ${leaf} does not match its event in AUDIT message ${seq}: the log was altered`);
          }
          const e = pb.AuditEvent.decode(bytes);
          state.index.add(leaf, e);
          state.dedupe.add(emitterOf(m.subject), e.id);
        }
      }
      if (seq >= lastSeq) break;
    }
  } finally {
    await messages.close();
  }
}
