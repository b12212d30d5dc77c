// The HTTP app of a Liaison server with users (an access point, the console): createHttpApp with
// bearer-token auth, and every login, refusal (batched), revocation and audited route in the
// audit log under one authority rule.
import { AuditAction, type AuditEmitter } from "../audit/mod.js";
import { HTTP_LIMIT_DEFAULTS, type HttpLimits } from "../config/mod.js";
import type { Logger } from "../log/mod.js";
import { createHttpApp, type LiaisonApp } from "./app.js";
import { installAuditHook } from "./audit-hook.js";
import { installAuth, type User, type UserStore } from "./auth.js";
import { auditedRefusalLog, auditRevocation, refusalOf } from "./refusal-log.js";

export interface AuditedAppOptions {
  readonly title: string;
  readonly description: string;
  readonly log: Logger;
  readonly bodyLimit?: number;
  /** The HTTP edge's limits (src/config/http.ts); the named defaults otherwise. */
  readonly http?: Partial<HttpLimits> | undefined;
  readonly users: UserStore;
  readonly audit: AuditEmitter;
  /** The authority a user (or an unknown caller) acts for in the audit log. */
  readonly authority: (user: User | undefined) => string;
}

/** The bearer token a request presents, or "". */
const bearer = (req: { headers: { authorization?: string | undefined } }) => /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? "")?.[1] ?? "";

export async function createAuditedApp(o: AuditedAppOptions): Promise<LiaisonApp> {
  const limits: HttpLimits = { ...HTTP_LIMIT_DEFAULTS, ...o.http };
  const refusals = auditedRefusalLog({ audit: o.audit, authority: o.authority, windowMs: limits.refusalLogWindow, log: o.log });
  const app = await createHttpApp({
    title: o.title,
    description: o.description,
    log: o.log,
    ...(o.bodyLimit === undefined ? {} : { bodyLimit: o.bodyLimit }),
    limits,
    onRateLimited: (req) => refusals.record(refusalOf(req, "LIAISON_RATE_LIMITED", o.users.find(bearer(req)))),
  });
  app.addHook("onClose", async () => refusals.close());
  installAuth(app, o.users, {
    onRefused: (req, code, user) => refusals.record(refusalOf(req, code, user)),
    onLogin: async (_req, user) => {
      await o.audit.emit({ action: AuditAction.AUDIT_ACTION_LOGIN, authority: o.authority(user), userId: user.id, objectType: "token", objectId: user.id, details: { role: user.role } });
    },
    onRevoked: auditRevocation(o.audit, o.authority, o.log),
  });
  installAuditHook(app, { emitter: o.audit, authority: (req) => o.authority(req.user) });
  return app;
}
