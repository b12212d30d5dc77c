// Fastify plumbing shared by the HTTP APIs: app factory (zod + OpenAPI), problem+json errors,
// bearer-token roles, the refusal log, the hardened edge (limits, security headers), and the audit
// hook every data route goes through.
export { createAuditedApp, type AuditedAppOptions } from "./audited-app.js";
export { createHttpApp, jsonDeeperThan, MAX_JSON_DEPTH, MAX_PARAM_LENGTH, type HttpAppOptions, type LiaisonApp } from "./app.js";
export { installProblemHandlers, httpErrorOf, sendProblem, problemSchema, problemResponses, requestError, CODE_BY_STATUS } from "./problem.js";
export {
  installAuth,
  UserStore,
  tokenHash,
  tokenRef,
  newToken,
  readUsersFile,
  writeUsersFile,
  withUsersFileLock,
  revokeUser,
  addUser,
  issueToken,
  disableUser,
  listUsers,
  parseValidity,
  DEFAULT_TOKEN_VALIDITY_MS,
  MAX_TOKEN_VALIDITY_MS,
  ROLES,
  type Role,
  type User,
  type UsersFile,
  type UserEntry,
  type UserState,
  type UserSummary,
  type IssuedToken,
  type TokenChange,
  type AuthEvents,
  type TokenCheck,
} from "./auth.js";
export { RefusalLog, auditedRefusalLog, auditRevocation, refusalOf, type Refusal } from "./refusal-log.js";
export { isEdgeRefusal, REFUSAL_CODES, type RefusalCode } from "./refusal-codes.js";
export { queryInt } from "./query.js";
export { installAuditHook, AUDIT_EXEMPT_ROUTES, type RouteAudit, type AuditAdditions, type AuditHookOptions } from "./audit-hook.js";
