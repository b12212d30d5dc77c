// Consumes durable JetStream consumers in bursts: messages that arrive together are handled as one
// batch, so a service signs, audits and publishes once per burst instead of once per message.
// Several consumers can share one scheduler as lanes in priority order (urgent before normal): a
// waiting urgent batch always goes next, so urgent traffic never queues behind a normal backlog.
// Batches start in arrival order; a handler must issue its publishes before its first `await`,
// which keeps the order of what it stores and routes equal to the order it received.
import { setImmediate } from "node:timers";
import type { ConsumerMessages, JetStreamClient, JsMsg } from "@nats-io/jetstream";
import type { Counter } from "prom-client";
import type { Logger } from "../log/mod.js";
import type { ServiceMetrics } from "../metrics/mod.js";
import { InOrderGate, type ConsumerAckState } from "./in-order.js";

/** How long one pull request waits for messages before it is renewed. */
export const PULL_EXPIRES_MS = 10_000;

export interface BatchConsumerOptions {
  /** Most messages per batch. Smaller batches bound the wait of an urgent message behind a big one. */
  readonly maxBatch?: number;
  /** Batches being handled at once (their publishes pipeline on one connection). */
  readonly maxInFlight?: number;
  /** Messages the client buffers ahead of handling, per lane. */
  readonly buffer?: number;
  /**
   * Keep each lane in order through failures: a lane handles one batch at a time, and a batch whose
   * handler fails is handled again in place (its messages kept from redelivery meanwhile) before
   * anything after it, up to `retryAttempts` times, instead of being sent back to the server, which
   * would redeliver it behind what came since. For a handler whose failures pass (a store without a
   * leader during a node's loss); a batch still failing after the attempts goes back as before.
   */
  readonly ordered?: boolean;
  /**
   * Keep each lane in stream order across deliveries lost in transit (the node leading the consumer
   * died with them on their way; the server sends them again only after the ack wait, behind what
   * came since): after a jump in delivery sequences, later messages are held, kept alive with
   * in-progress acks, until the consumer's ack floor shows everything before them handled (see
   * in-order.ts). For a lane whose durable has this one client.
   */
  readonly inStreamOrder?: boolean;
  /**
   * With `inStreamOrder`: the longest a message is held back, ms (default: twice the consumer's ack
   * wait). Past it, what is held is released in stream order anyway, with a warning and a count
   * (`liaison_order_hold_released_total`): a message before it that keeps failing, or an ack floor
   * that cannot be read, must not hold the lane for ever.
   */
  readonly maxHoldMs?: number;
  /** The service's metrics, where `liaison_order_hold_released_total` is counted. */
  readonly metrics?: ServiceMetrics;
  /** With `ordered`: attempts before a failing batch is sent back (default 12, about a minute). */
  readonly retryAttempts?: number;
  /**
   * Poison messages: one delivered more often than this is not handed to the handler again but to
   * `onPoison`, which logs its refusal and terminates it (`term()`), so it stops coming back. With
   * `inStreamOrder`, deliveries made while a message was held back (and replaced by a later one)
   * do not count: only those handed to the handler.
   */
  readonly maxDeliveries?: number;
  /** Takes messages past `maxDeliveries`; must settle each (term, or nak to try again later). Default: log and term. */
  readonly onPoison?: (msgs: JsMsg[]) => Promise<void>;
  readonly log: Logger;
}

/** Delay of a message's next delivery after its handling failed: growing with its deliveries, 1 s to 30 s. */
export function redeliveryDelayMs(deliveryCount: number): number {
  return Math.min(30_000, 1_000 * 2 ** Math.max(0, deliveryCount - 1));
}

/** With `inStreamOrder`, while a lane holds messages back: how often its ack floor is read, and its held messages kept alive. */
const FLOOR_POLL_MS = 250;
const KEEP_ALIVE_MS = 3_000;
/** The server's ack wait when a consumer sets none (30 s), in nanoseconds. */
const DEFAULT_ACK_WAIT_NS = 30e9;

/** The last releases of held messages in this process: when, which lane, and the longest they had waited. */
const releases: Array<{ atMs: number; lane: string; heldMs: number }> = [];
/**
 * With `inStreamOrder`, per "stream/durable" consumed in this process: how often held messages were
 * released since `sinceMs`, and the longest time one of them had been held back to keep stream order, ms.
 */
export function longestHoldsMs(sinceMs = 0): Record<string, { longestMs: number; releases: number }> {
  const out: Record<string, { longestMs: number; releases: number }> = {};
  for (const r of releases) {
    if (r.atMs < sinceMs) continue;
    const o = (out[r.lane] ??= { longestMs: 0, releases: 0 });
    o.longestMs = Math.max(o.longestMs, r.heldMs);
    o.releases++;
  }
  return out;
}

/** The counter of messages released by the hold limit, one per registry (a service may consume several lanes). */
const holdReleased = new WeakMap<ServiceMetrics, Counter<string>>();
function holdReleasedCounter(metrics: ServiceMetrics | undefined): Counter<string> | undefined {
  if (!metrics) return undefined;
  let c = holdReleased.get(metrics);
  if (!c) {
    c = metrics.counter("liaison_order_hold_released_total", "Messages held back to keep stream order and released by the hold limit, before what they waited for was handled", ["stream", "durable"]);
    holdReleased.set(metrics, c);
  }
  return c;
}

/** Pause before handling a failed batch again (ordered lanes): 1 s, doubling, at most 5 s. */
const retryPauseMs = (attempt: number) => Math.min(5_000, 1_000 * 2 ** (attempt - 1));

export interface BatchConsumer {
  /** Messages received and not yet handled (held back to keep order included). */
  backlog(): number;
  stop(): Promise<void>;
}

export type BatchHandler = (msgs: JsMsg[]) => Promise<void>;

export interface Lane {
  readonly stream: string;
  readonly durable: string;
  readonly handle: BatchHandler;
}

/** Consumes several durable consumers; `lanes` come in priority order, highest first. */
export async function consumeLanes(js: JetStreamClient, lanes: readonly Lane[], opts: BatchConsumerOptions): Promise<BatchConsumer> {
  const maxBatch = opts.maxBatch ?? 128;
  const maxInFlight = opts.maxInFlight ?? 4;
  const ordered = opts.ordered ?? false;
  const retryAttempts = opts.retryAttempts ?? 12;
  const maxDeliveries = opts.maxDeliveries;
  const released = holdReleasedCounter(opts.metrics);
  const givePoison = async (lane: Lane, msgs: JsMsg[]): Promise<void> => {
    opts.log.error({ stream: lane.stream, durable: lane.durable, seqs: msgs.map((m) => m.info.streamSequence), maxDeliveries }, "giving up messages delivered too often (poison)");
    try {
      if (opts.onPoison) await opts.onPoison(msgs);
      else for (const m of msgs) m.term("delivered too often");
    } catch (err) {
      opts.log.error({ err, stream: lane.stream, durable: lane.durable }, "could not give up poison messages; they come back later");
      for (const m of msgs) m.nak(redeliveryDelayMs(m.info.deliveryCount));
    }
  };
  const bufs: JsMsg[][] = lanes.map(() => []);
  // Ordered lanes: whether a batch of the lane is being handled (or waits to be handled again).
  const busy: boolean[] = lanes.map(() => false);
  let inFlight = 0;
  let scheduled = false;
  let stopped = false;
  let idle: (() => void) | undefined;

  const schedule = () => {
    if (!scheduled) {
      scheduled = true;
      setImmediate(drain);
    }
  };
  const settled = () => {
    inFlight--;
    if (bufs.some((b) => b.length > 0)) schedule();
    else if (inFlight === 0) idle?.();
  };
  // Ordered: handles `batch` until it succeeds, pausing between attempts, then frees the lane.
  async function handleInOrder(i: number, lane: Lane, batch: JsMsg[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await lane.handle(batch);
        return;
      } catch (err) {
        if (stopped) return; // not acked: redelivered to whoever consumes next
        if (attempt >= retryAttempts) {
          opts.log.error({ err, stream: lane.stream, durable: lane.durable, size: batch.length, attempt }, "batch keeps failing; sent back for redelivery");
          for (const m of batch) m.nak(1_000);
          return;
        }
        opts.log.warn({ err, stream: lane.stream, durable: lane.durable, size: batch.length, attempt }, "batch failed; handling it again before anything after it");
        const pause = retryPauseMs(attempt);
        // Keep the server from redelivering it meanwhile (and the buffered ones behind it).
        for (const m of [...batch, ...(bufs[i] ?? [])]) m.working();
        await new Promise((r) => setTimeout(r, pause));
        if (stopped) return;
      }
    }
  }
  function drain(): void {
    scheduled = false;
    while (!stopped && inFlight < maxInFlight) {
      const i = bufs.findIndex((b, k) => b.length > 0 && !(ordered && busy[k]));
      if (i < 0) break;
      const lane = lanes[i] as Lane;
      const taken = (bufs[i] as JsMsg[]).splice(0, maxBatch);
      const gate = laneGates[i];
      // Only deliveries handed to the handler count (not those made while a message was held back).
      const poison = maxDeliveries === undefined ? [] : taken.filter((m) => (gate ? gate.handlingDeliveries(m) : m.info.deliveryCount) > maxDeliveries);
      if (poison.length > 0) {
        for (const m of poison) gate?.settled(m);
        void givePoison(lane, poison);
      }
      const batch = poison.length > 0 ? taken.filter((m) => !poison.includes(m)) : taken;
      if (batch.length === 0) continue;
      inFlight++;
      if (ordered) {
        busy[i] = true;
        void handleInOrder(i, lane, batch).finally(() => {
          for (const m of batch) gate?.settled(m);
          busy[i] = false;
          settled();
        });
        continue;
      }
      lane
        .handle(batch)
        .then(() => {
          for (const m of batch) gate?.settled(m);
        })
        .catch(async (err: unknown) => {
          // One bad message must not hold the others: each is handled alone, and only the ones
          // that fail alone go back (to be given up as poison after maxDeliveries).
          opts.log.error({ err, stream: lane.stream, durable: lane.durable, size: batch.length }, "batch failed; handling its messages one by one");
          for (const m of batch) {
            if (batch.length > 1) {
              try {
                await lane.handle([m]);
                continue;
              } catch (e) {
                opts.log.error({ err: e, stream: lane.stream, durable: lane.durable, seq: m.info.streamSequence }, "message failed; it will be redelivered");
              }
            }
            m.nak(redeliveryDelayMs(m.info.deliveryCount));
          }
        })
        .finally(settled);
    }
  }

  const subscriptions: ConsumerMessages[] = [];
  const gates: Array<InOrderGate<JsMsg>> = [];
  const laneGates: Array<InOrderGate<JsMsg> | undefined> = lanes.map(() => undefined);
  const timers: NodeJS.Timeout[] = [];
  for (const [i, lane] of lanes.entries()) {
    const consumer = await js.consumers.get(lane.stream, lane.durable);
    let gate: InOrderGate<JsMsg> | undefined;
    if (opts.inStreamOrder) {
      const ci = await consumer.info(true);
      const maxHoldMs = opts.maxHoldMs ?? 2 * Math.ceil((ci.config.ack_wait ?? DEFAULT_ACK_WAIT_NS) / 1e6);
      const g = new InOrderGate<JsMsg>({ deliveredSeq: ci.delivered.consumer_seq, ackPending: ci.num_ack_pending }, { maxHoldMs });
      gate = g;
      gates.push(g);
      laneGates[i] = g;
      let polling = false;
      let keptAlive = Date.now();
      let failingSince = 0;
      let warned = 0;
      const timer = setInterval(() => {
        if (polling || !g.holding) return;
        polling = true;
        void (async () => {
          if (Date.now() - keptAlive >= KEEP_ALIVE_MS) {
            keptAlive = Date.now();
            for (const m of g.held()) m.working();
          }
          // Without an ack floor (no leader to answer), only the hold limit can release anything.
          let floor: ConsumerAckState | undefined;
          let unread: unknown;
          const asked = g.asking();
          try {
            const ci = await consumer.info();
            floor = { ackFloor: ci.ack_floor.stream_seq, ackPending: ci.num_ack_pending };
          } catch (err) {
            unread = err;
          }
          const out = g.release(floor, asked);
          if (out.length > 0 && !stopped) {
            const heldMs = g.lastReleaseHeldMs;
            releases.push({ atMs: Date.now(), lane: `${lane.stream}/${lane.durable}`, heldMs });
            if (releases.length > 1_000) releases.shift();
            if (g.lastReleaseForced > 0) {
              released?.inc({ stream: lane.stream, durable: lane.durable }, g.lastReleaseForced);
              opts.log.warn(
                { stream: lane.stream, durable: lane.durable, released: out.length, forced: g.lastReleaseForced, heldMs, maxHoldMs },
                "messages held back past the hold limit are handled in stream order, before what they waited for",
              );
            } else opts.log.info({ stream: lane.stream, durable: lane.durable, released: out.length, heldMs }, "messages held back after a lost delivery are handled, in stream order");
            bufs[i]?.push(...out);
            schedule();
          }
          if (unread !== undefined) throw unread;
        })()
          .then(() => (failingSince = 0))
          // No leader to answer (an election): asked again at the next tick, said once every 10 s.
          .catch((err: unknown) => {
            const now = Date.now();
            if (failingSince === 0 || now - warned >= 10_000) {
              warned = now;
              opts.log.warn({ err, stream: lane.stream, durable: lane.durable, heldMs: failingSince ? now - failingSince : 0 }, "could not read the consumer's ack floor; what is held back waits");
            }
            failingSince ||= now;
          })
          .finally(() => (polling = false));
      }, FLOOR_POLL_MS);
      timer.unref();
      timers.push(timer);
    }
    const messages = await consumer.consume({
      max_messages: opts.buffer ?? 512,
      // Pulls expire after 10 s (heartbeats every 5 s): when the path to the stream breaks without
      // this connection noticing (a member's leaf node losing the hub, a server restart behind it),
      // the missed heartbeats renew the pull within seconds, not the default half minute.
      expires: PULL_EXPIRES_MS,
      callback: (m) => {
        const now = gate ? gate.take(m) : [m];
        if (now.length === 0) return;
        bufs[i]?.push(...now);
        schedule();
      },
    });
    subscriptions.push(messages);
    void (async () => {
      for await (const s of messages.status()) {
        if (s.type === "heartbeats_missed" || s.type === "consumer_not_found" || s.type === "stream_not_found" || s.type === "consumer_deleted") {
          opts.log.warn({ stream: lane.stream, durable: lane.durable, status: s }, `consumer ${lane.durable}: ${s.type}`);
        }
      }
    })();
  }

  return {
    backlog: () => bufs.reduce((n, b) => n + b.length, 0) + gates.reduce((n, g) => n + g.size, 0),
    stop: async () => {
      stopped = true;
      for (const t of timers) clearInterval(t);
      for (const g of gates) g.clear();
      await Promise.all(subscriptions.map((s) => s.close()));
      // Unhandled buffered messages are simply not acked: the server redelivers them.
      for (const b of bufs) b.length = 0;
      if (inFlight > 0) await new Promise<void>((r) => (idle = r));
    },
  };
}

/** One durable consumer, handled in batches. */
export function consumeBatches(js: JetStreamClient, stream: string, durable: string, handle: BatchHandler, opts: BatchConsumerOptions): Promise<BatchConsumer> {
  return consumeLanes(js, [{ stream, durable, handle }], opts);
}
