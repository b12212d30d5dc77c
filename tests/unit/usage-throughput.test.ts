// The usage service's live throughput sample (services/usage/throughput.ts): the last minute of
// counted events by the service's clock, whatever the machine's clock says.
import { describe, expect, it } from "vitest";
import { Throughput } from "../../services/usage/throughput.js";

describe("throughput sample", () => {
  it("counts the last minute before the service's clock, by kind, and forgets older events", () => {
    let t = Date.UTC(2030, 0, 1); // years ahead of the machine's clock
    const tp = new Throughput(() => t);
    tp.add(t - 90_000, "routed");
    tp.add(t - 30_000, "routed");
    tp.add(t - 20_000, "receipts");
    tp.add(t - 10_000, "queries");
    tp.add(t - 1_000, "refusals");
    expect(tp.sample()).toEqual({ atMs: t, messagesRouted: 1, receipts: 1, queries: 1, refusals: 1, auditEvents: 4 });
    t += 35_000;
    expect(tp.sample()).toEqual({ atMs: t, messagesRouted: 0, receipts: 1, queries: 1, refusals: 1, auditEvents: 3 });
  });
});
