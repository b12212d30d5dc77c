// Signed tree heads (src/audit/tree-head.ts): the appender signs one every interval when the tree
// has grown, any instance signs one on demand, and each is published to AUDIT_HEADS, whose last
// message is "the latest head" for every replica. Heads cover committed leaves only, so a head
// never names a tree that a crash could take back; timestamps never go backwards.
import type { JetStreamClient, JetStreamManager } from "@nats-io/jetstream";
import type { NatsConnection, Subscription } from "@nats-io/nats-core";
import { signTreeHead, treeHeadFromProto, treeHeadToProto, type SignedTreeHead } from "../../src/audit/mod.js";
import type { Ed25519Signer } from "../../src/crypto/mod.js";
import type { Logger } from "../../src/log/mod.js";
import { STREAMS, subjects } from "../../src/nats/mod.js";
import { pb } from "../../src/proto/mod.js";
import type { AuditEngine } from "./engine.js";

export interface HeadIssuerDeps {
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly signer: Ed25519Signer;
  readonly engine: AuditEngine;
  readonly log: Logger;
  readonly now?: () => number;
}

export class HeadIssuer {
  readonly #d: HeadIssuerDeps;
  readonly #now: () => number;
  #last: SignedTreeHead | undefined;
  // Recently issued heads by size, so the pages of one export all name the same head.
  readonly #bySize = new Map<number, SignedTreeHead>();
  #timer: NodeJS.Timeout | undefined;
  #signing: Promise<unknown> = Promise.resolve();
  #sub: Subscription | undefined;

  constructor(d: HeadIssuerDeps) {
    this.#d = d;
    this.#now = d.now ?? Date.now;
  }

  /**
   * Follows AUDIT_HEADS (heads any replica publishes arrive on its subject) after reading the
   * last one stored, so `latest()` answers from memory.
   */
  async follow(): Promise<void> {
    this.#sub = this.#d.nc.subscribe(subjects.auditHeads, {
      callback: (err, m) => {
        if (err) return;
        try {
          this.#offer(treeHeadFromProto(pb.TreeHead.decode(m.data)));
        } catch (e) {
          this.#d.log.warn({ err: e }, "a message on the heads subject is not a TreeHead");
        }
      },
    });
    const m = await this.#d.jsm.streams.getMessage(STREAMS.AUDIT_HEADS.name, { last_by_subj: subjects.auditHeads });
    if (m) this.#offer(treeHeadFromProto(pb.TreeHead.decode(m.data)));
  }

  /** The latest head (whoever signed it), or undefined before the first. */
  latest(): SignedTreeHead | undefined {
    return this.#last;
  }

  #offer(h: SignedTreeHead): void {
    if (!this.#last || h.treeSize > this.#last.treeSize || (h.treeSize === this.#last.treeSize && h.timestampMs > this.#last.timestampMs)) this.#remember(h);
  }

  /** Signs a head of the committed tree (or of an earlier committed size) and publishes it. */
  sign(size = this.#d.engine.stableSize): Promise<SignedTreeHead> {
    // One at a time, so timestamps and the stream's order agree.
    const next = this.#signing.then(async () => {
      const tree = this.#d.engine.state.tree;
      const ts = Math.max(this.#now(), this.#last?.timestampMs ?? 0);
      const head = signTreeHead(this.#d.signer, size, tree.rootAt(size), ts);
      if (size >= (this.#last?.treeSize ?? 0)) {
        await this.#d.js.publish(subjects.auditHeads, pb.TreeHead.encode(treeHeadToProto(head)).finish(), { expect: { streamName: STREAMS.AUDIT_HEADS.name } });
        this.#offer(head);
      }
      this.#bySize.set(size, head);
      return head;
    });
    this.#signing = next.catch(() => undefined);
    return next;
  }

  /** A head of exactly `size` leaves: one issued recently, or a new one. */
  async forSize(size: number): Promise<SignedTreeHead> {
    return this.#bySize.get(size) ?? (await this.sign(size));
  }

  /** Every interval, the appender signs a head if the tree grew since the last one. */
  start(intervalMs: number): void {
    const tick = async () => {
      const e = this.#d.engine;
      if (e.role !== "leader") return;
      if (this.#last && this.#last.treeSize === e.stableSize) return;
      await this.sign();
    };
    this.#timer = setInterval(() => {
      tick().catch((err: unknown) => this.#d.log.warn({ err }, "could not issue a tree head"));
    }, intervalMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#sub?.unsubscribe();
    await this.#signing;
  }

  #remember(h: SignedTreeHead): void {
    this.#last = h;
    this.#bySize.set(h.treeSize, h);
    if (this.#bySize.size > 64) this.#bySize.delete(this.#bySize.keys().next().value as number);
  }
}
