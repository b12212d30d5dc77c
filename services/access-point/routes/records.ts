// /v1/records, /v1/hits and /v1/notices: CIS records for the contact point's operators. Calls go to
// the hub's records service sealed and signed (src/hub-rpc); answers are opened here.
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { HubClient } from "../../../src/hub-rpc/mod.js";
import { problemSchema } from "../../../src/http/mod.js";
import { pb } from "../../../src/proto/mod.js";
import { HANDLING_CODES, HANDLING_TEXT, IDENTIFIER_TYPES, NOTICE_KINDS, RECORD_CATEGORIES, RECORD_PURPOSES } from "../codec.js";
import { erasureCertificateOut, erasureCertificateView } from "../erasure-certificates.js";
import type { Mailbox } from "../mailbox.js";
import { idParams } from "../schemas.js";

export interface RecordRoutesDeps {
  readonly hub: HubClient;
  readonly mailbox: Mailbox;
}

const iso = (ms: number | Long | null | undefined) => new Date(Number(ms ?? 0)).toISOString();
type Long = { toNumber(): number };
const errors = { 400: problemSchema, 401: problemSchema, 403: problemSchema, 404: problemSchema, 409: problemSchema, 410: problemSchema, 413: problemSchema, 422: problemSchema, 503: problemSchema };

export const identifierIn = z.object({
  type: z.enum(IDENTIFIER_TYPES.keys),
  value: z.string().min(1).max(500),
  dateOfBirth: z.string().max(20).optional(),
});
const attachmentIn = z.object({ name: z.string().min(1).max(255), mediaType: z.string().max(127).default("application/octet-stream"), contentBase64: z.base64() });
const handlingIn = z.object({ codes: z.array(z.enum(HANDLING_CODES.keys)).max(4).default([]), conditions: z.string().max(4_000).optional() }).default({ codes: [] });

const recordIn = z.object({
  category: z.enum(RECORD_CATEGORIES.keys),
  purpose: z.enum(RECORD_PURPOSES.keys).describe("the action suggested to an authority that finds a match (Decision 2009/917/JHA Art. 5)"),
  suggestedAction: z.string().max(2_000).default(""),
  identifiers: z.array(identifierIn).min(1).max(50),
  freeText: z.string().max(20_000).default(""),
  handling: handlingIn,
  attachments: z.array(attachmentIn).max(10).default([]),
});
type RecordIn = z.infer<typeof recordIn>;
const amendIn = recordIn.omit({ attachments: true });

const recordOut = z
  .object({
    id: z.string(),
    supplier: z.string(),
    category: z.enum(RECORD_CATEGORIES.keys),
    purpose: z.enum(RECORD_PURPOSES.keys),
    suggestedAction: z.string(),
    identifiers: z.array(z.object({ type: z.string(), value: z.string(), dateOfBirth: z.string().optional() })),
    freeText: z.string(),
    handling: z.object({ codes: z.array(z.object({ code: z.string(), meaning: z.string() })), conditions: z.string().optional() }),
    attachments: z.array(z.object({ name: z.string(), mediaType: z.string(), size: z.number().int(), contentBase64: z.string().optional() })),
    createdAt: z.string(),
    updatedAt: z.string(),
    reviewDue: z.string(),
    renewals: z.number().int(),
    hold: z.object({ setBy: z.string(), reason: z.string(), setAt: z.string(), until: z.string().optional() }).optional(),
  })
  .meta({ id: "CisRecord" });

const queryIn = z.object({
  identifiers: z.array(identifierIn).min(1).max(20),
  purpose: z.string().describe("why you search: required, and logged with the query"),
  category: z.enum(RECORD_CATEGORIES.keys).optional(),
});
const queryOut = z
  .object({ matches: z.array(z.object({ record: recordOut, hitId: z.string().optional(), matchedOn: z.array(z.string()) })) })
  .meta({ id: "RecordQueryResult" });

function content(r: Omit<RecordIn, "attachments">): pb.ICisRecordContent {
  return {
    category: RECORD_CATEGORIES.toProto(r.category),
    purpose: RECORD_PURPOSES.toProto(r.purpose),
    suggestedAction: r.suggestedAction,
    identifiers: r.identifiers.map((i) => ({ type: IDENTIFIER_TYPES.toProto(i.type), value: i.value, dateOfBirth: i.dateOfBirth ?? "" })),
    freeText: r.freeText,
    handlingCodes: r.handling.codes.map((c) => HANDLING_CODES.toProto(c)),
    handlingConditions: r.handling.conditions ?? "",
  };
}

export function recordView(v: pb.IRecordView): z.infer<typeof recordOut> {
  const c = v.content ?? {};
  const data = new Map((v.attachments ?? []).map((a) => [a.name ?? "", a.content]));
  const codes = (c.handlingCodes ?? []).map((x) => HANDLING_CODES.toApi(x)).filter((x) => x !== undefined);
  return {
    id: v.recordId ?? "",
    supplier: v.supplier ?? "",
    category: RECORD_CATEGORIES.toApi(c.category ?? 0) ?? "commodity",
    purpose: RECORD_PURPOSES.toApi(c.purpose ?? 0) ?? "sighting-and-reporting",
    suggestedAction: c.suggestedAction ?? "",
    identifiers: (c.identifiers ?? []).map((i) => ({ type: IDENTIFIER_TYPES.toApi(i.type ?? 0) ?? "unknown", value: i.value ?? "", ...(i.dateOfBirth ? { dateOfBirth: i.dateOfBirth } : {}) })),
    freeText: c.freeText ?? "",
    handling: { codes: codes.map((code) => ({ code, meaning: HANDLING_TEXT[code] ?? "" })), ...(c.handlingConditions ? { conditions: c.handlingConditions } : {}) },
    attachments: (c.attachments ?? []).map((a) => {
      const bytes = data.get(a.name ?? "");
      return { name: a.name ?? "", mediaType: a.mediaType ?? "", size: Number(a.size ?? 0), ...(bytes ? { contentBase64: Buffer.from(bytes).toString("base64") } : {}) };
    }),
    createdAt: iso(v.createdAtMs),
    updatedAt: iso(v.updatedAtMs),
    reviewDue: iso(v.reviewDueMs),
    renewals: v.renewals ?? 0,
    ...(v.hold ? { hold: { setBy: v.hold.setBy ?? "", reason: v.hold.reason ?? "", setAt: iso(v.hold.setAtMs), ...(v.hold.untilMs ? { until: iso(v.hold.untilMs) } : {}) } } : {}),
  };
}

export async function recordRoutes(app: FastifyInstance, d: RecordRoutesDeps): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const call = async <T>(op: string, user: string, body: Uint8Array, decode: (b: Uint8Array) => T) => decode(await d.hub.call("records", op, user, body));
  const audit = (action: pb.AuditAction, objectType = "record", objectParam: string | undefined = "id") => ({
    roles: ["operator"] as const,
    audit: { action, objectType, ...(objectParam ? { objectParam } : {}) },
  });

  r.post(
    "/v1/records",
    { schema: { summary: "Submit a CIS record", tags: ["records"], body: recordIn, response: { 201: z.object({ id: z.string(), reviewDue: z.string() }), ...errors } }, config: audit(pb.AuditAction.AUDIT_ACTION_SUBMIT, "record", undefined) },
    async (req, reply) => {
      const body = pb.RecordSubmit.encode({
        content: content(req.body),
        attachments: req.body.attachments.map((a) => ({ name: a.name, mediaType: a.mediaType, content: new Uint8Array(Buffer.from(a.contentBase64, "base64")) })),
      }).finish();
      const res = await call("submit", req.user?.id ?? "", body, (b) => pb.RecordSubmitted.decode(b));
      req.audit.objectId = res.recordId;
      return reply.code(201).send({ id: res.recordId, reviewDue: iso(res.reviewDueMs) });
    },
  );

  r.get(
    "/v1/records/:id",
    { schema: { summary: "Read a record (opened here; the read is logged)", tags: ["records"], params: idParams, response: { 200: recordOut, ...errors } }, config: audit(pb.AuditAction.AUDIT_ACTION_READ) },
    async (req) => recordView(await call("get", req.user?.id ?? "", pb.RecordRef.encode({ recordId: req.params.id }).finish(), (b) => pb.RecordView.decode(b))),
  );

  r.post(
    "/v1/records/query",
    { schema: { summary: "Query records by identifiers, stating the purpose", tags: ["records"], body: queryIn, response: { 200: queryOut, ...errors } }, config: audit(pb.AuditAction.AUDIT_ACTION_QUERY, "record-query", undefined) },
    async (req) => {
      const q = pb.RecordQuery.encode({
        identifiers: req.body.identifiers.map((i) => ({ type: IDENTIFIER_TYPES.toProto(i.type), value: i.value, dateOfBirth: i.dateOfBirth ?? "" })),
        purpose: req.body.purpose,
        category: req.body.category ? RECORD_CATEGORIES.toProto(req.body.category) : 0,
      }).finish();
      const res = await call("query", req.user?.id ?? "", q, (b) => pb.RecordQueryResult.decode(b));
      req.audit.purpose = req.body.purpose;
      req.audit.matched = res.matches.map((m) => m.record?.recordId ?? "");
      return { matches: res.matches.map((m) => ({ record: recordView(m.record ?? {}), ...(m.hitId ? { hitId: m.hitId } : {}), matchedOn: m.matchedOn ?? [] })) };
    },
  );

  r.patch(
    "/v1/records/:id",
    { schema: { summary: "Amend a record (supplier only)", tags: ["records"], params: idParams, body: amendIn, response: { 200: recordOut, ...errors } }, config: audit(pb.AuditAction.AUDIT_ACTION_AMEND) },
    async (req) => recordView(await call("amend", req.user?.id ?? "", pb.RecordAmend.encode({ recordId: req.params.id, content: content(req.body) }).finish(), (b) => pb.RecordView.decode(b))),
  );

  r.post(
    "/v1/records/:id/renew",
    {
      schema: { summary: "Renew a record after review (supplier only)", tags: ["records"], params: idParams, body: z.object({ reason: z.string().min(3).max(2_000) }), response: { 200: recordOut, ...errors } },
      config: audit(pb.AuditAction.AUDIT_ACTION_RENEW),
    },
    async (req) => recordView(await call("renew", req.user?.id ?? "", pb.RecordRenew.encode({ recordId: req.params.id, reason: req.body.reason }).finish(), (b) => pb.RecordView.decode(b))),
  );

  r.delete(
    "/v1/records/:id",
    {
      schema: { summary: "Erase a record (supplier only): its data key is destroyed", tags: ["records"], params: idParams, querystring: z.object({ reason: z.string().max(2_000).default("") }), response: { 200: z.object({ id: z.string(), erased: z.literal(true), certificate: erasureCertificateOut }), ...errors } },
      config: audit(pb.AuditAction.AUDIT_ACTION_ERASE),
    },
    async (req) => {
      const res = await call("erase", req.user?.id ?? "", pb.RecordErase.encode({ recordId: req.params.id, reason: req.query.reason }).finish(), (b) => pb.RecordErased.decode(b));
      return { id: req.params.id, erased: true as const, certificate: erasureCertificateView(res.certificate ?? {}) };
    },
  );

  r.post(
    "/v1/records/:id/hold",
    {
      schema: { summary: "Set a legal hold (stops erasure) or lift it", tags: ["records"], params: idParams, body: z.object({ reason: z.string().max(2_000).default(""), until: z.iso.datetime({ offset: true }).optional(), lift: z.boolean().default(false) }), response: { 200: recordOut, ...errors } },
      config: audit(pb.AuditAction.AUDIT_ACTION_LEGAL_HOLD_SET),
    },
    async (req) =>
      recordView(
        await call(
          "hold",
          req.user?.id ?? "",
          pb.RecordHold.encode({ recordId: req.params.id, reason: req.body.reason, untilMs: req.body.until ? Date.parse(req.body.until) : 0, lift: req.body.lift }).finish(),
          (b) => pb.RecordView.decode(b),
        ),
      ),
  );

  r.post(
    "/v1/hits/:id/outcome",
    { schema: { summary: "Report the action taken on a hit", tags: ["records"], params: idParams, body: z.object({ outcome: z.string().min(3).max(4_000) }), response: { 200: z.object({ hitId: z.string(), outcome: z.string() }), ...errors } }, config: audit(pb.AuditAction.AUDIT_ACTION_HIT, "hit") },
    async (req) => {
      const res = await call("outcome", req.user?.id ?? "", pb.HitOutcome.encode({ hitId: req.params.id, outcome: req.body.outcome }).finish(), (b) => pb.HitOutcome.decode(b));
      return { hitId: res.hitId, outcome: res.outcome };
    },
  );

  r.get(
    "/v1/notices",
    {
      schema: {
        summary: "Notices from the hub: hits on your records, review reminders, erasures",
        tags: ["records"],
        querystring: z.object({ kind: z.enum(NOTICE_KINDS.keys).optional() }),
        response: {
          200: z.object({
            items: z.array(
              z.object({ id: z.string(), kind: z.string(), at: z.string(), objectType: z.string(), objectId: z.string(), matchedBy: z.string().optional(), purpose: z.string().optional(), dueAt: z.string().optional(), details: z.record(z.string(), z.string()), certificates: z.array(erasureCertificateOut).optional() }),
            ),
          }),
          ...errors,
        },
      },
      config: audit(pb.AuditAction.AUDIT_ACTION_READ, "notice-list", undefined),
    },
    async (req) => ({
      items: d.mailbox
        .notices()
        .map((n) => n.notice)
        .filter((n) => !req.query.kind || NOTICE_KINDS.toApi(n.kind) === req.query.kind)
        .sort((a, b) => Number(b.atMs) - Number(a.atMs))
        .map((n) => ({
          id: n.id,
          kind: NOTICE_KINDS.toApi(n.kind) ?? "unknown",
          at: iso(n.atMs),
          objectType: n.objectType,
          objectId: n.objectId,
          ...(n.matchedBy ? { matchedBy: n.matchedBy } : {}),
          ...(n.purpose ? { purpose: n.purpose } : {}),
          ...(n.dueAtMs ? { dueAt: iso(n.dueAtMs) } : {}),
          ...(n.erasures.length > 0 ? { certificates: n.erasures.map(erasureCertificateView) } : {}),
          // A hit's outcome came sealed to this contact point: opened here, for this view only.
          // One that cannot be opened (sealed to a retired key) says so rather than fail the list.
          details: ((outcome) => (outcome === undefined ? n.details : { ...n.details, outcome }))(
            (() => {
              try {
                return d.mailbox.noticeContent(n);
              } catch (err) {
                req.log.warn({ err, notice: n.id }, "a notice's sealed content does not open here");
                return "(sealed content that does not open here)";
              }
            })(),
          ),
        })),
    }),
  );
}
