// /v1/registry: the registry as this access point holds it (every entry checked against the
// registry key), so a member's operators see which keys are active, retired or revoked — a
// revocation shows here as soon as the access point has refetched the registry (within seconds).
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { rolesWith } from "../../../src/domain/mod.js";
import { problemSchema } from "../../../src/http/mod.js";
import { pb } from "../../../src/proto/mod.js";
import { describeEntry, type RegistryView } from "../../../src/registry/mod.js";

export interface RegistryRoutesDeps {
  readonly registry: () => RegistryView;
  readonly now: () => number;
  /** Keys ending within this many days carry `expiresInDays`. */
  readonly warnDays: number;
}

const keyOut = z.object({
  keyId: z.string(),
  use: z.enum(["sig", "enc"]),
  status: z.enum(["active", "retired", "revoked", "expired", "not-yet-valid"]),
  notBefore: z.string().optional(),
  notAfter: z.string().optional(),
  revokedAt: z.string().optional(),
  revocationReason: z.string().optional(),
  expiresInDays: z.number().int().optional(),
});
export const registryOut = z.object({
  contactPoints: z.array(z.object({ code: z.string(), name: z.string(), active: z.boolean(), suspended: z.boolean(), version: z.number().int(), keys: z.array(keyOut) })),
});

export async function registryRoutes(app: FastifyInstance, d: RegistryRoutesDeps): Promise<void> {
  app.withTypeProvider<ZodTypeProvider>().get(
    "/v1/registry",
    {
      schema: { summary: "Contact points and their keys: id, use, state, validity, revocation", tags: ["registry"], response: { 200: registryOut, 401: problemSchema, 403: problemSchema } },
      config: { roles: rolesWith("registry.read"), audit: { action: pb.AuditAction.AUDIT_ACTION_READ, objectType: "registry" } },
    },
    async () => {
      const now = d.now();
      const contactPoints = d
        .registry()
        .all()
        .map((cp) => describeEntry(cp, now, d.warnDays))
        .sort((a, b) => a.code.localeCompare(b.code))
        .map((c) => ({
          code: c.code,
          name: c.name,
          active: c.active,
          suspended: c.suspended,
          version: c.version,
          keys: c.keys.map((k) => ({
            keyId: k.keyId,
            use: k.use,
            status: k.status,
            notBefore: k.notBefore,
            notAfter: k.notAfter,
            revokedAt: k.revokedAt,
            revocationReason: k.revocationReason,
            expiresInDays: k.expiresInDays,
          })),
        }));
      return { contactPoints };
    },
  );
}
