// Stale data-key stream replicas (issue #14): the retention service records, in KV "state" under
// its own prefix, each replica that was behind while keys were erased; an administrator rebuilds
// them (`liaison provision --rebuild-stale-replicas`). The rebuild needs the power to change a
// stream's config, which no service holds (docs/nats.md): it only moves the replica count between
// the spec's R-1 and R, on a stream whose live config matches src/nats/streams.ts in every other
// respect, and writes back that spec.
import type { KV } from "@nats-io/kv";
import { jetstreamManager, type JetStreamManager, type StreamConfig, type StreamInfo } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/nats-core";
import { z } from "zod";
import type { Logger } from "../log/mod.js";
import { KEY_SHARDS, keyShardStream, STREAMS, type StreamSpec } from "./streams.js";

/** The key in KV "state" (the retention service's prefix, which only it and the administrator may write). */
export const STALE_REPLICAS_KEY = "retention.key-replicas";
/** How long one step of a rebuild (a replica count change, a peer removal) may take to settle. */
const SETTLE_MS = 90_000;
/** A replica unheard this long is down (nats-server's Raft heartbeat is every second). */
const UNHEARD_NS = 2_000_000_000;

const KEY_STREAMS: readonly string[] = Array.from({ length: KEY_SHARDS }, (_, k) => keyShardStream(k));
/** A nats-server name (server_name): what a peer removal names. */
const nodeName = z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/);
const count = z.number().int().nonnegative();

const streamWatch = z.object({
  /** Per node: messages removed from the stream (last_seq - messages) when it was last seen current. */
  seen: z.record(nodeName, count).default({}),
  /** Per node seen behind: the removals it had then. */
  behind: z.record(nodeName, z.object({ since: count })).default({}),
  /** Nodes current again that missed removals while behind: their copy may keep erased bytes; rebuild pending. */
  stale: z.record(nodeName, z.object({ sinceMs: count })).default({}),
});
export const staleReplicasSchema = z.partialRecord(z.enum(KEY_STREAMS as [string, ...string[]]), streamWatch);
export type StreamWatch = z.infer<typeof streamWatch>;
export type StaleReplicasState = z.infer<typeof staleReplicasSchema>;

/**
 * The recorded state and its revision (0: none yet). A value that does not parse (not JSON, not the
 * schema, a stream or node name that is not one) is logged and taken as `undefined`: never acted on.
 */
export async function loadStaleReplicas(state: KV, log: Logger): Promise<{ value: StaleReplicasState | undefined; revision: number }> {
  const e = await state.get(STALE_REPLICAS_KEY);
  if (!e?.value.length) return { value: {}, revision: e?.revision ?? 0 };
  let raw: unknown;
  try {
    raw = e.json();
  } catch {
    raw = undefined;
  }
  const parsed = staleReplicasSchema.safeParse(raw);
  if (!parsed.success) {
    log.error({ key: STALE_REPLICAS_KEY, issues: parsed.error.issues.length }, "the recorded stale key-stream replicas do not parse; ignored, nothing acted on");
    return { value: undefined, revision: e.revision };
  }
  return { value: parsed.data, revision: e.revision };
}

/** Each recorded replica whose rebuild is pending. */
export function pendingRebuilds(s: StaleReplicasState): Array<{ stream: string; node: string; sinceMs: number }> {
  return Object.entries(s).flatMap(([stream, w]) => Object.entries(w?.stale ?? {}).map(([node, v]) => ({ stream, node, sinceMs: v.sinceMs })));
}

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

/**
 * The settings a stream's live config must hold, from its spec: every field the spec sets, and
 * the server's default for each field that would let a config change delete, seal, expire, copy
 * or widen what the stream holds when the spec leaves it unset.
 */
const GUARDED_DEFAULTS: Partial<StreamConfig> = {
  deny_delete: false,
  deny_purge: false,
  sealed: false,
  max_age: 0,
  max_msgs: -1,
  max_bytes: -1,
  max_msgs_per_subject: -1,
  allow_rollup_hdrs: false,
  allow_msg_ttl: false,
};
const ABSENT_FIELDS = ["republish", "sources", "mirror", "subject_transform"] as const;

/** The fields of `live` that differ from `spec` (num_replicas aside), by JSON value; empty when it matches. */
export function streamDrift(spec: StreamSpec, live: StreamConfig): string[] {
  const l = live as unknown as Record<string, unknown>;
  const want: Record<string, unknown> = { ...GUARDED_DEFAULTS, ...spec };
  delete want.num_replicas;
  const off = Object.entries(want)
    .filter(([k, v]) => JSON.stringify(v) !== JSON.stringify(l[k] ?? (k in GUARDED_DEFAULTS ? (GUARDED_DEFAULTS as Record<string, unknown>)[k] : undefined)))
    .map(([k]) => k);
  for (const k of ABSENT_FIELDS) {
    const v = l[k];
    if (v !== undefined && v !== null && !(Array.isArray(v) && v.length === 0) && !(k in spec)) off.push(k);
  }
  return off;
}

export interface RebuildDeps {
  /** A connection with the administrator's credentials. */
  readonly nc: NatsConnection;
  /** KV "state". */
  readonly state: KV;
  readonly log: Logger;
  /** The spec's replica count (LIAISON_REPLICAS): 3 on a three-node cluster. */
  readonly replicas: number;
  readonly settleMs?: number;
}

export interface RebuildResult {
  readonly stream: string;
  readonly node: string;
  /** `refused`: a check failed, nothing changed on that stream; `failed`: a step did not complete (the next call finishes it). */
  readonly outcome: "rebuilt" | "refused" | "failed";
  readonly reason?: string;
  readonly tookMs: number;
}

/** A check that fails before anything changes on the stream. */
class Refusal extends Error {
  override name = "Refusal";
}

const specOf = (stream: string): StreamSpec | undefined => Object.values(STREAMS).find((s) => s.name === stream);

/**
 * Rebuilds every recorded stale replica: drops `node`'s copy of the stream and places a fresh one,
 * never below R-1 copies: one fewer replica (the server picks which), then `node` removed if it is
 * still a member (the free node takes its place and syncs from the leader), then back to R: every
 * copy `node` held is gone and the copies that remain were built from the leader's messages alone.
 * Refuses a stream whose live config differs from its spec, or whose replica count is neither R
 * nor R-1, and goes on with the next; stops at a step that fails (a cluster that does not settle
 * is no place to take more copies away). A rebuild cut short (the stream left at R-1) is finished
 * by the next call.
 */
export async function rebuildStaleReplicas(d: RebuildDeps): Promise<RebuildResult[]> {
  if (!Number.isInteger(d.replicas) || d.replicas < 2) throw new Error(`a stale replica is rebuilt only on a cluster (spec replicas ${d.replicas})`);
  const { value } = await loadStaleReplicas(d.state, d.log);
  if (!value) throw new Error(`the recorded stale key-stream replicas (KV state ${STALE_REPLICAS_KEY}) do not parse; nothing rebuilt`);
  const jsm = await jetstreamManager(d.nc);
  const out: RebuildResult[] = [];
  for (const { stream, node } of pendingRebuilds(value)) {
    const t0 = Date.now();
    try {
      await rebuildOne(jsm, d, stream, node);
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      const refused = err instanceof Refusal;
      d.log.error({ stream, node, reason }, "a stale data-key stream replica was not rebuilt");
      out.push({ stream, node, outcome: refused ? "refused" : "failed", reason, tookMs: Date.now() - t0 });
      if (refused) continue;
      break;
    }
    await clearStale(d, stream, node);
    d.log.warn({ stream, node, tookMs: Date.now() - t0 }, "a data-key stream's replica that was behind while keys were erased was dropped and rebuilt from the others, so no erased key stays in its files");
    out.push({ stream, node, outcome: "rebuilt", tookMs: Date.now() - t0 });
  }
  return out;
}

async function rebuildOne(jsm: JetStreamManager, d: RebuildDeps, stream: string, node: string): Promise<void> {
  const spec = specOf(stream);
  if (!spec) throw new Refusal(`${stream} is not a stream of the spec`);
  const r = d.replicas;
  /** The live config, checked against the spec; then the spec itself with `n` replicas written. */
  const scale = async (n: number) => {
    const live = (await jsm.streams.info(stream)).config;
    const drift = streamDrift(spec, live);
    if (drift.length) throw new Refusal(`${stream}'s live config differs from its spec in ${drift.join(", ")}; run \`liaison provision\` or fix it by hand first`);
    if (live.num_replicas !== r && live.num_replicas !== r - 1) throw new Refusal(`${stream} has ${live.num_replicas} replicas, neither the spec's ${r} nor ${r - 1}`);
    if (live.num_replicas === n) return false;
    await jsm.streams.update(stream, { ...GUARDED_DEFAULTS, ...spec, num_replicas: n });
    return true;
  };
  if (await scale(r - 1)) await settled(jsm, d, stream, r - 1);
  if (membersOf(await jsm.streams.info(stream)).some((m) => m.name === node)) {
    const reply = (await d.nc.request(`$JS.API.STREAM.PEER.REMOVE.${stream}`, JSON.stringify({ peer: node }), { timeout: 10_000 })).json<{
      success?: boolean;
      error?: { description?: string };
    }>();
    if (!reply.success) throw new Error(`the stale replica of ${stream} could not be removed: ${reply.error?.description ?? "no reason given"}`);
    await settled(jsm, d, stream, r - 1, node);
  }
  await scale(r);
  await settled(jsm, d, stream, r);
}

/** Waits until the stream has `n` nodes, `without` none of them, all current. */
async function settled(jsm: JetStreamManager, d: RebuildDeps, stream: string, n: number, without?: string): Promise<void> {
  const ms = d.settleMs ?? SETTLE_MS;
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const info = await jsm.streams.info(stream).catch(() => undefined);
    const members = info ? membersOf(info) : [];
    if (members.length === n && members.every((m) => m.current) && !members.some((m) => m.name === without)) return;
    await new Promise((res) => setTimeout(res, 250));
  }
  throw new Error(`stream ${stream} did not settle on ${n} current replicas within ${ms} ms`);
}

/**
 * Takes `node` off the stream's pending rebuilds (compare-and-set on the key's revision), retried
 * while the cluster settles after the rebuild; the retention service's next check notes how many
 * removals it has seen.
 */
async function clearStale(d: RebuildDeps, stream: string, node: string): Promise<void> {
  const end = Date.now() + (d.settleMs ?? SETTLE_MS);
  for (;;) {
    try {
      const { value, revision } = await loadStaleReplicas(d.state, d.log);
      const w = value?.[stream];
      if (!value || !w || !(node in w.stale)) return;
      delete w.stale[node];
      delete w.behind[node];
      await d.state.update(STALE_REPLICAS_KEY, JSON.stringify(value), revision);
      return;
    } catch (err) {
      // The retention service wrote meanwhile, or a request timed out: read again.
      if (Date.now() > end) throw new Error(`the rebuilt replica of ${stream} could not be taken off the pending list`, { cause: err });
      await new Promise((res) => setTimeout(res, 250));
    }
  }
}
