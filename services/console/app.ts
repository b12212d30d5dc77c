// The console's HTTP app: the supervisor's views (access log, access reports, erasure compliance,
// tree-head verification, export) and the operations views (usage, dormancy, health, throughput,
// metrics), each behind its own role; plus the static web UI. Built without listening so tests
// can app.inject(). A token of one role reaching the other role's API gets 403 and a REFUSAL
// audit event; every view read is itself an audit event.
import { join } from "node:path";
import fastifyStatic from "@fastify/static";
import type { NatsConnection } from "@nats-io/nats-core";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { AuditAction, type AuditEmitter } from "../../src/audit/mod.js";
import { HTTP_LIMIT_DEFAULTS, type HttpLimits } from "../../src/config/mod.js";
import { auditedRefusalLog, auditRevocation, createHttpApp, installAuditHook, installAuth, refusalOf, type LiaisonApp, type User, type UserStore } from "../../src/http/mod.js";
import type { Logger } from "../../src/log/mod.js";
import { auditRoutes } from "./routes/audit.js";
import { complianceRoutes } from "./routes/compliance.js";
import { holdRoutes } from "./routes/holds.js";
import { operationsRoutes } from "./routes/operations.js";

export interface ConsoleAppDeps {
  readonly nc: NatsConnection;
  readonly users: UserStore;
  readonly audit: AuditEmitter;
  readonly log: Logger;
  readonly monitorUrl?: string;
  /** The HTTP edge's limits (src/config/http.ts); the named defaults otherwise. */
  readonly http?: Partial<HttpLimits>;
}

const healthSchema = z.object({ status: z.enum(["up", "down"]) });
/** The bearer token a request presents, or "". */
const bearer = (req: { headers: { authorization?: string | undefined } }) => /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? "")?.[1] ?? "";

/** The authority a console user acts for in the access log. */
export const authorityOf = (user: User | undefined): string => (user?.role === "supervisor" ? "SUPERVISOR" : user?.role === "operations" ? "OPERATIONS" : "CONSOLE");

export const VIEWS = {
  operations: ["usage", "dormant", "throughput", "health"],
  supervisor: ["audit", "access", "compliance", "verification", "export"],
} as const;

export async function buildConsoleApp(d: ConsoleAppDeps): Promise<LiaisonApp> {
  const limits: HttpLimits = { ...HTTP_LIMIT_DEFAULTS, ...d.http };
  const refusals = auditedRefusalLog({ audit: d.audit, authority: authorityOf, windowMs: limits.refusalLogWindow, log: d.log });
  const app = await createHttpApp({
    title: "Liaison console",
    description: "Supervisors audit access and erasure; operations watch usage, dormancy, throughput and health. Counts and metadata only, never content.",
    log: d.log,
    limits,
    onRateLimited: (req) => refusals.record(refusalOf(req, "LIAISON_RATE_LIMITED", d.users.find(bearer(req)))),
  });
  app.addHook("onClose", async () => refusals.close());
  installAuth(app, d.users, {
    onRefused: (req, code, user) => refusals.record(refusalOf(req, code, user)),
    onLogin: async (_req, user) => {
      await d.audit.emit({ action: AuditAction.AUDIT_ACTION_LOGIN, authority: authorityOf(user), userId: user.id, objectType: "token", objectId: user.id, details: { role: user.role } });
    },
    onRevoked: auditRevocation(d.audit, authorityOf, d.log),
  });
  installAuditHook(app, { emitter: d.audit, authority: (req) => authorityOf(req.user) });

  app.withTypeProvider<ZodTypeProvider>().get(
    "/v1/session",
    {
      schema: { summary: "Who the token belongs to and which views it opens", tags: ["session"], response: { 200: z.object({ user: z.string(), role: z.string(), views: z.array(z.string()) }) } },
      config: { roles: ["supervisor", "operations"] },
    },
    async (req) => {
      const role = req.user?.role ?? "";
      return { user: req.user?.id ?? "", role, views: [...(role === "supervisor" ? VIEWS.supervisor : role === "operations" ? VIEWS.operations : [])] };
    },
  );
  // Unauthenticated: up or down, nothing more.
  app.get("/healthz", { schema: { summary: "Up or down", tags: ["session"], response: { 200: healthSchema, 503: healthSchema } } }, async (_req, reply) =>
    d.nc.isClosed() ? reply.code(503).send({ status: "down" as const }) : { status: "up" as const },
  );

  await app.register(async (scope) => auditRoutes(scope, { nc: d.nc, audit: d.audit }));
  await app.register(async (scope) => complianceRoutes(scope, { nc: d.nc }));
  await app.register(async (scope) => holdRoutes(scope, { nc: d.nc }));
  await app.register(async (scope) => operationsRoutes(scope, { nc: d.nc, audit: d.audit, ...(d.monitorUrl ? { monitorUrl: d.monitorUrl } : {}) }));
  // The web UI: static files, no build step, nothing from a CDN. They hold no data; every figure
  // comes from the APIs above with the user's token.
  await app.register(fastifyStatic, { root: join(import.meta.dirname, "web"), prefix: "/", index: ["index.html"] });
  return app;
}
