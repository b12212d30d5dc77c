// /v1/messages and /v1/cases: the operator's mutual-assistance API. Every route declares its
// audit event; reads are audited per message opened.
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { AuditAction, AuditOutcome, type AuditEmitter } from "../../../src/audit/mod.js";
import { LiaisonError } from "../../../src/errors.js";
import {
  caseParams,
  handlingView,
  HANDLING_CODES,
  idParams,
  iso,
  isoRequired,
  KINDS,
  LEGAL_BASES,
  messageIn,
  messageListOut,
  messageListQuery,
  messageOut,
  messageSearchQuery,
  PRIORITIES,
  RECEIPT_KINDS,
  replyIn,
  SPECIAL_FORMS,
  SPONTANEOUS_BASES,
  submitted,
  threadOut,
  type AttachmentIn,
  type HeaderOut,
  type MessageIn,
  type MessageListOut,
  type MessageListQuery,
  type MessageOut,
  type ReplyIn,
} from "../../../src/api/mod.js";
import { rolesWith } from "../../../src/domain/mod.js";
import { problemResponses } from "../../../src/http/mod.js";
import { pb } from "../../../src/proto/mod.js";
import type { LargeFiles } from "../large-files.js";
import type { Entry, Mailbox, OpenedMessage } from "../mailbox.js";
import { cursorOf, listed } from "../message-index.js";

export interface MessageRoutesDeps {
  readonly mailbox: Mailbox;
  readonly audit: AuditEmitter;
  readonly maxAttachmentBytes: number;
  /** Large attachments (routes/uploads.ts); without it a message naming an upload is refused. */
  readonly largeFiles?: LargeFiles;
}

/** The refusals of the message routes (and of the large-file routes beside them, routes/uploads.ts). */
export const MESSAGE_REFUSALS = [
  "LIAISON_VALIDATION",
  "LIAISON_UNAUTHENTICATED",
  "LIAISON_FORBIDDEN",
  "LIAISON_NOT_FOUND",
  "LIAISON_PAYLOAD_TOO_LARGE",
  "LIAISON_UNKNOWN_CONTACT_POINT",
  "LIAISON_UNAVAILABLE",
] as const;
const errors = problemResponses(...MESSAGE_REFUSALS);

function attachments(list: readonly AttachmentIn[], max: number): pb.IAttachment[] {
  const out = list.map((a) => ({ name: a.name, mediaType: a.mediaType, content: new Uint8Array(Buffer.from(a.contentBase64, "base64")) }));
  const total = out.reduce((n, a) => n + a.content.length, 0);
  if (total > max) throw new LiaisonError("LIAISON_PAYLOAD_TOO_LARGE", `attachments total ${total} bytes, limit ${max}`);
  return out;
}

/** The sealed references of the uploads a message names, for exactly its recipients (refused otherwise). */
function largeRefs(d: MessageRoutesDeps, ids: readonly string[], to: readonly string[], userId: string): pb.ILargeAttachment[] {
  if (ids.length === 0) return [];
  if (!d.largeFiles) throw new LiaisonError("LIAISON_VALIDATION", "largeAttachments: this access point takes no large files");
  return d.largeFiles.refsFor(ids, to, userId);
}

function payloadOf(m: MessageIn, maxAttachmentBytes: number): pb.IPayload {
  const p: pb.IPayload = {
    subject: m.subject,
    body: m.body,
    handlingConditions: m.handling.conditions ?? "",
    attachments: attachments(m.attachments, maxAttachmentBytes),
  };
  if (m.kind === "request") p.request = { legalBasis: LEGAL_BASES.toProto(m.legalBasis ?? "assistance-on-request") };
  if (m.kind === "spontaneous" || m.spontaneousBasis) p.spontaneous = { basis: m.spontaneousBasis ? SPONTANEOUS_BASES.toProto(m.spontaneousBasis) : pb.SpontaneousBasis.SPONTANEOUS_BASIS_INFORMATION };
  if (m.specialForm) {
    p.specialForm = {
      form: SPECIAL_FORMS.toProto(m.specialForm.form),
      location: m.specialForm.location ?? "",
      startsAtMs: m.specialForm.startsAt ? Date.parse(m.specialForm.startsAt) : 0,
      endsAtMs: m.specialForm.endsAt ? Date.parse(m.specialForm.endsAt) : 0,
    };
  }
  return p;
}

export function headerView(mailbox: Mailbox, e: Entry): HeaderOut {
  const h = e.header;
  const { status, overdue } = mailbox.status(e);
  return {
    id: e.id,
    box: e.box,
    kind: KINDS.toApi(h.kind) ?? "request",
    from: h.sender,
    to: h.recipients,
    createdAt: isoRequired(h.createdAtMs),
    priority: PRIORITIES.toApi(h.priority) ?? "normal",
    ...(h.replyByMs ? { replyBy: iso(h.replyByMs) } : {}),
    caseRef: h.caseRef,
    ...(h.inReplyTo ? { inReplyTo: h.inReplyTo } : {}),
    handlingCodes: h.handlingCodes.map((c) => HANDLING_CODES.toApi(c)).filter((c) => c !== undefined),
    status,
    overdue,
    ...(e.box === "sent"
      ? {
          recipients: Object.fromEntries(
            [...e.recipients].map(([cp, r]) => [cp, { status: r.state, at: iso(r.atMs), ...(r.reasonCode ? { reasonCode: r.reasonCode, reason: r.reason ?? "" } : {}) }]),
          ),
        }
      : {}),
  };
}

export function messageView(mailbox: Mailbox, o: OpenedMessage): MessageOut {
  const p = o.payload;
  return {
    ...headerView(mailbox, o.entry),
    subject: p.subject,
    body: p.body,
    ...(p.request ? { legalBasis: LEGAL_BASES.toApi(p.request.legalBasis ?? 0) ?? "assistance-on-request" } : {}),
    ...(p.spontaneous ? { spontaneousBasis: SPONTANEOUS_BASES.toApi(p.spontaneous.basis ?? 0) ?? "information" } : {}),
    ...(p.specialForm
      ? {
          specialForm: {
            form: SPECIAL_FORMS.toApi(p.specialForm.form ?? 0) ?? "hot-pursuit",
            ...(p.specialForm.location ? { location: p.specialForm.location } : {}),
            ...(p.specialForm.startsAtMs ? { startsAt: iso(p.specialForm.startsAtMs) } : {}),
            ...(p.specialForm.endsAtMs ? { endsAt: iso(p.specialForm.endsAtMs) } : {}),
          },
        }
      : {}),
    ...(p.reply ? { declined: !!p.reply.declined, ...(p.reply.declineReason ? { declineReason: p.reply.declineReason } : {}) } : {}),
    handling: handlingView(o.entry.header.handlingCodes, p.handlingConditions),
    attachments: p.attachments.map((a) => ({
      name: a.name ?? "",
      mediaType: a.mediaType ?? "application/octet-stream",
      size: a.content?.length ?? 0,
      contentBase64: Buffer.from(a.content ?? new Uint8Array()).toString("base64"),
    })),
    ...(p.largeAttachments.length
      ? { largeAttachments: p.largeAttachments.map((a) => ({ name: a.name ?? "", mediaType: a.mediaType || "application/octet-stream", size: Number(a.size ?? 0), sha256: Buffer.from(a.sha256 ?? new Uint8Array()).toString("hex") })) }
      : {}),
    receipts: o.entry.receipts.map((r) => ({
      kind: RECEIPT_KINDS.toApi(r.kind) ?? "accepted",
      issuer: r.issuer,
      ...(r.recipient ? { recipient: r.recipient } : {}),
      at: isoRequired(r.atMs),
      ...(r.reasonCode ? { reasonCode: r.reasonCode, reason: r.reason } : {}),
      ...(r.answerId ? { answerId: r.answerId } : {}),
    })),
  };
}

export async function messageRoutes(app: FastifyInstance, d: MessageRoutesDeps): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { mailbox } = d;

  const readAudit = (req: { user?: { id: string } }, id: string) =>
    d.audit.emit({
      action: AuditAction.AUDIT_ACTION_READ,
      authority: mailbox.cp,
      userId: req.user?.id ?? "anonymous",
      objectType: "message",
      objectId: id,
      outcome: AuditOutcome.AUDIT_OUTCOME_SUCCESS,
    });

  r.post(
    "/v1/messages",
    {
      schema: { summary: "Send a mutual-assistance message", tags: ["messages"], body: messageIn, response: { 202: submitted, ...errors } },
      config: { roles: rolesWith("messages.send"), audit: { action: pb.AuditAction.AUDIT_ACTION_SUBMIT, objectType: "message" } },
    },
    async (req, reply) => {
      const m = req.body;
      const e = await mailbox.send({
        kind: KINDS.toProto(m.kind),
        to: m.to,
        payload: { ...payloadOf(m, d.maxAttachmentBytes), largeAttachments: largeRefs(d, m.largeAttachments, m.to, req.user?.id ?? "anonymous") },
        priority: PRIORITIES.toProto(m.priority),
        ...(m.replyBy ? { replyByMs: Date.parse(m.replyBy) } : {}),
        ...(m.caseRef ? { caseRef: m.caseRef } : {}),
        handlingCodes: m.handling.codes.map((c) => HANDLING_CODES.toProto(c)),
        ...(m.inReplyTo ? { inReplyTo: m.inReplyTo } : {}),
      });
      d.largeFiles?.sent(m.largeAttachments);
      req.audit.objectId = e.id;
      req.audit.details = { kind: m.kind, to: e.header.recipients.join(","), caseRef: e.header.caseRef, ...(m.largeAttachments.length ? { uploads: m.largeAttachments.join(",") } : {}) };
      return reply.code(202).send({ id: e.id, status: "submitted" as const, caseRef: e.header.caseRef });
    },
  );

  /**
   * A page of headers: the filters on the clear header first, then status, then those that need
   * the content (legal basis, search words: search-index.ts), in the listing order from the cursor.
   */
  const listPage = async (q: MessageListQuery, search?: string): Promise<{ page: MessageListOut; refs: number }> => {
    const fromMs = q.from ? Date.parse(q.from) : Number.NEGATIVE_INFINITY;
    const toMs = q.to ? Date.parse(q.to) : Number.POSITIVE_INFINITY;
    const priority = q.priority ? PRIORITIES.toProto(q.priority) : undefined;
    const kind = q.kind ? KINDS.toProto(q.kind) : undefined;
    const candidates = listed(mailbox.entries(), q.order, q.cursor).filter((e) => {
      const h = e.header;
      return (
        e.box === q.box &&
        (!q.caseRef || h.caseRef === q.caseRef) &&
        (priority === undefined || h.priority === priority) &&
        (kind === undefined || h.kind === kind) &&
        (!q.counterpart || (e.box === "inbox" ? h.sender === q.counterpart : h.recipients.includes(q.counterpart))) &&
        h.createdAtMs >= fromMs &&
        h.createdAtMs <= toMs
      );
    });
    const needsContent = search !== undefined || q.legalBasis !== undefined;
    const index = needsContent ? await mailbox.searchIndex(candidates) : undefined;
    const refs = search !== undefined && index ? index.query(search) : [];
    const legalBasis = q.legalBasis ? LEGAL_BASES.toProto(q.legalBasis) : undefined;
    const items: HeaderOut[] = [];
    const shown: Entry[] = [];
    let last: Entry | undefined;
    let more = false;
    for (const e of candidates) {
      if (index && legalBasis !== undefined && index.legalBasis(e.id) !== legalBasis) continue;
      if (index && search !== undefined && !index.matches(e.id, refs)) continue;
      const h = headerView(mailbox, e);
      if (q.status && !(q.status === "overdue" ? h.overdue : h.status === q.status)) continue;
      if (items.length === q.limit) {
        more = true;
        break;
      }
      items.push(h);
      shown.push(e);
      last = e;
    }
    // Each row's subject, from the content: opened for the listing, not read (no read receipt).
    const subjectOf = await mailbox.subjects(shown);
    for (const h of items) h.subject = subjectOf.get(h.id) ?? "";
    return { page: { items, ...(more && last ? { nextCursor: cursorOf(last, q.order) } : {}) }, refs: refs.length };
  };

  /** What the log keeps of a listing: the filters (no search words), and how many came back. */
  const listDetails = (q: MessageListQuery, count: number): Record<string, string> => {
    const filters = { status: q.status, caseRef: q.caseRef, priority: q.priority, kind: q.kind, counterpart: q.counterpart, legalBasis: q.legalBasis, from: q.from, to: q.to };
    return { box: q.box, order: q.order, count: String(count), ...Object.fromEntries(Object.entries(filters).filter((kv): kv is [string, string] => kv[1] !== undefined)) };
  };

  r.get(
    "/v1/messages",
    {
      schema: {
        summary: "A page of message headers (no content): urgent first by default (order=arrival for arrival order), filtered",
        tags: ["messages"],
        querystring: messageListQuery,
        response: { 200: messageListOut, ...errors },
      },
      config: { roles: rolesWith("messages.read"), audit: { action: pb.AuditAction.AUDIT_ACTION_READ, objectType: "message-list" } },
    },
    async (req) => {
      // The schema drops unknown parameters: a search sent here would list everything, unfiltered.
      if (new URLSearchParams(req.url.split("?")[1] ?? "").has("q")) throw new LiaisonError("LIAISON_VALIDATION", "q: to search, use GET /v1/messages/search?q=");
      const { page } = await listPage(req.query);
      req.audit.details = listDetails(req.query, page.items.length);
      return page;
    },
  );

  r.get(
    "/v1/messages/search",
    {
      schema: {
        summary: "Search one's own messages' subject and body (whole words, all of them), with the list's filters and order; headers only",
        tags: ["messages"],
        querystring: messageSearchQuery,
        response: { 200: messageListOut, ...errors },
      },
      config: { roles: rolesWith("messages.read"), audit: { action: pb.AuditAction.AUDIT_ACTION_QUERY, objectType: "message-search" } },
    },
    async (req) => {
      const { q, ...list } = req.query;
      const { page, refs } = await listPage(list, q);
      // A query: which messages it found, and how many words it had; never the words.
      req.audit.matched = page.items.map((i) => i.id);
      req.audit.details = { ...listDetails(list, page.items.length), words: String(refs) };
      return page;
    },
  );

  r.get(
    "/v1/messages/:id",
    {
      schema: { summary: "Open a message (decrypted here) with its receipt history", tags: ["messages"], params: idParams, response: { 200: messageOut, ...errors } },
      config: { roles: rolesWith("messages.read"), audit: { action: pb.AuditAction.AUDIT_ACTION_READ, objectType: "message", objectParam: "id" } },
    },
    async (req) => messageView(mailbox, await mailbox.open(req.params.id)),
  );

  r.post(
    "/v1/messages/:id/reply",
    {
      schema: { summary: "Reply to a received message", tags: ["messages"], params: idParams, body: replyIn, response: { 202: submitted, ...errors } },
      config: { roles: rolesWith("messages.send"), audit: { action: pb.AuditAction.AUDIT_ACTION_SUBMIT, objectType: "message" } },
    },
    async (req, reply) => {
      const b: ReplyIn = req.body;
      const original = mailbox.get(req.params.id);
      const e = await mailbox.reply(original.id, {
        payload: {
          subject: b.subject ?? "",
          body: b.body,
          handlingConditions: b.handling.conditions ?? "",
          attachments: attachments(b.attachments, d.maxAttachmentBytes),
          largeAttachments: largeRefs(d, b.largeAttachments, [original.header.sender], req.user?.id ?? "anonymous"),
          reply: { declined: b.declined, declineReason: b.declineReason ?? "" },
        },
        priority: PRIORITIES.toProto(b.priority),
        handlingCodes: b.handling.codes.map((c) => HANDLING_CODES.toProto(c)),
      });
      d.largeFiles?.sent(b.largeAttachments);
      req.audit.objectId = e.id;
      req.audit.details = { inReplyTo: original.id, caseRef: e.header.caseRef };
      return reply.code(202).send({ id: e.id, status: "submitted" as const, caseRef: e.header.caseRef });
    },
  );

  r.get(
    "/v1/cases/:caseRef",
    {
      schema: { summary: "The whole thread of a case, oldest first", tags: ["messages"], params: caseParams, response: { 200: threadOut, ...errors } },
      config: { roles: rolesWith("messages.read"), audit: { action: pb.AuditAction.AUDIT_ACTION_READ, objectType: "case", objectParam: "caseRef" } },
    },
    async (req) => {
      const entries = mailbox.entries().filter((e) => e.header.caseRef === req.params.caseRef).sort((a, b) => a.header.createdAtMs - b.header.createdAtMs);
      if (entries.length === 0) throw new LiaisonError("LIAISON_NOT_FOUND", `no case ${req.params.caseRef}`);
      const messages: MessageOut[] = [];
      for (const e of entries) {
        messages.push(messageView(mailbox, await mailbox.open(e.id)));
        await readAudit(req, e.id);
      }
      req.audit.matched = entries.map((e) => e.id);
      return { caseRef: req.params.caseRef, messages };
    },
  );

}
