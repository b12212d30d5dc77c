// The access point API's zod schemas: they validate requests, shape responses, and are the source
// of the OpenAPI document at /docs.
import { z } from "zod";
import { CP_CODE_PATTERN, OBJECT_ID_PATTERN } from "../../src/domain/mod.js";
import { queryInt } from "../../src/http/mod.js";
import { HANDLING_CODES, KINDS, LEGAL_BASES, PRIORITIES, RECEIPT_KINDS, SPECIAL_FORMS, SPONTANEOUS_BASES } from "./codec.js";

export const cpCode = z.string().regex(CP_CODE_PATTERN, "a contact point code such as BE or OLAF");
/** A message, record, file entry or hit id: it becomes a NATS subject or key token, so it is checked first. */
export const objectId = z.string().regex(OBJECT_ID_PATTERN, "an id: 1 to 64 letters, digits, - and _");
export const caseRef = z.string().min(1).max(64).regex(/^[A-Za-z0-9][A-Za-z0-9/_.:-]*$/, "letters, digits and / _ . : -");
const isoTime = z.iso.datetime({ offset: true });

export const attachmentIn = z.object({
  name: z.string().min(1).max(255),
  mediaType: z.string().min(1).max(127).default("application/octet-stream"),
  contentBase64: z.base64(),
});

export const handlingIn = z
  .object({
    codes: z.array(z.enum(HANDLING_CODES.keys)).max(4).default([]),
    conditions: z.string().max(4_000).optional(),
  })
  .default({ codes: [] });

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
  priority: z.enum(PRIORITIES.keys).default("normal"),
});
export type ReplyIn = z.infer<typeof replyIn>;

export const submitted = z.object({ id: z.string(), status: z.literal("submitted"), caseRef: z.string() }).meta({ id: "Submitted" });

const recipientStatus = z.object({
  status: z.enum(["submitted", "accepted", "rejected", "delivered", "read", "answered"]),
  at: isoTime.optional(),
  reasonCode: z.string().optional(),
  reason: z.string().optional(),
});

export const receiptOut = z.object({
  kind: z.enum(RECEIPT_KINDS.keys),
  issuer: z.string(),
  recipient: z.string().optional(),
  at: isoTime,
  reasonCode: z.string().optional(),
  reason: z.string().optional(),
  answerId: z.string().optional(),
});

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
    handling: z.object({
      codes: z.array(z.object({ code: z.enum(HANDLING_CODES.keys), meaning: z.string() })),
      conditions: z.string().optional(),
    }),
    attachments: z.array(z.object({ name: z.string(), mediaType: z.string(), size: z.number().int(), contentBase64: z.string() })),
    receipts: z.array(receiptOut),
  })
  .meta({ id: "Message" });
export type MessageOut = z.infer<typeof messageOut>;

export const listQuery = z.object({
  box: z.enum(["inbox", "sent"]).default("inbox"),
  status: z.enum(["new", "read", "answered", "overdue", "submitted", "accepted", "rejected", "delivered"]).optional(),
  caseRef: caseRef.optional(),
  cursor: z.string().regex(/^\d+$/).optional(),
  limit: queryInt(1, 200).default(50),
});
export type ListQuery = z.infer<typeof listQuery>;

export const listOut = z.object({ items: z.array(headerOut), nextCursor: z.string().optional() }).meta({ id: "MessagePage" });
export const threadOut = z.object({ caseRef: z.string(), messages: z.array(messageOut) }).meta({ id: "Thread" });
export const idParams = z.object({ id: objectId });
export const hitParams = z.object({ hitId: objectId });
export const caseParams = z.object({ caseRef });
