// /v1/files: the FIDE investigation-file index (Decision 2009/917/JHA Chapter VI) for the contact
// point's operators, and the one-call mutual-assistance request about a hit (Art. 16).
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { hex, sha256, utf8 } from "../../../src/crypto/mod.js";
import { IdentifierError, matchStrengthName, normaliseDate, rolesWith } from "../../../src/domain/mod.js";
import { LiaisonError } from "../../../src/errors.js";
import {
  erasureCertificateView,
  FILE_STATUSES,
  fileErasedOut,
  fileIn,
  fileOut,
  fileQueryIn,
  fileQueryOut,
  fileRegistered,
  fileStatusIn,
  fileStatusOut,
  hitParams,
  hitRequestIn,
  hitRequestOut,
  holdView,
  idParams,
  identifiersToProto,
  identifierView,
  isoRequired,
  LEGAL_BASES,
  OFFENCE_AREAS,
  type FileOut,
  type HitOut,
} from "../../../src/api/mod.js";
import type { HubClient } from "../../../src/hub-rpc/mod.js";
import { problemResponses } from "../../../src/http/mod.js";
import { pb } from "../../../src/proto/mod.js";
import { hubRoutes, objectRoutes, OBJECT_ERRORS } from "./hub-routes.js";
import type { Mailbox } from "../mailbox.js";

export interface FileRoutesDeps {
  readonly hub: HubClient;
  readonly mailbox: Mailbox;
}

const errors = problemResponses(...OBJECT_ERRORS, "LIAISON_BAD_DATE");

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

function entryView(v: pb.IFileEntryView): FileOut {
  const c = v.content ?? {};
  return {
    id: v.entryId ?? "",
    supplier: v.supplier ?? "",
    fileReference: c.fileReference ?? "",
    investigatingService: c.investigatingService ?? "",
    contact: c.contact ?? "",
    subjects: (c.subjects ?? []).map(identifierView),
    offenceArea: OFFENCE_AREAS.toApi(c.offenceArea ?? 0) ?? "other",
    status: FILE_STATUSES.toApi(v.status ?? 0) ?? "ongoing",
    lastInvestigativeAct: isoRequired(v.lastInvestigativeActMs),
    createdAt: isoRequired(v.createdAtMs),
    updatedAt: isoRequired(v.updatedAtMs || v.createdAtMs),
    retentionUntil: isoRequired(v.retentionUntilMs),
    retentionRule: v.retentionRule ?? "",
    ...(v.hold ? { hold: holdView(v.hold) } : {}),
  };
}

const hitView = (h: pb.IFileHit): HitOut => ({
  ...(h.hitId ? { hitId: h.hitId } : {}),
  ...(h.entryId ? { entryId: h.entryId } : {}),
  supplier: h.supplier ?? "",
  // A stub (a surname-only hit) carries none of these.
  ...(h.fileReference ? { investigatingService: h.investigatingService ?? "", contact: h.contact ?? "", fileReference: h.fileReference } : {}),
  ...(h.strength ? { strength: matchStrengthName(h.strength) } : {}),
});

export async function fileRoutes(app: FastifyInstance, d: FileRoutesDeps): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { call, audit } = hubRoutes(d.hub, "files", "file", { read: "files.read", write: "files.write" });
  objectRoutes(app, {
    path: "/v1/files/:id",
    tag: "files",
    errors,
    audit,
    objectOut: fileOut,
    read: { summary: "Read an entry of your own (supplier only)", call: async (user, entryId) => entryView(await call("get", user, { entryId })) },
    erase: {
      summary: "Erase an entry (supplier only): its data key is destroyed; the answer carries the erasure certificate",
      response: fileErasedOut,
      call: async (user, entryId, reason) => (await call("erase", user, { entryId, reason })).certificate,
    },
    hold: {
      summary: "Set a legal hold on an entry (stops its erasure) or lift your own (supplier only; a supervisor's hold only a supervisor lifts)",
      auditLift: true,
      call: async (user, entryId, change) => entryView(await call("hold", user, { entryId, ...change })),
    },
  });

  r.post(
    "/v1/files",
    { schema: { summary: "Register an investigation file in FIDE", tags: ["files"], body: fileIn, response: { 201: fileRegistered, ...errors } }, config: audit(pb.AuditAction.AUDIT_ACTION_SUBMIT, "file", undefined) },
    async (req, reply) => {
      const f = req.body;
      const body: pb.IFileRegister = {
        content: { fileReference: f.fileReference, investigatingService: f.investigatingService, contact: f.contact, subjects: identifiersToProto(f.subjects), offenceArea: OFFENCE_AREAS.toProto(f.offenceArea) },
        status: FILE_STATUSES.toProto(f.status),
        lastInvestigativeActMs: actDate(f.lastInvestigativeAct),
      };
      const res = await call("register", req.user?.id ?? "", body);
      req.audit.objectId = res.entryId;
      return reply.code(201).send({ id: res.entryId, retentionUntil: isoRequired(res.retentionUntilMs) });
    },
  );

  r.post(
    "/v1/files/query",
    {
      schema: { summary: "Hit or no hit: who holds a file on these subjects, and whom to ask", tags: ["files"], body: fileQueryIn, response: { 200: fileQueryOut, ...errors } },
      config: audit(pb.AuditAction.AUDIT_ACTION_QUERY, "file-query", undefined),
    },
    async (req) => {
      const q: pb.IFileQuery = { subjects: identifiersToProto(req.body.subjects), purpose: req.body.purpose };
      const res = await call("query", req.user?.id ?? "", q);
      req.audit.purpose = req.body.purpose;
      req.audit.matched = res.hits.map((h) => h.hitId || h.entryId || "");
      return { hits: res.hits.map(hitView), ...(res.surnameOnlyLeftOut ? { surnameOnlyLeftOut: res.surnameOnlyLeftOut } : {}) };
    },
  );

  r.post(
    "/v1/files/:id/status",
    {
      schema: { summary: "Change a file's status (supplier only): moves its retention limit; subject-cleared erases it", tags: ["files"], params: idParams, body: fileStatusIn, response: { 200: fileStatusOut, ...errors } },
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
      return {
        id: res.entryId,
        status: FILE_STATUSES.toApi(res.status) ?? req.body.status,
        retentionUntil: isoRequired(res.retentionUntilMs),
        rule: res.rule,
        erased,
        ...(erased && res.certificate ? { certificate: erasureCertificateView(res.certificate) } : {}),
      };
    },
  );

  r.post(
    "/v1/files/hits/:hitId/request",
    {
      schema: {
        summary: "Send a mutual-assistance request about a FIDE hit to the contact point that holds the file",
        tags: ["files"],
        params: hitParams,
        body: hitRequestIn,
        response: { 202: hitRequestOut, ...errors },
      },
      config: { roles: rolesWith("files.write"), audit: { action: pb.AuditAction.AUDIT_ACTION_SUBMIT, objectType: "message" } },
    },
    async (req, reply) => {
      const hit = await call("hit", req.user?.id ?? "", { hitId: req.params.hitId });
      const b = req.body;
      // A stub (a surname-only hit) names no file: the supplier finds it by the hit id.
      const subject = hit.fileReference ? `FIDE file ${hit.fileReference}: ${b.subject ?? "request for assistance about a FIDE hit"}` : `FIDE hit ${hit.hitId}: ${b.subject ?? "request for assistance about a FIDE hit (surname only)"}`;
      const footer = hit.fileReference
        ? `--\nFIDE hit ${hit.hitId}: file ${hit.fileReference} of ${hit.investigatingService} (${hit.supplier}); contact: ${hit.contact}`
        : `--\nFIDE hit ${hit.hitId} (${hit.supplier}): a surname-only match; the file is named by the hit`;
      const e = await d.mailbox.send({
        kind: pb.MessageKind.MESSAGE_KIND_REQUEST,
        to: [hit.supplier],
        payload: { subject, body: `${b.body}\n\n${footer}`, request: { legalBasis: LEGAL_BASES.toProto(b.legalBasis) } },
        priority: pb.Priority.PRIORITY_NORMAL,
        ...(b.replyBy ? { replyByMs: Date.parse(b.replyBy) } : {}),
        caseRef: fideCaseRef(hit.supplier, hit.fileReference || hit.hitId),
        handlingCodes: [],
      });
      req.audit.objectId = e.id;
      req.audit.details = { kind: "request", to: hit.supplier, caseRef: e.header.caseRef, hitId: req.params.hitId };
      return reply.code(202).send({ id: e.id, status: "submitted" as const, caseRef: e.header.caseRef, to: hit.supplier });
    },
  );
}
