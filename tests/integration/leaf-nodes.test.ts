// A leaf node per member (issue #13): the hub, and one leaf-node server each for BE and NL running
// deploy/nats/leafnode-cp.conf as a member would, joined over mutual TLS and bound to their
// accounts. Each access point connects only to its own leaf, and keeps its store there.
import { jetstreamManager } from "@nats-io/jetstream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningNatsServer } from "../../src/nats/mod.js";
import { startTestHub, until, type TestAccessPoint, type TestHub } from "../support/hub.js";
import { probeHubBoundary } from "../support/probes.js";

async function send(ap: TestAccessPoint, payload: unknown) {
  return ap.app.inject({ method: "POST", url: "/v1/messages", headers: { authorization: `Bearer ${ap.token}` }, payload: payload as object });
}

describe("a leaf node per member", () => {
  let hub: TestHub;
  let beLeaf: RunningNatsServer;
  let nlLeaf: RunningNatsServer;
  let be: TestAccessPoint;
  let nl: TestAccessPoint;

  beforeAll(async () => {
    hub = await startTestHub({ cps: ["BE", "NL"], leaves: ["BE", "NL"] });
    await hub.startExchange();
    [beLeaf, nlLeaf] = await Promise.all([hub.startLeaf("BE"), hub.startLeaf("NL")]);
    [be, nl] = await Promise.all([hub.startAp("BE", { via: beLeaf.url }), hub.startAp("NL", { via: nlLeaf.url })]);
  });
  afterAll(async () => {
    await hub?.stop();
  });

  it("carries a request BE→NL and NL's receipts back, each access point on its own leaf", async () => {
    const res = await send(be, { kind: "request", to: ["NL"], legalBasis: "enquiries", subject: "Through the leaves", body: "check container MSCU1234566" });
    expect(res.statusCode).toBe(202);
    const { id } = res.json() as { id: string };
    await until(() => nl.mailbox.has(id), "delivery to NL through its leaf");
    const read = await nl.app.inject({ method: "GET", url: `/v1/messages/${id}`, headers: { authorization: `Bearer ${nl.token}` } });
    expect((read.json() as { body: string }).body).toBe("check container MSCU1234566");
    await until(() => be.mailbox.status(be.mailbox.get(id)).status === "read", "BE to see it read");
  });

  it("keeps each member's store on its own leaf, in its own JetStream domain, and none on the hub", async () => {
    const beNc = await hub.connectLeaf("BE", beLeaf);
    const jsm = await jetstreamManager(beNc);
    expect(await jsm.streams.names().next()).toEqual(["AP_BE", "AP_BE_PUSH"]);
    expect((await jsm.getAccountInfo()).domain).toBe("cp-be");
    const hubStreams: string[] = [];
    for await (const n of (await jetstreamManager(hub.admin)).streams.names()) hubStreams.push(n);
    expect(hubStreams.filter((n) => n.startsWith("AP_"))).toEqual([]);
  });

  it("lets BE's leaf store nothing in any hub stream, whatever it publishes or names as a reply subject", async () => {
    const beNc = await hub.connectLeaf("BE", beLeaf);
    const report = await probeHubBoundary(beNc, hub.admin, "BE", "NL");
    expect(report.targets.length).toBeGreaterThan(15);
    expect(report.landed).toEqual([]);
  });

  it("keeps what BE sends while the hub is unreachable, on its leaf, and delivers it once the link is back", async () => {
    // The operator has been logged in before (a first request is a login event, which needs the hub).
    expect((await be.app.inject({ method: "GET", url: "/v1/messages", headers: { authorization: `Bearer ${be.token}` } })).statusCode).toBe(200);
    const before = be.mailbox.entries().filter((e) => e.box === "sent").length;
    await hub.nats.kill();
    const res = await send(be, { kind: "request", to: ["NL"], legalBasis: "enquiries", subject: "While cut off", body: "kept on the leaf" });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ code: "LIAISON_UNAVAILABLE" });
    expect((res.json() as { detail: string }).detail).toMatch(/kept here, sealed, and resubmitted automatically/);
    // Kept on BE's leaf, sealed, while the hub was away.
    const sent = be.mailbox.entries().filter((e) => e.box === "sent");
    expect(sent.length).toBe(before + 1);
    const kept = sent[sent.length - 1] as (typeof sent)[number];
    expect(be.mailbox.status(kept).status).toBe("submitted");
    await hub.nats.start();
    // No restart of the access point: it tries again by itself, and the leaf reconnects by itself.
    await until(() => nl.mailbox.has(kept.id), "the kept message delivered after the link came back", 45_000);
    await until(() => be.mailbox.status(kept).status === "delivered", "BE to see it delivered", 15_000);
  });
});
