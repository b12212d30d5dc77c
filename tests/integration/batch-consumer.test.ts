// Ordered lanes (src/nats/batch-consumer.ts): a batch whose handler fails is handled again in place
// before anything after it, so what was delivered in order is handled in order even when a handler
// fails for a while (the access point's store without a leader during a node's loss). Without
// `ordered`, the failed batch goes back to the server and comes again behind what came since.
import { AckPolicy, jetstream, jetstreamManager, type JsMsg } from "@nats-io/jetstream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../../src/log/mod.js";
import { consumeBatches } from "../../src/nats/mod.js";
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

  it("handles a failed batch again before anything after it when ordered", async () => {
    const handled = await run(true);
    expect(handled).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  it("without ordered, the failed batch comes back behind later messages (what ordered prevents)", async () => {
    const handled = await run(false);
    expect(new Set(handled).size).toBe(100);
    expect(handled).not.toEqual(Array.from({ length: 100 }, (_, i) => i));
  });
});
