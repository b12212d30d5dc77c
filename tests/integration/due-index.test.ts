// The retention index on the current server: an hour is read with batch direct gets, in order,
// across batches, and a swept stretch of an hour leaves with one filtered purge that touches
// nothing filed later, nothing of another hour, and no reader of another hour (nats-server 2.9
// moved every consumer of the stream past a filtered purge; the sweeper removed filings one by one).
import { AckPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { subjects } from "../../src/nats/mod.js";
import { DueIndex, HOUR_MS } from "../../src/retention/mod.js";
import { startTestHub, type TestHub } from "../support/hub.js";

describe("retention index (DUE)", () => {
  let hub: TestHub;
  let due: DueIndex;
  const h1 = 500_000;
  const h2 = 500_001;

  beforeAll(async () => {
    hub = await startTestHub({ cps: ["BE"] });
    due = await DueIndex.open(await hub.connectHub("retention"));
  });
  afterAll(async () => {
    due?.close();
    await hub?.stop();
  });

  it("reads an hour page by page, in order, across batch boundaries, and ends at its count", async () => {
    const n = 2_345;
    for (let i = 0; i < n; i += 200) {
      await Promise.all(
        Array.from({ length: Math.min(200, n - i) }, (_, k) => due.schedule({ kind: "record", id: `r${i + k}`, dueAtMs: h1 * HOUR_MS + 1, meta: {} }, 0)),
      );
    }
    await due.schedule({ kind: "record", id: "other-hour", dueAtMs: h2 * HOUR_MS + 1, meta: {} }, 0);
    expect(await due.count(h1)).toBe(n);
    const pages: number[] = [];
    const ids: string[] = [];
    for await (const page of due.pages(h1, n, 1_000)) {
      pages.push(page.length);
      ids.push(...page.map((p) => p.id));
      expect(page.map((p) => p.seq)).toEqual([...page.map((p) => p.seq)].sort((a, b) => a - b));
    }
    expect(pages).toEqual([1_000, 1_000, 345]);
    expect(new Set(ids).size).toBe(n);
    expect(ids).not.toContain("other-hour");
  });

  it("purges a swept stretch of an hour in one call, leaving later filings, other hours and their readers alone", async () => {
    const js = jetstream(hub.admin);
    const jsm = await jetstreamManager(hub.admin);
    // A reader of the other hour, part-way through.
    await due.schedule({ kind: "record", id: "other-hour-2", dueAtMs: h2 * HOUR_MS + 2, meta: {} }, 0);
    await jsm.consumers.add("DUE", { durable_name: "reader-h2", filter_subject: subjects.dueHour(String(h2)), ack_policy: AckPolicy.Explicit });
    const reader = await js.consumers.get("DUE", "reader-h2");
    for await (const m of await reader.fetch({ max_messages: 1 })) m.ack();
    const pendingBefore = (await jsm.consumers.info("DUE", "reader-h2")).num_pending;
    expect(pendingBefore).toBe(1);

    const first = (await due.bucket(h1)).slice(0, 1_500);
    const through = (first[first.length - 1] as { seq: number }).seq;
    await due.schedule({ kind: "record", id: "filed-during-the-sweep", dueAtMs: h1 * HOUR_MS + 5, meta: {} }, 0);
    expect(await due.purgeThrough(h1, through)).toBe(1_500);

    const left = await due.bucket(h1);
    expect(left).toHaveLength(2_345 - 1_500 + 1);
    expect(left.some((i) => i.id === "filed-during-the-sweep")).toBe(true);
    expect(left.every((i) => i.seq > through)).toBe(true);
    expect(await due.count(h2)).toBe(2);
    expect((await jsm.consumers.info("DUE", "reader-h2")).num_pending).toBe(pendingBefore);
    const rest: string[] = [];
    for await (const m of await reader.fetch({ max_messages: 5, expires: 1_000 })) {
      rest.push((JSON.parse(m.string()) as { id: string }).id);
      m.ack();
    }
    expect(rest).toEqual(["other-hour-2"]);
  });
});
