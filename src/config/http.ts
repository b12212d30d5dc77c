// Limits of the HTTP edge shared by the access points and the console: throttling per client
// address and per token, how refusals are counted in the audit log, header/body/idle timeouts, a
// connection cap, and how often the users file is re-read (revocations take effect without restart).
import { z } from "zod";
import { zDurationMs } from "./duration.js";

/** Requests one client address may make per rate-limit window (a national system sends in bursts). */
export const DEFAULT_RATE_LIMIT_PER_CLIENT = 12_000;
/** Requests one bearer token may make per rate-limit window, from any address. */
export const DEFAULT_RATE_LIMIT_PER_TOKEN = 6_000;
/**
 * Refused requests (no, bad, expired or revoked token; wrong role) one client address may make per
 * window; beyond that, everything it sends is answered 429 until the window ends.
 */
export const DEFAULT_REFUSAL_LIMIT_PER_CLIENT = 60;
export const DEFAULT_RATE_LIMIT_WINDOW_MS = 60_000;
/** Repeated refusals of one source are logged once at once, then as one counted event per window. */
export const DEFAULT_REFUSAL_LOG_WINDOW_MS = 60_000;
/** The request line and headers must arrive within this. */
export const DEFAULT_HEADERS_TIMEOUT_MS = 10_000;
/** The whole request, body included, must arrive within this. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
/** A connection with no traffic at all is closed after this. */
export const DEFAULT_IDLE_TIMEOUT_MS = 30_000;
/** A kept-alive connection waits this long for its next request. */
export const DEFAULT_KEEP_ALIVE_TIMEOUT_MS = 5_000;
/** Open connections at most; more are closed as they arrive. */
export const DEFAULT_MAX_CONNECTIONS = 512;
/** The users file is checked for changes (a revoked token) this often. */
export const DEFAULT_USERS_RELOAD_INTERVAL_MS = 2_000;
/** How long a token the dev stack issues stays valid. */
export const DEFAULT_TOKEN_TTL_MS = 12 * 3_600_000;

const positive = z.coerce.number().int().positive();

export const httpLimitFields = {
  rateLimitPerClient: positive.default(DEFAULT_RATE_LIMIT_PER_CLIENT),
  rateLimitPerToken: positive.default(DEFAULT_RATE_LIMIT_PER_TOKEN),
  refusalLimitPerClient: positive.default(DEFAULT_REFUSAL_LIMIT_PER_CLIENT),
  rateLimitWindow: zDurationMs.default(DEFAULT_RATE_LIMIT_WINDOW_MS),
  refusalLogWindow: zDurationMs.default(DEFAULT_REFUSAL_LOG_WINDOW_MS),
  headersTimeout: zDurationMs.default(DEFAULT_HEADERS_TIMEOUT_MS),
  requestTimeout: zDurationMs.default(DEFAULT_REQUEST_TIMEOUT_MS),
  idleTimeout: zDurationMs.default(DEFAULT_IDLE_TIMEOUT_MS),
  keepAliveTimeout: zDurationMs.default(DEFAULT_KEEP_ALIVE_TIMEOUT_MS),
  maxConnections: positive.default(DEFAULT_MAX_CONNECTIONS),
  usersReloadInterval: zDurationMs.default(DEFAULT_USERS_RELOAD_INTERVAL_MS),
};

export const HTTP_LIMIT_DEFAULTS = Object.freeze({
  rateLimitPerClient: DEFAULT_RATE_LIMIT_PER_CLIENT,
  rateLimitPerToken: DEFAULT_RATE_LIMIT_PER_TOKEN,
  refusalLimitPerClient: DEFAULT_REFUSAL_LIMIT_PER_CLIENT,
  rateLimitWindow: DEFAULT_RATE_LIMIT_WINDOW_MS,
  refusalLogWindow: DEFAULT_REFUSAL_LOG_WINDOW_MS,
  headersTimeout: DEFAULT_HEADERS_TIMEOUT_MS,
  requestTimeout: DEFAULT_REQUEST_TIMEOUT_MS,
  idleTimeout: DEFAULT_IDLE_TIMEOUT_MS,
  keepAliveTimeout: DEFAULT_KEEP_ALIVE_TIMEOUT_MS,
  maxConnections: DEFAULT_MAX_CONNECTIONS,
  usersReloadInterval: DEFAULT_USERS_RELOAD_INTERVAL_MS,
});

export type HttpLimits = { readonly [K in keyof typeof HTTP_LIMIT_DEFAULTS]: number };

/** Node refuses a headers timeout longer than the request timeout; say so at start, naming both. */
export function checkHttpLimits(c: Pick<HttpLimits, "headersTimeout" | "requestTimeout">, ctx: z.RefinementCtx): void {
  if (c.requestTimeout > 0 && c.headersTimeout > c.requestTimeout) {
    ctx.addIssue({ code: "custom", path: ["headersTimeout"], message: `headersTimeout (${c.headersTimeout} ms) must not exceed requestTimeout (${c.requestTimeout} ms)` });
  }
}

/** The limits from a loaded config. */
export const httpLimitsOf = (c: HttpLimits): HttpLimits => Object.freeze(Object.fromEntries(Object.keys(HTTP_LIMIT_DEFAULTS).map((k) => [k, c[k as keyof HttpLimits]])) as HttpLimits);
