// How operations tell an access point is down from its inbox consumers alone (src/ops/status.ts):
// messages waiting, no pull request, no recent delivery, and still so at a second look.
import { describe, expect, it } from "vitest";
import { inboxConsumer, inboxConsumerOwner } from "../../src/nats/mod.js";
import { accessPointsOf, type ConsumerStatus } from "../../src/ops/mod.js";

const consumer = (name: string, o: Partial<ConsumerStatus> = {}): ConsumerStatus => ({
  stream: "INBOX",
  name,
  pending: 0,
  ackPending: 0,
  redelivered: 0,
  waiting: 1,
  lastActiveAgoMs: 5_000,
  ...o,
});

describe("access point status", () => {
  it("reads the contact point back from each of its inbox consumers, and nothing else", () => {
    for (const cp of ["BE", "OLAF"]) {
      for (const prio of ["urgent", "normal"] as const) expect(inboxConsumerOwner(inboxConsumer(cp, prio).config.durable_name ?? "")).toEqual({ cp, prio });
    }
    expect(inboxConsumerOwner("exchange-normal")).toBeUndefined();
    expect(inboxConsumerOwner("inbox--normal")).toBeUndefined();
  });

  it("calls an access point down when messages wait, it has no pull request and nothing was delivered for the idle limit", async () => {
    const consumers = [
      consumer("inbox-NL-normal", { pending: 20, waiting: 0, lastActiveAgoMs: 45_000 }),
      consumer("inbox-NL-urgent", { waiting: 0, lastActiveAgoMs: undefined }),
      consumer("inbox-BE-normal", { pending: 3, waiting: 1, lastActiveAgoMs: 45_000 }), // pulling: delivered to at once
      consumer("inbox-BE-urgent"),
      consumer("inbox-DE-normal", { pending: 0, waiting: 0 }), // nothing waits for it: no harm yet
      consumer("inbox-FR-normal", { pending: 7, waiting: 0, lastActiveAgoMs: 200 }), // working through a backlog
      { ...consumer("usage"), stream: "AUDIT", pending: 99, waiting: 0 },
    ];
    const looked = new Map(consumers.map((c) => [c.name, { pending: c.pending, waiting: c.waiting, deliveredSeq: 10 }]));
    const aps = await accessPointsOf(consumers, 30_000, 1, async (name) => looked.get(name) ?? { pending: 0, waiting: 0, deliveredSeq: 0 });
    expect(aps.map((a) => [a.cp, a.down])).toEqual([
      ["BE", false],
      ["DE", false],
      ["FR", false],
      ["NL", true],
    ]);
    expect(aps.find((a) => a.cp === "NL")).toMatchObject({ pending: 20, pulls: 0, lastDeliveryAgoMs: 45_000 });
  });

  it("does not call an access point down that pulls again, or was delivered to, by the second look", async () => {
    const consumers = [consumer("inbox-NL-normal", { pending: 4, waiting: 0, lastActiveAgoMs: undefined }), consumer("inbox-BE-normal", { pending: 4, waiting: 0, lastActiveAgoMs: undefined })];
    let looks = 0;
    const aps = await accessPointsOf(consumers, 30_000, 1, async (name) => {
      looks++;
      const second = looks > 2;
      if (name === "inbox-NL-normal") return { pending: 4, waiting: second ? 1 : 0, deliveredSeq: 10 };
      return { pending: second ? 1 : 4, waiting: 0, deliveredSeq: second ? 13 : 10 };
    });
    expect(aps.map((a) => [a.cp, a.down])).toEqual([
      ["BE", false],
      ["NL", false],
    ]);
  });
});
