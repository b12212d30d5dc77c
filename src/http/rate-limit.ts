// Throttling at the edge (@fastify/rate-limit's limiters, applied in one onRequest hook that runs
// before authentication): per client address, per bearer token from whatever address, and a much
// lower limit on refused requests per client address, past which everything it sends is throttled
// (a token-guessing client is shut out for the window). A throttled request gets 429
// LIAISON_RATE_LIMITED with Retry-After, and goes to the refusal log.
import fastifyRateLimit from "@fastify/rate-limit";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { HttpLimits } from "../config/mod.js";
import { LiaisonError } from "../errors.js";
import { tokenHash } from "./auth.js";
import { requestError } from "./problem.js";
import { isEdgeRefusal } from "./refusal-codes.js";

/** The limiter key of a request's bearer token: its hash (the token itself is kept nowhere), or "". */
const tokenKey = (req: FastifyRequest): string => {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? "");
  return m?.[1] ? `token:${tokenHash(m[1])}` : "";
};

type Limits = Pick<HttpLimits, "rateLimitPerClient" | "rateLimitPerToken" | "refusalLimitPerClient" | "rateLimitWindow">;

export async function installRateLimit(app: FastifyInstance, l: Limits, onLimited?: (req: FastifyRequest) => Promise<void>): Promise<void> {
  await app.register(fastifyRateLimit, { global: false });
  const byClient = app.createRateLimit({ max: l.rateLimitPerClient, timeWindow: l.rateLimitWindow, keyGenerator: (req) => `client:${req.ip}` });
  const byToken = app.createRateLimit({ max: l.rateLimitPerToken, timeWindow: l.rateLimitWindow, keyGenerator: tokenKey, allowList: (_req, key) => key === "" });
  const refusals = app.createRateLimit({ max: l.refusalLimitPerClient, timeWindow: l.rateLimitWindow, keyGenerator: (req) => `refused:${req.ip}` });

  const refuse = async (req: FastifyRequest, reply: FastifyReply, max: number, ttlSeconds: number): Promise<never> => {
    const after = Math.max(1, ttlSeconds);
    reply.header("retry-after", String(after));
    reply.header("x-ratelimit-limit", String(max));
    reply.header("x-ratelimit-remaining", "0");
    reply.header("x-ratelimit-reset", String(after));
    await onLimited?.(req);
    throw new LiaisonError("LIAISON_RATE_LIMITED", `retry in ${after} s`);
  };

  app.addHook("onRequest", async (req, reply) => {
    const shut = await refusals(req, { increment: false });
    if (!shut.isAllowed && shut.isExceeded) await refuse(req, reply, shut.max, shut.ttlInSeconds);
    for (const limit of [byClient, byToken]) {
      const r = await limit(req);
      if (!r.isAllowed && r.isExceeded) await refuse(req, reply, r.max, r.ttlInSeconds);
    }
  });
  // Counted when answered: each refusal for want of a valid token or role.
  app.addHook("onResponse", async (req) => {
    const code = requestError(req)?.code;
    if (code && code !== "LIAISON_RATE_LIMITED" && isEdgeRefusal(code)) await refusals(req);
  });
}
