// Keeps a durable consumer's messages in stream order across deliveries lost in transit, as when
// the node leading the consumer dies with messages on their way to us. Why this design (weighed
// against stamping the SUBMIT sequence on routed copies and sorting inboxes below a horizon):
//
// - nats-server (v2.15 consumer.go `deliverMsg`, `replicateDeliveries`) numbers every delivery of a
//   consumer (the delivery sequence, new for a redelivery too) and, on a replicated consumer, sends
//   a message only once its delivery is committed, so a new leader continues after every delivery
//   the old one sent. To the one client of a durable, a jump in delivery sequences is therefore
//   the exact sign that deliveries were lost on the way; they come back after the ack wait
//   (`checkPending`), behind what the new leader delivered since.
// - The consumer's ack floor (`moveAckFloor`, keyed on each pending message's original delivery
//   sequence) is the stream sequence below which everything is acknowledged. A message held here
//   stays pending (kept alive with in-progress acks), so once the floor reaches it, everything
//   before it was handled: no count of what was lost is needed, and a jump that lost nothing (a
//   redelivery of something already handled) costs one look at the floor.
// - Holding cannot block what it waits for: the server sends redeliveries before it checks
//   max_ack_pending (`getNextMsg`), so held messages filling the consumer's pending do not stop them.
//
// - The floor can lag behind what is handled: the server moves it only on the ack of the message
//   right above it by original delivery sequence (`moveAckFloor`), and looks for the next pending
//   message only up to what it had delivered by then. After lost deliveries came again, the floor
//   can stop just below a gap of stream sequences that are not ours (another member's inbox) while
//   everything of ours below the held messages is handled; with the held ones pending, nothing
//   moves it again. So the consumer's count of unacknowledged messages is read too: when it is no
//   more than the messages held when it was asked, those are all that is pending, and everything
//   before them was handled (first deliveries come in stream order, redeliveries are of pending ones).
//
// So messages after a jump are held until the floor, or the count of what is pending, shows
// everything before them handled, and then handed over in stream order. Every hop that keeps order this way (the exchange on SUBMIT,
// an access point on INBOX) stores in order, so its readers see arrival order as the true order
// and cursor paging needs no horizon. The cost is a wait of at most the ack wait (plus a poll),
// only after a loss, only for the lane that lost something.
//
// A hold has an upper limit (`maxHoldMs`): a message before the hold point that keeps failing, or
// an ack floor that cannot be read (an election), would otherwise hold every later message of the
// lane (a SUBMIT lane is shared by all members). Past it, what is held is released in stream order
// anyway (the caller warns and counts it). Deliveries of a held message that were replaced by a
// later delivery while it was held were never handed to a handler: `handlingDeliveries` leaves
// them out, so they do not count towards a poison message's limit.

/** What the gate reads of a message: its delivery metadata (a JsMsg's `info`). */
export interface Sequenced {
  readonly info: { readonly streamSequence: number; readonly deliverySequence: number; readonly deliveryCount: number };
}

/** Where the consumer stood when we started: its last delivery, and whether any is still unacknowledged. */
export interface ConsumerStart {
  readonly deliveredSeq: number;
  readonly ackPending: number;
}

/** What bounds a hold: past `maxHoldMs` held messages are released in stream order anyway. */
export interface HoldLimit {
  readonly maxHoldMs?: number;
  readonly now?: () => number;
}

/** The consumer's state read for a release: its ack floor and how many messages wait for an ack. */
export interface ConsumerAckState {
  readonly ackFloor: number;
  readonly ackPending: number;
}

/** What the gate held when the consumer's state was asked for (`asking()`), to read the answer against. */
export interface HeldWhenAsked {
  readonly count: number;
  readonly highest: number;
}

/** Deliveries passed over while held are remembered for at most this many messages (oldest forgotten first). */
const MAX_UNCOUNTED = 10_000;

export class InOrderGate<M extends Sequenced> {
  #lastDelivery: number;
  /** A jump was seen; the next first delivery marks where what was lost ends. */
  #gap: boolean;
  /** Ascending stream sequences: everything below each must be acknowledged before it is handed over. */
  readonly #bounds: number[] = [];
  readonly #held = new Map<number, { msg: M; since: number }>();
  readonly #now: () => number;
  readonly #maxHoldMs: number;
  /** Per stream sequence: deliveries of it that were held and replaced by a later one (never handled). */
  readonly #uncounted = new Map<number, number>();
  /** Longest time a message was held back, ms: of all, and of those the last release handed over. */
  longestHoldMs = 0;
  lastReleaseHeldMs = 0;
  /** Messages the last release handed over because the hold had lasted `maxHoldMs` (not because the floor moved). */
  lastReleaseForced = 0;

  constructor(start: ConsumerStart, limit: HoldLimit | (() => number) = {}) {
    const l = typeof limit === "function" ? { now: limit } : limit;
    this.#lastDelivery = start.deliveredSeq;
    // Unacknowledged deliveries of an earlier run come again after the ack wait: as if lost.
    this.#gap = start.ackPending > 0;
    this.#now = l.now ?? Date.now;
    this.#maxHoldMs = l.maxHoldMs ?? Number.POSITIVE_INFINITY;
  }

  /**
   * How many deliveries of this message were handed to a handler, this one included: its delivery
   * count less the deliveries that were held and replaced by a later one while held.
   */
  handlingDeliveries(msg: M): number {
    return msg.info.deliveryCount - (this.#uncounted.get(msg.info.streamSequence) ?? 0);
  }

  /** Forgets what was passed over for a message that is settled (acknowledged or given up). */
  settled(msg: M): void {
    this.#uncounted.delete(msg.info.streamSequence);
  }

  /** Messages held back, to be kept alive (in-progress acks). */
  held(): M[] {
    return [...this.#held.values()].map((h) => h.msg);
  }

  get holding(): boolean {
    return this.#held.size > 0;
  }

  get size(): number {
    return this.#held.size;
  }

  /** Takes a delivered message: returns it if it may be handled now, or [] if it is held back. */
  take(msg: M): M[] {
    const { streamSequence: seq, deliverySequence: dseq, deliveryCount } = msg.info;
    if (dseq > this.#lastDelivery + 1) this.#gap = true;
    this.#lastDelivery = Math.max(this.#lastDelivery, dseq);
    // First deliveries come in stream order, so what was lost before one lies below it.
    if (this.#gap && deliveryCount === 1) {
      this.#gap = false;
      if (seq > (this.#bounds.at(-1) ?? 0)) this.#bounds.push(seq);
    }
    const bound = this.#bounds[0];
    if (bound === undefined || seq < bound) return [msg];
    // Held, or held again (a redelivery of a held one, whose in-progress ack came too late): the
    // latest delivery is kept, and the one it replaces was never handled.
    const before = this.#held.get(seq);
    if (before && msg.info.deliveryCount > before.msg.info.deliveryCount) {
      this.#uncounted.set(seq, (this.#uncounted.get(seq) ?? 0) + msg.info.deliveryCount - before.msg.info.deliveryCount);
      if (this.#uncounted.size > MAX_UNCOUNTED) this.#uncounted.delete(this.#uncounted.keys().next().value as number);
    }
    this.#held.set(seq, { msg, since: before?.since ?? this.#now() });
    return [];
  }

  /** Called right before asking the consumer's state: what is held now, for `release`. */
  asking(): HeldWhenAsked {
    let highest = 0;
    for (const seq of this.#held.keys()) highest = Math.max(highest, seq);
    return { count: this.#held.size, highest };
  }

  /**
   * With the consumer's ack floor (a stream sequence; undefined when it could not be read), or its
   * state read after `asking()`: the held messages that may now be handled, in stream order. Those
   * held `maxHoldMs` or longer are released anyway, with everything held before them
   * (lastReleaseForced counts what the consumer's state alone would not have released).
   */
  release(ackFloor?: number | ConsumerAckState, asked?: HeldWhenAsked): M[] {
    const state = typeof ackFloor === "number" ? { ackFloor, ackPending: undefined } : ackFloor;
    if (state !== undefined) while (this.#bounds[0] !== undefined && this.#bounds[0] <= state.ackFloor + 1) this.#bounds.shift();
    // Nothing pending but what was held when asked: everything before the held messages is handled.
    if (state?.ackPending !== undefined && asked !== undefined && asked.count > 0 && state.ackPending === asked.count) {
      while (this.#bounds[0] !== undefined && this.#bounds[0] <= asked.highest) this.#bounds.shift();
    }
    const now = this.#now();
    const byFloor = this.#bounds[0] ?? Number.POSITIVE_INFINITY;
    let limit = byFloor;
    // The newest held message whose hold has lasted too long: it and all before it go.
    let overdue = -1;
    for (const [seq, h] of this.#held) if (now - h.since >= this.#maxHoldMs && seq > overdue) overdue = seq;
    if (overdue >= limit) {
      while (this.#bounds[0] !== undefined && this.#bounds[0] <= overdue) this.#bounds.shift();
      limit = this.#bounds[0] ?? Number.POSITIVE_INFINITY;
    }
    const out = [...this.#held].filter(([seq]) => seq < limit).sort((a, b) => a[0] - b[0]);
    this.lastReleaseHeldMs = 0;
    this.lastReleaseForced = 0;
    for (const [seq, h] of out) {
      this.#held.delete(seq);
      if (seq >= byFloor) this.lastReleaseForced++;
      this.lastReleaseHeldMs = Math.max(this.lastReleaseHeldMs, now - h.since);
    }
    this.longestHoldMs = Math.max(this.longestHoldMs, this.lastReleaseHeldMs);
    return out.map(([, h]) => h.msg);
  }

  /** Drops what is held (on stop): not acknowledged, so the server delivers it again. */
  clear(): void {
    this.#held.clear();
    this.#uncounted.clear();
  }
}
