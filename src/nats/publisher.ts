// Publishing to JetStream with acknowledgements, pipelined: every publish names a reply subject
// under one wildcard subscription, and acks are matched by token, as Go's PublishAsync does.
// nats.js's js.publish() makes a request per message, building an Error with a stack trace and a
// timer for each; at thousands of publishes a second that was a fifth of a service's CPU. Here a
// pending map and one sweeping timer do the same job. Semantics are JetStream's: Nats-Msg-Id
// dedupe, expected-stream checks, PubAck {stream, seq, duplicate}.
import { createInbox, headers, type NatsConnection, type Subscription } from "@nats-io/nats-core";
import { LiaisonError } from "../errors.js";

export interface PubAck {
  readonly stream: string;
  readonly seq: number;
  readonly duplicate: boolean;
}

export interface PublishOptions {
  readonly msgID?: string;
  readonly expectStream?: string;
  /** Compare-and-swap: the subject's last sequence must be this (0: the subject must be empty). */
  readonly expectLastSubjectSequence?: number;
  readonly headers?: Readonly<Record<string, string>>;
}

interface Pending {
  resolve(ack: PubAck): void;
  reject(err: unknown): void;
  readonly deadline: number;
}

export class JsPublisher {
  readonly #nc: NatsConnection;
  readonly #prefix: string;
  readonly #sub: Subscription;
  readonly #pending = new Map<string, Pending>();
  readonly #timeoutMs: number;
  readonly #timer: NodeJS.Timeout;
  #next = 0;

  constructor(nc: NatsConnection, opts: { timeoutMs?: number } = {}) {
    this.#nc = nc;
    this.#timeoutMs = opts.timeoutMs ?? 5_000;
    // Under the connection's own inbox prefix: a contact point may only receive on _INBOX_<CP>.
    this.#prefix = createInbox((nc as unknown as { options: { inboxPrefix?: string } }).options.inboxPrefix);
    this.#sub = nc.subscribe(`${this.#prefix}.*`, {
      callback: (err, msg) => {
        if (err) return;
        const token = msg.subject.slice(this.#prefix.length + 1);
        const p = this.#pending.get(token);
        if (!p) return;
        this.#pending.delete(token);
        if (msg.headers?.hasError || msg.headers?.code === 503) {
          p.reject(new LiaisonError("LIAISON_UNAVAILABLE", `no stream takes this subject (${msg.headers?.code ?? ""} ${msg.headers?.description ?? ""})`.trim()));
          return;
        }
        try {
          const a = JSON.parse(new TextDecoder().decode(msg.data)) as { stream?: string; seq?: number; duplicate?: boolean; error?: { code: number; err_code?: number; description?: string } };
          if (a.error) {
            const code = a.error.err_code === 10_071 ? "LIAISON_CONFLICT" : a.error.code === 503 ? "LIAISON_UNAVAILABLE" : "LIAISON_INTERNAL";
            p.reject(new LiaisonError(code, `JetStream refused the publish: ${a.error.description ?? a.error.code}`));
          } else p.resolve({ stream: a.stream ?? "", seq: a.seq ?? 0, duplicate: a.duplicate === true });
        } catch (e) {
          p.reject(new LiaisonError("LIAISON_INTERNAL", "unreadable JetStream acknowledgement", { cause: e }));
        }
      },
    });
    this.#timer = setInterval(() => this.#sweep(), Math.min(250, this.#timeoutMs));
    this.#timer.unref();
  }

  #sweep(): void {
    const now = Date.now();
    for (const [token, p] of this.#pending) {
      if (p.deadline > now) continue;
      this.#pending.delete(token);
      p.reject(new LiaisonError("LIAISON_TIMEOUT", `no JetStream acknowledgement within ${this.#timeoutMs} ms`));
    }
  }

  /** Publishes and resolves with JetStream's acknowledgement (duplicate: true when deduplicated). */
  publish(subject: string, data: Uint8Array, opts: PublishOptions = {}): Promise<PubAck> {
    return new Promise((resolve, reject) => {
      const token = (this.#next++).toString(36);
      this.#pending.set(token, { resolve, reject, deadline: Date.now() + this.#timeoutMs });
      let h;
      if (opts.msgID || opts.expectStream || opts.expectLastSubjectSequence !== undefined || opts.headers) {
        h = headers();
        if (opts.msgID) h.set("Nats-Msg-Id", opts.msgID);
        if (opts.expectStream) h.set("Nats-Expected-Stream", opts.expectStream);
        if (opts.expectLastSubjectSequence !== undefined) h.set("Nats-Expected-Last-Subject-Sequence", String(opts.expectLastSubjectSequence));
        for (const [k, v] of Object.entries(opts.headers ?? {})) h.set(k, v);
      }
      try {
        this.#nc.publish(subject, data, { reply: `${this.#prefix}.${token}`, ...(h ? { headers: h } : {}) });
      } catch (err) {
        this.#pending.delete(token);
        reject(new LiaisonError("LIAISON_UNAVAILABLE", (err as Error).message, { cause: err }));
      }
    });
  }

  /** Publishes waiting in flight. */
  get pending(): number {
    return this.#pending.size;
  }

  close(): void {
    clearInterval(this.#timer);
    this.#sub.unsubscribe();
    for (const p of this.#pending.values()) p.reject(new LiaisonError("LIAISON_UNAVAILABLE", "publisher closed"));
    this.#pending.clear();
  }
}
