// The records API (/v1/records, /v1/hits, /v1/notices) of the access point: CIS records under
// Decision 2009/917/JHA. Routes, the CLI and tests take their shapes from here.
import { z } from "zod";
import { MATCH_STRENGTH_NAMES } from "../domain/mod.js";
import { attachmentIn, handlingIn, handlingOut, identifierIn, identifierOut, isoTime } from "./common.js";
import { NOTICE_KINDS, RECORD_CATEGORIES, RECORD_PURPOSES } from "./enums.js";

export const recordIn = z.object({
  category: z.enum(RECORD_CATEGORIES.keys),
  purpose: z.enum(RECORD_PURPOSES.keys).describe("the action suggested to an authority that finds a match (Decision 2009/917/JHA Art. 5)"),
  suggestedAction: z.string().max(2_000).default(""),
  identifiers: z.array(identifierIn).min(1).max(50),
  freeText: z.string().max(20_000).default(""),
  handling: handlingIn,
  attachments: z.array(attachmentIn).max(10).default([]),
});
export type RecordIn = z.infer<typeof recordIn>;
export const amendIn = recordIn.omit({ attachments: true });
export type AmendIn = z.infer<typeof amendIn>;
export const renewIn = z.object({ reason: z.string().min(3).max(2_000) });
export const holdIn = z.object({ reason: z.string().max(2_000).default(""), until: isoTime.optional(), lift: z.boolean().default(false) });
export const outcomeIn = z.object({ outcome: z.string().min(3).max(4_000) });

export const recordOut = z
  .object({
    id: z.string(),
    supplier: z.string(),
    category: z.enum(RECORD_CATEGORIES.keys),
    purpose: z.enum(RECORD_PURPOSES.keys),
    suggestedAction: z.string(),
    identifiers: z.array(identifierOut),
    freeText: z.string(),
    handling: handlingOut,
    attachments: z.array(z.object({ name: z.string(), mediaType: z.string(), size: z.number().int(), contentBase64: z.string().optional() })),
    createdAt: z.string(),
    updatedAt: z.string(),
    reviewDue: z.string(),
    renewals: z.number().int(),
    hold: z.object({ setBy: z.string(), reason: z.string(), setAt: z.string(), until: z.string().optional() }).optional(),
  })
  .meta({ id: "CisRecord" });
export type RecordOut = z.infer<typeof recordOut>;

export const recordSubmitted = z.object({ id: z.string(), reviewDue: z.string() });
export type RecordSubmitted = z.infer<typeof recordSubmitted>;

export const recordQueryIn = z.object({
  identifiers: z.array(identifierIn).min(1).max(20),
  purpose: z.string().describe("why you search: required, and logged with the query"),
  category: z.enum(RECORD_CATEGORIES.keys).optional(),
});
export const recordQueryOut = z
  .object({ matches: z.array(z.object({ record: recordOut, hitId: z.string().optional(), matchedOn: z.array(z.string()), strength: z.enum(MATCH_STRENGTH_NAMES).describe("how strongly the identifiers matched (docs/records.md)") })) })
  .meta({ id: "RecordQueryResult" });
export type RecordQueryOut = z.infer<typeof recordQueryOut>;

export const outcomeOut = z.object({ hitId: z.string(), outcome: z.string() });

export const noticesQuery = z.object({ kind: z.enum(NOTICE_KINDS.keys).optional() });
export const noticeOut = z.object({
  id: z.string(),
  kind: z.string(),
  at: z.string(),
  objectType: z.string(),
  objectId: z.string(),
  matchedBy: z.string().optional(),
  purpose: z.string().optional(),
  dueAt: z.string().optional(),
  details: z.record(z.string(), z.string()),
});
export const noticesOut = z.object({ items: z.array(noticeOut) });
export type NoticesOut = z.infer<typeof noticesOut>;
