// Fastify plumbing shared by the HTTP APIs: app factory (zod + OpenAPI), problem+json errors,
// bearer-token roles, and the audit hook every data route goes through.
export { createHttpApp, type HttpAppOptions, type LiaisonApp } from "./app.js";
export { installProblemHandlers, httpErrorOf, sendProblem, problemSchema, requestError } from "./problem.js";
export { installAuth, UserStore, tokenHash, ROLES, type Role, type User, type UsersFile, type AuthEvents } from "./auth.js";
export { installAuditHook, type RouteAudit, type AuditAdditions, type AuditHookOptions } from "./audit-hook.js";
