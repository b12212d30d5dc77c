// Every NATS subject Liaison uses, built in one place. Nobody else types "liaison.v1.".
// Tokens that come from outside (contact point codes, ids) are checked so that a dot or a
// wildcard can never widen a subject.

import { LiaisonError } from "../errors.js";

const ROOT = "liaison.v1";

export const PRIORITY_TOKENS = ["urgent", "normal"] as const;
export type PriorityToken = (typeof PRIORITY_TOKENS)[number];

const SAFE_TOKEN = /^[A-Za-z0-9_-]{1,256}$/;

/**
 * A single subject token; anything that could change the subject's meaning (".", "*", ">", space,
 * any other character, empty, overlong) is refused with LIAISON_BAD_ID. The value is not echoed:
 * it may be whatever someone typed.
 */
export function token(value: string): string {
  if (typeof value !== "string" || !SAFE_TOKEN.test(value)) throw new LiaisonError("LIAISON_BAD_ID", "not a safe subject token");
  return value;
}

export const subjects = Object.freeze({
  root: ROOT,
  all: `${ROOT}.>`,

  /** An access point submits envelopes and receipts here; only that CP may publish. */
  submit: (cp: string, prio: PriorityToken) => `${ROOT}.submit.${token(cp)}.${prio}`,
  submitAll: `${ROOT}.submit.>`,
  /** The only submit subjects there are: a subject no consumer reads is not a subject SUBMIT keeps. */
  submitSubjects: PRIORITY_TOKENS.map((p) => `${ROOT}.submit.*.${p}`),
  submitOf: (cp: string) => `${ROOT}.submit.${token(cp)}.*`,
  submitByPriority: (prio: PriorityToken) => `${ROOT}.submit.*.${prio}`,

  /** The hub appends what a CP receives here; only that CP may read it. */
  inbox: (cp: string, prio: PriorityToken) => `${ROOT}.inbox.${token(cp)}.${prio}`,
  inboxAll: `${ROOT}.inbox.>`,
  inboxOf: (cp: string) => `${ROOT}.inbox.${token(cp)}.*`,

  /** Audit events, by emitting source (a service name or a CP code). */
  auditEvents: (source: string) => `${ROOT}.audit.events.${token(source)}`,
  auditEventsAll: `${ROOT}.audit.events.>`,
  auditLeaves: (chunk: number) => `${ROOT}.audit.leaves.${chunk}`,
  auditLeavesAll: `${ROOT}.audit.leaves.>`,
  auditHeads: `${ROOT}.audit.heads`,

  /** Request/reply APIs of hub services. The CP token lets permissions pin each CP to its own. */
  api: (service: string, op: string) => `${ROOT}.${token(service)}.api.${token(op)}`,
  cpApi: (service: string, cp: string, op: string) => `${ROOT}.${token(service)}.${token(cp)}.${token(op)}`,
  cpApiAll: (service: string, op: string) => `${ROOT}.${token(service)}.*.${token(op)}`,
  cpApiOf: (service: string, cp: string) => `${ROOT}.${token(service)}.${token(cp)}.>`,

  /**
   * Data keys of records and entries, one subject each so one message can be erased; shard 0 is
   * the stream RECORD_KEYS, shard k > 0 the stream RECORD_KEYS_k (src/keystore/data-keys.ts).
   */
  dataKey: (id: string, shard = 0) => `${ROOT}.${shard === 0 ? "keys" : `keys-${shard}`}.${token(id)}`,
  dataKeysAll: `${ROOT}.keys.>`,
  dataKeysAllIn: (shard: number) => `${ROOT}.${shard === 0 ? "keys" : `keys-${shard}`}.>`,

  /**
   * The retention index: one literal subject per hour, holding an item per message. Literal, not a
   * subject per item: nats-server reads a literal subject's messages from its per-subject index,
   * while a wildcard over a million item subjects is a scan (0.2–1.2 s per read at 1,000,000).
   */
  dueHour: (bucket: string) => `${ROOT}.due.${token(bucket)}`,
  dueAll: `${ROOT}.due.>`,

  /** An access point's own store: what it sent and received, still sealed. */
  apStore: (cp: string, kind: string, id: string) => `${ROOT}.ap.${token(cp)}.${token(kind)}.${token(id)}`,
  apStoreKind: (cp: string, kind: string) => `${ROOT}.ap.${token(cp)}.${token(kind)}.*`,
  apStoreOf: (cp: string) => `${ROOT}.ap.${token(cp)}.>`,

  /** An access point's push log: its events for the back office, and each webhook delivery's state. */
  apPush: (cp: string, kind: "event" | "delivery", id: string) => `${ROOT}.push.${token(cp)}.${kind}.${token(id)}`,
  apPushKind: (cp: string, kind: "event" | "delivery") => `${ROOT}.push.${token(cp)}.${kind}.*`,
  apPushOf: (cp: string) => `${ROOT}.push.${token(cp)}.>`,

  /**
   * In a member's account, the hub's JetStream API for that member's two inbox consumers: imported
   * under this prefix, because `$JS.API` there is the member's own JetStream (its store).
   */
  hubJsApi: `${ROOT}.hub-js`,

  /** Events the hub publishes for live views (not stored). */
  live: (topic: string) => `${ROOT}.live.${token(topic)}`,
});

/** Where a contact point's request replies arrive; its permissions admit no other inbox. */
export const cpInboxPrefix = (cp: string) => `_INBOX_${token(cp)}`;

/** Splits the CP and priority out of a submit or inbox subject; undefined if it is not one. */
export function parseRoutedSubject(subject: string): { cp: string; prio: PriorityToken } | undefined {
  const parts = subject.split(".");
  if (parts.length !== 5 || `${parts[0]}.${parts[1]}` !== ROOT) return undefined;
  if (parts[2] !== "submit" && parts[2] !== "inbox") return undefined;
  const prio = parts[4] as PriorityToken;
  if (!PRIORITY_TOKENS.includes(prio) || !parts[3] || !SAFE_TOKEN.test(parts[3])) return undefined;
  return { cp: parts[3], prio };
}
