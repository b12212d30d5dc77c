// Builds a fastify app the Liaison way: zod schemas validate and serialise every route and
// generate the OpenAPI document at /docs; errors are problem+json, including fastify's own (an
// overlong path parameter, a malformed request line, a request during shutdown); JSON bodies are
// bounded in size and in nesting depth before they are parsed; a data route without an audit
// action is refused at start; the edge is hardened (header, body and idle timeouts, a connection
// cap, rate limits, security headers, no-store answers). Built without listening, so tests use
// app.inject().
import fastifySwagger from "@fastify/swagger";
import fastifySwaggerUi from "@fastify/swagger-ui";
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from "fastify";
import { jsonSchemaTransform, jsonSchemaTransformObject, serializerCompiler, validatorCompiler, type ZodTypeProvider } from "fastify-type-provider-zod";
import { HTTP_LIMIT_DEFAULTS, type HttpLimits } from "../config/mod.js";
import type { Logger } from "../log/mod.js";
import { LIAISON_VERSION } from "../version.js";
import { LiaisonError } from "../errors.js";
import { requireAuditedRoutes } from "./audit-hook.js";
import { clientErrorProblem, httpErrorOf, installProblemHandlers, sendProblem } from "./problem.js";
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
  /** How deep arrays and objects may nest in a JSON body (default MAX_JSON_DEPTH). */
  readonly maxJsonDepth?: number;
}

export type LiaisonApp = FastifyInstance;

export const DEFAULT_BODY_LIMIT = 1024 * 1024;
/** Deeper than any body these APIs take (theirs nest 4 levels); a bound so no parser recurses on a bomb. */
export const MAX_JSON_DEPTH = 32;
/** Longest path parameter the router matches; a longer one is LIAISON_URI_TOO_LONG (414). */
export const MAX_PARAM_LENGTH = 100;

/**
 * Whether JSON text nests arrays and objects deeper than `max`: one pass over the raw text that
 * skips strings (and their escapes), so it costs nothing like parsing and recurses on nothing.
 */
export function jsonDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // a backslash escapes the next character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

export async function createHttpApp(o: HttpAppOptions): Promise<FastifyInstance> {
  const l: HttpLimits = { ...HTTP_LIMIT_DEFAULTS, ...o.limits };
  const app = Fastify({
    loggerInstance: o.log as FastifyBaseLogger,
    bodyLimit: o.bodyLimit ?? DEFAULT_BODY_LIMIT,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
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
    // fastify answers these itself, before any route or error handler: each with a bare JSON body
    // and no registered code. Here they are problems like every other error.
    frameworkErrors: (err, req, reply) => {
      const le = httpErrorOf(err);
      req.log.info({ code: le.code, method: req.method }, "request refused before routing");
      return sendProblem(reply, req, le);
    },
    clientErrorHandler: (err, socket) => {
      if ((err as NodeJS.ErrnoException).code === "ECONNRESET" || socket.destroyed) return;
      if (socket.writable) socket.write(clientErrorProblem(err));
      socket.destroy(err);
    },
    // The shutdown refusal is a problem too (below), not fastify's bare 503.
    return503OnClosing: false,
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
  requireAuditedRoutes(app);

  // While closing, requests still arriving on open connections are refused at once: the app's
  // hub connections and audit emitter are going away behind them.
  let closing = false;
  app.addHook("preClose", async () => {
    closing = true;
  });
  app.addHook("onRequest", async (_req, reply) => {
    if (!closing) return;
    reply.header("connection", "close");
    throw new LiaisonError("LIAISON_SHUTTING_DOWN");
  });

  // JSON: depth is checked on the raw text before it is parsed (a body of 100,000 "[" must not
  // reach a recursive parser or a schema walk), then fastify's own parser (prototype-poisoning
  // checks included) parses it. The size is bounded by bodyLimit before either.
  const maxDepth = o.maxJsonDepth ?? MAX_JSON_DEPTH;
  const parseJson = app.getDefaultJsonParser("error", "error");
  app.addContentTypeParser("application/json", { parseAs: "string" }, (req, body, done) => {
    if (jsonDeeperThan(body as string, maxDepth)) {
      done(new LiaisonError("LIAISON_TOO_DEEP", `arrays and objects nest at most ${maxDepth} deep`), undefined);
      return;
    }
    parseJson(req, body as string, done);
  });
  await app.register(fastifySwagger, {
    openapi: {
      info: { title: o.title, description: o.description, version: LIAISON_VERSION },
      components: { securitySchemes: { bearer: { type: "http", scheme: "bearer" } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
    // Schemas with a meta id (src/api) are referenced by $ref: this puts them in components.schemas.
    transformObject: jsonSchemaTransformObject,
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
