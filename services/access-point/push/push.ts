// Pushes an access point's events to its national back office, so it need not poll: each event is
// stored in the push log first, then handed to live GET /v1/events streams and, when a webhook is
// configured, POSTed to it signed, retried with exponential backoff and jitter up to a limit. A
// delivery's state is logged after each attempt; at start the pending ones are taken up again.
import { EventEmitter } from "node:events";
import { readFileSync } from "node:fs";
import { isoRequired, type PushEventOut, type PushEventType } from "../../../src/api/mod.js";
import { LiaisonError } from "../../../src/errors.js";
import type { Logger } from "../../../src/log/mod.js";
import type { Mailbox } from "../mailbox.js";
import { messageEvent, noticeEvent, receiptEvent, type NewPushEvent } from "./events.js";
import type { DeliveryRecord, PushLog } from "./log.js";
import { SIGNATURE_HEADER, signatureHeader } from "./signature.js";

/** The latest attempts a delivery record keeps. */
const KEPT_ATTEMPTS = 10;
/** Delivery records held in memory, newest kept: the log holds no more than this either. */
const KEPT_DELIVERIES = 10_000;
/** An HMAC key shorter than this is refused at start. */
export const MIN_SECRET_LENGTH = 32;

export interface WebhookSettings {
  readonly url: string;
  readonly secret: string;
  readonly events: readonly PushEventType[];
  readonly maxAttempts: number;
  readonly retryBaseMs: number;
  readonly maxDelayMs: number;
  readonly timeoutMs: number;
}

/** Reads the webhook's secret file (one line); refuses a short secret. */
export function readWebhookSecret(path: string): string {
  let secret: string;
  try {
    secret = readFileSync(path, "utf8").trim();
  } catch (err) {
    throw new LiaisonError("LIAISON_CONFIG_INVALID", `cannot read the webhook secret file ${path}`, { cause: err });
  }
  if (secret.length < MIN_SECRET_LENGTH) throw new LiaisonError("LIAISON_CONFIG_INVALID", `the webhook secret in ${path} is shorter than ${MIN_SECRET_LENGTH} characters`);
  return secret;
}

/** Delay before attempt n+1 after n failed: base·2^(n−1), at most maxDelay, then between half and all of it (jitter). */
export function retryDelayMs(failed: number, baseMs: number, maxDelayMs: number, random: () => number = Math.random): number {
  const d = Math.min(maxDelayMs, baseMs * 2 ** Math.max(0, failed - 1));
  return Math.round(d / 2 + (random() * d) / 2);
}

export interface PushDeps {
  readonly mailbox: Mailbox;
  readonly log: PushLog;
  readonly logger: Logger;
  readonly webhook?: WebhookSettings | undefined;
  readonly now: () => number;
}

export type PushEvents = { event: [PushEventOut] };

export class Push extends EventEmitter<PushEvents> {
  readonly #d: PushDeps;
  readonly #deliveries = new Map<string, DeliveryRecord>();
  readonly #timers = new Map<string, NodeJS.Timeout>();
  readonly #inFlight = new Map<string, Promise<void>>();
  readonly #abort = new AbortController();
  #stopped = false;
  readonly #listeners: Array<() => void> = [];

  constructor(d: PushDeps) {
    super();
    this.setMaxListeners(0);
    this.#d = d;
  }

  get webhookConfigured(): boolean {
    return this.#d.webhook !== undefined;
  }

  /**
   * Takes up the log's pending deliveries, then follows the mailbox. Call it before mailbox.start():
   * what the inbox holds is taken as soon as the mailbox starts, and must not go by unheard; what
   * the mailbox emits while it reads its store back (before "replayed") is not news and is ignored.
   */
  async start(): Promise<void> {
    const due: DeliveryRecord[] = [];
    await this.#d.log.read(0, (item) => {
      if (item.kind === "delivery") this.#remember(item.delivery);
      else if (item.forWebhook && !this.#deliveries.has(item.event.id)) due.push(this.#newDelivery(item.event));
    });
    // Stored for the webhook, never attempted (a stop came first): due now.
    for (const d of due) if (!this.#deliveries.has(d.id)) this.#remember(d);
    const m = this.#d.mailbox;
    let live = m.replayed;
    const onReplayed = () => {
      live = true;
    };
    const onDelivered = (e: Parameters<typeof messageEvent>[0]) => {
      if (live) this.#record(messageEvent(e, this.#d.now()));
    };
    const onReceipt = (e: Parameters<typeof receiptEvent>[0], r: Parameters<typeof receiptEvent>[1]) => {
      if (live) this.#record(receiptEvent(e, r, this.#d.now()));
    };
    const onNotice = (n: Parameters<typeof noticeEvent>[0]) => {
      if (live) this.#record(noticeEvent(n, this.#d.now()));
    };
    m.once("replayed", onReplayed);
    m.on("delivered", onDelivered);
    m.on("receipt", onReceipt);
    m.on("notice", onNotice);
    this.#listeners.push(
      () => m.off("replayed", onReplayed),
      () => m.off("delivered", onDelivered),
      () => m.off("receipt", onReceipt),
      () => m.off("notice", onNotice),
    );
    if (this.#d.webhook) for (const d of this.#deliveries.values()) if (d.state === "pending") this.#schedule(d);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    for (const off of this.#listeners) off();
    for (const t of this.#timers.values()) clearTimeout(t);
    this.#timers.clear();
    this.#abort.abort();
    await Promise.allSettled(this.#inFlight.values());
  }

  /** Events stored after sequence `after` (for a stream resumed with Last-Event-ID), oldest first. */
  async eventsAfter(after: number, each: (e: PushEventOut) => void): Promise<number> {
    return this.#d.log.read(after, (item) => {
      if (item.kind === "event") each(item.event);
    });
  }

  /** Delivery records, newest event first. */
  deliveries(state?: DeliveryRecord["state"], limit = 100): DeliveryRecord[] {
    return [...this.#deliveries.values()]
      .filter((d) => !state || d.state === state)
      .sort((a, b) => Number(b.id) - Number(a.id))
      .slice(0, limit);
  }

  /** Tries a delivery again from its first attempt, whatever its state. */
  async replay(id: string): Promise<DeliveryRecord> {
    const d = this.#deliveries.get(id);
    if (!d) throw new LiaisonError("LIAISON_NOT_FOUND", `no webhook delivery ${id}`);
    if (!this.#d.webhook) throw new LiaisonError("LIAISON_CONFLICT", "no webhook is configured on this access point");
    await this.#inFlight.get(id);
    const { nextAttemptAtMs: _, ...rest } = d;
    const again: DeliveryRecord = { ...rest, state: "pending", attempts: 0, replays: d.replays + 1, nextAttemptAtMs: this.#d.now() };
    await this.#d.log.putDelivery(again);
    this.#remember(again);
    this.#schedule(again);
    return again;
  }

  #record(e: NewPushEvent): void {
    if (this.#stopped) return;
    const forWebhook = this.#d.webhook?.events.includes(e.event.type) ?? false;
    this.#d.log
      .append(e, forWebhook)
      .then((event) => {
        if (!event) return;
        this.emit("event", event);
        if (forWebhook && !this.#stopped) {
          const d = this.#newDelivery(event);
          this.#remember(d);
          this.#schedule(d);
        }
      })
      .catch((err: unknown) => this.#d.logger.error({ err, type: e.event.type }, "could not store an event for the back office"));
  }

  #newDelivery(event: PushEventOut): DeliveryRecord {
    return { id: event.id, state: "pending", event, attempts: 0, lastAttempts: [], replays: 0, nextAttemptAtMs: this.#d.now() };
  }

  #remember(d: DeliveryRecord): void {
    this.#deliveries.delete(d.id);
    this.#deliveries.set(d.id, d);
    if (this.#deliveries.size > KEPT_DELIVERIES) {
      const oldest = this.#deliveries.keys().next().value;
      if (oldest !== undefined) this.#deliveries.delete(oldest);
    }
  }

  #schedule(d: DeliveryRecord): void {
    clearTimeout(this.#timers.get(d.id));
    const wait = Math.max(0, (d.nextAttemptAtMs ?? 0) - this.#d.now());
    const t = setTimeout(() => {
      this.#timers.delete(d.id);
      const run = this.#attempt(d.id).finally(() => this.#inFlight.delete(d.id));
      this.#inFlight.set(d.id, run);
    }, wait);
    t.unref();
    this.#timers.set(d.id, t);
  }

  async #attempt(id: string): Promise<void> {
    const hook = this.#d.webhook;
    const d = this.#deliveries.get(id);
    if (!hook || !d || d.state !== "pending" || this.#stopped) return;
    const body = JSON.stringify(d.event);
    const started = this.#d.now();
    let status: number | undefined;
    let error: string | undefined;
    try {
      const res = await fetch(hook.url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "user-agent": "liaison-access-point",
          [SIGNATURE_HEADER]: signatureHeader(hook.secret, body, started),
          "liaison-event-id": d.event.id,
          "liaison-event-type": d.event.type,
        },
        body,
        redirect: "manual",
        signal: AbortSignal.any([AbortSignal.timeout(hook.timeoutMs), this.#abort.signal]),
      });
      status = res.status;
      await res.body?.cancel();
    } catch (err) {
      if (this.#stopped) return; // a stop is not a failed attempt: it is tried again after the start
      error = errorText(err);
    }
    const now = this.#d.now();
    const attempts = d.attempts + 1;
    const ok = status !== undefined && status >= 200 && status < 300;
    const failedForGood = !ok && attempts >= hook.maxAttempts;
    const next: DeliveryRecord = {
      id: d.id,
      event: d.event,
      replays: d.replays,
      attempts,
      state: ok ? "delivered" : failedForGood ? "failed" : "pending",
      lastAttempts: [...d.lastAttempts, { at: isoRequired(started), ms: now - started, ...(status !== undefined ? { status } : {}), ...(error ? { error } : {}) }].slice(-KEPT_ATTEMPTS),
      ...(ok || failedForGood ? {} : { nextAttemptAtMs: now + retryDelayMs(attempts, hook.retryBaseMs, hook.maxDelayMs) }),
    };
    this.#remember(next);
    try {
      await this.#d.log.putDelivery(next);
    } catch (err) {
      this.#d.logger.warn({ err, delivery: d.id }, "could not log a webhook delivery's state");
    }
    if (failedForGood) this.#d.logger.warn({ delivery: d.id, attempts }, "a webhook delivery failed every attempt; replay it with liaison webhooks replay");
    if (next.state === "pending" && !this.#stopped) this.#schedule(next);
  }
}

/** What went wrong, without the URL (it may carry a credential) or anything from the body. */
function errorText(err: unknown): string {
  const e = err as { name?: string; cause?: { code?: string } };
  if (e.name === "TimeoutError") return "timeout";
  return e.cause?.code ?? e.name ?? "error";
}
