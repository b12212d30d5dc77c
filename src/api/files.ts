// The files API (/v1/files) of the access point: the FIDE investigation-file index (Decision
// 2009/917/JHA Chapter VI) and the one-call request about a hit (Art. 16).
import { z } from "zod";
import { MATCH_STRENGTH_NAMES } from "../domain/mod.js";
import { erasedOut, identifierIn, identifierOut, isoTime } from "./common.js";
import { holdOut } from "./holds.js";
import { erasureCertificateOut } from "./records.js";
import { FILE_STATUSES, LEGAL_BASES, OFFENCE_AREAS } from "./enums.js";

const dateIn = z.string().min(8).max(40).describe("a day (YYYY-MM-DD) or an ISO 8601 time");

export const fileIn = z.object({
  fileReference: z.string().trim().min(1).max(100).describe("the national reference of the investigation file"),
  investigatingService: z.string().trim().min(1).max(200),
  contact: z.string().trim().min(1).max(500).describe("whom to ask: name, telephone, e-mail of the investigating service's contact"),
  subjects: z.array(identifierIn).min(1).max(50).describe("who or what the file is about; stored at the hub only as blind indexes"),
  offenceArea: z.enum(OFFENCE_AREAS.keys),
  status: z.enum(FILE_STATUSES.keys).describe("Art. 19(1): ongoing (3 years, and 12 months after the last act), offence-established (6), conviction-or-penalty (10)"),
  lastInvestigativeAct: dateIn,
});
export type FileIn = z.infer<typeof fileIn>;

export const fileRegistered = z.object({ id: z.string(), retentionUntil: z.string() });
export type FileRegistered = z.infer<typeof fileRegistered>;

export const fileOut = z
  .object({
    id: z.string(),
    supplier: z.string(),
    fileReference: z.string(),
    investigatingService: z.string(),
    contact: z.string(),
    subjects: z.array(identifierOut),
    offenceArea: z.string(),
    status: z.string(),
    lastInvestigativeAct: z.string(),
    createdAt: z.string(),
    updatedAt: z.string(),
    retentionUntil: z.string(),
    retentionRule: z.string(),
    hold: holdOut.optional().describe("the legal hold on the entry: no erasure while it is in force"),
  })
  .meta({ id: "FideEntry" });
export type FileOut = z.infer<typeof fileOut>;

/**
 * A hit tells only whom to ask about the file: the supplier, its investigating service and contact,
 * and the reference. A stub (a surname-only hit on another member's entry) tells the supplier only.
 */
export const hitOut = fileOut
  .pick({ supplier: true })
  .extend(fileOut.pick({ investigatingService: true, contact: true, fileReference: true }).partial().shape)
  .extend({
    hitId: z.string().optional().describe("quote it to send a request about the hit: POST /v1/files/hits/{hitId}/request"),
    entryId: z.string().optional().describe("only for an entry of your own"),
    strength: z.enum(MATCH_STRENGTH_NAMES).optional().describe("how strongly the subjects matched (query answers only; docs/records.md)"),
  })
  .meta({ id: "FideHit" });
export type HitOut = z.infer<typeof hitOut>;

export const fileQueryIn = z.object({
  subjects: z.array(identifierIn).min(1).max(20),
  purpose: z.string().describe("why you search: required, and logged with the query"),
});
export const fileQueryOut = z
  .object({
    hits: z.array(hitOut),
    surnameOnlyLeftOut: z.number().int().optional().describe("surname-only hits beyond the cap on stubs, not listed: narrow the query"),
  })
  .meta({ id: "FideQueryResult" });
export type FileQueryOut = z.infer<typeof fileQueryOut>;

export const fileStatusIn = z.object({
  status: z.enum(FILE_STATUSES.keys).describe('"subject-cleared" erases the entry at once (Art. 19(2))'),
  lastInvestigativeAct: dateIn.optional(),
});
export const fileStatusOut = z.object({
  id: z.string(),
  status: z.enum(FILE_STATUSES.keys),
  retentionUntil: z.string(),
  rule: z.string(),
  erased: z.boolean(),
  certificate: erasureCertificateOut.optional().describe("when the change erased the entry (subject cleared): its erasure certificate, to keep"),
});
export type FileStatusOut = z.infer<typeof fileStatusOut>;

/** The answer to DELETE /v1/files/{id}: the entry is gone, and here is its certificate to keep. */
export const fileErasedOut = erasedOut.extend({ certificate: erasureCertificateOut }).meta({ id: "FideEntryErased" });
export type FileErasedOut = z.infer<typeof fileErasedOut>;

export const hitRequestIn = z.object({
  body: z.string().min(1).max(1_000_000),
  subject: z.string().min(1).max(300).optional(),
  legalBasis: z.enum(LEGAL_BASES.keys).default("assistance-on-request"),
  replyBy: isoTime.optional(),
});
export const hitRequestOut = z.object({ id: z.string(), status: z.literal("submitted"), caseRef: z.string(), to: z.string() });
export type HitRequestOut = z.infer<typeof hitRequestOut>;
