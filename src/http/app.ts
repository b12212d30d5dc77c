// Builds a fastify app the Liaison way: zod schemas validate and serialise every route and
// generate the OpenAPI document at /docs; errors are problem+json; the edge is hardened (header,
// body and idle timeouts, a connection cap, rate limits, security headers, no-store answers).
// Built without listening, so tests use app.inject().
import fastifySwagger from "@fastify/swagger";
import fastifySwaggerUi from "@fastify/swagger-ui";
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from "fastify";
import { jsonSchemaTransform, serializerCompiler, validatorCompiler, type ZodTypeProvider } from "fastify-type-provider-zod";
import { HTTP_LIMIT_DEFAULTS, type HttpLimits } from "../config/mod.js";
import type { Logger } from "../log/mod.js";
import { LIAISON_VERSION } from "../version.js";
import { installProblemHandlers } from "./problem.js";
import { installRateLimit } from "./rate-limit.js";
import { installSecurityHeaders } from "./security-headers.js";

export interface HttpAppOptions {
  readonly title: string;
  readonly description: string;
  readonly log: Logger;
  readonly bodyLimit?: number;
  /** Rate limits, timeouts and the connection cap; the named defaults in src/config/http.ts otherwise. */
  readonly limits?: Partial<HttpLimits>;
  /** Called for a request refused by a rate limit, before it is answered (the refusal log). */
  readonly onRateLimited?: (req: FastifyRequest) => Promise<void>;
}

export type LiaisonApp = FastifyInstance;

export async function createHttpApp(o: HttpAppOptions): Promise<FastifyInstance> {
  const l: HttpLimits = { ...HTTP_LIMIT_DEFAULTS, ...o.limits };
  const app = Fastify({
    loggerInstance: o.log as FastifyBaseLogger,
    bodyLimit: o.bodyLimit ?? 1024 * 1024,
    // Requests are logged where it matters: in the audit log. Per-request info lines would be noise.
    logController: new LogController({ disableRequestLogging: true }),
    requestIdHeader: false,
    // Slow clients cannot hold connections: the headers, then the whole request, must arrive in
    // time; a silent connection is closed; a kept-alive one waits briefly for its next request.
    connectionTimeout: l.idleTimeout,
    keepAliveTimeout: l.keepAliveTimeout,
    requestTimeout: l.requestTimeout,
    http: {
      headersTimeout: l.headersTimeout,
      requestTimeout: l.requestTimeout,
      keepAliveTimeout: l.keepAliveTimeout,
      // Node checks those timeouts every 30 s by default, far too coarse for a 10 s limit.
      connectionsCheckingInterval: Math.max(100, Math.min(1_000, Math.floor(l.headersTimeout / 2))),
    },
  }).withTypeProvider<ZodTypeProvider>() as unknown as FastifyInstance;
  // Beyond the cap, new connections are closed as they arrive.
  app.server.maxConnections = l.maxConnections;
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installProblemHandlers(app);
  // Order matters: these onRequest hooks run before the auth hook the app installs next, so a
  // throttled request never reaches token checks, and every answer carries the headers.
  await installSecurityHeaders(app);
  await installRateLimit(app, l, o.onRateLimited);
  await app.register(fastifySwagger, {
    openapi: {
      info: { title: o.title, description: o.description, version: LIAISON_VERSION },
      components: { securitySchemes: { bearer: { type: "http", scheme: "bearer" } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
  });
  // Swagger UI brings its own CSP (hashes of its inline code); it must not be framed either, and
  // it is served over plain HTTP in development, so nothing is upgraded to https.
  await app.register(fastifySwaggerUi, {
    routePrefix: "/docs",
    staticCSP: true,
    transformStaticCSP: (h) => h.replace("frame-ancestors 'self'", "frame-ancestors 'none'").replace(/\s*upgrade-insecure-requests;?/, ""),
  });
  return app;
}
