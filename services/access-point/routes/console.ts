// The member console at the access point (issue #18): the static web UI of services/access-point/web
// and /v1/session, which tells the page whose token it holds. The pages that show a joint
// operation's sealed content (its group, documents, tally, recommendations) must be served here, by
// the member's own access point, which opens them; the files hold no data, every figure in them comes
// from this access point's audited API with the user's token, under the app's CSP
// (src/http/security-headers.ts: only this origin's own scripts and styles, nothing inline).
import { join } from "node:path";
import fastifyStatic from "@fastify/static";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { rolesWith } from "../../../src/domain/mod.js";
import { problemResponses } from "../../../src/http/mod.js";
import { WEB_KIT_DIR } from "../../../src/web/mod.js";

export interface ConsoleRoutesDeps {
  readonly cp: string;
}

const sessionOut = z.object({ user: z.string(), role: z.string(), cp: z.string() });

export async function consoleRoutes(app: FastifyInstance, d: ConsoleRoutesDeps): Promise<void> {
  // Exempt from the audit log as at the hub console (AUDIT_EXEMPT_ROUTES): it answers only the
  // caller's own id and role, and a token's first use is a LOGIN event. Only a role that may read
  // joint operations opens the console.
  app.withTypeProvider<ZodTypeProvider>().get(
    "/v1/session",
    {
      schema: { summary: "Who the token belongs to, for the member console", tags: ["jco"], response: { 200: sessionOut, ...problemResponses("LIAISON_UNAUTHENTICATED", "LIAISON_FORBIDDEN") } },
      config: { roles: rolesWith("jco.read") },
    },
    async (req) => ({ user: req.user?.id ?? "", role: req.user?.role ?? "", cp: d.cp }),
  );
  // Static files, no build step, nothing from a CDN: one route per file found at start (no
  // wildcard route, which would take every path: an unknown one would be its 404, not the API's,
  // and a path parameter too long for the router its 404 instead of the API's 414).
  await app.register(fastifyStatic, { root: [join(import.meta.dirname, "..", "web"), WEB_KIT_DIR], prefix: "/", index: ["index.html"], wildcard: false });
}
