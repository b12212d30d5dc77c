// Every stream, KV bucket, object store and durable consumer Liaison provisions, as data. Settings
// live here and nowhere else; src/nats/provision.ts makes the server match them, idempotently.
import {
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
  RetentionPolicy,
  StorageType,
  type ConsumerConfig,
  type StreamConfig,
} from "@nats-io/jetstream";
import { nanos } from "@nats-io/nats-core";
import { PRIORITY_TOKENS, subjects, type PriorityToken } from "./subjects.js";
import { FILE_CHUNK_OVERHEAD, FILE_CHUNK_SIZE } from "../crypto/mod.js";

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const DAY = 24 * 60 * MINUTE;
const MiB = 1024 * 1024;

/** Largest message a contact point may submit (envelope with attachments). NATS max_payload is 8 MiB. */
export const MAX_SUBMIT_BYTES = 8 * MiB;
/** Window in which JetStream drops a repeated Nats-Msg-Id; replays older than it are refused by time. */
export const DUPLICATE_WINDOW_MS = 10 * MINUTE;
/** Undelivered ciphertext is dropped from the hub after this (retention may delete earlier). */
export const INBOX_MAX_AGE_MS = 90 * DAY;
/** Audit event contents are dropped after this; their leaf hashes stay (AUDIT_LEAVES). */
export const AUDIT_MAX_AGE_MS = 3 * 365 * DAY;

export type StreamSpec = Omit<Partial<StreamConfig>, "name"> & { name: string; subjects: string[] };

/** How many streams the data keys are spread over (see STREAMS.RECORD_KEYS). */
export const KEY_SHARDS = 4;
/** The stream of one data-key shard: RECORD_KEYS for shard 0 (the only one before sharding). */
export const keyShardStream = (shard: number) => (shard === 0 ? "RECORD_KEYS" : `RECORD_KEYS_${shard}`);

function keyShard(shard: number): StreamSpec {
  return stream({
    name: keyShardStream(shard),
    description: `Data keys of CIS records and FIDE entries, wrapped by the key-encryption key (shard ${shard} of ${KEY_SHARDS})`,
    subjects: [subjects.dataKeysAllIn(shard)],
    retention: RetentionPolicy.Limits,
    max_msgs_per_subject: 1,
    allow_direct: true,
    deny_purge: true,
  });
}

export interface KvSpec {
  readonly bucket: string;
  readonly description: string;
  readonly history: number;
  readonly maxValueSize?: number;
  readonly ttlMs?: number;
}

export interface ObjectStoreSpec {
  readonly bucket: string;
  readonly description: string;
  readonly maxBytes?: number;
}

export interface ConsumerSpec {
  readonly stream: string;
  readonly config: Partial<ConsumerConfig> & { durable_name: string };
}

function stream(spec: StreamSpec): StreamSpec {
  return Object.freeze({ storage: StorageType.File, discard: DiscardPolicy.Old, ...spec });
}

/** The hub's streams. */
export const STREAMS = Object.freeze({
  /** What access points submit; the exchange takes each item once (work queue). */
  SUBMIT: stream({
    name: "SUBMIT",
    description: "Envelopes and receipts submitted by access points, awaiting the exchange",
    subjects: [...subjects.submitSubjects],
    retention: RetentionPolicy.Workqueue,
    discard: DiscardPolicy.New,
    max_msg_size: MAX_SUBMIT_BYTES,
    max_bytes: 4096 * MiB,
    duplicate_window: nanos(DUPLICATE_WINDOW_MS),
  }),
  /** What each contact point receives, until delivered (and kept for retention). */
  INBOX: stream({
    name: "INBOX",
    description: "Envelopes, receipts and notices routed to each contact point",
    subjects: [subjects.inboxAll],
    retention: RetentionPolicy.Limits,
    max_msg_size: MAX_SUBMIT_BYTES,
    max_age: nanos(INBOX_MAX_AGE_MS),
    duplicate_window: nanos(DUPLICATE_WINDOW_MS),
    deny_purge: true,
  }),
  /** The access log. Nobody may delete or purge it; contents age out after the audit period. */
  AUDIT: stream({
    name: "AUDIT",
    description: "Audit events, appended in order to the Merkle tree by the audit service",
    subjects: [subjects.auditEventsAll],
    retention: RetentionPolicy.Limits,
    max_age: nanos(AUDIT_MAX_AGE_MS),
    duplicate_window: nanos(DUPLICATE_WINDOW_MS),
    deny_delete: true,
    deny_purge: true,
  }),
  /** Leaf hashes of the audit tree in chunks: they outlive the events so old heads stay verifiable. */
  AUDIT_LEAVES: stream({
    name: "AUDIT_LEAVES",
    description: "Leaf hashes of the audit Merkle tree, in fixed-size chunks",
    subjects: [subjects.auditLeavesAll],
    retention: RetentionPolicy.Limits,
    max_msgs_per_subject: 1,
    allow_direct: true,
    deny_delete: true,
    deny_purge: true,
  }),
  /** Signed tree heads, in the order they were issued. */
  AUDIT_HEADS: stream({
    name: "AUDIT_HEADS",
    description: "Signed tree heads of the audit log",
    subjects: [subjects.auditHeads],
    retention: RetentionPolicy.Limits,
    allow_direct: true,
    deny_delete: true,
    deny_purge: true,
  }),
  /**
   * Wrapped data keys, one subject each, so erasing one is a JetStream message erase. In
   * KEY_SHARDS streams: nats-server erases one stream's messages one at a time, each waiting for
   * its disk flush, and the disk flushes several files at once faster than one after another.
   */
  RECORD_KEYS: keyShard(0),
  RECORD_KEYS_1: keyShard(1),
  RECORD_KEYS_2: keyShard(2),
  RECORD_KEYS_3: keyShard(3),
  /** The retention index: an item per message, under a subject per hour in which items fall due. */
  DUE: stream({
    name: "DUE",
    description: "Retention index: what falls due for review or erasure, by hour",
    subjects: [subjects.dueAll],
    retention: RetentionPolicy.Limits,
    max_msgs_per_subject: -1,
    allow_direct: true,
  }),
});

/** An access point's own store of what it sent and received, still sealed. */
export function apStoreStream(cp: string): StreamSpec {
  return stream({
    name: `AP_${cp}`,
    description: `Access point ${cp}: sealed copies of sent and received items, receipts`,
    subjects: [subjects.apStoreOf(cp)],
    retention: RetentionPolicy.Limits,
    max_msg_size: MAX_SUBMIT_BYTES,
    allow_direct: true,
    deny_purge: true,
  });
}

/** Most items an access point's push log keeps (events and delivery states): the oldest go first. */
export const PUSH_LOG_MAX_MSGS = 20_000;
/** Longest an access point's push log keeps an event or a delivery state. */
export const PUSH_LOG_MAX_AGE_MS = 30 * DAY;

/**
 * An access point's push log: the events it pushes to its back office (ids, kinds, times; no
 * content) and the last state of each webhook delivery (one per subject), bounded by count and age.
 */
export function apPushStream(cp: string): StreamSpec {
  return stream({
    name: `AP_${cp}_PUSH`,
    description: `Access point ${cp}: events pushed to its back office, webhook delivery log`,
    subjects: [subjects.apPushOf(cp)],
    retention: RetentionPolicy.Limits,
    max_msgs: PUSH_LOG_MAX_MSGS,
    max_age: nanos(PUSH_LOG_MAX_AGE_MS),
    max_msgs_per_subject: 1,
    allow_direct: true,
  });
}

/** How long the hub keeps a hit (bucket "hits"). */
export const HIT_KEEP_MS = 365 * 24 * 3_600_000;

/** How long the exchange remembers who sent a routed envelope to whom (receipts about it are checked against it). */
export const ROUTE_KEEP_MS = 365 * 24 * 3_600_000;

/** The hub's KV buckets. */
export const BUCKETS: readonly KvSpec[] = Object.freeze([
  { bucket: "registry", description: "Contact points, their public keys, validity and revocations", history: 10 },
  // History 2: an update (amendment, renewal, hold) writes the new revision, then securely erases
  // the one before; with history 1 the server would drop it at once, leaving its bytes on disk.
  { bucket: "records", description: "CIS records, encrypted under their own data keys", history: 2 },
  { bucket: "files", description: "FIDE investigation-file index entries, encrypted", history: 2 },
  // Who matched which record or entry, for what purpose, and the outcome reported: kept while a
  // follow-up (outcome, request to the supplier) is likely, then gone. The audit log keeps the
  // query and hit events for its own period.
  { bucket: "hits", description: "Hits of queries on CIS records and FIDE entries, kept one year", history: 1, ttlMs: HIT_KEEP_MS },
  // Metadata only (sender, recipients, a digest), as in the ROUTE audit events; a year covers the
  // read and answered receipts of a request, long after its hub copy is gone.
  { bucket: "routes", description: "Who sent each routed envelope to whom, kept one year: receipts about it are checked against it", history: 1, ttlMs: ROUTE_KEEP_MS },
  { bucket: "usage", description: "Usage counters per contact point and month", history: 1 },
  // Joint customs operations and operations of other bodies, for the calendar (not secret between members).
  { bucket: "operations", description: "Joint customs operations and other bodies' operations: the calendar", history: 1 },
  // What members exchange inside an operation (documents, comments, group messages, recommendations), sealed to them: the hub cannot open it.
  { bucket: "operation-items", description: "Sealed documents, comments, group messages and recommendations of joint operations", history: 1 },
  { bucket: "state", description: "Checkpoints of hub services (audit tree size, sweeps)", history: 1 },
]);

/** The hub's object stores. */
export const OBJECT_STORES: readonly ObjectStoreSpec[] = Object.freeze([
  { bucket: "attachments", description: "Record attachments, encrypted under the record's data key" },
]);

/**
 * A contact point's large-file store at the hub (docs/large-files.md): the sealed chunks of files
 * sent to it, one bucket per recipient so that its account's import reaches only its own. Objects
 * age out with the undelivered inbox copies; the retention service deletes them with their message.
 */
export const largeFileStore = (cp: string): ObjectStoreSpec & { readonly maxAgeMs: number; readonly maxMsgSize: number } =>
  Object.freeze({ bucket: `large-files-${cp}`, description: `Large files sent to ${cp}, sealed end to end in chunks`, maxAgeMs: INBOX_MAX_AGE_MS, maxMsgSize: LARGE_FILE_MAX_MSG_SIZE });

/** A large-file store's size by default (LIAISON_LARGE_FILE_STORE_BYTES): 8 GiB. */
export const DEFAULT_LARGE_FILE_STORE_BYTES = 8 * 1024 * 1024 * 1024;
/**
 * The largest message a large-file store takes: one sealed chunk (src/crypto/chunked-seal.ts) and
 * room for headers, so that nobody writes messages of the server's full payload size into it.
 */
export const LARGE_FILE_MAX_MSG_SIZE = FILE_CHUNK_SIZE + FILE_CHUNK_OVERHEAD + 4096;

const consumer = (stream: string, config: ConsumerSpec["config"]): ConsumerSpec =>
  Object.freeze({
    stream,
    config: {
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ack_wait: nanos(30 * SECOND),
      max_ack_pending: 2_000,
      ...config,
    },
  });

/**
 * Deliveries of one submission before the exchange gives it up as poison (refuses it once and
 * terminates it), below the consumer's max_deliver so that the exchange, not the server, ends it.
 */
export const EXCHANGE_MAX_DELIVERIES = 5;

/** The exchange's durable consumers: urgent traffic has its own, so it never queues behind normal. */
export function exchangeConsumer(prio: PriorityToken): ConsumerSpec {
  return consumer("SUBMIT", {
    durable_name: `exchange-${prio}`,
    filter_subject: subjects.submitByPriority(prio),
    // A poison message is retried with growing pauses, then given up (and reported) by max_deliver.
    // With a backoff the server takes ack_wait from its first step, so they are set together.
    max_deliver: 10,
    ack_wait: nanos(10 * SECOND),
    backoff: [nanos(10 * SECOND), nanos(30 * SECOND), nanos(120 * SECOND)],
  });
}

/** A contact point's inbox consumers, one per priority. */
export function inboxConsumer(cp: string, prio: PriorityToken): ConsumerSpec {
  return consumer("INBOX", {
    durable_name: `inbox-${cp}-${prio}`,
    filter_subject: subjects.inbox(cp, prio),
  });
}

/** The usage service counts from the audit log. */
export const USAGE_CONSUMER = consumer("AUDIT", { durable_name: "usage", max_ack_pending: 20_000 });

export function hubConsumers(): ConsumerSpec[] {
  // The audit service reads AUDIT with ordered consumers from its own checkpoint (no durable needed).
  return [...PRIORITY_TOKENS.map(exchangeConsumer), USAGE_CONSUMER];
}

/** Whose inbox consumer a durable on INBOX is (the reverse of inboxConsumer); undefined if none's. */
export function inboxConsumerOwner(durable: string): { cp: string; prio: PriorityToken } | undefined {
  for (const prio of PRIORITY_TOKENS) {
    const suffix = `-${prio}`;
    if (durable.startsWith("inbox-") && durable.endsWith(suffix) && durable.length > "inbox-".length + suffix.length) {
      return { cp: durable.slice("inbox-".length, -suffix.length), prio };
    }
  }
  return undefined;
}

export function contactPointConsumers(cp: string): ConsumerSpec[] {
  return PRIORITY_TOKENS.map((p) => inboxConsumer(cp, p));
}
