// The outside tester's finding (issue #13), as a test: with nothing but BE's own NATS credentials,
// every technique that once wrote BE-chosen bytes into all 20 hub streams — plain and JetStream
// publishes, JetStream API answers aimed at a hub subject, consumer deliveries, micro-service
// replies, the imports' replies — stores nothing in any stream that is not BE's own. The targets
// are every stream the hub has, so a stream added later is probed too.
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { provision, subjects } from "../../src/nats/mod.js";
import { startTestHub, TEST_LARGE_FILE_STORE_BYTES, type TestHub } from "../support/hub.js";
import { startTestNats } from "../support/nats.js";
import { probeHubBoundary } from "../support/probes.js";

describe("a member reaches nothing but its own (accounts)", () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub({ cps: ["BE", "NL"] });
    // Every hub service a member's imports lead to, answering.
    await hub.startExchange();
    await hub.startRecords();
    await hub.startFiles();
    // Something waiting in BE's inbox, so a pull through the import has a message to deliver.
    await jetstream(hub.admin).publish(subjects.inbox("BE", "normal"), new TextEncoder().encode("waiting for BE"));
  });
  afterAll(async () => {
    await hub?.stop();
  });

  it("stores nothing in any hub stream, whatever BE publishes or names as a reply subject", async () => {
    const bnc = await hub.connectAs("BE");
    const report = await probeHubBoundary(bnc, hub.admin, "BE", "NL");
    const probed = new Set(report.targets.map((t) => t.stream));
    // Every stream of the hub was a target: the ones the tester named, and any added since.
    for (const s of ["AUDIT", "AUDIT_HEADS", "AUDIT_LEAVES", "INBOX", "SUBMIT", "KV_registry", "KV_records", "KV_files", "KV_hits", "KV_usage", "KV_state", "KV_operations", "KV_operation-items", "RECORD_KEYS", "RECORD_KEYS_3", "DUE", "OBJ_attachments"]) {
      expect(probed, s).toContain(s);
    }
    expect(report.attempts).toBeGreaterThan(report.targets.length * 10);
    expect(report.landed).toEqual([]);
    // The inbox message BE's probes asked for is still BE's, still waiting (no probe acked or moved it elsewhere).
    const info = await (await jetstreamManager(hub.admin)).consumers.info("INBOX", "inbox-BE-normal");
    expect(info.num_pending + info.num_ack_pending).toBeGreaterThanOrEqual(1);
  });

  it("lets NL's credentials reach none of BE's inbox or store", async () => {
    const nnc = await hub.connectAs("NL");
    const report = await probeHubBoundary(nnc, hub.admin, "NL", "BE");
    expect(report.landed).toEqual([]);
    const ownJsm = await jetstreamManager(nnc);
    await expect(ownJsm.streams.info("AP_BE")).rejects.toThrow(/not found/);
    const hubJs = jetstream(nnc, { apiPrefix: subjects.hubJsApi });
    await expect(hubJs.consumers.get("INBOX", "inbox-BE-normal")).rejects.toThrow();
  });
});

describe("the probes", () => {
  it("find the hole when members and hub share one account, as before accounts", async () => {
    const nats = await startTestNats({ own: true });
    try {
      const nc = await nats.connect("everyone");
      await provision(nc, { contactPoints: ["BE", "NL"], largeFileStoreBytes: TEST_LARGE_FILE_STORE_BYTES });
      const jsm = await jetstreamManager(nc);
      await jsm.streams.add({ name: "AP_BE", subjects: [subjects.apStoreOf("BE")] });
      const report = await probeHubBoundary(nc, nc, "BE", "NL");
      const hit = new Set(report.landed.map((l) => l.stream));
      expect(hit).toContain("AUDIT");
      expect(hit).toContain("INBOX");
      expect(hit).toContain("KV_registry");
      expect(hit).toContain("RECORD_KEYS");
    } finally {
      await nats.stop();
    }
  });
});
