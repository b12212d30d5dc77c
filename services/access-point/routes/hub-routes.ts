// What the /v1/records, /v1/files and /v1/operations routes share: a call to one hub service as the
// acting user, and the route config naming the roles that may act and what the audit log records;
// and the routes of the records' and the files' objects by id: read, erase, legal hold.
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import type { z } from "zod";
import { erasedView, eraseQuery, holdIn, idParams } from "../../../src/api/mod.js";
import { rolesWith, type Permission } from "../../../src/domain/mod.js";
import type { ErrorCode } from "../../../src/errors.js";
import type { HubClient, HubOp, HubRequestInput, HubService } from "../../../src/hub-rpc/mod.js";
import { pb } from "../../../src/proto/mod.js";

export function hubRoutes<S extends HubService>(hub: HubClient, service: S, objectType: string, permissions: { readonly read: Permission; readonly write: Permission }) {
  return {
    call: <O extends HubOp<S>>(op: O, user: string, request: HubRequestInput<S, O>) => hub.call(service, op, user, request),
    /** A read needs the read permission, anything else the write one; `objectParam` names the route param that holds the object's id. */
    audit: (action: pb.AuditAction, type = objectType, objectParam: string | undefined = "id") => ({
      roles: rolesWith(action === pb.AuditAction.AUDIT_ACTION_READ ? permissions.read : permissions.write),
      audit: { action, objectType: type, ...(objectParam ? { objectParam } : {}) },
    }),
  };
}

/** A legal hold change as the hub takes it. */
export interface HoldChange {
  readonly reason: string;
  readonly untilMs: number;
  readonly lift: boolean;
}

/** The refusals every route of the records' and the files' objects may answer with (each adds its own). */
export const OBJECT_ERRORS = [
  "LIAISON_VALIDATION",
  "LIAISON_UNAUTHENTICATED",
  "LIAISON_FORBIDDEN",
  "LIAISON_NOT_SUPPLIER",
  "LIAISON_NOT_FOUND",
  "LIAISON_CONFLICT",
  "LIAISON_ON_HOLD",
  "LIAISON_ERASED",
  "LIAISON_DECRYPT_FAILED",
  "LIAISON_UNAVAILABLE",
] as const satisfies readonly ErrorCode[];

/**
 * The routes of one kind of object by its id: its path (`/v1/records/:id`), its tag, the schema of
 * the object as read (`objectOut`), and for each route its summary and hub call.
 */
export interface ObjectRoutes<H extends z.ZodType> {
  readonly path: string;
  readonly tag: string;
  readonly errors: Record<number, z.ZodType>;
  readonly audit: ReturnType<typeof hubRoutes>["audit"];
  readonly objectOut: H;
  readonly read: { readonly summary: string; call(user: string, id: string): Promise<z.output<H>> };
  readonly erase: { readonly summary: string; readonly response: z.ZodType; call(user: string, id: string, reason: string): Promise<pb.ICertifiedErasure | null | undefined> };
  /** `auditLift`: the access point's own audit event says whether the hold was lifted. */
  readonly hold: { readonly summary: string; readonly auditLift?: boolean; call(user: string, id: string, change: HoldChange): Promise<z.output<H>> };
}

/**
 * GET `path` reads an object (the read is logged). DELETE `path` erases an object of the caller's
 * (supplier only): its data key is destroyed, and the answer carries the erasure certificate. POST
 * `path`/hold sets a legal hold (stops its erasure) or lifts one; the answer is the object as it now stands.
 */
export function objectRoutes<H extends z.ZodType>(app: FastifyInstance, o: ObjectRoutes<H>): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  // The object's answers are typed by the caller's schema (H); here each route answers one of its schemas.
  const answers = (ok: z.ZodType): Record<number, z.ZodType> => ({ 200: ok, ...o.errors });
  r.get(
    o.path,
    { schema: { summary: o.read.summary, tags: [o.tag], params: idParams, response: answers(o.objectOut) }, config: o.audit(pb.AuditAction.AUDIT_ACTION_READ) },
    async (req) => o.read.call(req.user?.id ?? "", req.params.id),
  );
  r.delete(
    o.path,
    {
      schema: { summary: o.erase.summary, tags: [o.tag], params: idParams, querystring: eraseQuery, response: answers(o.erase.response) },
      config: o.audit(pb.AuditAction.AUDIT_ACTION_ERASE),
    },
    async (req) => erasedView(req.params.id, await o.erase.call(req.user?.id ?? "", req.params.id, req.query.reason)),
  );
  r.post(
    `${o.path}/hold`,
    {
      schema: { summary: o.hold.summary, tags: [o.tag], params: idParams, body: holdIn, response: answers(o.objectOut) },
      config: o.audit(pb.AuditAction.AUDIT_ACTION_LEGAL_HOLD_SET),
    },
    async (req) => {
      const b = req.body;
      if (o.hold.auditLift) req.audit.details = { lift: String(b.lift) };
      return o.hold.call(req.user?.id ?? "", req.params.id, { reason: b.reason, untilMs: b.until ? Date.parse(b.until) : 0, lift: b.lift });
    },
  );
}
