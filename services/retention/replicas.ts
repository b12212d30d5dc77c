// Secure erase on a cluster (issue #14): a data-key stream's replica that was behind while keys
// were erased is recorded once it is current again, for an administrator to rebuild it from the
// others (src/nats/replica-rebuild.ts; this service may not change a stream's config). nats-server
// catches a replica up from a stream snapshot when the others have compacted their Raft logs past
// what it holds, and it applies the snapshot's deleted sequences with a plain remove, not an erase
// (v2.15.3 jetstream_cluster.go processSnapshotDeletes -> filestore.go SyncDeleted -> removeMsg(secure=false)):
// the erased keys' bytes stay in that replica's block files. Dropping that replica's copy (the server
// deletes its store) and placing a fresh one, which receives only the messages that remain, removes them.
import type { KV } from "@nats-io/kv";
import { jetstreamManager, type StreamInfo } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/nats-core";
import type { Logger } from "../../src/log/mod.js";
import { KEY_SHARDS, keyShardStream, loadStaleReplicas, membersOf, pendingRebuilds, STALE_REPLICAS_KEY, type StaleReplicasState, type StreamWatch } from "../../src/nats/mod.js";

export { membersOf };

/**
 * Updates one data-key stream's record from its info: notes each node that is behind, and records
 * as stale each one that is current again after the stream removed messages meanwhile. Returns the
 * nodes recorded stale now. Only a led stream's info is read: during an election (a step-down, a
 * node's loss) a member answers from its own view (nats-server v2.15.3 jsStreamInfoRequest, a
 * leaderless group), with no leader, and a node missing from that view has not left the stream;
 * taking it for gone would forget that it was behind, and never record it.
 */
export function noteKeyReplicas(w: StreamWatch, info: Pick<StreamInfo, "cluster" | "state"> & { readonly config?: { readonly num_replicas: number } }, nowMs: number): string[] {
  // A leader that does not know a peer's name yet (after the whole cluster restarted) cannot say who it is either.
  if (!info.cluster?.leader || (info.cluster.replicas ?? []).some((r) => r.name.startsWith("Server name unknown"))) return [];
  const removed = removedOf(info);
  const members = membersOf(info);
  const stale: string[] = [];
  for (const m of members) {
    if (m.name in w.stale) continue; // its rebuild is pending
    if (m.behind) w.behind[m.name] ??= { since: w.seen[m.name] ?? 0 };
    else if (m.current && !(m.name in w.behind)) w.seen[m.name] = removed;
  }
  // A node missing from a leader's list has left the stream only when the list is whole (as many
  // members as the stream has replicas); a leader just elected or restarted may list fewer for a
  // while, and forgetting a node then would never record it when it comes back current.
  const whole = info.config === undefined || members.length >= info.config.num_replicas;
  for (const [node, b] of Object.entries(w.behind)) {
    const member = members.find((m) => m.name === node);
    if (member && !member.current) continue; // still behind
    if (!member && !whole) continue; // not listed for now
    if (member && removed > b.since) {
      w.stale[node] = { sinceMs: nowMs };
      stale.push(node);
    } else {
      // Nothing was removed while it was behind, or it is no member any more: no copy it holds
      // can keep an erased key.
      w.seen[node] = removed;
    }
    delete w.behind[node];
  }
  return stale;
}

export interface ReplicaDeps {
  readonly nc: NatsConnection;
  readonly state: KV;
  readonly log: Logger;
  readonly streams?: readonly string[];
  readonly now?: () => number;
}

const removedOf = (info: Pick<StreamInfo, "state">) => info.state.last_seq - info.state.messages;

export class KeyReplicaWatch {
  readonly #d: ReplicaDeps;
  readonly #streams: readonly string[];
  #busy: Promise<number> | undefined;
  #pending = 0;

  constructor(d: ReplicaDeps) {
    this.#d = d;
    this.#streams = d.streams ?? Array.from({ length: KEY_SHARDS }, (_, k) => keyShardStream(k));
  }

  /**
   * Notes every node of a data-key stream that is behind, and records as stale each one that is
   * current again and missed removals meanwhile. Returns how many rebuilds are pending. One at a time.
   */
  check(): Promise<number> {
    return (this.#busy ??= this.#check().finally(() => (this.#busy = undefined)));
  }

  /** How many stale replicas wait for an administrator's rebuild, as of the last check. */
  pending(): number {
    return this.#pending;
  }

  /** Resolves once no check runs (for a clean shutdown). */
  async idle(): Promise<void> {
    await this.#busy?.catch(() => undefined);
  }

  async #check(): Promise<number> {
    const jsm = await jetstreamManager(this.#d.nc);
    const { value, revision } = await loadStaleReplicas(this.#d.state, this.#d.log);
    // A state that does not parse is left for an administrator to look at (logged by the load).
    if (!value) return this.#pending;
    const watched: StaleReplicasState = value;
    const before = JSON.stringify(watched);
    const now = this.#d.now ?? Date.now;
    for (const stream of this.#streams) {
      const info = await jsm.streams.info(stream).catch(() => undefined);
      // One copy (a single server) has no replica to fall behind.
      if (!info?.cluster || (info.config.num_replicas < 2 && !watched[stream])) continue;
      const w = (watched[stream] ??= { seen: {}, behind: {}, stale: {} });
      for (const node of noteKeyReplicas(w, info, now())) {
        this.#d.log.warn(
          { stream, node },
          "a data-key stream's replica that was behind while keys were erased is current again and may hold erased data keys in its files; rebuild pending (liaison provision --rebuild-stale-replicas)",
        );
      }
    }
    const after = JSON.stringify(watched);
    if (after !== before) {
      // Compare-and-set: an administrator's rebuild that cleared an entry meanwhile wins; the next check sees it.
      if (revision === 0) await this.#d.state.create(STALE_REPLICAS_KEY, after);
      else await this.#d.state.update(STALE_REPLICAS_KEY, after, revision);
    }
    this.#pending = pendingRebuilds(watched).length;
    return this.#pending;
  }
}
