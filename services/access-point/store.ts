// The access point's own store (stream AP_<CP>): sealed copies of what it sent and received, the
// receipts and notices it verified. Nothing in it is plaintext; a message is opened on read.
// At start the access point replays the store into its in-memory index.
import { DeliverPolicy, jetstreamManager, type JetStreamClient, type JetStreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/nats-core";
import { LiaisonError } from "../../src/errors.js";
import { JsPublisher, provisionMemberStore, subjects } from "../../src/nats/mod.js";

export const STORE_KINDS = ["sent", "recv", "rcpt", "note"] as const;
export type StoreKind = (typeof STORE_KINDS)[number];

export interface StoredItem {
  readonly kind: StoreKind;
  readonly id: string;
  readonly seq: number;
  readonly data: Uint8Array;
  readonly storedAtMs: number;
}

export class ApStore {
  readonly stream: string;
  readonly #cp: string;
  readonly #js: JetStreamClient;
  readonly #jsm: JetStreamManager;
  readonly #pub: JsPublisher;

  private constructor(cp: string, js: JetStreamClient, jsm: JetStreamManager, pub: JsPublisher) {
    this.#cp = cp;
    this.stream = `AP_${cp}`;
    this.#js = js;
    this.#jsm = jsm;
    this.#pub = pub;
  }

  /** Opens the store in the member's own account, creating it on first start. */
  static async open(nc: NatsConnection, js: JetStreamClient, cp: string, replicas = 1): Promise<ApStore> {
    await provisionMemberStore(nc, cp, { replicas });
    return new ApStore(cp, js, await jetstreamManager(nc, { checkAPI: false }), new JsPublisher(nc));
  }

  /** Appends durably; the Nats-Msg-Id makes a retry (or a redelivered inbox item) a no-op. */
  async append(kind: StoreKind, id: string, data: Uint8Array): Promise<number> {
    const ack = await this.#pub.publish(subjects.apStore(this.#cp, kind, id), data, { msgID: `${kind}.${id}`, expectStream: this.stream });
    return ack.seq;
  }

  async get(seq: number): Promise<Uint8Array> {
    const m = await this.#jsm.direct.getMessage(this.stream, { seq });
    if (!m) throw new LiaisonError("LIAISON_NOT_FOUND", `store item ${seq}`);
    return m.data;
  }

  close(): void {
    this.#pub.close();
  }

  /** Calls `each` for every stored item, oldest first. */
  async replay(each: (item: StoredItem) => void): Promise<number> {
    const info = await this.#jsm.streams.info(this.stream);
    const last = info.state.last_seq;
    if (info.state.messages === 0) return 0;
    const consumer = await this.#js.consumers.get(this.stream, { deliver_policy: DeliverPolicy.All });
    const iter = await consumer.consume({ max_messages: 1_000 });
    let n = 0;
    for await (const m of iter) {
      const parts = m.subject.split(".");
      const kind = parts[4] as StoreKind;
      const id = parts.slice(5).join(".");
      if (STORE_KINDS.includes(kind) && id) {
        each({ kind, id, seq: m.seq, data: m.data, storedAtMs: Math.floor(m.info.timestampNanos / 1e6) });
        n++;
      }
      if (m.seq >= last || m.info.pending === 0) break;
    }
    await iter.close();
    return n;
  }
}
