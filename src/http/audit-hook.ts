// Every route that reads or changes data declares the audit event it produces; this hook emits it
// before the answer leaves (onSend), with the outcome, the status and, on failure, the reason code,
// and lets a successful answer go only once the AUDIT stream has stored the event. When it cannot be
// stored the answer is withheld: 503 LIAISON_AUDIT_UNAVAILABLE instead of the data ("every access is
// logged before it is answered; when the log cannot be written, the answer is an error"). Handlers
// add what only they know (the object id, what matched, the stated purpose) through req.audit.
// A route that declares no audit event and is not in AUDIT_EXEMPT_ROUTES stops the app at start.
import type { Readable } from "node:stream";
import type { FastifyInstance, FastifyRequest, RouteOptions } from "fastify";
import { AuditOutcome, type AuditEmitter, type AuditInput } from "../audit/mod.js";
import { LiaisonError, toProblem } from "../errors.js";
import type { pb } from "../proto/mod.js";
import { requestError, setRequestError } from "./problem.js";
import { isEdgeRefusal } from "./refusal-codes.js";

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

/**
 * The routes that have no audit event of their own, each with the reason: the one list. Only GET
 * (and its HEAD) can be exempt; every other route declares `config.audit` or the app does not start.
 */
export const AUDIT_EXEMPT_ROUTES: ReadonlyArray<{ readonly url: string | RegExp; readonly why: string }> = [
  { url: "/healthz", why: "liveness: a status word and a count, nothing about anyone" },
  { url: /^\/docs(\/|$)/, why: "the OpenAPI document and its viewer: the shape of the API, no data" },
  {
    url: /^\/(index\.html|console\.(js|css)|kit\.(js|css))?$/,
    why: "a console's static web UI files (one route each): no data; every figure in it comes from an audited API",
  },
  { url: "/v1/session", why: "tells the caller their own user id and role; the token's first use is a LOGIN event" },
  {
    url: "/metrics",
    why: "Prometheus counters, scraped every few seconds; it is how operations see that the audit log itself is failing, so it must not depend on it",
  },
  { url: "/v1/throughput/stream", why: "a hijacked event stream has no onSend: the route logs its READ itself, and waits for it, before the stream opens" },
  { url: "/v1/events", why: "the access point's event stream (SSE), hijacked like /v1/throughput/stream: it logs its READ itself before it opens" },
];

const isExempt = (methods: readonly string[], url: string): boolean =>
  methods.every((m) => m === "GET" || m === "HEAD") && AUDIT_EXEMPT_ROUTES.some((e) => (typeof e.url === "string" ? e.url === url : e.url.test(url)));

const hooked = new WeakSet<FastifyInstance>();

/**
 * Refuses, at registration, a route that declares no audit action and is not exempt, and at start
 * an app with audited routes but no audit hook (createHttpApp installs this before any route).
 */
export function requireAuditedRoutes(app: FastifyInstance): void {
  let audited = 0;
  app.addHook("onRoute", (route: RouteOptions) => {
    const methods = [route.method].flat().map(String);
    if (route.config?.audit) {
      audited++;
      return;
    }
    if (isExempt(methods, route.url)) return;
    throw new LiaisonError(
      "LIAISON_CONFIG_INVALID",
      `route ${methods.join(",")} ${route.url} declares no audit action (config.audit): every route that reads or changes data is logged; a route that touches no data goes in AUDIT_EXEMPT_ROUTES (src/http/audit-hook.ts) with its reason`,
    );
  });
  app.addHook("onReady", async () => {
    if (audited > 0 && !hooked.has(app)) throw new LiaisonError("LIAISON_CONFIG_INVALID", "routes declare audit actions but installAuditHook was not called: nothing would log them");
  });
}

export interface AuditHookOptions {
  readonly emitter: AuditEmitter;
  /** The authority requests act for (the access point's CP, or the supervisory/ops side). */
  readonly authority: (req: FastifyRequest) => string;
}

const isStream = (payload: unknown): payload is Readable => typeof (payload as Readable | null)?.pipe === "function";

/** Longest an answer waits for its audit event before it is withheld (503): under the idle timeout. */
export const AUDIT_WAIT_MS = 10_000;

export function installAuditHook(app: FastifyInstance, opts: AuditHookOptions): void {
  hooked.add(app);
  app.decorateRequest("audit", null as unknown as AuditAdditions);
  app.addHook("onRequest", async (req) => {
    req.audit = {};
  });
  app.addHook("onSend", async (req, reply, payload) => {
    const spec = req.routeOptions.config.audit;
    if (!spec) return payload;
    const err = requestError(req);
    // Refusals before the handler ran (token, role, rate limit) are counted by the refusal log already.
    if (err && isEdgeRefusal(err.code)) return payload;
    const params = (req.params ?? {}) as Record<string, string>;
    const a = req.audit ?? {};
    // A malformed id is not an object id: it is input, and the log does not keep what was typed.
    const objectId = a.objectId ?? (spec.objectParam && err?.code !== "LIAISON_BAD_ID" ? params[spec.objectParam] ?? "" : "");
    const route = `${req.method} ${req.routeOptions.url}`;
    const event: AuditInput = {
      action: spec.action,
      authority: opts.authority(req),
      userId: req.user?.id ?? "anonymous",
      objectType: spec.objectType,
      objectId,
      outcome: reply.statusCode < 400 ? AuditOutcome.AUDIT_OUTCOME_SUCCESS : err && err.status < 500 ? AuditOutcome.AUDIT_OUTCOME_REFUSED : AuditOutcome.AUDIT_OUTCOME_FAILED,
      ...(err ? { reasonCode: err.code } : {}),
      ...(a.purpose ? { purpose: a.purpose } : {}),
      ...(a.matched ? { matched: a.matched } : {}),
      ...(a.searchRefs ? { searchRefs: a.searchRefs } : {}),
      details: { route, status: String(reply.statusCode), ...(req.tokenRef ? { token: req.tokenRef } : {}), ...(a.details ?? {}) },
    };
    // An error answer carries no data: it goes out at once, its event after it (a failure to store
    // that is logged here). Waiting would hold every refusal for the emitter's whole retry window
    // (about 30 s) exactly when the hub is unreachable, and withhold nothing.
    if (reply.statusCode >= 400) {
      opts.emitter.emit(event).catch((e: unknown) => req.log.error({ err: e, route }, "audit event of a refused request could not be stored"));
      return payload;
    }
    try {
      // Bounded: the client gets the 503 in time, not a connection its idle timeout closed first.
      // The event may still be stored after the bound; then the log holds an access whose answer
      // was withheld, never the reverse.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        opts.emitter.emit(event),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new LiaisonError("LIAISON_AUDIT_UNAVAILABLE", `not stored within ${AUDIT_WAIT_MS} ms`)), AUDIT_WAIT_MS);
        }),
      ]).finally(() => clearTimeout(timer));
      return payload;
    } catch (e) {
      req.log.error({ err: e, route }, "audit event could not be stored; the answer is withheld");
      const changes = req.method !== "GET" && req.method !== "HEAD";
      const le = new LiaisonError(
        "LIAISON_AUDIT_UNAVAILABLE",
        changes ? "the access log cannot be written, so the answer is withheld; the change may have been made: check before you retry" : "the access log cannot be written, so the answer is withheld",
        { cause: e },
      );
      setRequestError(req, le);
      if (isStream(payload)) payload.destroy();
      reply.removeHeader("content-disposition");
      reply.code(le.status).type("application/problem+json; charset=utf-8");
      return JSON.stringify(toProblem(le, req.url.split("?")[0]));
    }
  });
}
