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
import type { AuditEmitter } from "../../src/audit/mod.js";
import type { HttpLimits } from "../../src/config/mod.js";
import { createAuditedApp, type LiaisonApp, type User, type UserStore } from "../../src/http/mod.js";
import type { Logger } from "../../src/log/mod.js";
import { WEB_KIT_DIR } from "../../src/web/mod.js";
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

/** The authority a console user acts for in the access log. */
export const authorityOf = (user: User | undefined): string => (user?.role === "supervisor" ? "SUPERVISOR" : user?.role === "operations" ? "OPERATIONS" : "CONSOLE");

export const VIEWS = {
  operations: ["usage", "calendar", "dormant", "throughput", "health"],
  supervisor: ["audit", "access", "compliance", "verification", "export"],
} as const;

export async function buildConsoleApp(d: ConsoleAppDeps): Promise<LiaisonApp> {
  const app = await createAuditedApp({
    title: "Liaison console",
    description: "Supervisors audit access and erasure; operations watch usage, dormancy, throughput and health. Counts and metadata only, never content.",
    log: d.log,
    http: d.http,
    users: d.users,
    audit: d.audit,
    authority: authorityOf,
  });

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
  await app.register(fastifyStatic, { root: [join(import.meta.dirname, "web"), WEB_KIT_DIR], prefix: "/", index: ["index.html"], wildcard: false });
  return app;
}
