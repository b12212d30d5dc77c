// The in-order gate (src/nats/in-order.ts): after a jump in delivery sequences (deliveries lost in
// transit), later messages wait until the consumer's ack floor shows everything before them handled.
import { describe, expect, it } from "vitest";
import { InOrderGate, type Sequenced } from "../../src/nats/in-order.js";

type M = Sequenced & { readonly id: string };
let dseq = 0;
/** A delivery of stream sequence `seq` (the next delivery sequence unless given), its `dc`-th. */
const d = (seq: number, o: { dc?: number; dseq?: number } = {}): M => {
  dseq = o.dseq ?? dseq + 1;
  return { id: `${seq}#${o.dc ?? 1}`, info: { streamSequence: seq, deliverySequence: dseq, deliveryCount: o.dc ?? 1 } };
};
const seqs = (ms: readonly M[]) => ms.map((m) => m.info.streamSequence);
const start = (deliveredSeq = 0, ackPending = 0) => {
  dseq = deliveredSeq;
  return new InOrderGate<M>({ deliveredSeq, ackPending });
};

describe("in-order gate", () => {
  it("hands over every message at once while no delivery is lost", () => {
    const g = start(40);
    for (const seq of [3, 7, 8, 20]) expect(seqs(g.take(d(seq)))).toEqual([seq]);
    expect(g.holding).toBe(false);
  });

  it("holds what comes after lost deliveries until they came again and were handled, then hands it over in stream order", () => {
    const g = start();
    for (let seq = 1; seq <= 5; seq++) expect(g.take(d(seq))).toHaveLength(1);
    // Deliveries 6..8 (stream 6..8) lost with the dead leader; the new one goes on at 9.
    expect(g.take(d(9, { dseq: 9 }))).toEqual([]);
    expect(g.take(d(10))).toEqual([]);
    expect(g.release(5)).toEqual([]);
    // The lost ones come again after the ack wait: handled at once, they are before what is held.
    for (const seq of [6, 7, 8]) expect(seqs(g.take(d(seq, { dc: 2 })))).toEqual([seq]);
    expect(g.release(7)).toEqual([]);
    expect(seqs(g.release(8))).toEqual([9, 10]);
    expect(seqs(g.take(d(11)))).toEqual([11]);
  });

  it("lets go at the first look at the ack floor when the jump lost nothing still unhandled", () => {
    const g = start(10);
    // Delivery 11 was a redelivery of stream 2, handled here before (its ack had been lost).
    expect(g.take(d(30, { dseq: 12 }))).toEqual([]);
    expect(seqs(g.release(29))).toEqual([30]);
  });

  it("keeps each stretch behind its own gap when a second loss comes while holding", () => {
    const g = start();
    g.take(d(1));
    expect(g.take(d(3, { dseq: 3 }))).toEqual([]); // stream 2 lost
    expect(g.take(d(4))).toEqual([]);
    expect(g.take(d(7, { dseq: 7 }))).toEqual([]); // stream 5, 6 lost too
    expect(seqs(g.take(d(2, { dc: 2 })))).toEqual([2]);
    // Stream 2 handled: 3 and 4 go, 7 still waits for 5 and 6.
    expect(seqs(g.release(2))).toEqual([3, 4]);
    // 5 and 6 come after 3 and 4 were handed over: they go straight behind them.
    expect(seqs(g.take(d(5, { dc: 2 })))).toEqual([5]);
    expect(seqs(g.take(d(6, { dc: 2 })))).toEqual([6]);
    expect(g.release(4)).toEqual([]);
    expect(seqs(g.release(6))).toEqual([7]);
    expect(g.holding).toBe(false);
  });

  it("keeps one copy of a held message delivered again, the latest delivery", () => {
    const g = start();
    g.take(d(1));
    g.take(d(5, { dseq: 5 }));
    g.take(d(5, { dc: 2 }));
    expect(g.held().map((m) => m.id)).toEqual(["5#2"]);
    expect(g.release(4).map((m) => m.id)).toEqual(["5#2"]);
  });

  it("treats deliveries left unacknowledged by an earlier run as lost", () => {
    const g = start(20, 3);
    expect(g.take(d(21))).toEqual([]);
    expect(g.release(17)).toEqual([]);
    expect(seqs(g.release(20))).toEqual([21]);
  });

  it("measures the longest time a message was held back", () => {
    let now = 1_000;
    dseq = 0;
    const g = new InOrderGate<M>({ deliveredSeq: 0, ackPending: 0 }, () => now);
    g.take(d(1));
    g.take(d(3, { dseq: 3 }));
    now += 250;
    g.take(d(4));
    now += 30_000;
    g.release(2);
    expect(g.longestHoldMs).toBe(30_250);
    expect(g.lastReleaseHeldMs).toBe(30_250);
  });

  it("releases what is held in stream order once the hold limit has passed, also when the ack floor cannot be read", () => {
    let now = 1_000;
    dseq = 0;
    const g = new InOrderGate<M>({ deliveredSeq: 0, ackPending: 0 }, { maxHoldMs: 60_000, now: () => now });
    g.take(d(1));
    expect(g.take(d(3, { dseq: 3 }))).toEqual([]); // stream 2 lost, and it keeps failing
    now += 10_000;
    expect(g.take(d(4))).toEqual([]);
    expect(g.release(1)).toEqual([]);
    expect(g.release()).toEqual([]);
    now += 50_000; // 3 has been held 60 s, 4 only 50 s: both go, in stream order
    expect(seqs(g.release())).toEqual([3, 4]);
    expect(g.lastReleaseForced).toBe(2);
    expect(g.holding).toBe(false);
    // What comes after is handed over at once: the hold point was given up.
    expect(seqs(g.take(d(5)))).toEqual([5]);
  });

  it("releases by the hold limit only the stretch that waited too long", () => {
    let now = 0;
    dseq = 0;
    const g = new InOrderGate<M>({ deliveredSeq: 0, ackPending: 0 }, { maxHoldMs: 1_000, now: () => now });
    g.take(d(1));
    g.take(d(3, { dseq: 3 })); // stream 2 lost
    now += 600;
    g.take(d(6, { dseq: 6 })); // stream 4, 5 lost too: a second stretch
    now += 400;
    expect(seqs(g.release(1))).toEqual([3]);
    expect(g.lastReleaseForced).toBe(1);
    expect(g.held().map((m) => m.info.streamSequence)).toEqual([6]);
    expect(seqs(g.release(5))).toEqual([6]);
    expect(g.lastReleaseForced).toBe(0);
  });

  it("counts towards poison only the deliveries handed over, not those that came while a message was held", () => {
    const g = start();
    g.take(d(1));
    const first = d(5, { dseq: 5 });
    expect(g.take(first)).toEqual([]);
    // Kept alive too late (an election): delivered twice more while held.
    g.take(d(5, { dc: 2 }));
    g.take(d(5, { dc: 3 }));
    const [released] = g.release(4);
    expect(released?.info.deliveryCount).toBe(3);
    expect(g.handlingDeliveries(released as M)).toBe(1);
    // Handled and failed: its next delivery is its second handed over.
    expect(g.handlingDeliveries(d(5, { dc: 4 }))).toBe(2);
    g.settled(released as M);
    expect(g.handlingDeliveries(d(5, { dc: 4 }))).toBe(4);
    expect(g.handlingDeliveries(d(9, { dc: 3 }))).toBe(3);
  });

  it("lets go when nothing but the held messages waits for an ack, though the ack floor stopped below a stretch that is not the consumer's", () => {
    const g = start();
    expect(g.take(d(2))).toHaveLength(1);
    expect(g.take(d(5, { dseq: 5 }))).toEqual([]); // stream 3, 4 lost in transit
    // They come again, behind deliveries lost too (sent to a pull request of the dead connection).
    expect(seqs(g.take(d(3, { dc: 2, dseq: 8 })))).toEqual([3]);
    expect(seqs(g.take(d(4, { dc: 2 })))).toEqual([4]);
    expect(seqs(g.release({ ackFloor: 4, ackPending: 1 }, g.asking()))).toEqual([5]);
    // Stream 6 is another member's. The floor stays at 5 (nats-server moves it only on the ack of the
    // delivery right above it), while 7 and 8, held behind the last jump, are all that is pending.
    expect(g.take(d(7))).toEqual([]);
    expect(g.take(d(8))).toEqual([]);
    const asked = g.asking();
    // One more pending than held when asked (a lost one still to come, or one not taken yet): held.
    expect(g.release({ ackFloor: 5, ackPending: 3 }, asked)).toEqual([]);
    expect(seqs(g.release({ ackFloor: 5, ackPending: 2 }, asked))).toEqual([7, 8]);
    expect(g.lastReleaseForced).toBe(0);
  });

  it("does not count what arrived after the consumer's state was asked for", () => {
    const g = start();
    g.take(d(1));
    expect(seqs(g.take(d(2)))).toEqual([2]);
    expect(g.take(d(4, { dseq: 5 }))).toEqual([]); // stream 3 lost
    const asked = g.asking();
    // 5 arrives while the answer is on its way; the answer counted 3 (still to come again) and 4.
    expect(g.take(d(5))).toEqual([]);
    expect(g.release({ ackFloor: 2, ackPending: 2 }, asked)).toEqual([]);
    expect(seqs(g.take(d(3, { dc: 2 })))).toEqual([3]);
    expect(seqs(g.release({ ackFloor: 2, ackPending: 2 }, g.asking()))).toEqual([4, 5]);
  });
});
