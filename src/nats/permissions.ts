// What each hub service's NATS user may do inside the HUB account, as data: the streams it reads,
// the subjects it writes, the buckets, the endpoints it serves and calls. accounts.ts turns this
// table into nats-server permissions. Least privilege is defence in depth behind the accounts: a
// member cannot reach the HUB account's subjects at all, and a hub service that is asked to answer
// on a subject it does not write is refused by the server.
import { KEY_SHARDS, keyShardStream } from "./streams.js";
import { subjects } from "./subjects.js";

export interface Permissions {
  readonly publish: { readonly allow: readonly string[]; readonly deny?: readonly string[] };
  readonly subscribe: { readonly allow: readonly string[]; readonly deny?: readonly string[] };
}

/** The hub's NATS identities: an administrator (provisioning, registry) and one user per service. */
export const HUB_ROLES = ["admin", "exchange", "audit", "records", "files", "retention", "usage", "console", "operations"] as const;
export type HubRole = (typeof HUB_ROLES)[number];

/** What one hub service does on NATS. Stream names are JetStream names (KV_registry, OBJ_attachments). */
export interface ServiceGrants {
  /** Streams it reads: info, consumers (durable or ordered), direct and message gets, acks, flow control. */
  readonly reads?: readonly string[];
  /** Subjects it publishes to (stream subjects included: a JetStream publish is a publish). */
  readonly writes?: readonly string[];
  /** Streams from which it deletes single messages (secure erase, retention). */
  readonly erases?: readonly string[];
  /** Streams it purges by subject (an object store's chunks). */
  readonly purges?: readonly string[];
  /** Subjects it subscribes to besides its endpoints (live events). */
  readonly listens?: readonly string[];
  /** Its endpoints' subjects. */
  readonly serves?: readonly string[];
  /** Whether contact points call it (their requests arrive through service imports, answered on `_R_.`). */
  readonly servesMembers?: boolean;
  /** Other services' endpoints it calls. */
  readonly calls?: readonly string[];
  /** Lists every stream and consumer (operations status, gauges). */
  readonly monitors?: boolean;
}

const kv = (bucket: string) => `KV_${bucket}`;
const kvWrite = (bucket: string) => `$KV.${bucket}.>`;
/** A service's own keys in KV "state" (`<service>.…`): no other service may write them (a lease, a checkpoint, retention's stale replicas). */
const stateWrite = (service: "audit" | "retention" | "usage") => `$KV.state.${service}.>`;
const keyStreams = Array.from({ length: KEY_SHARDS }, (_, k) => keyShardStream(k));
const keySubjects = Array.from({ length: KEY_SHARDS }, (_, k) => subjects.dataKeysAllIn(k));
const audit = (source: string) => subjects.auditEvents(source);
const api = (service: string) => `${subjects.root}.${service}.api.*`;
const metricsScrape = subjects.live("metrics-scrape");
const registryChanged = subjects.live("registry");
const kekChanged = subjects.live("kek");

/** The data services (records, files) share their shape; they differ in bucket and attachments. */
function dataService(service: "records" | "files", extra: Partial<ServiceGrants> = {}): ServiceGrants {
  return {
    reads: [kv(service), kv("hits"), kv("registry"), "DUE", ...keyStreams, ...(extra.reads ?? [])],
    writes: [kvWrite(service), kvWrite("hits"), subjects.dueAll, ...keySubjects, subjects.inboxAll, audit(service), ...(extra.writes ?? [])],
    erases: [kv(service), "DUE", ...keyStreams, ...(extra.erases ?? [])],
    ...(extra.purges ? { purges: extra.purges } : {}),
    listens: [kekChanged],
    serves: [`${subjects.root}.${service}.*.*`],
    servesMembers: true,
  };
}

export const SERVICE_GRANTS: Readonly<Record<Exclude<HubRole, "admin">, ServiceGrants>> = Object.freeze({
  exchange: {
    reads: ["SUBMIT", kv("registry"), kv("routes")],
    writes: [subjects.inboxAll, kvWrite("routes"), registryChanged, audit("exchange")],
    serves: [subjects.api("registry", "list")],
    servesMembers: true,
  },
  audit: {
    reads: ["AUDIT", "AUDIT_LEAVES", "AUDIT_HEADS", kv("state")],
    writes: [subjects.auditLeavesAll, subjects.auditHeads, stateWrite("audit"), audit("audit")],
    listens: [subjects.auditHeads],
    serves: [api("audit")],
  },
  records: dataService("records", { reads: ["OBJ_attachments"], writes: ["$O.attachments.>"], erases: ["OBJ_attachments"], purges: ["OBJ_attachments"] }),
  files: dataService("files"),
  retention: {
    reads: ["DUE", "INBOX", "AUDIT", kv("state"), kv("records"), kv("files"), kv("registry"), ...keyStreams],
    writes: [subjects.dueAll, stateWrite("retention"), ...keySubjects, subjects.inboxAll, kekChanged, audit("retention")],
    erases: ["DUE", "INBOX"],
    // A swept hour's filings leave the due index with one filtered purge.
    purges: ["DUE"],
    serves: [api("retention")],
    calls: [subjects.api("records", "erase-due"), subjects.api("files", "erase-due"), subjects.api("operations", "due"), subjects.api("operations", "erase-due")],
    // Key-encryption-key rotation finds every data-key stream by name. A data-key stream's replica
    // that missed erasures is only recorded: the administrator rebuilds it (src/nats/replica-rebuild.ts).
    monitors: true,
  },
  usage: {
    // KV "operations": the operations per year (services/usage/operations.ts), clear metadata.
    reads: ["AUDIT", kv("usage"), kv("state"), kv("registry"), kv("operations")],
    writes: [kvWrite("usage"), stateWrite("usage"), subjects.inboxAll, subjects.live("throughput"), audit("usage")],
    serves: [api("usage")],
    calls: [api("audit")],
    monitors: true,
  },
  // The calendar of joint customs operations: its bucket, overlap notices to members' inboxes.
  operations: {
    // Its items' bucket too: it keeps them, and erasure purges an operation's items (services/operations/erasure.ts).
    reads: [kv("operations"), kv("operation-items"), kv("registry")],
    writes: [kvWrite("operations"), kvWrite("operation-items"), subjects.inboxAll, audit("operations")],
    serves: [`${subjects.root}.operations.*.*`],
    servesMembers: true,
  },
  console: {
    writes: [audit("console"), metricsScrape],
    listens: [subjects.live("throughput")],
    // A supervisor's legal hold: the data services' hub-internal `supervisor-hold` (HUB_SUPERVISION).
    // The calendar of operations: the operations service's hub-internal `console-calendar`.
    calls: [api("audit"), api("usage"), api("retention"), subjects.api("records", "supervisor-hold"), subjects.api("files", "supervisor-hold"), subjects.api("operations", "console-calendar"), "$SRV.>"],
    monitors: true,
  },
});

/** The JetStream API subjects that reading one stream takes (nats.js: consumers, gets, acks, flow control). */
export function streamReadSubjects(stream: string): string[] {
  return [
    `$JS.API.STREAM.INFO.${stream}`,
    `$JS.API.CONSUMER.CREATE.${stream}`,
    `$JS.API.CONSUMER.CREATE.${stream}.>`,
    `$JS.API.CONSUMER.DURABLE.CREATE.${stream}.>`,
    `$JS.API.CONSUMER.DELETE.${stream}.>`,
    `$JS.API.CONSUMER.INFO.${stream}.>`,
    `$JS.API.CONSUMER.MSG.NEXT.${stream}.>`,
    `$JS.API.DIRECT.GET.${stream}`,
    `$JS.API.DIRECT.GET.${stream}.>`,
    `$JS.API.STREAM.MSG.GET.${stream}`,
    `$JS.ACK.${stream}.>`,
    `$JS.FC.${stream}.>`,
  ];
}

const MONITOR_SUBJECTS = ["$JS.API.STREAM.LIST", "$JS.API.STREAM.NAMES", "$JS.API.STREAM.INFO.*", "$JS.API.CONSUMER.LIST.*", "$JS.API.CONSUMER.NAMES.*", "$JS.API.CONSUMER.INFO.*.*"];

/** Every hub service may: reach JetStream's account info, answer and receive on _INBOX, join $SRV discovery, answer the metrics scrape. */
const COMMON_PUBLISH = ["$JS.API.INFO", "_INBOX.>"];
const COMMON_SUBSCRIBE = ["_INBOX.>", "$SRV.>", metricsScrape];

/**
 * The nats-server permissions of a hub role; the administrator has the whole HUB account. Allow
 * lists only, without wildcards over the JetStream API: creating, editing, deleting, purging or
 * restoring a stream, changing its config or removing a peer is the administrator's alone, because
 * no service is allowed it (NATS permissions match the subject, never the config in the body).
 */
export function hubPermissions(role: HubRole): Permissions | undefined {
  if (role === "admin") return undefined;
  const g = SERVICE_GRANTS[role];
  const publish = new Set<string>(COMMON_PUBLISH);
  const subscribe = new Set<string>(COMMON_SUBSCRIBE);
  for (const s of g.reads ?? []) for (const x of streamReadSubjects(s)) publish.add(x);
  for (const s of g.writes ?? []) publish.add(s);
  for (const s of g.erases ?? []) publish.add(`$JS.API.STREAM.MSG.DELETE.${s}`);
  for (const s of g.purges ?? []) publish.add(`$JS.API.STREAM.PURGE.${s}`);
  for (const s of g.listens ?? []) subscribe.add(s);
  for (const s of g.serves ?? []) subscribe.add(s);
  for (const s of g.calls ?? []) publish.add(s);
  if (g.servesMembers) publish.add("_R_.>");
  if (g.monitors) for (const s of MONITOR_SUBJECTS) publish.add(s);
  return { publish: { allow: [...publish] }, subscribe: { allow: [...subscribe] } };
}
