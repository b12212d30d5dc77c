// Ordered lanes (src/nats/batch-consumer.ts): a batch whose handler fails is handled again in place
// before anything after it, so what was delivered in order is handled in order even when a handler
// fails for a while (the access point's store without a leader during a node's loss). Without
// `ordered`, the failed batch goes back to the server and comes again behind what came since.
import { AckPolicy, jetstream, jetstreamManager, type JsMsg } from "@nats-io/jetstream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../../src/log/mod.js";
import { ServiceMetrics } from "../../src/metrics/mod.js";
import { consumeBatches, longestHoldsMs } from "../../src/nats/mod.js";
import { until } from "../support/hub.js";
import { startTestNats, type TestNats } from "../support/nats.js";

const log = createLogger("test", "silent");

describe("batch consumer lanes", () => {
  let nats: TestNats;
  beforeAll(async () => {
    nats = await startTestNats();
  });
  afterAll(async () => {
    await nats?.stop();
  });

  async function run(ordered: boolean): Promise<number[]> {
    const nc = await nats.connect();
    const jsm = await jetstreamManager(nc);
    const name = `ORDER_${ordered ? "A" : "B"}_${Math.random().toString(36).slice(2, 8)}`;
    await jsm.streams.add({ name, subjects: [`${name}.>`] });
    await jsm.consumers.add(name, { durable_name: "c", ack_policy: AckPolicy.Explicit, ack_wait: 30_000_000_000 });
    const js = jetstream(nc);
    for (let i = 0; i < 100; i++) await js.publish(`${name}.x`, new TextEncoder().encode(String(i)));
    const handled: number[] = [];
    let failures = 0;
    const c = await consumeBatches(
      js,
      name,
      "c",
      async (msgs: JsMsg[]) => {
        const first = Number(new TextDecoder().decode(msgs[0]?.data));
        // The batch holding message 10 fails twice, as a store without a leader would.
        if (msgs.some((m) => new TextDecoder().decode(m.data) === "10") && failures < 2) {
          failures++;
          throw new Error(`store unavailable (batch from ${first})`);
        }
        for (const m of msgs) {
          handled.push(Number(new TextDecoder().decode(m.data)));
          m.ack();
        }
      },
      { log, maxBatch: 8, maxInFlight: 2, ordered },
    );
    try {
      await until(() => new Set(handled).size === 100, "all 100 handled", 20_000);
    } finally {
      await c.stop();
      await nc.close();
    }
    return handled;
  }

  it("gives up a poison message after a bounded number of deliveries, once, and nothing waits behind it", async () => {
    const nc = await nats.connect();
    const jsm = await jetstreamManager(nc);
    const name = `POISON_${Math.random().toString(36).slice(2, 8)}`;
    await jsm.streams.add({ name, subjects: [`${name}.>`] });
    // As the exchange's consumer: redeliveries with growing pauses, given up by the server after 10.
    await jsm.consumers.add(name, { durable_name: "c", ack_policy: AckPolicy.Explicit, ack_wait: 10_000_000_000, max_deliver: 10 });
    const js = jetstream(nc);
    const text = (m: JsMsg) => new TextDecoder().decode(m.data);
    await js.publish(`${name}.x`, new TextEncoder().encode("poison"));
    for (let i = 0; i < 40; i++) await js.publish(`${name}.x`, new TextEncoder().encode(String(i)));
    const handled = new Map<string, number>();
    const poisonDeliveries: number[] = [];
    const givenUp: string[] = [];
    const started = Date.now();
    const c = await consumeBatches(
      js,
      name,
      "c",
      async (msgs: JsMsg[]) => {
        // A handler that cannot get past one message: the whole batch fails while it is in it.
        const p = msgs.find((m) => text(m) === "poison");
        if (p) {
          poisonDeliveries.push(p.info.deliveryCount);
          throw new Error("cannot handle this one");
        }
        for (const m of msgs) {
          handled.set(text(m), Date.now() - started);
          m.ack();
        }
      },
      {
        log,
        maxBatch: 16,
        maxInFlight: 2,
        maxDeliveries: 3,
        onPoison: async (msgs) => {
          for (const m of msgs) {
            givenUp.push(text(m));
            m.term("poison");
          }
        },
      },
    );
    try {
      await until(() => handled.size === 40, "the 40 good messages", 20_000);
      // Those delivered in the poison's batch are handled at once, not after its redeliveries.
      expect(Math.max(...handled.values())).toBeLessThan(3_000);
      await until(() => givenUp.length > 0, "the poison to be given up", 20_000);
      await new Promise((r) => setTimeout(r, 1_500));
      expect(givenUp).toEqual(["poison"]);
      expect(Math.max(...poisonDeliveries)).toBeLessThanOrEqual(3);
      const info = await jsm.consumers.info(name, "c");
      expect(info.num_ack_pending).toBe(0);
      expect(info.num_pending).toBe(0);
    } finally {
      await c.stop();
      await nc.close();
    }
  });

  /**
   * Deliveries lost in transit, as a dying consumer leader leaves them: another client of the same
   * durable (the "thief") takes the first three and never acknowledges them, so the server sends
   * them again only after the ack wait (2 s here), when later ones have long been delivered. (A
   * theft while the lane runs cannot be staged on one server: the lane's own pulls always wait
   * ahead of the thief's; the jumps in delivery sequences it leads to are covered in
   * tests/unit/in-order.test.ts, and on a real cluster by cluster-failover.test.ts.)
   */
  async function lost(inStreamOrder: boolean): Promise<{ handled: number[]; stolen: number[]; name: string }> {
    const nc = await nats.connect();
    const jsm = await jetstreamManager(nc);
    const name = `GAP_${Math.random().toString(36).slice(2, 8)}`;
    await jsm.streams.add({ name, subjects: [`${name}.>`] });
    await jsm.consumers.add(name, { durable_name: "c", ack_policy: AckPolicy.Explicit, ack_wait: 2_000_000_000 });
    const js = jetstream(nc);
    const num = (m: JsMsg) => Number(new TextDecoder().decode(m.data));
    for (let i = 0; i < 30; i++) await js.publish(`${name}.x`, new TextEncoder().encode(String(i)));
    const stolen: number[] = [];
    for await (const m of await (await js.consumers.get(name, "c")).fetch({ max_messages: 3, expires: 2_000 })) stolen.push(num(m));
    const handled: number[] = [];
    const c = await consumeBatches(
      js,
      name,
      "c",
      async (msgs: JsMsg[]) => {
        for (const m of msgs) {
          handled.push(num(m));
          m.ack();
        }
      },
      { log, maxBatch: 4, maxInFlight: 2, ordered: true, inStreamOrder },
    );
    try {
      await until(() => new Set(handled).size === 30, "all 30 handled", 20_000);
    } finally {
      await c.stop();
      await nc.close();
    }
    return { handled, stolen, name };
  }

  it("hands over in stream order what comes after deliveries lost in transit, once they come again", async () => {
    const { handled, stolen, name } = await lost(true);
    expect(stolen).toEqual([0, 1, 2]);
    expect(handled).toEqual(Array.from({ length: 30 }, (_, i) => i));
    // The later ones waited for the redelivery, which comes after the ack wait.
    expect(longestHoldsMs()[`${name}/c`]?.longestMs).toBeGreaterThan(500);
  });

  it("without inStreamOrder, deliveries lost in transit come back behind later messages (what inStreamOrder prevents)", async () => {
    const { handled, stolen } = await lost(false);
    expect(stolen).toEqual([0, 1, 2]);
    expect(new Set(handled).size).toBe(30);
    expect(handled.slice(-3)).toEqual([0, 1, 2]);
  });

  it("handles a failed batch again before anything after it when ordered", async () => {
    const handled = await run(true);
    expect(handled).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  it("without ordered, the failed batch comes back behind later messages (what ordered prevents)", async () => {
    const handled = await run(false);
    expect(new Set(handled).size).toBe(100);
    expect(handled).not.toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  it("releases what it holds in stream order once the hold limit passes, counts it, and counts no delivery made while held towards poison", async () => {
    const nc = await nats.connect();
    const jsm = await jetstreamManager(nc);
    const name = `HOLD_${Math.random().toString(36).slice(2, 8)}`;
    await jsm.streams.add({ name, subjects: [`${name}.>`] });
    // An ack wait shorter than the keep-alive: held messages are delivered again while held.
    await jsm.consumers.add(name, { durable_name: "c", ack_policy: AckPolicy.Explicit, ack_wait: 1_000_000_000 });
    const js = jetstream(nc);
    const num = (m: JsMsg) => Number(new TextDecoder().decode(m.data));
    for (let i = 0; i < 30; i++) await js.publish(`${name}.x`, new TextEncoder().encode(String(i)));
    // 0..2 are taken and kept unacknowledged (a submission that keeps failing): the ack floor stays below them.
    const stuck: JsMsg[] = [];
    for await (const m of await (await js.consumers.get(name, "c")).fetch({ max_messages: 3, expires: 2_000 })) stuck.push(m);
    const keepStuck = setInterval(() => {
      for (const m of stuck) m.working();
    }, 300);
    const handled: number[] = [];
    const poison: number[] = [];
    const metrics = new ServiceMetrics("test");
    const c = await consumeBatches(
      js,
      name,
      "c",
      async (msgs: JsMsg[]) => {
        for (const m of msgs) {
          handled.push(num(m));
          m.ack();
        }
      },
      {
        log,
        maxBatch: 4,
        maxInFlight: 2,
        ordered: true,
        inStreamOrder: true,
        maxHoldMs: 3_500,
        maxDeliveries: 2,
        metrics,
        onPoison: async (msgs) => {
          for (const m of msgs) {
            poison.push(num(m));
            m.term();
          }
        },
      },
    );
    try {
      await until(() => new Set(handled).size === 27, "3..29 handled while 0..2 stay unacknowledged", 15_000);
    } finally {
      clearInterval(keepStuck);
      await c.stop();
      await nc.close();
    }
    expect(stuck.map(num)).toEqual([0, 1, 2]);
    expect(handled.filter((v, i, a) => a.indexOf(v) === i)).toEqual(Array.from({ length: 27 }, (_, i) => i + 3));
    // Delivered three times or more while held, yet handed to the handler once: not poison.
    expect(poison).toEqual([]);
    const counted = (await metrics.registry.getSingleMetric("liaison_order_hold_released_total")?.get())?.values.find((v) => v.labels.stream === name);
    expect(counted?.value).toBeGreaterThanOrEqual(1);
  });
});
