// Emitting audit events (Reg. 2018/1862 Art. 12 fields: time, authority, user, action, object,
// search data as blind-index references, purpose, outcome). Events are batched into one AUDIT
// message per burst; each batch is published with a Nats-Msg-Id so a retry never duplicates, and
// emit() resolves only once JetStream has stored the batch: callers ack their work after that.
// A batch holds at most maxBatch events and maxBatchBytes bytes, so it never nears max_payload.
import { setImmediate } from "node:timers";
import type { NatsConnection } from "@nats-io/nats-core";
import protobuf from "protobufjs/minimal.js";
import { newId } from "../crypto/mod.js";
import { LiaisonError } from "../errors.js";
import { JsPublisher, subjects } from "../nats/mod.js";
import { pb } from "../proto/mod.js";

export type AuditInput = Omit<pb.IAuditEvent, "action"> & { action: pb.AuditAction };

/** Bytes of one AUDIT message: far below the server's max_payload (8 MiB). */
export const AUDIT_BATCH_BYTES = 1024 * 1024;

export interface AuditEmitterOptions {
  readonly maxBatch?: number;
  readonly maxBatchBytes?: number;
  readonly now?: () => number;
  readonly attempts?: number;
}

interface Pending {
  /** The event, serialised once (field 1 of the AuditBatch it goes out in). */
  readonly bytes: Uint8Array;
  resolve(): void;
  reject(err: unknown): void;
}

/** Field 1 (events), length-delimited. */
const EVENTS_TAG = (1 << 3) | 2;

export class AuditEmitter {
  readonly source: string;
  readonly #pub: JsPublisher;
  readonly #subject: string;
  readonly #maxBatch: number;
  readonly #maxBatchBytes: number;
  readonly #now: () => number;
  readonly #attempts: number;
  #queue: Pending[] = [];
  #queuedBytes = 0;
  #scheduled = false;
  #inFlight = 0;

  constructor(nc: NatsConnection, source: string, opts: AuditEmitterOptions = {}) {
    this.source = source;
    this.#pub = new JsPublisher(nc);
    this.#subject = subjects.auditEvents(source);
    this.#maxBatch = opts.maxBatch ?? 500;
    this.#maxBatchBytes = opts.maxBatchBytes ?? AUDIT_BATCH_BYTES;
    this.#now = opts.now ?? Date.now;
    // The publisher itself waits out a stream without a leader and retries a timeout (the batch
    // has a message id); one more attempt covers a reconnect in between.
    this.#attempts = opts.attempts ?? 2;
  }

  /**
   * Completes an event with an id, the time and the emitter. The emitter is always this one: the
   * audit service accepts an event only on the subject of the emitter it names.
   */
  complete(e: AuditInput): pb.IAuditEvent {
    return {
      ...e,
      id: e.id || newId(),
      atMs: e.atMs || this.#now(),
      service: this.source,
      outcome: e.outcome || pb.AuditOutcome.AUDIT_OUTCOME_SUCCESS,
    };
  }

  /** Resolves once the event is stored in the AUDIT stream. */
  emit(e: AuditInput): Promise<void> {
    const bytes = pb.AuditEvent.encode(this.complete(e)).finish();
    // An event that could never be stored is refused at once rather than failing its batch for ever.
    if (bytes.length > this.#maxBatchBytes - 16) return Promise.reject(new LiaisonError("LIAISON_OVERSIZED", `an audit event of ${bytes.length} bytes`));
    return new Promise((resolve, reject) => {
      this.#queue.push({ bytes, resolve, reject });
      this.#queuedBytes += bytes.length + 6;
      if (this.#queue.length >= this.#maxBatch || this.#queuedBytes >= this.#maxBatchBytes) void this.#flush();
      else if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => void this.#flush());
      }
    });
  }

  async #flush(): Promise<void> {
    this.#scheduled = false;
    // As many events as fit in maxBatch and maxBatchBytes (field tag and length take at most 6 bytes).
    let n = 0;
    let size = 0;
    while (n < this.#queue.length && n < this.#maxBatch) {
      const next = (this.#queue[n] as Pending).bytes.length + 6;
      if (n > 0 && size + next > this.#maxBatchBytes) break;
      size += next;
      n++;
    }
    const batch = this.#queue.splice(0, n);
    this.#queuedBytes -= size;
    if (this.#queue.length > 0 && !this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => void this.#flush());
    }
    if (batch.length === 0) return;
    // The AuditBatch's bytes: each event as field 1, exactly as AuditBatch.encode would write it.
    const w = protobuf.Writer.create();
    for (const p of batch) w.uint32(EVENTS_TAG).bytes(p.bytes);
    const bytes = w.finish();
    // The batch id is fixed before the first attempt, so a retry after a lost ack is a duplicate;
    // it is random, so nobody can claim it first and have this batch dropped as a duplicate (the
    // stream's duplicate window is shared by every emitter). A retry in another batch after a crash
    // is caught by the audit service's own window, by emitter and event id.
    const msgID = `${this.source}.${newId()}`;
    this.#inFlight++;
    try {
      let lastErr: unknown;
      for (let attempt = 0; attempt < this.#attempts; attempt++) {
        try {
          await this.#pub.publish(this.#subject, bytes, { msgID, expectStream: "AUDIT" });
          for (const p of batch) p.resolve();
          return;
        } catch (err) {
          lastErr = err;
          await new Promise((r) => setTimeout(r, 100 * 2 ** attempt));
        }
      }
      const err = new LiaisonError("LIAISON_AUDIT_UNAVAILABLE", "audit events could not be stored", { cause: lastErr });
      for (const p of batch) p.reject(err);
    } finally {
      this.#inFlight--;
    }
  }

  /** Stops the publisher (after flush()). */
  close(): void {
    this.#pub.close();
  }

  /** A server's last word: waits until everything emitted so far is stored, then stops the publisher. */
  async end(): Promise<void> {
    await this.flush();
    this.close();
  }

  /** Waits until everything emitted so far is stored. */
  async flush(): Promise<void> {
    while (this.#queue.length > 0 || this.#inFlight > 0 || this.#scheduled) {
      if (this.#queue.length > 0 && !this.#scheduled) await this.#flush();
      else await new Promise((r) => setTimeout(r, 5));
    }
  }
}

export const AuditAction = pb.AuditAction;
export const AuditOutcome = pb.AuditOutcome;

/**
 * Logs a refused registry entry as a REFUSAL event (authority HUB: the registry is the hub's), so a
 * supervisor sees that someone wrote an entry the registry key did not sign.
 */
export function logRegistryRefusal(audit: AuditEmitter, hub: string): (code: string, err: LiaisonError) => void {
  return (code, err) =>
    void audit
      .emit({
        action: pb.AuditAction.AUDIT_ACTION_REFUSAL,
        authority: hub,
        userId: `service:${audit.source}`,
        objectType: "registry-entry",
        objectId: code,
        outcome: pb.AuditOutcome.AUDIT_OUTCOME_REFUSED,
        reasonCode: err.code,
        details: { reason: err.detail },
      })
      .catch(() => undefined);
}
