// Appends the AUDIT stream to the tree, in order, exactly once, across crashes and replicas.
//
// Order: an ordered consumer delivers AUDIT from the sequence after the checkpoint, gap-free and in
// stream order. Exactly once: a step applies whole messages, writes the leaf chunks they touched,
// then commits {tree size, last AUDIT sequence, root} to KV `state` with compare-and-swap on the
// revision it last saw. A crash before the commit loses nothing: the restart resumes from the old
// checkpoint and appends the same events again, to the same leaf positions (leaves are a pure
// function of the stream, dedupe included), overwriting the chunks it had written.
//
// Replicas: every instance keeps its own copy of the tree and serves queries and proofs from it,
// but only one appends: the one whose CAS on the checkpoint last succeeded. The revision is a
// fencing token; chunk writes also expect each chunk subject's last sequence. An instance claims
// the checkpoint when it starts (a restarted single instance resumes at once); the others become
// followers: they apply AUDIT only up to the committed sequence and check that their tree has the
// committed root. A follower takes over when AUDIT has messages past the checkpoint and the
// checkpoint has not moved for `takeoverAfterMs`. An appender that finds itself fenced (its CAS
// or a chunk write fails) drops its uncommitted leaves, reloads from JetStream and follows.
import { DeliverPolicy, type Consumer, type ConsumerMessages, type JetStreamClient, type JetStreamManager } from "@nats-io/jetstream";
import type { Logger } from "../../src/log/mod.js";
import { STREAMS } from "../../src/nats/mod.js";
import { type CheckpointStore, type Checkpoint, type StoredCheckpoint } from "./checkpoint.js";
import { FencedError } from "./fencing.js";
import { LEAF_CHUNK, type LeafChunkStore, encodeChunk } from "./leaf-chunks.js";
import { AUDIT_PULL, type ForgedEvent, type LogState, restoreLogState } from "./log-state.js";

export interface EngineOptions {
  readonly instanceId: string;
  readonly dedupeWindow: number;
  /** A commit step takes about this many AUDIT events (whole messages) at most. */
  readonly maxStepEvents: number;
  readonly takeoverAfterMs: number;
  readonly now?: () => number;
}

export interface EngineDeps {
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly checkpoints: CheckpointStore;
  readonly chunks: LeafChunkStore;
  readonly log: Logger;
  /**
   * The appending instance logs each forged event it refused (an event naming an emitter or
   * authority other than its publisher) as a refusal of its own, before it commits the step.
   */
  readonly onForged?: (events: readonly ForgedEvent[]) => Promise<void>;
}

export type Role = "leader" | "follower";

interface Buffered {
  readonly seq: number;
  readonly subject: string;
  readonly data: Uint8Array;
}

/** Messages buffered ahead of appending; the consumer waits when this many are queued. */
const HIGH_WATER = 512;
const COMMIT_ATTEMPTS = 5;

export class AuditEngine {
  readonly #d: EngineDeps;
  readonly #o: EngineOptions;
  readonly #now: () => number;
  #state!: LogState;
  #role: Role = "follower";
  #committed: StoredCheckpoint | undefined;
  #committedAt = 0;
  #stableSize = 0;
  #buffer: Buffered[] = [];
  #consumer: ConsumerMessages | undefined;
  #reader: Consumer | undefined;
  // Bumped whenever the consumer is replaced, so a consumer created for an older one is dropped.
  #generation = 0;
  // The last AUDIT sequence the current consumer delivered (or the one before where it started).
  #received = 0;
  #pumping: Promise<void> | undefined;
  #again = false;
  #reloading: Promise<void> | undefined;
  #stopped = false;
  #drained: (() => void) | undefined;
  #waiters: Array<{ size: number; resolve: () => void }> = [];
  #stopWatch: (() => void) | undefined;
  #timer: NodeJS.Timeout | undefined;

  private constructor(d: EngineDeps, o: EngineOptions) {
    this.#d = { ...d, log: d.log.child({ instance: o.instanceId }) };
    this.#o = o;
    this.#now = o.now ?? Date.now;
  }

  static async start(d: EngineDeps, o: EngineOptions): Promise<AuditEngine> {
    const e = new AuditEngine(d, o);
    await e.#load(true);
    e.#stopWatch = await d.checkpoints.watch((s) => e.#onCheckpoint(s));
    e.#timer = setInterval(() => void e.#maybeTakeOver(), Math.max(50, o.takeoverAfterMs / 4));
    e.#timer.unref();
    return e;
  }

  /** The tree and index as this instance holds them (replaced on a reload). */
  get state(): LogState {
    return this.#state;
  }

  get role(): Role {
    return this.#role;
  }

  /** Leaves of this instance's tree known to be committed: heads and proofs use only these. */
  get stableSize(): number {
    return this.#stableSize;
  }

  get committed(): Checkpoint | undefined {
    return this.#committed?.checkpoint;
  }

  /** AUDIT messages received and not yet appended. */
  get backlog(): number {
    return this.#buffer.length;
  }

  /** The name of the (ephemeral) consumer this instance reads AUDIT with now. */
  async readerName(): Promise<string | undefined> {
    return (await this.#reader?.info(true))?.name;
  }

  /** Resolves once `size` leaves are committed and held here; rejects after `timeoutMs`. */
  waitForSize(size: number, timeoutMs = 10_000): Promise<void> {
    if (this.#stableSize >= size) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const w = {
        size,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((x) => x !== w);
        reject(new Error(`the audit tree did not reach ${size} leaves within ${timeoutMs} ms (it has ${this.#stableSize})`));
      }, timeoutMs);
      this.#waiters.push(w);
    });
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    this.#stopWatch?.();
    this.#drained?.();
    await this.#consumer?.close();
    await this.#pumping;
    await this.#reloading;
  }

  #setStable(size: number): void {
    this.#stableSize = size;
    const ready = this.#waiters.filter((w) => w.size <= size);
    this.#waiters = this.#waiters.filter((w) => w.size > size);
    for (const w of ready) w.resolve();
  }

  #checkpointOf(state: LogState): Checkpoint {
    return { v: 1, treeSize: state.size, streamSeq: state.streamSeq, root: state.rootB64(), chunkLeaves: LEAF_CHUNK, owner: this.#o.instanceId, atMs: this.#now() };
  }

  // Restores from JetStream and starts consuming after the restored sequence. With `claim`, tries
  // to become the appender (compare-and-swap on the checkpoint just read).
  async #load(claim: boolean): Promise<void> {
    const old = this.#consumer;
    this.#consumer = undefined;
    const generation = ++this.#generation;
    this.#drained?.();
    await old?.close();
    this.#buffer = [];
    const { state, stored } = await restoreLogState({ ...this.#d, dedupeWindow: this.#o.dedupeWindow });
    if (this.#stopped) return;
    this.#state = state;
    // A newer checkpoint may have arrived through the watch while this one was being read.
    if (!this.#committed || (stored && stored.revision >= this.#committed.revision)) this.#committed = stored;
    this.#committedAt = this.#now();
    this.#role = "follower";
    this.#setStable(state.size);
    if (claim || stored?.checkpoint.owner === this.#o.instanceId) await this.#claim();
    await this.#consume(state.streamSeq + 1, generation);
  }

  async #claim(): Promise<boolean> {
    const cp = this.#checkpointOf(this.#state);
    try {
      const revision = await this.#d.checkpoints.commit(cp, this.#committed?.revision ?? 0);
      this.#committed = { checkpoint: cp, revision };
      this.#committedAt = this.#now();
      this.#role = "leader";
      // Chunks may have been rewritten since this instance last wrote them: look again before writing.
      this.#d.chunks.forget();
      this.#d.log.info({ treeSize: cp.treeSize, streamSeq: cp.streamSeq, revision }, "appending the audit log");
      return true;
    } catch (err) {
      if (!(err instanceof FencedError)) throw err;
      const now = await this.#d.checkpoints.read();
      if (now && now.revision > (this.#committed?.revision ?? 0)) this.#committed = now;
      this.#d.log.info("another instance appends the audit log; following it");
      return false;
    }
  }

  async #consume(fromSeq: number, generation: number): Promise<void> {
    if (this.#stopped || generation !== this.#generation) return;
    const consumer = await this.#d.js.consumers.get(STREAMS.AUDIT.name, { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: fromSeq });
    const messages = await consumer.consume(AUDIT_PULL);
    if (this.#stopped || generation !== this.#generation) {
      await messages.close();
      return;
    }
    this.#consumer = messages;
    this.#reader = consumer;
    this.#received = fromSeq - 1;
    // The consumer is one replica on one node. When that node dies, nats.js sees the heartbeats
    // stop but only recreates the consumer once the dead node answers again that it is gone: the
    // tree would stand still until the node is back. Replace it at once from the next message; the
    // cluster places the new one on a live node.
    void (async () => {
      for await (const n of messages.status()) {
        if (n.type === "heartbeats_missed" && this.#consumer === messages) {
          this.#replace(messages);
          return;
        }
      }
    })().catch(() => undefined);
    void (async () => {
      try {
        for await (const m of messages) {
          // A consumer replaced by a reload may still yield: its messages are not this state's.
          if (this.#consumer !== messages) break;
          this.#received = m.seq;
          this.#buffer.push({ seq: m.seq, subject: m.subject, data: m.data });
          this.#schedule();
          while (this.#buffer.length >= HIGH_WATER && !this.#stopped && this.#consumer === messages) {
            await new Promise<void>((r) => (this.#drained = r));
          }
        }
      } catch (err) {
        if (!this.#stopped) this.#d.log.error({ err }, "AUDIT consumer failed");
      }
      // The consumer ended by itself (its server died and it could not be recreated in time):
      // read the log again from the last checkpoint rather than stop taking events in.
      if (!this.#stopped && this.#consumer === messages) {
        this.#d.log.warn("AUDIT consumer ended; reloading");
        this.#reload();
      }
    })();
  }

  // A consumer that lost its server: a new one takes over from the message after the last received,
  // keeping what is buffered. If it cannot be created, the log is read again from the checkpoint.
  #replace(old: ConsumerMessages): void {
    if (this.#stopped || this.#reloading || this.#consumer !== old) return;
    this.#consumer = undefined;
    const generation = ++this.#generation;
    this.#drained?.();
    this.#d.log.warn({ from: this.#received + 1 }, "AUDIT consumer lost its server; replacing it");
    const reader = this.#reader;
    void old.close().catch(() => undefined);
    // Gone with its node already, or (heartbeats late on a busy host) left to expire otherwise.
    void reader?.delete().catch(() => undefined);
    this.#consume(this.#received + 1, generation).catch((err: unknown) => {
      if (this.#stopped || generation !== this.#generation) return;
      this.#d.log.error({ err }, "could not replace the AUDIT consumer; reloading");
      this.#reload();
    });
  }

  // Runs the pump, one at a time; a call while it runs makes it run once more afterwards, so no
  // message or checkpoint that arrived meanwhile waits for the next one.
  #schedule(): void {
    if (this.#stopped) return;
    if (this.#pumping || this.#reloading) {
      this.#again = true;
      return;
    }
    this.#again = false;
    this.#pumping = this.#pump().finally(() => {
      this.#pumping = undefined;
      if (this.#again) this.#schedule();
    });
  }

  async #pump(): Promise<void> {
    while (!this.#stopped && !this.#reloading) {
      if (this.#role === "leader") {
        if (this.#buffer.length === 0) return;
        const state = this.#state;
        const handled = () => state.stats.appended + state.stats.duplicates + state.stats.malformed + state.stats.forged;
        const before = handled();
        while (this.#buffer.length > 0 && handled() - before < this.#o.maxStepEvents) {
          const m = this.#buffer.shift() as Buffered;
          state.apply(m.seq, m.data, this.#d.log, m.subject);
        }
        this.#drained?.();
        if (state.forged.length > 0) {
          const forged = state.forged.splice(0);
          await this.#d.onForged?.(forged).catch((err: unknown) => this.#d.log.error({ err, count: forged.length }, "could not log the refusal of forged audit events"));
        }
        if (!(await this.#commitStep())) return;
      } else {
        this.#follow();
        return;
      }
    }
  }

  // A follower applies what is committed, and checks it arrived at the committed root.
  #follow(): void {
    const target = this.#committed?.checkpoint;
    if (!target) return;
    const state = this.#state;
    while (this.#buffer.length > 0 && (this.#buffer[0] as Buffered).seq <= target.streamSeq) {
      const m = this.#buffer.shift() as Buffered;
      state.apply(m.seq, m.data, this.#d.log, m.subject);
    }
    // The appending instance logs the refusals; a follower only counts them.
    state.forged.length = 0;
    this.#drained?.();
    if (state.streamSeq !== target.streamSeq) return;
    if (state.size === target.treeSize && state.rootB64() === target.root) this.#setStable(state.size);
    else {
      this.#d.log.error({ have: state.size, committed: target.treeSize }, "this replica's tree differs from the committed one; reloading");
      this.#reload();
    }
  }

  // Persists the leaves appended since the last commit, then commits. False when fenced.
  async #commitStep(): Promise<boolean> {
    const state = this.#state;
    const from = this.#committed?.checkpoint.treeSize ?? 0;
    const to = state.size;
    const chunks: Array<{ k: number; data: Uint8Array }> = [];
    if (to > from) {
      for (let k = Math.floor(from / LEAF_CHUNK); k <= Math.floor((to - 1) / LEAF_CHUNK); k++) {
        const b = state.chunkBytes(k * LEAF_CHUNK, Math.min((k + 1) * LEAF_CHUNK, to));
        chunks.push({ k, data: encodeChunk(b.hashes, b.seqs, b.positions) });
      }
    }
    const cp = this.#checkpointOf(state);
    for (let attempt = 1; ; attempt++) {
      try {
        await this.#d.chunks.write(chunks);
        const revision = await this.#d.checkpoints.commit(cp, this.#committed?.revision ?? 0);
        this.#committed = { checkpoint: cp, revision };
        this.#committedAt = this.#now();
        this.#setStable(to);
        this.#d.log.debug({ treeSize: to, streamSeq: cp.streamSeq, revision }, "committed");
        return true;
      } catch (err) {
        if (err instanceof FencedError || attempt >= COMMIT_ATTEMPTS || this.#stopped) {
          this.#d.log.warn({ err, treeSize: to }, err instanceof FencedError ? "fenced: another instance appends the audit log" : "cannot commit the audit log; reloading");
          this.#reload();
          return false;
        }
        this.#d.log.warn({ err, attempt }, "audit commit failed; retrying");
        await new Promise((r) => setTimeout(r, 200 * 2 ** attempt));
      }
    }
  }

  // Drops this instance's tree and rebuilds it from JetStream (claiming again only if the
  // checkpoint turns out to be its own, e.g. a commit whose reply was lost).
  #reload(): void {
    if (this.#reloading || this.#stopped) return;
    this.#role = "follower";
    this.#reloading = (async () => {
      await this.#pumping?.catch(() => undefined);
      for (let attempt = 0; !this.#stopped; attempt++) {
        try {
          await this.#load(false);
          return;
        } catch (err) {
          this.#d.log.error({ err }, "reloading the audit log failed; retrying");
          await new Promise((r) => setTimeout(r, Math.min(10_000, 500 * 2 ** attempt)));
        }
      }
    })().finally(() => {
      this.#reloading = undefined;
      this.#schedule();
    });
  }

  #onCheckpoint(s: StoredCheckpoint): void {
    if (this.#stopped || s.revision <= (this.#committed?.revision ?? 0)) return;
    this.#committed = s;
    this.#committedAt = this.#now();
    if (this.#role === "leader" && s.checkpoint.owner !== this.#o.instanceId) {
      this.#d.log.warn({ owner: s.checkpoint.owner }, "another instance took over appending");
      this.#reload();
      return;
    }
    this.#schedule();
  }

  async #maybeTakeOver(): Promise<void> {
    if (this.#stopped || this.#reloading || this.#pumping || this.#role === "leader") return;
    const c = this.#committed?.checkpoint;
    const waiting = this.#buffer.some((m) => m.seq > (c?.streamSeq ?? 0));
    if (!waiting || this.#now() - this.#committedAt < this.#o.takeoverAfterMs) return;
    if (this.#state.streamSeq !== (c?.streamSeq ?? 0) || this.#stableSize !== this.#state.size) return;
    await this.#claim();
    this.#schedule();
  }
}
