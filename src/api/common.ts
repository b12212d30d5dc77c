// Shapes every Liaison HTTP API shares: ids as they may appear in a path, times, handling codes,
// attachments and identifiers on the way in, and the one rule for turning the hub's epoch
// milliseconds into ISO 8601 times.
import { z } from "zod";
import { CP_CODE_PATTERN, OBJECT_ID_PATTERN } from "../domain/mod.js";
import type { pb } from "../proto/mod.js";
import { HANDLING_CODES, HANDLING_TEXT, IDENTIFIER_TYPES } from "./enums.js";

/** Epoch milliseconds as the hub's protobuf messages carry them (a number, a Long, or unset). */
export type EpochMs = number | { toNumber(): number } | null | undefined;

/**
 * An epoch-ms time as ISO 8601 (UTC). 0 (protobuf's unset) or a missing value means "no time" and
 * gives undefined, never 1970: the access point's and the audit API's optional times are then left
 * out, the console's usage and compliance times are null (their schemas say which).
 */
export function iso(ms: EpochMs): string | undefined {
  const n = Number(ms ?? 0);
  return n === 0 || !Number.isFinite(n) ? undefined : new Date(n).toISOString();
}

/**
 * A time the response schema requires and the hub always sets (createdAt, reviewDue, ...). Should
 * the hub ever leave one unset it shows as the epoch, as these fields always have.
 */
export const isoRequired = (ms: EpochMs): string => iso(ms) ?? EPOCH;
const EPOCH = new Date(0).toISOString();

/** An ISO 8601 time with a zone offset, as every API takes and gives times. */
export const isoTime = z.iso.datetime({ offset: true });

export const cpCode = z.string().regex(CP_CODE_PATTERN, "a contact point code such as BE or OLAF");
/** A message, record, file entry or hit id: it becomes a NATS subject or key token, so it is checked first. */
export const objectId = z.string().regex(OBJECT_ID_PATTERN, "an id: 1 to 64 letters, digits, - and _");
export const caseRef = z.string().min(1).max(64).regex(/^[A-Za-z0-9][A-Za-z0-9/_.:-]*$/, "letters, digits and / _ . : -");

export const idParams = z.object({ id: objectId });
export const hitParams = z.object({ hitId: objectId });
export const caseParams = z.object({ caseRef });

/**
 * An attachment sent with a message or a record. The media type, when given, is not empty: the
 * records API once took "" (its own copy of this shape had drifted); the messages API never did.
 */
export const attachmentIn = z.object({
  name: z.string().min(1).max(255),
  mediaType: z.string().min(1).max(127).default("application/octet-stream"),
  contentBase64: z.base64(),
});
export type AttachmentIn = z.infer<typeof attachmentIn>;

/** Decision 2009/917/JHA handling codes H0-H3, with the conditions H3 stands for. */
export const handlingIn = z
  .object({
    codes: z.array(z.enum(HANDLING_CODES.keys)).max(4).default([]),
    conditions: z.string().max(4_000).optional(),
  })
  .default({ codes: [] });

/** The handling codes as read back: each with its meaning, so the restriction is never missed. */
export const handlingOut = z.object({
  codes: z.array(z.object({ code: z.enum(HANDLING_CODES.keys), meaning: z.string() })),
  conditions: z.string().optional(),
});
export type HandlingOut = z.infer<typeof handlingOut>;

export function handlingView(codes: readonly number[] | null | undefined, conditions: string | null | undefined): HandlingOut {
  const known = (codes ?? []).map((c) => HANDLING_CODES.toApi(c)).filter((c) => c !== undefined);
  return { codes: known.map((code) => ({ code, meaning: HANDLING_TEXT[code] ?? "" })), ...(conditions ? { conditions } : {}) };
}

/** A person, company, vehicle, ... identifier: the records and files APIs search by these. */
export const identifierIn = z.object({
  type: z.enum(IDENTIFIER_TYPES.keys),
  value: z.string().min(1).max(500),
  dateOfBirth: z.string().max(20).optional(),
});
export type IdentifierIn = z.infer<typeof identifierIn>;

export const identifierOut = z.object({ type: z.string(), value: z.string(), dateOfBirth: z.string().optional() });
export type IdentifierOut = z.infer<typeof identifierOut>;

export const erasedOut = z.object({ id: z.string(), erased: z.literal(true) });
export type ErasedOut = z.infer<typeof erasedOut>;
/** Why an object is erased, given as ?reason= on DELETE. */
export const eraseQuery = z.object({ reason: z.string().max(2_000).default("") });

export const identifiersToProto = (list: readonly IdentifierIn[]): pb.IIdentifier[] =>
  list.map((i) => ({ type: IDENTIFIER_TYPES.toProto(i.type), value: i.value, dateOfBirth: i.dateOfBirth ?? "" }));

export const identifierView = (i: pb.IIdentifier): IdentifierOut => ({
  type: IDENTIFIER_TYPES.toApi(i.type ?? 0) ?? "unknown",
  value: i.value ?? "",
  ...(i.dateOfBirth ? { dateOfBirth: i.dateOfBirth } : {}),
});
