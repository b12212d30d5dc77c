// Makes the server's streams, buckets, object stores and consumers match src/nats/streams.ts.
// Idempotent: running it again changes nothing and never touches stored messages.
import {
  DiscardPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  jetstream,
  jetstreamManager,
  type JetStreamManager,
  type StreamConfig,
  type ConsumerConfig,
} from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { nanos, type NatsConnection } from "@nats-io/nats-core";
import { LiaisonError } from "../errors.js";
import { Objm } from "@nats-io/obj";
import {
  BUCKETS,
  OBJECT_STORES,
  STREAMS,
  apStoreStream,
  apPushStream,
  contactPointConsumers,
  hubConsumers,
  largeFileStore,
  DEFAULT_LARGE_FILE_STORE_BYTES,
  type ConsumerSpec,
  type StreamSpec,
} from "./streams.js";

export type ProvisionAction = "created" | "updated" | "unchanged";

export interface ProvisionEntry {
  readonly kind: "stream" | "kv" | "object-store" | "consumer";
  readonly name: string;
  readonly action: ProvisionAction;
}

export interface ProvisionOptions {
  /** Stream replicas (1 on a single server, 3 on a production cluster). */
  readonly replicas?: number;
  /** Contact points whose inbox consumers to provision (their stores are their access points' own). */
  readonly contactPoints?: readonly string[];
  /** Each contact point's large-file store holds at most this many bytes (default DEFAULT_LARGE_FILE_STORE_BYTES). */
  readonly largeFileStoreBytes?: number;
}

function isNotFound(err: unknown): boolean {
  return (
    err instanceof JetStreamApiError &&
    (err.code === JetStreamApiCodes.StreamNotFound || err.code === JetStreamApiCodes.ConsumerNotFound)
  );
}

/** The fields of `want` whose values differ from `have` (deep, by JSON value). */
function differs(want: object, have: object): string[] {
  const h = have as Record<string, unknown>;
  return Object.entries(want)
    .filter(([k, v]) => JSON.stringify(v) !== JSON.stringify(h[k]))
    .map(([k]) => k);
}

async function ensureStream(jsm: JetStreamManager, spec: StreamSpec, replicas: number): Promise<ProvisionEntry> {
  const want: Partial<StreamConfig> & { name: string } = { ...spec, num_replicas: replicas };
  try {
    const info = await jsm.streams.info(spec.name);
    if (differs(want, info.config).length === 0) return { kind: "stream", name: spec.name, action: "unchanged" };
    await jsm.streams.update(spec.name, { ...info.config, ...want });
    return { kind: "stream", name: spec.name, action: "updated" };
  } catch (err) {
    if (!isNotFound(err)) throw err;
    await jsm.streams.add(want);
    return { kind: "stream", name: spec.name, action: "created" };
  }
}

/** Creates a bucket with the library (so it follows KV conventions), then reconciles our settings. */
async function ensureBucketStream(
  jsm: JetStreamManager,
  kind: "kv" | "object-store",
  name: string,
  streamName: string,
  create: () => Promise<unknown>,
  want: Partial<StreamConfig>,
): Promise<ProvisionEntry> {
  let existed = true;
  try {
    await jsm.streams.info(streamName);
  } catch (err) {
    if (!isNotFound(err)) throw err;
    existed = false;
  }
  await create();
  const info = await jsm.streams.info(streamName);
  if (differs(want, info.config).length === 0) return { kind, name, action: existed ? "unchanged" : "created" };
  await jsm.streams.update(streamName, { ...info.config, ...want });
  return { kind, name, action: existed ? "updated" : "created" };
}

async function ensureConsumer(jsm: JetStreamManager, spec: ConsumerSpec): Promise<ProvisionEntry> {
  const name = `${spec.stream}/${spec.config.durable_name}`;
  try {
    const info = await jsm.consumers.info(spec.stream, spec.config.durable_name);
    const changed = differs(spec.config, info.config);
    if (changed.length === 0) return { kind: "consumer", name, action: "unchanged" };
    const update: Partial<ConsumerConfig> = { ...info.config, ...spec.config };
    await jsm.consumers.update(spec.stream, spec.config.durable_name, update);
    return { kind: "consumer", name, action: "updated" };
  } catch (err) {
    if (!isNotFound(err)) throw err;
    await jsm.consumers.add(spec.stream, spec.config);
    return { kind: "consumer", name, action: "created" };
  }
}

/** How many servers the connection's JetStream cluster has (1 for a single server): from the server's INFO. */
export function clusterSize(nc: NatsConnection): number {
  const info = nc.info;
  if (!info?.cluster) return 1;
  return Math.max(1, new Set(info.connect_urls ?? []).size);
}

/** Refuses a replica count the cluster cannot hold, naming both. */
export function checkReplicas(nc: NatsConnection, replicas: number): void {
  const size = clusterSize(nc);
  if (replicas > size) {
    throw new LiaisonError(
      "LIAISON_CONFIG_INVALID",
      `LIAISON_REPLICAS is ${replicas}, but the JetStream ${size === 1 ? "server is a single node" : `cluster has ${size} servers`}: ` +
        `a stream cannot have more replicas than there are servers. Use 1 on a single server, 3 on a three-node cluster (LIAISON_CLUSTER=3 npm start).`,
    );
  }
}

/** The server's "no room for that many replicas" refusal, as the same clear error. */
function replicaRefusal(err: unknown, nc: NatsConnection, replicas: number): unknown {
  if (err instanceof Error && /no suitable peers|replicas > 1 not supported|insufficient resources/i.test(err.message)) {
    try {
      checkReplicas(nc, replicas);
    } catch (clear) {
      return clear;
    }
    return new LiaisonError("LIAISON_CONFIG_INVALID", `JetStream cannot place ${replicas} replicas: ${err.message}`, { cause: err });
  }
  return err;
}

/** Provisions the hub's streams, buckets and consumers, plus those of the given contact points. */
export async function provision(nc: NatsConnection, opts: ProvisionOptions = {}): Promise<ProvisionEntry[]> {
  const replicas = opts.replicas ?? 1;
  checkReplicas(nc, replicas);
  try {
    return await provisionAll(nc, opts, replicas);
  } catch (err) {
    throw replicaRefusal(err, nc, replicas);
  }
}

async function provisionAll(nc: NatsConnection, opts: ProvisionOptions, replicas: number): Promise<ProvisionEntry[]> {
  const jsm = await jetstreamManager(nc);
  const js = jetstream(nc);
  const kvm = new Kvm(js);
  const objm = new Objm(js);
  const out: ProvisionEntry[] = [];

  for (const spec of Object.values(STREAMS)) out.push(await ensureStream(jsm, spec, replicas));
  for (const b of BUCKETS) {
    const want: Partial<StreamConfig> = {
      description: b.description,
      max_msgs_per_subject: b.history,
      num_replicas: replicas,
      ...(b.maxValueSize ? { max_msg_size: b.maxValueSize } : {}),
      ...(b.ttlMs ? { max_age: nanos(b.ttlMs) } : {}),
    };
    const create = () =>
      kvm.create(b.bucket, {
        description: b.description,
        history: b.history,
        replicas,
        ...(b.maxValueSize ? { maxValueSize: b.maxValueSize } : {}),
        ...(b.ttlMs ? { ttl: b.ttlMs } : {}),
      });
    out.push(await ensureBucketStream(jsm, "kv", b.bucket, `KV_${b.bucket}`, create, want));
  }
  for (const o of OBJECT_STORES) {
    const want: Partial<StreamConfig> = { description: o.description, num_replicas: replicas };
    const create = () => objm.create(o.bucket, { description: o.description, replicas });
    out.push(await ensureBucketStream(jsm, "object-store", o.bucket, `OBJ_${o.bucket}`, create, want));
  }
  for (const c of hubConsumers()) out.push(await ensureConsumer(jsm, c));
  const largeFileStoreBytes = opts.largeFileStoreBytes;
  for (const cp of opts.contactPoints ?? []) out.push(...(await provisionContactPoint(nc, cp, { replicas, ...(largeFileStoreBytes ? { largeFileStoreBytes } : {}) })));
  return out;
}

/** What one contact point needs at the hub (HUB account): its inbox consumers and its large-file store. */
export async function provisionContactPoint(
  nc: NatsConnection,
  cp: string,
  opts: { replicas?: number; largeFileStoreBytes?: number } = {},
): Promise<ProvisionEntry[]> {
  const jsm = await jetstreamManager(nc);
  const out: ProvisionEntry[] = [];
  for (const c of contactPointConsumers(cp)) out.push(await ensureConsumer(jsm, c));
  const lf = largeFileStore(cp);
  const replicas = opts.replicas ?? 1;
  // Members write into each other's stores (accounts.ts): nothing they publish may remove what is
  // there (no rollup header, no purge, no delete; an abandoned upload ages out with max_age), nor
  // fill the hub's disk (a size limit refusing what is new, messages of one sealed chunk at most).
  const want: Partial<StreamConfig> = {
    description: lf.description,
    num_replicas: replicas,
    max_age: nanos(lf.maxAgeMs),
    allow_rollup_hdrs: false,
    deny_delete: true,
    deny_purge: true,
    max_bytes: opts.largeFileStoreBytes ?? DEFAULT_LARGE_FILE_STORE_BYTES,
    discard: DiscardPolicy.New,
    max_msg_size: lf.maxMsgSize,
  };
  const create = () => new Objm(jetstream(nc)).create(lf.bucket, { description: lf.description, replicas, ttl: lf.maxAgeMs });
  out.push(await ensureBucketStream(jsm, "object-store", lf.bucket, `OBJ_${lf.bucket}`, create, want));
  return out;
}

/** A contact point's push log (AP_<CP>_PUSH), beside its store in its own account or leaf node. */
export function provisionMemberPushLog(nc: NatsConnection, cp: string, opts: { replicas?: number } = {}): Promise<ProvisionEntry> {
  return provisionMemberStream(nc, apPushStream(cp), opts.replicas ?? 1);
}

/**
 * A contact point's own store (AP_<CP>), made by its access point in its own account (or its own
 * leaf node's JetStream), within that account's limits; the hub cannot reach it.
 */
export function provisionMemberStore(nc: NatsConnection, cp: string, opts: { replicas?: number } = {}): Promise<ProvisionEntry> {
  return provisionMemberStream(nc, apStoreStream(cp), opts.replicas ?? 1);
}

/** A stream of a contact point's own, with as many replicas as its JetStream can hold. */
async function provisionMemberStream(nc: NatsConnection, spec: StreamSpec, replicas: number): Promise<ProvisionEntry> {
  checkReplicas(nc, replicas);
  try {
    return await ensureStream(await jetstreamManager(nc), spec, replicas);
  } catch (err) {
    throw replicaRefusal(err, nc, replicas);
  }
}
