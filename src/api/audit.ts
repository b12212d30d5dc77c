// The audit API (/v1/audit/*) of the console: the supervisory authority's view of the access log,
// its signed tree heads and RFC 9162 proofs. Routes, the console's web code (checked by a test)
// and tests take their shapes from here.
import { z } from "zod";
import { EXPORT_VERSION, HEAD_FILE_TYPE, MAX_QUERY_LIMIT } from "../audit/mod.js";
import { queryInt } from "../http/mod.js";
import { isoTime } from "./common.js";
import { AUDIT_ACTIONS, AUDIT_OUTCOMES } from "./enums.js";

const b64 = z.string().describe("base64url");
const token = z.string().min(1).max(256);
const index = queryInt(0, Number.MAX_SAFE_INTEGER);

export const eventOut = z
  .object({
    index: z.number().int().describe("The event's leaf index in the Merkle tree"),
    id: z.string(),
    at: isoTime,
    authority: z.string(),
    userId: z.string(),
    action: z.string(),
    objectType: z.string(),
    objectId: z.string(),
    searchRefs: z.array(z.string()),
    purpose: z.string(),
    outcome: z.string(),
    reasonCode: z.string().optional(),
    service: z.string(),
    matched: z.array(z.string()),
    details: z.record(z.string(), z.string()),
    erasure: z
      .object({ objectType: z.string(), objectId: z.string(), supplier: z.string(), rule: z.string(), dueAt: isoTime.optional(), erasedAt: isoTime.optional(), contentCommitment: b64 })
      .optional(),
  })
  .meta({ id: "AuditEvent" });
export type EventOut = z.infer<typeof eventOut>;

export const pageOut = z
  .object({
    treeSize: z.number().int().describe("The tree size the answer was computed at"),
    events: z.array(eventOut),
    nextCursor: z.string().optional().describe("Pass as cursor for the next page"),
  })
  .meta({ id: "AuditEventPage" });

export const accessOut = pageOut
  .extend({
    accessors: z.array(z.object({ authority: z.string(), userId: z.string(), count: z.number().int(), first: isoTime, last: isoTime })).describe("Who accessed the object, over this page"),
  })
  .meta({ id: "AuditAccessPage" });

export const userOut = pageOut
  .extend({
    objects: z.array(z.object({ objectType: z.string(), objectId: z.string(), count: z.number().int(), last: isoTime })).describe("What the user accessed, over this page"),
  })
  .meta({ id: "AuditUserPage" });

const paging = {
  from: isoTime.optional().describe("Events at or after this time"),
  to: isoTime.optional().describe("Events before this time"),
  limit: queryInt(1, MAX_QUERY_LIMIT).default(100),
  cursor: z.string().regex(/^\d+$/).optional(),
  order: z.enum(["asc", "desc"]).default("asc"),
};
const actionList = z
  .string()
  .optional()
  .describe(`Comma-separated actions: ${AUDIT_ACTIONS.keys.join(", ")}`)
  .refine((v) => !v || v.split(",").every((a) => AUDIT_ACTIONS.keys.includes(a.trim())), "names an action that does not exist");
const outcomeList = z
  .string()
  .optional()
  .describe(`Comma-separated outcomes: ${AUDIT_OUTCOMES.keys.join(", ")}`)
  .refine((v) => !v || v.split(",").every((o) => AUDIT_OUTCOMES.keys.includes(o.trim())), "names an outcome that does not exist");

export const eventsQuery = z.object({
  objectType: token.optional(),
  objectId: token.optional(),
  authority: token.optional(),
  userId: token.optional(),
  action: actionList,
  outcome: outcomeList,
  ...paging,
});
export const accessParams = z.object({ objectType: token, objectId: token });
export const accessQuery = z.object({ authority: token.optional(), action: actionList, ...paging });
export const userParams = z.object({ userId: token });
export const userQuery = z.object({ authority: token.optional(), action: actionList, ...paging });

export const headJson = z.object({ treeSize: z.number().int(), rootHash: b64, timestampMs: z.number().int(), keyId: z.string(), signature: b64 }).meta({ id: "TreeHead" });
export const headFileOut = z
  .object({
    type: z.literal(HEAD_FILE_TYPE),
    version: z.literal(EXPORT_VERSION),
    head: headJson,
    frontier: z.array(b64).describe("RFC 9162 hashes of the tree's maximal complete subtrees, left to right"),
    savedAt: isoTime,
  })
  .meta({ id: "AuditHeadFile", description: "Keep this file: `liaison audit verify --trusted-head` checks later exports against it" });
export const keyOut = z.object({ keyId: z.string(), algorithm: z.literal("Ed25519"), publicKey: b64 }).meta({ id: "AuditKey" });
export const inclusionQuery = z.object({ index, size: index.optional().describe("Tree size (default: the latest signed head)") });
export const inclusionOut = z.object({ leafIndex: z.number().int(), treeSize: z.number().int(), auditPath: z.array(b64), head: headJson }).meta({ id: "InclusionProof" });
export const consistencyQuery = z.object({ first: index, second: index.optional().describe("Tree size (default: the latest signed head)") });
export const consistencyOut = z.object({ firstSize: z.number().int(), secondSize: z.number().int(), path: z.array(b64), head: headJson }).meta({ id: "ConsistencyProof" });
export const exportQuery = z.object({
  from: index.optional().describe("First leaf (default 0)"),
  to: index.optional().describe("One past the last leaf (default: the signed head's size)"),
  since: z
    .string()
    .regex(/^\d+(,\d+)*$/)
    .optional()
    .describe("Tree sizes of heads you kept: the export carries consistency proofs from them"),
});

export type PageOut = z.infer<typeof pageOut>;
export type AccessOut = z.infer<typeof accessOut>;
export type UserOut = z.infer<typeof userOut>;
export type HeadFileOut = z.infer<typeof headFileOut>;
export type KeyOut = z.infer<typeof keyOut>;

/** /v1/audit/verification: the console's own check of the latest head against the previous one. */
export const verificationOut = z.object({
  treeSize: z.number(),
  rootHash: z.string(),
  timestamp: z.string().nullable(),
  keyId: z.string(),
  signatureValid: z.boolean(),
  keyIdMatches: z.boolean(),
  consistentWithPrevious: z.boolean().nullable().describe("null when there is no earlier head to compare"),
  previousTreeSize: z.number().nullable(),
  verifiedAt: z.string(),
  previousVerifiedAt: z.string().nullable(),
});
export type VerificationOut = z.infer<typeof verificationOut>;
