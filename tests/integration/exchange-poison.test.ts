// A submission the exchange has failed to handle again and again (issue #15: one held an unrelated
// message behind it for 12 minutes) is given up: refused once, answered with a rejection, and
// terminated, so it stops coming back. Its earlier failed deliveries are made here by pulling it from
// the exchange's own consumer and sending it back, as a crashing exchange would.
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXCHANGE_MAX_DELIVERIES, exchangeConsumer, subjects } from "../../src/nats/mod.js";
import { pb } from "../../src/proto/mod.js";
import { startTestHub, until, type TestAccessPoint, type TestHub } from "../support/hub.js";

describe("a poison submission at the exchange", () => {
  let hub: TestHub;
  let be: TestAccessPoint;
  let nl: TestAccessPoint;

  beforeAll(async () => {
    hub = await startTestHub({ cps: ["BE", "NL"] });
    const exchange = await hub.startExchange();
    [be, nl] = await Promise.all([hub.startAp("BE"), hub.startAp("NL")]);
    await exchange.close();
  });
  afterAll(async () => {
    await hub?.stop();
  });

  it("is refused once and terminated after its last allowed delivery, and a message behind it goes through", async () => {
    const poisonId = `poison-${Date.now()}`;
    const bnc = await hub.connectAs("BE");
    await jetstream(bnc).publish(subjects.submit("BE", "normal"), pb.SubmitItem.encode({ envelopes: { envelopes: [pb.Envelope.encode({ sealed: new Uint8Array(8) }).finish()] } }).finish(), { msgID: poisonId });
    // Delivered and sent back as often as the exchange allows, as if handling it crashed each time.
    const consumer = await jetstream(hub.admin).consumers.get("SUBMIT", exchangeConsumer("normal").config.durable_name);
    for (let i = 1; i <= EXCHANGE_MAX_DELIVERIES; i++) {
      const m = await consumer.next({ expires: 15_000 });
      expect(m?.info.deliveryCount).toBe(i);
      // Sent back at once (a delayed nak on this consumer waits out its backoff as well).
      m?.nak();
      await new Promise((r) => setTimeout(r, 50));
    }

    await hub.startExchange();
    const res = await be.app.inject({
      method: "POST",
      url: "/v1/messages",
      headers: { authorization: `Bearer ${be.token}` },
      payload: { kind: "request", to: ["NL"], legalBasis: "enquiries", subject: "behind the poison", body: "b" },
    });
    const id = (res.json() as { id: string }).id;
    await until(() => nl.mailbox.has(id), "the message behind it at NL", 10_000);

    let refusals: pb.IAuditEvent[] = [];
    await until(async () => {
      refusals = (await hub.auditEvents()).filter((e) => e.objectId === poisonId);
      return refusals.length > 0;
    }, "the poison's refusal");
    const jsm = await jetstreamManager(hub.admin);
    await until(async () => (await jsm.streams.info("SUBMIT")).state.messages === 0, "SUBMIT to drain");
    await new Promise((r) => setTimeout(r, 1_500));
    refusals = (await hub.auditEvents()).filter((e) => e.objectId === poisonId);
    expect(refusals.map((e) => [e.action, e.reasonCode])).toEqual([[pb.AuditAction.AUDIT_ACTION_REFUSAL, "LIAISON_UNPROCESSABLE"]]);
    const info = await jsm.consumers.info("SUBMIT", exchangeConsumer("normal").config.durable_name);
    expect(info.num_ack_pending).toBe(0);
    expect(info.num_redelivered).toBe(0);
  });
});
