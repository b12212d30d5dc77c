// System status and the metrics scrape: with nothing running they say so (no error), and with the
// usage service up they find it through $SRV discovery and list its durable consumer.
import { jetstream } from "@nats-io/jetstream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { problems } from "../../src/cli/commands/status.js";
import { scrapeAll } from "../../src/nats/mod.js";
import { subjects } from "../../src/nats/mod.js";
import { systemStatus } from "../../src/ops/mod.js";
import { startTestHub, type TestHub } from "../support/hub.js";

describe("system status", () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub({ cps: ["BE"] });
  });
  afterAll(async () => {
    await hub?.stop();
  });

  it("reports an empty system as missing every hub service, without failing", async () => {
    const s = await systemStatus(hub.admin, { waitMs: 300 });
    expect(s.services).toEqual([]);
    expect(s.server.jetstream).toBe(true);
    expect(s.streams.map((x) => x.name)).toEqual(expect.arrayContaining(["AUDIT", "INBOX", "SUBMIT"]));
    expect(problems(s, 10_000)).toEqual(expect.arrayContaining([expect.stringContaining('"exchange"'), expect.stringContaining('"usage"'), expect.stringContaining('"operations"')]));
    const m = await scrapeAll(hub.admin, 300);
    expect(m.services).toBe(0);
  });

  it("finds a running service and its consumer, and flags a consumer that lags", async () => {
    await hub.startUsage({ timers: false });
    const s = await systemStatus(hub.admin, { waitMs: 300 });
    expect(s.services.map((x) => x.name)).toContain("usage");
    expect(s.consumers.find((c) => c.stream === "AUDIT" && c.name === "usage")).toBeDefined();
    expect(problems(s, 10_000).some((p) => p.includes('"usage"'))).toBe(false);
    const lagging = { ...s, consumers: s.consumers.map((c) => (c.name === "usage" ? { ...c, pending: 20_000 } : c)) };
    expect(problems(lagging, 10_000)).toContain("consumer AUDIT/usage lags: 20000 message(s) not yet delivered");
    expect((await scrapeAll(hub.admin, 300)).services).toBe(1);
  });

  it("names an access point that no longer pulls its inbox while messages wait there", async () => {
    await hub.startExchange(); // an access point starts once the hub answers it
    const ap = await hub.startAp("BE");
    // Pulling: its consumers have a pull request waiting, nothing is flagged.
    let s = await systemStatus(hub.admin, { waitMs: 300, maxIdleMs: 1_000 });
    for (let i = 0; i < 40 && !s.accessPoints?.find((a) => a.cp === "BE")?.pulls; i++) {
      await new Promise((r) => setTimeout(r, 250));
      s = await systemStatus(hub.admin, { waitMs: 300, maxIdleMs: 1_000 });
    }
    expect(s.accessPoints?.find((a) => a.cp === "BE")?.down).toBe(false);
    expect(problems(s, 10_000).filter((p) => p.includes("access point"))).toEqual([]);

    await ap.stop();
    const js = jetstream(hub.admin);
    for (let i = 0; i < 4; i++) await js.publish(subjects.inbox("BE", "normal"), new TextEncoder().encode(`waiting ${i}`));
    let issues: string[] = [];
    for (let i = 0; i < 60 && !issues.some((p) => p.startsWith("access point BE")); i++) {
      await new Promise((r) => setTimeout(r, 500));
      issues = problems(await systemStatus(hub.admin, { waitMs: 300, maxIdleMs: 1_000 }), 10_000);
    }
    expect(issues.find((p) => p.startsWith("access point BE"))).toMatch(/^access point BE: no pull on its inbox .*4 message\(s\) waiting/);
  }, 60_000);
});
