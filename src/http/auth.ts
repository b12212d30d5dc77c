// Bearer tokens per user, each with a role (operator, supervisor, operations). Only SHA-256 hashes
// of tokens are kept; a route names the roles it admits. A missing, unknown or wrong-role token is
// refused with a problem+json and logged as an audit event; a user's first request is a login event.
import { createHash, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { z } from "zod";
import { LiaisonError } from "../errors.js";

export const ROLES = ["operator", "supervisor", "operations"] as const;
export type Role = (typeof ROLES)[number];

export interface User {
  readonly id: string;
  readonly role: Role;
  /** For access-point users: their contact point. */
  readonly cp?: string;
}

const usersFileSchema = z.object({
  users: z.array(
    z.object({
      id: z.string().min(1),
      role: z.enum(ROLES),
      cp: z.string().optional(),
      tokenSha256: z.string().regex(/^[0-9a-f]{64}$/),
    }),
  ),
});
export type UsersFile = z.infer<typeof usersFileSchema>;

export const tokenHash = (token: string) => createHash("sha256").update(token, "utf8").digest("hex");

export class UserStore {
  readonly #byHash: Map<string, User>;

  constructor(file: UsersFile) {
    this.#byHash = new Map(file.users.map((u) => [u.tokenSha256, { id: u.id, role: u.role, ...(u.cp ? { cp: u.cp } : {}) }]));
  }

  static load(path: string): UserStore {
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(path, "utf8"));
    } catch (err) {
      throw new LiaisonError("LIAISON_CONFIG_INVALID", `cannot read users file ${path}`, { cause: err });
    }
    const parsed = usersFileSchema.safeParse(raw);
    if (!parsed.success) throw new LiaisonError("LIAISON_CONFIG_INVALID", `users file ${path}: ${z.prettifyError(parsed.error)}`);
    return new UserStore(parsed.data);
  }

  find(token: string): User | undefined {
    const h = tokenHash(token);
    const u = this.#byHash.get(h);
    // The map lookup already matched; compare again in constant time to keep the check explicit.
    return u && timingSafeEqual(Buffer.from(h), Buffer.from(tokenHash(token))) ? u : undefined;
  }
}

export interface AuthEvents {
  /** A request refused for want of a valid token or role. */
  onRefused(req: FastifyRequest, code: "LIAISON_UNAUTHENTICATED" | "LIAISON_FORBIDDEN", user?: User): Promise<void>;
  /** A user's first authenticated request since this process started. */
  onLogin(req: FastifyRequest, user: User): Promise<void>;
}

declare module "fastify" {
  interface FastifyRequest {
    user?: User;
  }
  interface FastifyContextConfig {
    /** Roles admitted; omitted means the route is public (health, docs). */
    roles?: readonly Role[];
  }
}

export function installAuth(app: FastifyInstance, users: UserStore, events: AuthEvents): void {
  const seen = new Set<string>();
  app.addHook("onRequest", async (req) => {
    const roles = req.routeOptions.config.roles;
    if (!roles) return;
    const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? "");
    const user = m?.[1] ? users.find(m[1]) : undefined;
    if (!user) {
      await events.onRefused(req, "LIAISON_UNAUTHENTICATED");
      throw new LiaisonError("LIAISON_UNAUTHENTICATED", m ? "unknown token" : "send Authorization: Bearer <token>");
    }
    req.user = user;
    if (!roles.includes(user.role)) {
      await events.onRefused(req, "LIAISON_FORBIDDEN", user);
      throw new LiaisonError("LIAISON_FORBIDDEN", `${user.role} may not ${req.method} ${req.routeOptions.url}`);
    }
    if (!seen.has(user.id)) {
      seen.add(user.id);
      await events.onLogin(req, user);
    }
  });
}
