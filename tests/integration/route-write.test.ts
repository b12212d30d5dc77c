// The exchange's route record (services/exchange/routes.ts) is written under a message id naming the
// envelope's bytes, so a write whose answer was lost (a stream leader dying with it) is tried again
// in its place instead of failing the submission, which JetStream would then redeliver behind later
// ones: routed out of order (issue #14, the SUBMIT leader's loss).
import { Kvm } from "@nats-io/kv";
import { setImmediate } from "node:timers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JsPublisher } from "../../src/nats/mod.js";
import { ROUTES_BUCKET, routeRecord, Routes, type RouteWrite } from "../../services/exchange/routes.js";
import { startTestNats, type TestNats } from "../support/nats.js";

describe("route records", () => {
  let nats: TestNats;
  beforeAll(async () => {
    nats = await startTestNats();
  });
  afterAll(async () => {
    await nats?.stop();
  });

  it("tries a route write again when its answer is lost, finding it written, not failing it; another envelope under the id stays a replay", async () => {
    const nc = await nats.connect();
    const kv = await new Kvm(nc).create(ROUTES_BUCKET, { history: 1 });
    const routes = new Routes(new JsPublisher(nc, { timeoutMs: 100 }));
    const id = `rt${Math.random().toString(36).slice(2, 10)}`;
    const rec = routeRecord("BE", ["NL"], new TextEncoder().encode("the envelope"));
    // The answer comes too late: this process is busy past the write's timeout, and the timeout
    // is swept before the answer is read. The write itself reaches the server and is stored.
    const write = await new Promise<Promise<RouteWrite>>((resolve) =>
      setImmediate(() => {
        const p = routes.record(id, rec);
        const until = Date.now() + 400;
        while (Date.now() < until);
        resolve(p);
      }),
    );
    expect(["new", "same"]).toContain(await write);
    expect((await kv.get(id))?.revision).toBeGreaterThan(0);
    expect(await routes.record(id, rec)).toBe("same");
    expect(await routes.record(id, routeRecord("BE", ["NL"], new TextEncoder().encode("another envelope")))).toBe("different");
    await nc.close();
  });
});
