// /v1/files: the FIDE investigation-file index (Decision 2009/917/JHA Chapter VI) for the contact
// point's operators, and the one-call mutual-assistance request about a hit (Art. 16).
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { hex, sha256, utf8 } from "../../../src/crypto/mod.js";
import { IdentifierError, normaliseDate } from "../../../src/domain/mod.js";
import { LiaisonError } from "../../../src/errors.js";
import type { HubClient, HubOp, HubRequestInput } from "../../../src/hub-rpc/mod.js";
import { problemSchema } from "../../../src/http/mod.js";
import { pb } from "../../../src/proto/mod.js";
import { FILE_STATUSES, IDENTIFIER_TYPES, LEGAL_BASES, OFFENCE_AREAS } from "../codec.js";
import type { Mailbox } from "../mailbox.js";
import { hitParams, idParams } from "../schemas.js";
import { identifierIn } from "./records.js";

export interface FileRoutesDeps {
  readonly hub: HubClient;
  readonly mailbox: Mailbox;
}

const iso = (ms: number | null | undefined) => new Date(Number(ms ?? 0)).toISOString();
const errors = { 400: problemSchema, 401: problemSchema, 403: problemSchema, 404: problemSchema, 409: problemSchema, 410: problemSchema, 422: problemSchema, 503: problemSchema };

/**
 * A day ("2026-03-14", also "14.03.2026") or an ISO time, as epoch ms. An impossible date
 * (2026-02-30) is refused with LIAISON_BAD_DATE before anything reaches the hub.
 */
export function actDate(v: string): number {
  if (/^\d{4}-\d{2}-\d{2}T/.test(v)) {
    const ms = Date.parse(v);
    if (Number.isNaN(ms)) throw new LiaisonError("LIAISON_BAD_DATE", `"${v}" is not a valid time`);
    return ms;
  }
  try {
    return Date.parse(`${normaliseDate(v)}T00:00:00Z`);
  } catch (err) {
    if (err instanceof IdentifierError) throw new LiaisonError(err.refusal.code, err.refusal.detail);
    throw err;
  }
}

/**
 * The case reference of requests about one FIDE file: the same for every request about it, so they
 * thread together at both contact points. Envelope headers travel and are stored in clear at the
 * hub, so it carries a digest of the file reference, never the reference itself (that goes in the
 * encrypted subject).
 */
export function fideCaseRef(supplier: string, fileReference: string): string {
  return `FIDE-${supplier}-${hex(sha256(utf8(`liaison.v1.fide-case\0${supplier}\0${fileReference}`))).slice(0, 12)}`;
}

const dateIn = z.string().min(8).max(40).describe('a day (YYYY-MM-DD) or an ISO 8601 time');
const fileIn = z.object({
  fileReference: z.string().trim().min(1).max(100).describe("the national reference of the investigation file"),
  investigatingService: z.string().trim().min(1).max(200),
  contact: z.string().trim().min(1).max(500).describe("whom to ask: name, telephone, e-mail of the investigating service's contact"),
  subjects: z.array(identifierIn).min(1).max(50).describe("who or what the file is about; stored at the hub only as blind indexes"),
  offenceArea: z.enum(OFFENCE_AREAS.keys),
  status: z.enum(FILE_STATUSES.keys).describe("Art. 19(1): ongoing (3 years, and 12 months after the last act), offence-established (6), conviction-or-penalty (10)"),
  lastInvestigativeAct: dateIn,
});

const fileOut = z
  .object({
    id: z.string(),
    supplier: z.string(),
    fileReference: z.string(),
    investigatingService: z.string(),
    contact: z.string(),
    subjects: z.array(z.object({ type: z.string(), value: z.string(), dateOfBirth: z.string().optional() })),
    offenceArea: z.string(),
    status: z.string(),
    lastInvestigativeAct: z.string(),
    createdAt: z.string(),
    updatedAt: z.string(),
    retentionUntil: z.string(),
    retentionRule: z.string(),
  })
  .meta({ id: "FideEntry" });

const hitOut = z
  .object({
    hitId: z.string().optional().describe("quote it to send a request about the hit: POST /v1/files/hits/{hitId}/request"),
    entryId: z.string().optional().describe("only for an entry of your own"),
    supplier: z.string(),
    investigatingService: z.string(),
    contact: z.string(),
    fileReference: z.string(),
  })
  .meta({ id: "FideHit" });

const queryIn = z.object({
  subjects: z.array(identifierIn).min(1).max(20),
  purpose: z.string().describe("why you search: required, and logged with the query"),
});
const statusIn = z.object({
  status: z.enum(FILE_STATUSES.keys).describe('"subject-cleared" erases the entry at once (Art. 19(2))'),
  lastInvestigativeAct: dateIn.optional(),
});
const statusOut = z.object({ id: z.string(), status: z.enum(FILE_STATUSES.keys), retentionUntil: z.string(), rule: z.string(), erased: z.boolean() });
const requestIn = z.object({
  body: z.string().min(1).max(1_000_000),
  subject: z.string().min(1).max(300).optional(),
  legalBasis: z.enum(LEGAL_BASES.keys).default("assistance-on-request"),
  replyBy: z.iso.datetime({ offset: true }).optional(),
});
const requestOut = z.object({ id: z.string(), status: z.literal("submitted"), caseRef: z.string(), to: z.string() });

const identifiers = (list: z.infer<typeof identifierIn>[]): pb.IIdentifier[] =>
  list.map((i) => ({ type: IDENTIFIER_TYPES.toProto(i.type), value: i.value, dateOfBirth: i.dateOfBirth ?? "" }));

function entryView(v: pb.IFileEntryView): z.infer<typeof fileOut> {
  const c = v.content ?? {};
  return {
    id: v.entryId ?? "",
    supplier: v.supplier ?? "",
    fileReference: c.fileReference ?? "",
    investigatingService: c.investigatingService ?? "",
    contact: c.contact ?? "",
    subjects: (c.subjects ?? []).map((i) => ({ type: IDENTIFIER_TYPES.toApi(i.type ?? 0) ?? "unknown", value: i.value ?? "", ...(i.dateOfBirth ? { dateOfBirth: i.dateOfBirth } : {}) })),
    offenceArea: OFFENCE_AREAS.toApi(c.offenceArea ?? 0) ?? "other",
    status: FILE_STATUSES.toApi(v.status ?? 0) ?? "ongoing",
    lastInvestigativeAct: iso(v.lastInvestigativeActMs),
    createdAt: iso(v.createdAtMs),
    updatedAt: iso(v.updatedAtMs || v.createdAtMs),
    retentionUntil: iso(v.retentionUntilMs),
    retentionRule: v.retentionRule ?? "",
  };
}

const hitView = (h: pb.IFileHit): z.infer<typeof hitOut> => ({
  ...(h.hitId ? { hitId: h.hitId } : {}),
  ...(h.entryId ? { entryId: h.entryId } : {}),
  supplier: h.supplier ?? "",
  investigatingService: h.investigatingService ?? "",
  contact: h.contact ?? "",
  fileReference: h.fileReference ?? "",
});

export async function fileRoutes(app: FastifyInstance, d: FileRoutesDeps): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const call = <O extends HubOp<"files">>(op: O, user: string, request: HubRequestInput<"files", O>) => d.hub.call("files", op, user, request);
  const audit = (action: pb.AuditAction, objectType = "file", objectParam: string | undefined = "id") => ({
    roles: ["operator"] as const,
    audit: { action, objectType, ...(objectParam ? { objectParam } : {}) },
  });

  r.post(
    "/v1/files",
    { schema: { summary: "Register an investigation file in FIDE", tags: ["files"], body: fileIn, response: { 201: z.object({ id: z.string(), retentionUntil: z.string() }), ...errors } }, config: audit(pb.AuditAction.AUDIT_ACTION_SUBMIT, "file", undefined) },
    async (req, reply) => {
      const f = req.body;
      const body: pb.IFileRegister = {
        content: { fileReference: f.fileReference, investigatingService: f.investigatingService, contact: f.contact, subjects: identifiers(f.subjects), offenceArea: OFFENCE_AREAS.toProto(f.offenceArea) },
        status: FILE_STATUSES.toProto(f.status),
        lastInvestigativeActMs: actDate(f.lastInvestigativeAct),
      };
      const res = await call("register", req.user?.id ?? "", body);
      req.audit.objectId = res.entryId;
      return reply.code(201).send({ id: res.entryId, retentionUntil: iso(res.retentionUntilMs) });
    },
  );

  r.post(
    "/v1/files/query",
    {
      schema: { summary: "Hit or no hit: who holds a file on these subjects, and whom to ask", tags: ["files"], body: queryIn, response: { 200: z.object({ hits: z.array(hitOut) }).meta({ id: "FideQueryResult" }), ...errors } },
      config: audit(pb.AuditAction.AUDIT_ACTION_QUERY, "file-query", undefined),
    },
    async (req) => {
      const q: pb.IFileQuery = { subjects: identifiers(req.body.subjects), purpose: req.body.purpose };
      const res = await call("query", req.user?.id ?? "", q);
      req.audit.purpose = req.body.purpose;
      req.audit.matched = res.hits.map((h) => h.hitId || h.entryId || "");
      return { hits: res.hits.map(hitView) };
    },
  );

  r.get(
    "/v1/files/:id",
    { schema: { summary: "Read an entry of your own (supplier only)", tags: ["files"], params: idParams, response: { 200: fileOut, ...errors } }, config: audit(pb.AuditAction.AUDIT_ACTION_READ) },
    async (req) => entryView(await call("get", req.user?.id ?? "", { entryId: req.params.id })),
  );

  r.post(
    "/v1/files/:id/status",
    {
      schema: { summary: "Change a file's status (supplier only): moves its retention limit; subject-cleared erases it", tags: ["files"], params: idParams, body: statusIn, response: { 200: statusOut, ...errors } },
      config: audit(pb.AuditAction.AUDIT_ACTION_AMEND),
    },
    async (req) => {
      const change: pb.IFileStatusChange = {
        entryId: req.params.id,
        status: FILE_STATUSES.toProto(req.body.status),
        lastInvestigativeActMs: req.body.lastInvestigativeAct ? actDate(req.body.lastInvestigativeAct) : 0,
      };
      const res = await call("status", req.user?.id ?? "", change);
      const erased = res.status === pb.FileStatus.FILE_STATUS_SUBJECT_CLEARED;
      req.audit.details = { status: req.body.status, rule: res.rule, ...(erased ? { erased: "true" } : {}) };
      return { id: res.entryId, status: FILE_STATUSES.toApi(res.status) ?? req.body.status, retentionUntil: iso(res.retentionUntilMs), rule: res.rule, erased };
    },
  );

  r.delete(
    "/v1/files/:id",
    {
      schema: { summary: "Erase an entry (supplier only): its data key is destroyed", tags: ["files"], params: idParams, querystring: z.object({ reason: z.string().max(2_000).default("") }), response: { 200: z.object({ id: z.string(), erased: z.literal(true) }), ...errors } },
      config: audit(pb.AuditAction.AUDIT_ACTION_ERASE),
    },
    async (req) => {
      await call("erase", req.user?.id ?? "", { entryId: req.params.id, reason: req.query.reason });
      return { id: req.params.id, erased: true as const };
    },
  );

  r.post(
    "/v1/files/hits/:hitId/request",
    {
      schema: {
        summary: "Send a mutual-assistance request about a FIDE hit to the contact point that holds the file",
        tags: ["files"],
        params: hitParams,
        body: requestIn,
        response: { 202: requestOut, ...errors },
      },
      config: { roles: ["operator"], audit: { action: pb.AuditAction.AUDIT_ACTION_SUBMIT, objectType: "message" } },
    },
    async (req, reply) => {
      const hit = await call("hit", req.user?.id ?? "", { hitId: req.params.hitId });
      const b = req.body;
      const subject = `FIDE file ${hit.fileReference}: ${b.subject ?? "request for assistance about a FIDE hit"}`;
      const footer = `--\nFIDE hit ${hit.hitId}: file ${hit.fileReference} of ${hit.investigatingService} (${hit.supplier}); contact: ${hit.contact}`;
      const e = await d.mailbox.send({
        kind: pb.MessageKind.MESSAGE_KIND_REQUEST,
        to: [hit.supplier],
        payload: { subject, body: `${b.body}\n\n${footer}`, request: { legalBasis: LEGAL_BASES.toProto(b.legalBasis) } },
        priority: pb.Priority.PRIORITY_NORMAL,
        ...(b.replyBy ? { replyByMs: Date.parse(b.replyBy) } : {}),
        caseRef: fideCaseRef(hit.supplier, hit.fileReference),
        handlingCodes: [],
      });
      req.audit.objectId = e.id;
      req.audit.details = { kind: "request", to: hit.supplier, caseRef: e.header.caseRef, hitId: req.params.hitId };
      return reply.code(202).send({ id: e.id, status: "submitted" as const, caseRef: e.header.caseRef, to: hit.supplier });
    },
  );
}
