// The records API (/v1/records, /v1/hits, /v1/notices) of the access point: CIS records under
// Decision 2009/917/JHA. Routes, the CLI and tests take their shapes from here.
import { z } from "zod";
import { MATCH_STRENGTH_NAMES } from "../domain/mod.js";
import type { pb } from "../proto/mod.js";
import { attachmentIn, erasedOut, handlingIn, handlingOut, identifierIn, identifierOut, isoRequired, isoTime } from "./common.js";
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
  .object({
    matches: z.array(
      z.object({
        record: recordOut.optional().describe("absent in a stub: a surname-only match on another member's record (docs/records.md, \"Stubs\")"),
        hitId: z.string().optional().describe("quote it when asking the supplier about the match or reporting the action taken"),
        matchedOn: z.array(z.string()),
        strength: z.enum(MATCH_STRENGTH_NAMES).describe("how strongly the identifiers matched (docs/records.md)"),
        supplier: z.string().optional().describe("a stub's supplier: whom to ask"),
        category: z.enum(RECORD_CATEGORIES.keys).optional().describe("a stub's record category"),
      }),
    ),
    surnameOnlyLeftOut: z.number().int().optional().describe("surname-only matches beyond the cap on stubs, not listed: narrow the query"),
  })
  .meta({ id: "RecordQueryResult" });
export type RecordQueryOut = z.infer<typeof recordQueryOut>;

export const outcomeOut = z.object({ hitId: z.string(), outcome: z.string() });
export type OutcomeOut = z.infer<typeof outcomeOut>;

// An erasure certificate as the supplier sees it (in the erase answer and in erasure notices): what
// was erased, when, under which rule, and the audit event to check it against (its id, and its leaf
// hash as an audit export writes hashes: base64url). No content.
export const erasureCertificateOut = z
  .object({
    objectType: z.string(),
    objectId: z.string(),
    supplier: z.string(),
    rule: z.string().describe("the retention rule applied (docs/retention.md)"),
    dueAt: z.string(),
    erasedAt: z.string(),
    contentCommitment: z.string().describe("SHA-256 over the erased ciphertext and wrapped data key (base64url)"),
    auditEventId: z.string(),
    auditLeafHash: z.string().describe("SHA-256(0x00 ‖ the audit event's bytes): its leaf in the audit log (base64url)"),
  })
  .meta({ id: "ErasureCertificate" });
export type ErasureCertificateOut = z.infer<typeof erasureCertificateOut>;

export function erasureCertificateView(c: pb.ICertifiedErasure): ErasureCertificateOut {
  const cert = c.certificate ?? {};
  return {
    objectType: cert.objectType ?? "",
    objectId: cert.objectId ?? "",
    supplier: cert.supplier ?? "",
    rule: cert.rule ?? "",
    dueAt: isoRequired(cert.dueAtMs),
    erasedAt: isoRequired(cert.erasedAtMs),
    contentCommitment: Buffer.from(cert.contentCommitment ?? new Uint8Array()).toString("base64url"),
    auditEventId: c.auditEventId ?? "",
    auditLeafHash: Buffer.from(c.auditLeafHash ?? new Uint8Array()).toString("base64url"),
  };
}

/** The answer to an erasure by its supplier: the object is gone, and here is the certificate that says so. */
export const erasedView = (id: string, c: pb.ICertifiedErasure | null | undefined) => ({ id, erased: true as const, certificate: erasureCertificateView(c ?? {}) });

/** The answer to DELETE /v1/records/{id}: the record is gone, and here is its certificate to keep. */
export const recordErasedOut = erasedOut.extend({ certificate: erasureCertificateOut }).meta({ id: "RecordErased" });
export type RecordErasedOut = z.infer<typeof recordErasedOut>;

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
  certificates: z.array(erasureCertificateOut).optional().describe("erasure notices: the certificate of each erasure"),
});
export type NoticeOut = z.infer<typeof noticeOut>;
export const noticesOut = z.object({ items: z.array(noticeOut) });
export type NoticesOut = z.infer<typeof noticesOut>;
