// JsPublisher with holdBehindOverdueMs (src/nats/publisher.ts): a stream without a leader (an
// election after a node's loss) drops publishes silently, so they time out and are tried again;
// a publish issued meanwhile must not be stored before them once the new leader is up. Here the
// leaderless stream is a subscriber that lets the first publish go unanswered and answers the retry,
// as the new leader would (the real case: cluster-failover.test.ts, the INBOX leader's loss).
import { jetstreamManager } from "@nats-io/jetstream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JsPublisher } from "../../src/nats/mod.js";
import { startTestNats, type TestNats } from "../support/nats.js";

describe("publish order through a stream's election", () => {
  let nats: TestNats;
  beforeAll(async () => {
    nats = await startTestNats();
  });
  afterAll(async () => {
    await nats?.stop();
  });

  async function order(holdBehindOverdueMs: number | undefined): Promise<string[]> {
    const nc = await nats.connect();
    const name = `ORD_${Math.random().toString(36).slice(2, 8)}`;
    await (await jetstreamManager(nc)).streams.add({ name, subjects: [`${name}.stored`] });
    let seen = 0;
    const electing = nc.subscribe(`${name}.electing`, {
      callback: (_, m) => {
        if (seen++ > 0) m.respond(JSON.stringify({ stream: name, seq: 1 }));
      },
    });
    const pub = new JsPublisher(nc, { timeoutMs: 1_000, ...(holdBehindOverdueMs !== undefined ? { holdBehindOverdueMs } : {}) });
    const done: string[] = [];
    const first = pub.publish(`${name}.electing`, new Uint8Array([1]), { msgID: "first" }).then(() => done.push("first"));
    await new Promise((r) => setTimeout(r, 400));
    const second = pub.publish(`${name}.stored`, new Uint8Array([2]), { msgID: "second" }).then(() => done.push("second"));
    await Promise.all([first, second]);
    electing.unsubscribe();
    pub.close();
    await nc.close();
    return done;
  }

  it("keeps a publish issued while an earlier one is overdue behind it until that one is answered", async () => {
    expect(await order(200)).toEqual(["first", "second"]);
  });

  it("without holdBehindOverdueMs, the later publish is stored first (what the option prevents)", async () => {
    expect(await order(undefined)).toEqual(["second", "first"]);
  });
});
