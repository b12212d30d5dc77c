// Secure erase on a cluster (issue #14): a data-key stream's replica that was behind while keys
// were erased is rebuilt from the others once it is current again. nats-server catches a replica up
// from a stream snapshot when the others have compacted their Raft logs past what it holds, and it
// applies the snapshot's deleted sequences with a plain remove, not an erase (v2.15.3
// jetstream_cluster.go processSnapshotDeletes -> filestore.go SyncDeleted -> removeMsg(secure=false)):
// the erased keys' bytes stay in that replica's block files. Dropping that replica's copy (the server
// deletes its store) and placing a fresh one, which receives only the messages that remain, removes them.
import type { KV } from "@nats-io/kv";
import { jetstreamManager, type JetStreamManager, type StreamInfo } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/nats-core";
import type { Logger } from "../../src/log/mod.js";
import { KEY_SHARDS, keyShardStream } from "../../src/nats/mod.js";

/** Where in KV "state" the replicas seen behind are kept, so a restarted service still rebuilds them. */
const STATE_KEY = "retention.key-replicas";
/** How long one step of a rebuild (a replica count change, a peer removal) may take to settle. */
const SETTLE_MS = 90_000;
/** A replica unheard this long is down (nats-server's Raft heartbeat is every second). */
const UNHEARD_NS = 2_000_000_000;

interface StreamWatch {
  /** Per node: messages removed from the stream (last_seq - messages) when it was last seen current. */
  seen: Record<string, number>;
  /** Per node seen behind: the removals it had, and the stream's replica count then. */
  behind: Record<string, { since: number; replicas: number }>;
}
type Watched = Record<string, StreamWatch>;

export interface ReplicaDeps {
  readonly nc: NatsConnection;
  readonly state: KV;
  readonly log: Logger;
  readonly streams?: readonly string[];
  readonly settleMs?: number;
}

const removedOf = (info: StreamInfo) => info.state.last_seq - info.state.messages;

/**
 * The stream's nodes: `current` when it holds everything the leader committed, `behind` when it
 * is offline or missing commits and unheard for longer than Raft's heartbeats allow (a node merely
 * slow to acknowledge under load is neither current nor behind, and rebuilt for nothing).
 */
export function membersOf(info: Pick<StreamInfo, "cluster">): Array<{ name: string; current: boolean; behind: boolean }> {
  const c = info.cluster;
  if (!c?.leader) return [];
  return [
    { name: c.leader, current: true, behind: false },
    ...(c.replicas ?? []).map((r) => ({
      name: r.name,
      current: r.current && !r.offline,
      behind: r.offline || (!r.current && (!r.active || r.active > UNHEARD_NS)),
    })),
  ];
}

export class KeyReplicaWatch {
  readonly #d: ReplicaDeps;
  readonly #streams: readonly string[];
  #busy: Promise<number> | undefined;

  constructor(d: ReplicaDeps) {
    this.#d = d;
    this.#streams = d.streams ?? Array.from({ length: KEY_SHARDS }, (_, k) => keyShardStream(k));
  }

  /**
   * Notes every node of a data-key stream that is behind, and rebuilds each one that is current
   * again and missed removals meanwhile. Returns how many replicas were rebuilt. One at a time.
   */
  check(): Promise<number> {
    return (this.#busy ??= this.#check().finally(() => (this.#busy = undefined)));
  }

  /** Resolves once no check runs (for a clean shutdown). */
  async idle(): Promise<void> {
    await this.#busy?.catch(() => undefined);
  }

  async #check(): Promise<number> {
    const jsm = await jetstreamManager(this.#d.nc);
    const watched = await this.#load();
    let saved = JSON.stringify(watched);
    const save = async () => {
      const now = JSON.stringify(watched);
      if (now !== saved) await this.#d.state.put(STATE_KEY, now);
      saved = now;
    };
    let rebuilt = 0;
    for (const stream of this.#streams) {
      const info = await jsm.streams.info(stream).catch(() => undefined);
      // One copy (a single server) has no replica to fall behind.
      if (!info?.cluster || (info.config.num_replicas < 2 && !watched[stream])) continue;
      const w = (watched[stream] ??= { seen: {}, behind: {} });
      const removed = removedOf(info);
      const members = membersOf(info);
      for (const m of members) {
        if (m.behind) w.behind[m.name] ??= { since: w.seen[m.name] ?? 0, replicas: info.config.num_replicas };
        else if (m.current && !(m.name in w.behind)) w.seen[m.name] = removed;
      }
      await save();
      for (const [node, b] of Object.entries(w.behind)) {
        const member = members.find((m) => m.name === node);
        // A rebuild cut short (the stream still has a replica fewer) is finished first.
        const cutShort = info.config.num_replicas < b.replicas;
        if (!cutShort && member && !member.current) continue; // still behind
        if (cutShort || (member && removed > b.since)) {
          const t0 = Date.now();
          await this.#rebuild(jsm, stream, node, b.replicas);
          rebuilt++;
          this.#d.log.warn(
            { stream, node, tookMs: Date.now() - t0 },
            "a data-key stream's replica that was behind while keys were erased was dropped and rebuilt from the others, so no erased key stays in its files",
          );
        }
        // Rebuilt, or nothing was removed while it was behind, or it is no member any more: no
        // copy it holds can keep an erased key.
        delete w.behind[node];
        w.seen[node] = removedOf(await jsm.streams.info(stream));
        await save();
      }
    }
    return rebuilt;
  }

  /**
   * Drops `node`'s copy of the stream and places a fresh one, never below `replicas - 1` copies:
   * one fewer replica (the server picks which), then `node` removed if it is still a member (the
   * free node takes its place and syncs from the leader), then back to `replicas`: every copy that
   * `node` held is gone and the copies that remain were built from the leader's messages alone.
   */
  async #rebuild(jsm: JetStreamManager, stream: string, node: string, replicas: number): Promise<void> {
    if (replicas < 2) return;
    const info = await jsm.streams.info(stream);
    if (info.config.num_replicas >= replicas) {
      await jsm.streams.update(stream, { num_replicas: replicas - 1 });
      await this.#settled(jsm, stream, replicas - 1);
    }
    if (membersOf(await jsm.streams.info(stream)).some((m) => m.name === node)) {
      const r = await this.#d.nc.request(`$JS.API.STREAM.PEER.REMOVE.${stream}`, JSON.stringify({ peer: node }), { timeout: 10_000 });
      const reply = r.json<{ success?: boolean; error?: { description?: string } }>();
      if (!reply.success) throw new Error(`the stale replica of ${stream} could not be removed: ${reply.error?.description ?? "no reason given"}`);
      await this.#settled(jsm, stream, replicas - 1, node);
    }
    await jsm.streams.update(stream, { num_replicas: replicas });
    await this.#settled(jsm, stream, replicas);
  }

  /** Waits until the stream has `n` nodes, `without` none of them, all current. */
  async #settled(jsm: JetStreamManager, stream: string, n: number, without?: string): Promise<void> {
    const end = Date.now() + (this.#d.settleMs ?? SETTLE_MS);
    while (Date.now() < end) {
      const info = await jsm.streams.info(stream).catch(() => undefined);
      const members = info ? membersOf(info) : [];
      if (members.length === n && members.every((m) => m.current) && !members.some((m) => m.name === without)) return;
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`stream ${stream} did not settle on ${n} current replicas within ${this.#d.settleMs ?? SETTLE_MS} ms`);
  }

  async #load(): Promise<Watched> {
    const e = await this.#d.state.get(STATE_KEY);
    return e?.value.length ? (e.json<Watched>() ?? {}) : {};
  }
}
