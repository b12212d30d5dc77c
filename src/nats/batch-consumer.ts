// Consumes a durable JetStream consumer in bursts: messages that arrive together are handled as one
// batch, so a service signs, audits and publishes once per burst instead of once per message.
// Batches start in arrival order; a handler must issue its publishes before its first `await`,
// which keeps the order of what it routes equal to the order it received.
import { setImmediate } from "node:timers";
import type { JetStreamClient, JsMsg } from "@nats-io/jetstream";
import type { Logger } from "../log/mod.js";

export interface BatchConsumerOptions {
  /** Most messages per batch. Smaller batches bound the wait of an urgent message behind a big one. */
  readonly maxBatch?: number;
  /** Batches being handled at once (their publishes pipeline on one connection). */
  readonly maxInFlight?: number;
  /** Messages the client buffers ahead of handling. */
  readonly buffer?: number;
  readonly log: Logger;
}

export interface BatchConsumer {
  /** Messages received and not yet handled. */
  backlog(): number;
  stop(): Promise<void>;
}

export type BatchHandler = (msgs: JsMsg[]) => Promise<void>;

export async function consumeBatches(
  js: JetStreamClient,
  stream: string,
  durable: string,
  handle: BatchHandler,
  opts: BatchConsumerOptions,
): Promise<BatchConsumer> {
  const maxBatch = opts.maxBatch ?? 128;
  const maxInFlight = opts.maxInFlight ?? 4;
  const consumer = await js.consumers.get(stream, durable);
  const buf: JsMsg[] = [];
  let inFlight = 0;
  let scheduled = false;
  let stopped = false;
  let idle: (() => void) | undefined;

  const drain = () => {
    scheduled = false;
    while (!stopped && buf.length > 0 && inFlight < maxInFlight) {
      const batch = buf.splice(0, maxBatch);
      inFlight++;
      handle(batch)
        .catch((err: unknown) => {
          opts.log.error({ err, stream, durable, size: batch.length }, "batch failed; messages will be redelivered");
          for (const m of batch) m.nak(1_000);
        })
        .finally(() => {
          inFlight--;
          if (buf.length > 0) schedule();
          else if (inFlight === 0) idle?.();
        });
    }
  };
  const schedule = () => {
    if (!scheduled) {
      scheduled = true;
      setImmediate(drain);
    }
  };

  const messages = await consumer.consume({
    max_messages: opts.buffer ?? 512,
    callback: (m) => {
      buf.push(m);
      schedule();
    },
  });
  void (async () => {
    for await (const s of messages.status()) {
      if (s.type === "heartbeats_missed" || s.type === "consumer_not_found" || s.type === "stream_not_found" || s.type === "consumer_deleted") {
        opts.log.warn({ stream, durable, status: s }, `consumer ${durable}: ${s.type}`);
      }
    }
  })();

  return {
    backlog: () => buf.length,
    stop: async () => {
      stopped = true;
      await messages.close();
      // Unhandled buffered messages are simply not acked: the server redelivers them.
      buf.length = 0;
      if (inFlight > 0) await new Promise<void>((r) => (idle = r));
    },
  };
}
