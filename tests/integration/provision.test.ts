import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { nanos } from "@nats-io/nats-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BUCKETS, OBJECT_STORES, STREAMS, provision, provisionMemberStore, subjects } from "../../src/nats/mod.js";
import { TEST_LARGE_FILE_STORE_BYTES } from "../support/hub.js";
import { startTestNats, type TestNats } from "../support/nats.js";

describe("provisioning", () => {
  let nats: TestNats;
  beforeAll(async () => {
    nats = await startTestNats({ own: true });
  });
  afterAll(async () => {
    await nats?.stop();
  });

  it("creates every stream, bucket, object store and consumer, then changes nothing on a second run", async () => {
    const nc = await nats.connect();
    const first = await provision(nc, { contactPoints: ["BE", "NL"], largeFileStoreBytes: TEST_LARGE_FILE_STORE_BYTES });
    expect(first.every((e) => e.action === "created")).toBe(true);
    const names = first.map((e) => e.name);
    for (const s of Object.values(STREAMS)) expect(names).toContain(s.name);
    for (const b of BUCKETS) expect(names).toContain(b.bucket);
    for (const o of OBJECT_STORES) expect(names).toContain(o.bucket);
    expect(names).toContain("INBOX/inbox-BE-urgent");
    // A member's store is its own access point's, in its own account: the hub does not make it.
    expect(names).not.toContain("AP_NL");

    // Data written between runs is untouched by the second run.
    const ack = await jetstream(nc).publish(subjects.inbox("NL", "normal"), new Uint8Array([1, 2, 3]));
    const jsm = await jetstreamManager(nc);
    const before = await jsm.streams.info("INBOX");

    const second = await provision(nc, { contactPoints: ["BE", "NL"], largeFileStoreBytes: TEST_LARGE_FILE_STORE_BYTES });
    expect(second.map((e) => e.name)).toEqual(names);
    expect(second.filter((e) => e.action !== "unchanged")).toEqual([]);

    const after = await jsm.streams.info("INBOX");
    expect(after.state.messages).toBe(before.state.messages);
    expect((await jsm.streams.getMessage("INBOX", { seq: ack.seq }))?.data).toEqual(new Uint8Array([1, 2, 3]));
  });

  it("narrows a SUBMIT of the earlier layout (every submit subject) to the two that are consumed, keeping what it holds", async () => {
    const nc = await nats.connect();
    await provision(nc);
    const jsm = await jetstreamManager(nc);
    const info = await jsm.streams.info("SUBMIT");
    await jsm.streams.update("SUBMIT", { ...info.config, subjects: ["liaison.v1.submit.>"] });
    await jetstream(nc).publish(subjects.submit("BE", "normal"), new Uint8Array([4]));
    await expect(jetstream(nc).publish("liaison.v1.submit.BE.anything", new Uint8Array([5]))).resolves.toMatchObject({ stream: "SUBMIT" });
    const held = (await jsm.streams.info("SUBMIT")).state.messages;

    expect((await provision(nc)).find((e) => e.name === "SUBMIT")?.action).toBe("updated");
    expect((await jsm.streams.info("SUBMIT")).config.subjects).toEqual(["liaison.v1.submit.*.urgent", "liaison.v1.submit.*.normal"]);
    expect((await jsm.streams.info("SUBMIT")).state.messages).toBe(held);
    // Nothing is accepted on a subject no consumer reads.
    await expect(jetstream(nc).publish("liaison.v1.submit.BE.anything", new Uint8Array([6]))).rejects.toThrow();
    await expect(jetstream(nc).publish("liaison.v1.submit.BE.normal.extra", new Uint8Array([6]))).rejects.toThrow();
  });

  it("makes a member's store where the member's access point asks, idempotently", async () => {
    const nc = await nats.connect();
    expect((await provisionMemberStore(nc, "BE")).action).toBe("created");
    expect((await provisionMemberStore(nc, "BE")).action).toBe("unchanged");
    expect((await (await jetstreamManager(nc)).streams.info("AP_BE")).config.subjects).toEqual([subjects.apStoreOf("BE")]);
  });

  it("puts back a setting changed behind its back", async () => {
    const nc = await nats.connect();
    await provision(nc);
    const jsm = await jetstreamManager(nc);
    const info = await jsm.streams.info("INBOX");
    await jsm.streams.update("INBOX", { ...info.config, max_age: nanos(86_400_000) });

    const report = await provision(nc);
    expect(report.find((e) => e.name === "INBOX")?.action).toBe("updated");
    expect((await jsm.streams.info("INBOX")).config.max_age).toBe(STREAMS.INBOX.max_age);
  });

  it("keeps the audit stream closed to deletion and purging", async () => {
    const nc = await nats.connect();
    await provision(nc);
    const jsm = await jetstreamManager(nc);
    const ack = await jetstream(nc).publish(subjects.auditEvents("test"), new Uint8Array([9]));
    await expect(jsm.streams.deleteMessage("AUDIT", ack.seq)).rejects.toThrow();
    await expect(jsm.streams.purge("AUDIT")).rejects.toThrow();
    expect((await jsm.streams.info("AUDIT")).state.messages).toBe(1);
  });
});
