// JetStream publishes and API calls, pipelined: every call names a reply subject under one
// wildcard subscription, and answers are matched by token, as Go's PublishAsync does. nats.js's
// request path makes an Error (a stack trace), a timer and a cancellation error per call; on the
// hot paths (publishing routed envelopes, erasing thousands of keys) that was a fifth of a
// service's CPU. Here a pending map and one sweeping timer do the same job. Semantics are
// JetStream's own (its JSON API): Nats-Msg-Id dedupe, expected-stream and expected-last-subject-
// sequence checks, PubAck {stream, seq, duplicate}, direct get, message delete with secure erase.
import { createInbox, headers, type Msg, type MsgHdrs, type NatsConnection, type Subscription } from "@nats-io/nats-core";
import { LiaisonError } from "../errors.js";

export interface PubAck {
  readonly stream: string;
  readonly seq: number;
  readonly duplicate: boolean;
}

export interface PublishOptions {
  /** Also makes a retry after a timeout safe: JetStream drops the second copy. */
  readonly msgID?: string;
  readonly expectStream?: string;
  /** Compare-and-swap: the subject's last sequence must be this (0: the subject must be empty). */
  readonly expectLastSubjectSequence?: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** How long to keep trying while the stream has no leader (a cluster node lost); 0: once. */
  readonly retryForMs?: number;
}

/**
 * How long a publish waits out a stream without a leader: a JetStream cluster that loses the node
 * leading a stream elects another within a few seconds (nats-server's Raft: a missed heartbeat,
 * then a randomised election timeout of up to about 9 s); meanwhile the stream does not answer.
 */
export const UNAVAILABLE_RETRY_MS = 15_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A message read with a direct get. */
export interface DirectMsg {
  readonly seq: number;
  readonly subject: string;
  readonly data: Uint8Array;
  readonly headers: MsgHdrs | undefined;
}

interface Pending {
  resolve(m: Msg): void;
  reject(err: unknown): void;
  readonly deadline: number;
  /** A publish with a message id: when the connection drops it is tried again at once, in order. */
  readonly retrySafe: boolean;
}

/** A publish, kept until JetStream acknowledges it or it is given up. */
interface Job {
  /** Issue order: retried publishes go out again in this order, ahead of any issued after them. */
  readonly order: number;
  readonly subject: string;
  readonly data: Uint8Array;
  readonly opts: PublishOptions;
  readonly deadline: number;
  resolve(a: PubAck): void;
  reject(err: unknown): void;
}

type ApiError = { code: number; err_code?: number; description?: string };

function apiError(e: ApiError): LiaisonError {
  const code = e.err_code === 10_071 ? "LIAISON_CONFLICT" : e.code === 404 ? "LIAISON_NOT_FOUND" : e.code === 503 ? "LIAISON_UNAVAILABLE" : "LIAISON_INTERNAL";
  return new LiaisonError(code, `JetStream refused: ${e.description ?? e.code}`);
}

export class JsPublisher {
  readonly #nc: NatsConnection;
  readonly #prefix: string;
  readonly #sub: Subscription;
  readonly #pending = new Map<string, Pending>();
  readonly #timeoutMs: number;
  readonly #timer: NodeJS.Timeout;
  #next = 0;

  readonly #retryForMs: number;
  readonly #holdBehindMs: number | undefined;
  /** With holdBehindOverdueMs: publishes with a message id sent and not answered yet (issue order → sent at). */
  readonly #unanswered = new Map<number, number>();
  /** Publishes waiting to be tried again, in issue order; while any wait, new ones queue behind them. */
  readonly #stalled: Job[] = [];
  #draining = false;
  #order = 0;

  /**
   * `holdBehindOverdueMs`: a publish issued while one with a message id has gone unanswered that
   * long waits behind it. A stream without a leader (an election, 2 to 8 s) drops publishes
   * silently: they time out and are tried again, and without this, publishes sent once the new
   * leader is up would be stored before them (out of order). Keep it below the shortest election.
   */
  constructor(nc: NatsConnection, opts: { timeoutMs?: number; retryForMs?: number; holdBehindOverdueMs?: number } = {}) {
    this.#nc = nc;
    this.#timeoutMs = opts.timeoutMs ?? 5_000;
    this.#retryForMs = opts.retryForMs ?? UNAVAILABLE_RETRY_MS;
    this.#holdBehindMs = opts.holdBehindOverdueMs;
    // Under the connection's own inbox prefix: a contact point may only receive on _INBOX_<CP>.
    this.#prefix = createInbox((nc as unknown as { options: { inboxPrefix?: string } }).options.inboxPrefix);
    this.#sub = nc.subscribe(`${this.#prefix}.*`, {
      callback: (err, msg) => {
        if (err) return;
        const token = msg.subject.slice(this.#prefix.length + 1);
        const p = this.#pending.get(token);
        if (!p) return;
        this.#pending.delete(token);
        p.resolve(msg);
      },
    });
    this.#timer = setInterval(() => this.#sweep(), Math.min(250, this.#timeoutMs));
    this.#timer.unref();
    // A publish in flight when the connection drops is most likely lost with it: one with a
    // message id is tried again at once, in order, instead of after its timeout (when later ones,
    // sent after the reconnect, would have overtaken it).
    void (async () => {
      for await (const st of nc.status()) {
        if (st.type !== "disconnect") continue;
        for (const [token, p] of this.#pending) {
          if (!p.retrySafe) continue;
          this.#pending.delete(token);
          p.reject(new LiaisonError("LIAISON_UNAVAILABLE", "the connection to NATS dropped"));
        }
      }
    })().catch(() => undefined);
  }

  #sweep(): void {
    const now = Date.now();
    for (const [token, p] of this.#pending) {
      if (p.deadline > now) continue;
      this.#pending.delete(token);
      p.reject(new LiaisonError("LIAISON_TIMEOUT", `no JetStream answer within ${this.#timeoutMs} ms`));
    }
  }

  /** A request whose answer comes back on our wildcard inbox. */
  #call(subject: string, data: Uint8Array, h?: MsgHdrs, retrySafe = false): Promise<Msg> {
    return new Promise((resolve, reject) => {
      const token = (this.#next++).toString(36);
      this.#pending.set(token, { resolve, reject, deadline: Date.now() + this.#timeoutMs, retrySafe });
      try {
        this.#nc.publish(subject, data, { reply: `${this.#prefix}.${token}`, ...(h ? { headers: h } : {}) });
      } catch (err) {
        this.#pending.delete(token);
        reject(new LiaisonError("LIAISON_UNAVAILABLE", (err as Error).message, { cause: err }));
      }
    });
  }

  async #json<T>(subject: string, body: unknown): Promise<T> {
    const m = await this.#call(subject, new TextEncoder().encode(JSON.stringify(body)));
    if (m.headers?.code === 503) throw new LiaisonError("LIAISON_UNAVAILABLE", "JetStream is not answering");
    const r = JSON.parse(new TextDecoder().decode(m.data)) as T & { error?: ApiError };
    if (r.error) throw apiError(r.error);
    return r;
  }

  /**
   * Publishes and resolves with JetStream's acknowledgement (duplicate: true when deduplicated).
   * While no stream answers (no leader during an election, the server restarting) it tries again,
   * with growing pauses, for up to `retryForMs`: nothing was stored, so that is safe. After a
   * timeout, or a dropped connection, it tries again only with a message id, which makes a second
   * copy a duplicate. Retries keep the order of issue: while one waits to be tried again, every
   * publish issued after it waits behind it, so a stream fed through one publisher stays in order
   * through a failover.
   */
  publish(subject: string, data: Uint8Array, opts: PublishOptions = {}): Promise<PubAck> {
    return new Promise((resolve, reject) => {
      const job: Job = { order: this.#order++, subject, data, opts, deadline: Date.now() + (opts.retryForMs ?? this.#retryForMs), resolve, reject };
      if (this.#stalled.length > 0 || this.#overdue()) this.#stall(job);
      else this.#attempt(job);
    });
  }

  #retriable(err: unknown, job: Job, pause = 0): boolean {
    const code = err instanceof LiaisonError ? err.code : "";
    const again = code === "LIAISON_UNAVAILABLE" || (code === "LIAISON_TIMEOUT" && job.opts.msgID !== undefined);
    return again && !this.#closed && !this.#nc.isClosed() && Date.now() + pause <= job.deadline;
  }

  /** Whether the oldest unanswered publish with a message id is overdue (holdBehindOverdueMs). */
  #overdue(): boolean {
    if (this.#holdBehindMs === undefined) return false;
    const oldest = this.#unanswered.values().next();
    return !oldest.done && Date.now() - oldest.value > this.#holdBehindMs;
  }

  /** Whether a publish issued before `order` is still unanswered (then `order` must not go out yet). */
  #earlierUnanswered(order: number): boolean {
    if (this.#holdBehindMs === undefined) return false;
    for (const o of this.#unanswered.keys()) if (o < order) return true;
    return false;
  }

  #attempt(job: Job): void {
    const tracked = this.#holdBehindMs !== undefined && job.opts.msgID !== undefined;
    if (tracked) this.#unanswered.set(job.order, Date.now());
    this.#publishOnce(job.subject, job.data, job.opts).then(
      (ack) => {
        if (tracked) this.#unanswered.delete(job.order);
        job.resolve(ack);
      },
      (err: unknown) => {
        if (tracked) this.#unanswered.delete(job.order);
        if (this.#retriable(err, job)) this.#stall(job);
        else job.reject(err);
      },
    );
  }

  #stall(job: Job): void {
    let i = this.#stalled.length;
    while (i > 0 && (this.#stalled[i - 1] as Job).order > job.order) i--;
    this.#stalled.splice(i, 0, job);
    if (!this.#draining) void this.#drain();
  }

  /** Tries the oldest stalled publish until it goes through, then sends the rest, in order. */
  async #drain(): Promise<void> {
    this.#draining = true;
    let pause = 50;
    try {
      while (this.#stalled.length > 0) {
        const head = this.#stalled[0] as Job;
        // One issued before it is still out: it times out (and comes back here, ahead) or is answered first.
        if (this.#earlierUnanswered(head.order)) {
          await sleep(20);
          continue;
        }
        try {
          const ack = await this.#publishOnce(head.subject, head.data, head.opts);
          this.#stalled.shift();
          head.resolve(ack);
          pause = 50;
          // The way is clear: the others go out now, pipelined, in order; any that fail come back.
          // Those after one still out (issued before them, unanswered) wait for it, as the head did.
          const blocker = Math.min(...this.#unanswered.keys());
          while (this.#stalled.length > 0 && (this.#stalled[0] as Job).order < blocker) this.#attempt(this.#stalled.shift() as Job);
        } catch (err) {
          if (!this.#retriable(err, head, pause)) {
            this.#stalled.shift();
            head.reject(err);
            continue;
          }
          await sleep(pause);
          pause = Math.min(1_000, pause * 2);
        }
      }
    } finally {
      this.#draining = false;
    }
  }

  async #publishOnce(subject: string, data: Uint8Array, opts: PublishOptions): Promise<PubAck> {
    let h: MsgHdrs | undefined;
    if (opts.msgID || opts.expectStream || opts.expectLastSubjectSequence !== undefined || opts.headers) {
      h = headers();
      if (opts.msgID) h.set("Nats-Msg-Id", opts.msgID);
      if (opts.expectStream) h.set("Nats-Expected-Stream", opts.expectStream);
      if (opts.expectLastSubjectSequence !== undefined) h.set("Nats-Expected-Last-Subject-Sequence", String(opts.expectLastSubjectSequence));
      for (const [k, v] of Object.entries(opts.headers ?? {})) h.set(k, v);
    }
    const m = await this.#call(subject, data, h, opts.msgID !== undefined);
    if (m.headers?.hasError || m.headers?.code === 503) {
      throw new LiaisonError("LIAISON_UNAVAILABLE", `no stream takes this subject (${m.headers?.code ?? ""} ${m.headers?.description ?? ""})`.trim());
    }
    let a: { stream?: string; seq?: number; duplicate?: boolean; error?: ApiError };
    try {
      a = JSON.parse(new TextDecoder().decode(m.data)) as typeof a;
    } catch (e) {
      throw new LiaisonError("LIAISON_INTERNAL", "unreadable JetStream acknowledgement", { cause: e });
    }
    if (a.error) throw apiError(a.error);
    return { stream: a.stream ?? "", seq: a.seq ?? 0, duplicate: a.duplicate === true };
  }

  /**
   * A stream's message by sequence, the first on a subject from a sequence on (`next_by_subj`), or
   * the last one on a subject (stream must allow direct get); null when there is none.
   */
  async directGet(stream: string, query: { seq: number; next_by_subj?: string } | { last_by_subj: string }): Promise<DirectMsg | null> {
    const m = await this.#call(`$JS.API.DIRECT.GET.${stream}`, new TextEncoder().encode(JSON.stringify(query)));
    if (m.headers?.code === 404 || m.headers?.code === 408) return null;
    if (m.headers?.hasError) throw new LiaisonError("LIAISON_UNAVAILABLE", `direct get on ${stream}: ${m.headers.code} ${m.headers.description}`);
    return { seq: Number(m.headers?.get("Nats-Sequence") ?? 0), subject: m.headers?.get("Nats-Subject") ?? "", data: m.data, headers: m.headers };
  }

  /** A KV entry's current value (direct get), or null when it does not exist or was deleted. */
  async kvGet(bucket: string, key: string): Promise<(DirectMsg & { revision: number }) | null> {
    const m = await this.directGet(`KV_${bucket}`, { last_by_subj: `$KV.${bucket}.${key}` });
    const op = m?.headers?.get("KV-Operation");
    if (!m || op === "DEL" || op === "PURGE") return null;
    return { ...m, revision: m.seq };
  }

  /** Deletes one message; with `erase`, JetStream overwrites its bytes on disk first. */
  async deleteMessage(stream: string, seq: number, erase: boolean): Promise<boolean> {
    const r = await this.#json<{ success?: boolean }>(`$JS.API.STREAM.MSG.DELETE.${stream}`, { seq, ...(erase ? {} : { no_erase: true }) });
    return r.success === true;
  }

  /** Calls waiting for an answer. */
  get pending(): number {
    return this.#pending.size;
  }

  #closed = false;

  close(): void {
    this.#closed = true;
    for (const j of this.#stalled.splice(0)) j.reject(new LiaisonError("LIAISON_UNAVAILABLE", "publisher closed"));
    clearInterval(this.#timer);
    this.#sub.unsubscribe();
    for (const p of this.#pending.values()) p.reject(new LiaisonError("LIAISON_UNAVAILABLE", "publisher closed"));
    this.#pending.clear();
  }
}
