// /v1/records, /v1/hits and /v1/notices: CIS records for the contact point's operators. Calls go to
// the hub's records service sealed and signed (src/hub-rpc); answers are opened here.
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import {
  amendIn,
  erasureCertificateView,
  handlingView,
  HANDLING_CODES,
  idParams,
  identifiersToProto,
  identifierView,
  iso,
  isoRequired,
  NOTICE_KINDS,
  noticesOut,
  noticesQuery,
  outcomeIn,
  outcomeOut,
  RECORD_CATEGORIES,
  RECORD_PURPOSES,
  recordIn,
  recordOut,
  recordQueryIn,
  recordErasedOut,
  recordQueryOut,
  recordSubmitted,
  renewIn,
  type AmendIn,
  type RecordOut,
} from "../../../src/api/mod.js";
import { matchStrengthName } from "../../../src/domain/mod.js";
import type { HubClient } from "../../../src/hub-rpc/mod.js";
import { problemResponses } from "../../../src/http/mod.js";
import { pb } from "../../../src/proto/mod.js";
import { hubRoutes, objectRoutes, OBJECT_ERRORS } from "./hub-routes.js";
import type { Mailbox } from "../mailbox.js";

export interface RecordRoutesDeps {
  readonly hub: HubClient;
  readonly mailbox: Mailbox;
}

const errors = problemResponses(...OBJECT_ERRORS, "LIAISON_ATTACHMENT_TOO_LARGE");

function content(r: AmendIn): pb.ICisRecordContent {
  return {
    category: RECORD_CATEGORIES.toProto(r.category),
    purpose: RECORD_PURPOSES.toProto(r.purpose),
    suggestedAction: r.suggestedAction,
    identifiers: identifiersToProto(r.identifiers),
    freeText: r.freeText,
    handlingCodes: r.handling.codes.map((c) => HANDLING_CODES.toProto(c)),
    handlingConditions: r.handling.conditions ?? "",
  };
}

/** A stub's whom-to-ask: the supplier and the record's category, nothing of its content. */
function stubView(m: pb.IRecordMatch): { supplier: string; category?: RecordOut["category"] } {
  const category = RECORD_CATEGORIES.toApi(m.category ?? 0);
  return { supplier: m.supplier ?? "", ...(category ? { category } : {}) };
}

export function recordView(v: pb.IRecordView): RecordOut {
  const c = v.content ?? {};
  const data = new Map((v.attachments ?? []).map((a) => [a.name ?? "", a.content]));
  return {
    id: v.recordId ?? "",
    supplier: v.supplier ?? "",
    category: RECORD_CATEGORIES.toApi(c.category ?? 0) ?? "commodity",
    purpose: RECORD_PURPOSES.toApi(c.purpose ?? 0) ?? "sighting-and-reporting",
    suggestedAction: c.suggestedAction ?? "",
    identifiers: (c.identifiers ?? []).map(identifierView),
    freeText: c.freeText ?? "",
    handling: handlingView(c.handlingCodes, c.handlingConditions),
    attachments: (c.attachments ?? []).map((a) => {
      const bytes = data.get(a.name ?? "");
      return { name: a.name ?? "", mediaType: a.mediaType ?? "", size: Number(a.size ?? 0), ...(bytes ? { contentBase64: Buffer.from(bytes).toString("base64") } : {}) };
    }),
    createdAt: isoRequired(v.createdAtMs),
    updatedAt: isoRequired(v.updatedAtMs),
    reviewDue: isoRequired(v.reviewDueMs),
    renewals: v.renewals ?? 0,
    ...(v.hold ? { hold: { setBy: v.hold.setBy ?? "", reason: v.hold.reason ?? "", setAt: isoRequired(v.hold.setAtMs), ...(v.hold.untilMs ? { until: iso(v.hold.untilMs) } : {}) } } : {}),
  };
}

export async function recordRoutes(app: FastifyInstance, d: RecordRoutesDeps): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { call, audit } = hubRoutes(d.hub, "records", "record", { read: "records.read", write: "records.write" });
  objectRoutes(app, {
    path: "/v1/records/:id",
    tag: "records",
    errors,
    audit,
    objectOut: recordOut,
    read: { summary: "Read a record (opened here; the read is logged)", call: async (user, recordId) => recordView(await call("get", user, { recordId })) },
    erase: {
      summary: "Erase a record (supplier only): its data key is destroyed; the answer carries the erasure certificate",
      response: recordErasedOut,
      call: async (user, recordId, reason) => (await call("erase", user, { recordId, reason })).certificate,
    },
    hold: { summary: "Set a legal hold (stops erasure) or lift it", call: async (user, recordId, change) => recordView(await call("hold", user, { recordId, ...change })) },
  });

  r.post(
    "/v1/records",
    { schema: { summary: "Submit a CIS record", tags: ["records"], body: recordIn, response: { 201: recordSubmitted, ...errors } }, config: audit(pb.AuditAction.AUDIT_ACTION_SUBMIT, "record", undefined) },
    async (req, reply) => {
      const body: pb.IRecordSubmit = {
        content: content(req.body),
        attachments: req.body.attachments.map((a) => ({ name: a.name, mediaType: a.mediaType, content: new Uint8Array(Buffer.from(a.contentBase64, "base64")) })),
      };
      const res = await call("submit", req.user?.id ?? "", body);
      req.audit.objectId = res.recordId;
      return reply.code(201).send({ id: res.recordId, reviewDue: isoRequired(res.reviewDueMs) });
    },
  );

  r.post(
    "/v1/records/query",
    { schema: { summary: "Query records by identifiers, stating the purpose", tags: ["records"], body: recordQueryIn, response: { 200: recordQueryOut, ...errors } }, config: audit(pb.AuditAction.AUDIT_ACTION_QUERY, "record-query", undefined) },
    async (req) => {
      const q: pb.IRecordQuery = {
        identifiers: identifiersToProto(req.body.identifiers),
        purpose: req.body.purpose,
        category: req.body.category ? RECORD_CATEGORIES.toProto(req.body.category) : 0,
      };
      const res = await call("query", req.user?.id ?? "", q);
      req.audit.purpose = req.body.purpose;
      // A stub (no record) is named by its hit.
      req.audit.matched = res.matches.map((m) => m.record?.recordId || m.hitId || "");
      return {
        matches: res.matches.map((m) => ({
          ...(m.record ? { record: recordView(m.record) } : stubView(m)),
          ...(m.hitId ? { hitId: m.hitId } : {}),
          matchedOn: m.matchedOn ?? [],
          strength: matchStrengthName(m.strength),
        })),
        ...(res.surnameOnlyLeftOut ? { surnameOnlyLeftOut: res.surnameOnlyLeftOut } : {}),
      };
    },
  );

  r.patch(
    "/v1/records/:id",
    { schema: { summary: "Amend a record (supplier only)", tags: ["records"], params: idParams, body: amendIn, response: { 200: recordOut, ...errors } }, config: audit(pb.AuditAction.AUDIT_ACTION_AMEND) },
    async (req) => recordView(await call("amend", req.user?.id ?? "", { recordId: req.params.id, content: content(req.body) })),
  );

  r.post(
    "/v1/records/:id/renew",
    {
      schema: { summary: "Renew a record after review (supplier only)", tags: ["records"], params: idParams, body: renewIn, response: { 200: recordOut, ...errors } },
      config: audit(pb.AuditAction.AUDIT_ACTION_RENEW),
    },
    async (req) => recordView(await call("renew", req.user?.id ?? "", { recordId: req.params.id, reason: req.body.reason })),
  );

  r.post(
    "/v1/hits/:id/outcome",
    { schema: { summary: "Report the action taken on a hit", tags: ["records"], params: idParams, body: outcomeIn, response: { 200: outcomeOut, ...errors } }, config: audit(pb.AuditAction.AUDIT_ACTION_HIT, "hit") },
    async (req) => {
      const res = await call("outcome", req.user?.id ?? "", { hitId: req.params.id, outcome: req.body.outcome });
      return { hitId: res.hitId, outcome: res.outcome };
    },
  );

  r.get(
    "/v1/notices",
    {
      schema: {
        summary: "Notices from the hub: hits on your records, review reminders, erasures",
        tags: ["records"],
        querystring: noticesQuery,
        response: { 200: noticesOut, ...errors },
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
          at: isoRequired(n.atMs),
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
