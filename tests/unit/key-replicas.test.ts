// Which data-key stream replicas the retention service takes for behind (services/retention/replicas.ts):
// only a node that is down may have missed erasures through a snapshot; one slow to acknowledge is not rebuilt.
import type { PeerInfo, StreamInfo } from "@nats-io/jetstream";
import { describe, expect, it } from "vitest";
import { membersOf } from "../../services/retention/replicas.js";

const peer = (p: Partial<PeerInfo>): PeerInfo => ({ name: "n2", current: true, offline: false, active: 300_000_000, lag: 0, ...p });
const info = (...replicas: PeerInfo[]) => ({ cluster: { name: "hub", leader: "n1", replicas } }) as Pick<StreamInfo, "cluster">;

describe("data-key stream replicas seen behind", () => {
  it("counts the leader and a caught-up replica as current", () => {
    expect(membersOf(info(peer({})))).toEqual([
      { name: "n1", current: true, behind: false },
      { name: "n2", current: true, behind: false },
    ]);
  });

  it("takes an offline replica for behind, even one its leader still counts current", () => {
    expect(membersOf(info(peer({ offline: true })))[1]).toEqual({ name: "n2", current: false, behind: true });
  });

  it("takes a replica missing commits and unheard for over 2 s, or never heard by this leader, for behind", () => {
    expect(membersOf(info(peer({ current: false, lag: 25, active: 2_500_000_000 })))[1]?.behind).toBe(true);
    expect(membersOf(info(peer({ current: false, lag: 25, active: 0 })))[1]?.behind).toBe(true);
  });

  it("does not take a replica that is merely slow to acknowledge (heard within 2 s) for behind", () => {
    expect(membersOf(info(peer({ current: false, lag: 40, active: 800_000_000 })))[1]).toEqual({ name: "n2", current: false, behind: false });
  });

  it("sees no member in a stream without a leader", () => {
    expect(membersOf({ cluster: { name: "hub", replicas: [peer({})] } } as Pick<StreamInfo, "cluster">)).toEqual([]);
  });
});
