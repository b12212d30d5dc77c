// Security headers on every answer (helmet): a CSP that admits only this origin's own scripts and
// styles (no inline code), no framing, nosniff, no referrer; and `Cache-Control: no-store` on every
// API answer, since reads carry decrypted content that no browser or proxy cache may keep.
import fastifyHelmet from "@fastify/helmet";
import type { FastifyInstance } from "fastify";

export const CSP_DIRECTIVES = {
  defaultSrc: ["'self'"],
  baseUri: ["'none'"],
  connectSrc: ["'self'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
  imgSrc: ["'self'"],
  objectSrc: ["'none'"],
  scriptSrc: ["'self'"],
  scriptSrcAttr: ["'none'"],
  styleSrc: ["'self'"],
};

export async function installSecurityHeaders(app: FastifyInstance): Promise<void> {
  await app.register(fastifyHelmet, {
    contentSecurityPolicy: { useDefaults: false, directives: CSP_DIRECTIVES },
    frameguard: { action: "deny" },
    referrerPolicy: { policy: "no-referrer" },
  });
  app.addHook("onSend", async (req, reply) => {
    // Static files (the console's own code) may set their own; every API answer is no-store.
    if (req.url.startsWith("/v1/") || !reply.hasHeader("cache-control")) reply.header("cache-control", "no-store");
  });
}
