// Every route that reads or changes data declares the audit event it produces; this hook emits it
// when the response is sent, with the outcome and, on failure, the reason code. Handlers add what
// only they know (the object id, what matched, the stated purpose) through req.audit.
import type { FastifyInstance, FastifyRequest } from "fastify";
import { AuditOutcome, type AuditEmitter, type AuditInput } from "../audit/mod.js";
import type { pb } from "../proto/mod.js";
import { requestError } from "./problem.js";
import { isEdgeRefusal } from "./refusal-log.js";

export interface RouteAudit {
  readonly action: pb.AuditAction;
  readonly objectType: string;
  /** The route parameter that names the object, when there is one. */
  readonly objectParam?: string;
}

export interface AuditAdditions {
  objectId?: string;
  purpose?: string;
  matched?: string[];
  searchRefs?: string[];
  details?: Record<string, string>;
}

declare module "fastify" {
  interface FastifyContextConfig {
    audit?: RouteAudit;
  }
  interface FastifyRequest {
    audit: AuditAdditions;
  }
}

export interface AuditHookOptions {
  readonly emitter: AuditEmitter;
  /** The authority requests act for (the access point's CP, or the supervisory/ops side). */
  readonly authority: (req: FastifyRequest) => string;
}

export function installAuditHook(app: FastifyInstance, opts: AuditHookOptions): void {
  app.decorateRequest("audit", null as unknown as AuditAdditions);
  app.addHook("onRequest", async (req) => {
    req.audit = {};
  });
  app.addHook("onResponse", async (req, reply) => {
    const spec = req.routeOptions.config.audit;
    if (!spec) return;
    const err = requestError(req);
    // Refusals before the handler ran (token, role, rate limit) are counted by the refusal log already.
    if (err && isEdgeRefusal(err.code)) return;
    const params = (req.params ?? {}) as Record<string, string>;
    const a = req.audit;
    const event: AuditInput = {
      action: spec.action,
      authority: opts.authority(req),
      userId: req.user?.id ?? "anonymous",
      objectType: spec.objectType,
      objectId: a.objectId ?? (spec.objectParam ? params[spec.objectParam] ?? "" : ""),
      outcome: reply.statusCode < 400 ? AuditOutcome.AUDIT_OUTCOME_SUCCESS : err && err.status < 500 ? AuditOutcome.AUDIT_OUTCOME_REFUSED : AuditOutcome.AUDIT_OUTCOME_FAILED,
      ...(err ? { reasonCode: err.code } : {}),
      ...(a.purpose ? { purpose: a.purpose } : {}),
      ...(a.matched ? { matched: a.matched } : {}),
      ...(a.searchRefs ? { searchRefs: a.searchRefs } : {}),
      details: { route: `${req.method} ${req.routeOptions.url}`, status: String(reply.statusCode), ...(a.details ?? {}) },
    };
    try {
      await opts.emitter.emit(event);
    } catch (e) {
      req.log.error({ err: e }, "audit event could not be stored");
    }
  });
}
