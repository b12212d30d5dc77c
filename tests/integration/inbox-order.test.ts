// An access point keeps its inbox in the hub's order across deliveries lost in transit (issue #14):
// when the node leading its inbox consumer dies with deliveries on their way, JetStream sends them
// again only after the ack wait, behind what came since; the intake holds what came after them
// until they are stored (src/nats/in-order.ts). Here the deliveries are lost as a dying leader
// loses them: another client of the same durable takes them and never acknowledges them.
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { nanos } from "@nats-io/nats-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inboxConsumer, subjects } from "../../src/nats/mod.js";
import { startTestHub, until, type TestAccessPoint, type TestHub } from "../support/hub.js";

async function send(ap: TestAccessPoint, caseRef: string, body: string): Promise<string> {
  const res = await ap.app.inject({
    method: "POST",
    url: "/v1/messages",
    headers: { authorization: `Bearer ${ap.token}` },
    payload: { kind: "request", to: ["NL"], legalBasis: "enquiries", subject: `Subject ${body}`, body, caseRef },
  });
  expect(res.statusCode).toBe(202);
  return (res.json() as { id: string }).id;
}

describe("an inbox's order across deliveries lost in transit", () => {
  let hub: TestHub;
  let be: TestAccessPoint;
  beforeAll(async () => {
    hub = await startTestHub({ cps: ["BE", "NL"] });
    await hub.startExchange();
    be = await hub.startAp("BE");
  });
  afterAll(async () => {
    await hub?.stop();
  });

  it("lists what came after lost deliveries after them, once they come again", async () => {
    const jsm = await jetstreamManager(hub.admin);
    const durable = inboxConsumer("NL", "normal").config.durable_name;
    // A short ack wait, so the lost ones come again within the test.
    await jsm.consumers.update("INBOX", durable, { ack_wait: nanos(2_000) });
    const inNlInbox = async () => (await jsm.streams.info("INBOX", { subjects_filter: subjects.inbox("NL", "normal") })).state.subjects?.[subjects.inbox("NL", "normal")] ?? 0;
    const caseRef = `ORDER-${Date.now()}`;
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push(await send(be, caseRef, `first ${i}`));
    await until(async () => (await inNlInbox()) === 3, "the first three in NL's inbox");
    // NL's own credentials, as its access point uses them: the hub's JetStream under its import.
    const thief = await jetstream(await hub.connectAs("NL"), { apiPrefix: subjects.hubJsApi }).consumers.get("INBOX", durable);
    let lost = 0;
    for await (const m of await thief.fetch({ max_messages: 3, expires: 2_000 })) lost += m.info.deliveryCount;
    expect(lost).toBe(3);
    for (let i = 0; i < 5; i++) ids.push(await send(be, caseRef, `then ${i}`));
    await until(async () => (await inNlInbox()) === 8, "all eight in NL's inbox");

    const nl = await hub.startAp("NL");
    await until(() => ids.every((id) => nl.mailbox.has(id)), "all eight at NL", 20_000);
    const order = nl.mailbox
      .entries()
      .filter((e) => e.box === "inbox" && e.header.caseRef === caseRef)
      .sort((a, b) => a.seq - b.seq || a.pos - b.pos)
      .map((e) => e.id);
    expect(order).toEqual(ids);
  });
});
