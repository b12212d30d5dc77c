// The messages API (/v1/messages, /v1/cases) of the access point: mutual-assistance messages under
// Naples II. Routes, the CLI and tests take their shapes from here; OpenAPI is generated from them.
import { z } from "zod";
import { queryInt } from "../http/mod.js";
import { attachmentIn, caseRef, cpCode, handlingIn, handlingOut, isoTime, objectId } from "./common.js";
import { HANDLING_CODES, KINDS, LEGAL_BASES, PRIORITIES, RECEIPT_KINDS, SPECIAL_FORMS, SPONTANEOUS_BASES } from "./enums.js";

/** An upload of a large attachment (POST /v1/uploads, docs/large-files.md), named in the message that sends it. */
export const uploadId = z.string().regex(/^[0-9a-f]{32}$/, "an upload id from POST /v1/uploads");
const largeAttachmentsIn = z.array(uploadId).max(20).default([]).describe("Upload ids from POST /v1/uploads, sealed for exactly this message's recipients");

export const messageIn = z
  .object({
    kind: z.enum(KINDS.keys),
    to: z.array(z.union([cpCode, z.literal("*")])).min(1).max(64),
    legalBasis: z.enum(LEGAL_BASES.keys).optional(),
    spontaneousBasis: z.enum(SPONTANEOUS_BASES.keys).optional(),
    specialForm: z
      .object({ form: z.enum(SPECIAL_FORMS.keys), location: z.string().max(500).optional(), startsAt: isoTime.optional(), endsAt: isoTime.optional() })
      .optional(),
    subject: z.string().min(1).max(500),
    body: z.string().max(1_000_000),
    priority: z.enum(PRIORITIES.keys).default("normal"),
    replyBy: isoTime.optional(),
    caseRef: caseRef.optional(),
    handling: handlingIn,
    inReplyTo: objectId.optional(),
    attachments: z.array(attachmentIn).max(20).default([]),
    largeAttachments: largeAttachmentsIn,
  })
  .superRefine((m, ctx) => {
    if (m.kind === "request" && !m.legalBasis) ctx.addIssue({ code: "custom", path: ["legalBasis"], message: "a request states its Naples II legal basis" });
    if (m.kind !== "request" && m.legalBasis) ctx.addIssue({ code: "custom", path: ["legalBasis"], message: "only a request has a legal basis" });
    if (m.kind === "special-form" && !m.specialForm) ctx.addIssue({ code: "custom", path: ["specialForm"], message: "say which special form of cooperation" });
    if (m.kind === "reply" && !m.inReplyTo) ctx.addIssue({ code: "custom", path: ["inReplyTo"], message: "a reply answers a message: use POST /v1/messages/{id}/reply" });
    if (m.to.includes("*") && m.to.length > 1) ctx.addIssue({ code: "custom", path: ["to"], message: '"*" (all active contact points) stands alone' });
    if (m.handling.codes.includes("H3") && !m.handling.conditions) {
      ctx.addIssue({ code: "custom", path: ["handling", "conditions"], message: "H3 means other restrictions: state them" });
    }
  });
export type MessageIn = z.infer<typeof messageIn>;

export const replyIn = z.object({
  subject: z.string().min(1).max(500).optional(),
  body: z.string().max(1_000_000),
  declined: z.boolean().default(false),
  declineReason: z.string().max(4_000).optional(),
  handling: handlingIn,
  attachments: z.array(attachmentIn).max(20).default([]),
  largeAttachments: largeAttachmentsIn,
  priority: z.enum(PRIORITIES.keys).default("normal"),
});
export type ReplyIn = z.infer<typeof replyIn>;

export const submitted = z.object({ id: z.string(), status: z.literal("submitted"), caseRef: z.string() }).meta({ id: "Submitted" });
export type Submitted = z.infer<typeof submitted>;

export const recipientStatus = z.object({
  status: z.enum(["submitted", "accepted", "rejected", "delivered", "read", "answered"]),
  at: isoTime.optional(),
  reasonCode: z.string().optional(),
  reason: z.string().optional(),
});

export type RecipientStatus = z.infer<typeof recipientStatus>;

export const receiptOut = z.object({
  kind: z.enum(RECEIPT_KINDS.keys),
  issuer: z.string(),
  recipient: z.string().optional(),
  at: isoTime,
  reasonCode: z.string().optional(),
  reason: z.string().optional(),
  answerId: z.string().optional(),
});

export type ReceiptOut = z.infer<typeof receiptOut>;

export const headerOut = z
  .object({
    id: z.string(),
    box: z.enum(["inbox", "sent"]),
    kind: z.enum(KINDS.keys),
    from: z.string(),
    to: z.array(z.string()),
    createdAt: isoTime,
    priority: z.enum(PRIORITIES.keys),
    replyBy: isoTime.optional(),
    caseRef: z.string(),
    /** In a listing, each row's subject (sealed with the content: the access point opens it for the list). */
    subject: z.string().optional(),
    inReplyTo: z.string().optional(),
    handlingCodes: z.array(z.enum(HANDLING_CODES.keys)),
    status: z.string(),
    overdue: z.boolean(),
    recipients: z.record(z.string(), recipientStatus).optional(),
  })
  .meta({ id: "MessageHeader" });
export type HeaderOut = z.infer<typeof headerOut>;

export const messageOut = headerOut
  .extend({
    subject: z.string(),
    body: z.string(),
    legalBasis: z.enum(LEGAL_BASES.keys).optional(),
    spontaneousBasis: z.enum(SPONTANEOUS_BASES.keys).optional(),
    specialForm: z.object({ form: z.enum(SPECIAL_FORMS.keys), location: z.string().optional(), startsAt: isoTime.optional(), endsAt: isoTime.optional() }).optional(),
    declined: z.boolean().optional(),
    declineReason: z.string().optional(),
    handling: handlingOut,
    attachments: z.array(z.object({ name: z.string(), mediaType: z.string(), size: z.number().int(), contentBase64: z.string() })),
    largeAttachments: z
      .array(z.object({ name: z.string(), mediaType: z.string(), size: z.number().int(), sha256: z.string() }))
      .optional()
      .describe("Files too large for the message: read each from GET /v1/messages/{id}/attachments/{name}"),
    receipts: z.array(receiptOut),
  })
  .meta({ id: "Message" });
export type MessageOut = z.infer<typeof messageOut>;

/**
 * Listing orders: "priority" (urgent first, then newest arrival first: the operator's view, the
 * default) or "arrival" (newest arrival first, whatever the priority: for systems that page by it).
 * A cursor belongs to its order: "<digits>" for arrival, "<0|1>.<digits>" for priority.
 */
export const LIST_ORDERS = ["priority", "arrival"] as const;
export type ListOrder = (typeof LIST_ORDERS)[number];

const messageListFields = {
  box: z.enum(["inbox", "sent"]).default("inbox"),
  order: z.enum(LIST_ORDERS).default("priority").describe("priority: urgent first, then newest arrival first (the default); arrival: newest arrival first, whatever the priority"),
  status: z.enum(["new", "read", "answered", "overdue", "submitted", "accepted", "rejected", "delivered"]).optional(),
  caseRef: caseRef.optional(),
  priority: z.enum(PRIORITIES.keys).optional(),
  kind: z.enum(KINDS.keys).optional(),
  counterpart: cpCode.optional().describe("In the inbox its sender; in the sent box one of its recipients"),
  legalBasis: z
    .enum(LEGAL_BASES.keys)
    .optional()
    .describe("A request's Naples II legal basis; it is sealed with the content, so the access point opens (without reading for a user: no read receipt) what it has not indexed yet"),
  from: isoTime.optional().describe("Created at or after this time"),
  to: isoTime.optional().describe("Created at or before this time"),
  cursor: z
    .string()
    .regex(/^([01]\.)?\d+$/)
    .optional()
    .describe("The nextCursor of the previous page, with the same order and filters"),
  limit: queryInt(1, 200).default(50),
};

export const messageListQuery = z.object(messageListFields);
export type MessageListQuery = z.infer<typeof messageListQuery>;

/** Search over one's own messages' subject and body: every word of `q` (folded) must occur; whole words. */
export const messageSearchQuery = z.object({
  ...messageListFields,
  q: z.string().min(1).max(200).describe("Words that must all occur in the subject or body (whole words; case, accents and punctuation ignored)"),
});
export type MessageSearchQuery = z.infer<typeof messageSearchQuery>;

export const messageListOut = z.object({ items: z.array(headerOut), nextCursor: z.string().optional() }).meta({ id: "MessagePage" });
export type MessageListOut = z.infer<typeof messageListOut>;
export const threadOut = z.object({ caseRef: z.string(), messages: z.array(messageOut) }).meta({ id: "Thread" });
export type ThreadOut = z.infer<typeof threadOut>;

/** POST /v1/uploads: the raw file is the body (application/octet-stream); these say what it is and for whom. */
export const uploadQuery = z.object({
  name: z.string().min(1).max(255).describe("The file's name, as the recipient will see it"),
  mediaType: z.string().min(1).max(127).default("application/octet-stream"),
  to: z
    .string()
    .min(1)
    .transform((v) => v.split(","))
    .pipe(z.array(cpCode).min(1).max(64))
    .describe("The recipients, comma-separated: the message that sends it must be addressed to exactly these"),
});
export type UploadQuery = z.infer<typeof uploadQuery>;

export const uploadOut = z
  .object({ uploadId, name: z.string(), mediaType: z.string(), size: z.number().int(), sha256: z.string(), to: z.array(z.string()), expiresAt: isoTime })
  .meta({ id: "Upload" });
export type UploadOut = z.infer<typeof uploadOut>;

export const attachmentParams = z.object({ id: objectId, name: z.string().min(1).max(255) });

/** An attachment's bytes, streamed as they are (no JSON): its media type is the Content-Type. */
export const attachmentBytes = z.any().meta({ description: "The attachment's bytes", format: "binary" });
