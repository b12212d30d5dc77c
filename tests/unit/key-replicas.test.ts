// Which data-key stream replicas the retention service takes for behind (services/retention/replicas.ts):
// only a node that is down may have missed erasures through a snapshot; one slow to acknowledge is not
// rebuilt. The record it keeps is checked before anyone acts on it, and the administrator's rebuild
// refuses a stream whose live config differs from its spec (src/nats/replica-rebuild.ts).
import type { PeerInfo, StreamConfig, StreamInfo } from "@nats-io/jetstream";
import { describe, expect, it } from "vitest";
import { staleReplicasSchema, STREAMS, streamDrift, type StreamWatch } from "../../src/nats/mod.js";
import { membersOf, noteKeyReplicas } from "../../services/retention/replicas.js";

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

describe("a replica behind during erasures, recorded once it is current again", () => {
  const led = (leader: string, removed: number, ...replicas: PeerInfo[]) => ({ cluster: { name: "hub", leader, replicas }, state: { last_seq: 100, messages: 100 - removed } }) as Pick<StreamInfo, "cluster" | "state">;
  const behindN3 = (): StreamWatch => ({ seen: { n1: 0, n2: 0 }, behind: { n3: { since: 0 } }, stale: {} });

  it("records it when it comes back as a follower, or as the stream's new leader", () => {
    const w = behindN3();
    expect(noteKeyReplicas(w, led("n1", 12, peer({}), peer({ name: "n3" })), 7)).toEqual(["n3"]);
    expect(w.stale).toEqual({ n3: { sinceMs: 7 } });
    const v = behindN3();
    expect(noteKeyReplicas(v, led("n3", 12, peer({ name: "n1" }), peer({})), 7)).toEqual(["n3"]);
  });

  it("keeps it behind through an election, when a member answers without a leader or a leader does not know a peer's name", () => {
    const w = behindN3();
    // A leaderless group's member answers from its own view: n3 is not in it.
    noteKeyReplicas(w, { cluster: { name: "hub", replicas: [peer({ name: "n1" }), peer({})] }, state: { last_seq: 100, messages: 88 } } as Pick<StreamInfo, "cluster" | "state">, 5);
    noteKeyReplicas(w, led("n1", 12, peer({}), peer({ name: "Server name unknown at this time (peerID: x)", offline: true })), 6);
    expect(w.behind).toEqual({ n3: { since: 0 } });
    // Then n3 leads, caught up: recorded.
    expect(noteKeyReplicas(w, led("n3", 12, peer({ name: "n1" }), peer({})), 7)).toEqual(["n3"]);
  });

  it("forgets it without a record when nothing was removed meanwhile, or when it is no member of a led stream any more", () => {
    const w = behindN3();
    expect(noteKeyReplicas(w, led("n1", 0, peer({}), peer({ name: "n3" })), 7)).toEqual([]);
    expect([w.behind, w.seen.n3]).toEqual([{}, 0]);
    const v = behindN3();
    expect(noteKeyReplicas(v, led("n1", 12, peer({}), peer({ name: "n4" })), 7)).toEqual([]);
    expect(v.behind).toEqual({});
    // The same with the stream's replica count: a whole list of three without n3.
    const u = behindN3();
    expect(noteKeyReplicas(u, { ...led("n1", 12, peer({}), peer({ name: "n4" })), config: { num_replicas: 3 } }, 7)).toEqual([]);
    expect(u.behind).toEqual({});
  });

  it("keeps it behind while a leader lists fewer members than the stream has replicas, and records it once it is back", () => {
    const w = behindN3();
    // A leader just elected lists two of three: n3 is not in the list, but has not left.
    expect(noteKeyReplicas(w, { ...led("n1", 12, peer({})), config: { num_replicas: 3 } }, 6)).toEqual([]);
    expect(w.behind).toEqual({ n3: { since: 0 } });
    expect(noteKeyReplicas(w, { ...led("n1", 12, peer({}), peer({ name: "n3" })), config: { num_replicas: 3 } }, 7)).toEqual(["n3"]);
  });
});

describe("the recorded stale replicas", () => {
  it("reads a valid record, with a stream's missing parts empty", () => {
    expect(staleReplicasSchema.parse({ RECORD_KEYS_2: { stale: { n2: { sinceMs: 5 } } } })).toEqual({ RECORD_KEYS_2: { seen: {}, behind: {}, stale: { n2: { sinceMs: 5 } } } });
  });

  it("rejects a null stream, a negative count, a stream that holds no data keys, and a node name that is none", () => {
    for (const forged of [
      { RECORD_KEYS: null },
      { RECORD_KEYS: { seen: {}, behind: { n2: { since: -1 } } } },
      { AUDIT: { stale: { n2: { sinceMs: 0 } } } },
      { RECORD_KEYS: { stale: { "n2.>": { sinceMs: 0 } } } },
      { RECORD_KEYS: { seen: { n2: 1.5 } } },
      [],
    ]) {
      expect(staleReplicasSchema.safeParse(forged).success, JSON.stringify(forged)).toBe(false);
    }
  });
});

describe("a data-key stream's live config against its spec", () => {
  const spec = STREAMS.RECORD_KEYS;
  const live = { ...spec, num_replicas: 3, deny_delete: false, sealed: false, max_age: 0, max_msgs: -1, max_bytes: -1, allow_rollup_hdrs: false } as unknown as StreamConfig;

  it("finds no difference in a config as provisioned, whatever its replica count", () => {
    expect(streamDrift(spec, live)).toEqual([]);
    expect(streamDrift(spec, { ...live, num_replicas: 2 })).toEqual([]);
  });

  it("names each setting that would delete, seal, expire, copy or widen the data keys", () => {
    const changes: Array<[string, Partial<StreamConfig>]> = [
      ["deny_delete", { deny_delete: true }],
      ["sealed", { sealed: true }],
      ["subjects", { subjects: [">"] }],
      ["max_age", { max_age: 1_000_000_000 }],
      ["republish", { republish: { src: ">", dest: "liaison.v1.inbox.NL.normal.leak" } }],
      ["sources", { sources: [{ name: "AUDIT" }] }],
      ["max_msgs_per_subject", { max_msgs_per_subject: 10 }],
      ["deny_purge", { deny_purge: false }],
    ];
    for (const [field, change] of changes) expect(streamDrift(spec, { ...live, ...change }), field).toEqual([field]);
  });
});
