// Bearer tokens per user, each with a role (operator, supervisor, operations), an expiry and maybe
// a revocation. Only SHA-256 hashes of tokens are kept, compared in constant time against every
// entry. The users file is re-read when it changes, so a revocation takes effect within seconds
// without a restart. A missing, unknown, expired, revoked or wrong-role token is refused with a
// problem+json and goes to the refusal log; a user's first request is a login event.
import { createHash, timingSafeEqual } from "node:crypto";
import { readFileSync, renameSync, unwatchFile, watchFile, writeFileSync } from "node:fs";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { z } from "zod";
import { LiaisonError } from "../errors.js";
import type { Logger } from "../log/mod.js";
import type { RefusalCode } from "./refusal-codes.js";

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
      /** When the token stops being accepted (ISO 8601). Every token expires. */
      expiresAt: z.iso.datetime({ offset: true }),
      /** Set by `liaison tokens revoke`: the token is refused from then on. */
      revokedAt: z.iso.datetime({ offset: true }).optional(),
    }),
  ),
});
export type UsersFile = z.infer<typeof usersFileSchema>;
export type UserEntry = UsersFile["users"][number];

export const tokenHash = (token: string) => createHash("sha256").update(token, "utf8").digest("hex");

export type TokenRefusal = Extract<RefusalCode, "LIAISON_UNAUTHENTICATED" | "LIAISON_TOKEN_EXPIRED" | "LIAISON_TOKEN_REVOKED">;
export type TokenCheck = { readonly ok: true; readonly user: User } | { readonly ok: false; readonly code: TokenRefusal; readonly user?: User };

interface Entry {
  readonly user: User;
  readonly hash: Buffer;
  readonly expiresAtMs: number;
  readonly revoked: boolean;
}

function readUsersFile(path: string): UsersFile {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new LiaisonError("LIAISON_CONFIG_INVALID", `cannot read users file ${path}`, { cause: err });
  }
  const parsed = usersFileSchema.safeParse(raw);
  if (!parsed.success) throw new LiaisonError("LIAISON_CONFIG_INVALID", `users file ${path}: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/** Writes a users file atomically (0600), so a server re-reading it never sees half of it. */
export function writeUsersFile(path: string, file: UsersFile): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(usersFileSchema.parse(file), null, 2) + "\n", { mode: 0o600 });
  renameSync(tmp, path);
}

/** Marks a user's token revoked in a users file; returns false when no such user is there. */
export function revokeUser(path: string, userId: string, at = new Date()): boolean {
  const file = readUsersFile(path);
  let found = false;
  const users = file.users.map((u) => {
    if (u.id !== userId) return u;
    found = true;
    return u.revokedAt ? u : { ...u, revokedAt: at.toISOString() };
  });
  if (found) writeUsersFile(path, { users });
  return found;
}

export type RevocationListener = (user: User, change: "revoked" | "removed") => void;

export class UserStore {
  #entries: readonly Entry[] = [];
  readonly #now: () => number;
  readonly #listeners: RevocationListener[] = [];
  #close: () => void = () => undefined;

  constructor(file: UsersFile, opts: { now?: () => number } = {}) {
    this.#now = opts.now ?? Date.now;
    this.#set(file);
  }

  static load(path: string, opts: { now?: () => number } = {}): UserStore {
    return new UserStore(readUsersFile(path), opts);
  }

  /**
   * Loads the file and re-reads it whenever it changes (polled every `intervalMs`, which also sees
   * a file replaced by rename). A file that no longer parses is logged and the last good one kept.
   */
  static watch(path: string, opts: { intervalMs: number; log: Logger; now?: () => number }): UserStore {
    const store = UserStore.load(path, opts.now ? { now: opts.now } : {});
    const onChange = (cur: { mtimeMs: number; ino: number; size: number }, prev: { mtimeMs: number; ino: number; size: number }) => {
      if (cur.mtimeMs === prev.mtimeMs && cur.ino === prev.ino && cur.size === prev.size) return;
      try {
        store.#set(readUsersFile(path));
        opts.log.info({ path }, "users file reloaded");
      } catch (err) {
        opts.log.error({ err, path }, "users file changed but cannot be read; keeping the previous users");
      }
    };
    watchFile(path, { interval: opts.intervalMs, persistent: false }, onChange);
    store.#close = () => unwatchFile(path, onChange);
    return store;
  }

  /** Called for each user whose token a reload revoked or removed. */
  onRevoked(listener: RevocationListener): void {
    this.#listeners.push(listener);
  }

  close(): void {
    this.#close();
  }

  #set(file: UsersFile): void {
    const before = this.#entries;
    this.#entries = file.users.map((u) => ({
      user: { id: u.id, role: u.role, ...(u.cp ? { cp: u.cp } : {}) },
      hash: Buffer.from(u.tokenSha256, "hex"),
      expiresAtMs: Date.parse(u.expiresAt),
      revoked: u.revokedAt !== undefined,
    }));
    for (const old of before) {
      if (old.revoked) continue;
      const now = this.#entries.find((e) => e.hash.equals(old.hash));
      if (!now) this.#emit(old.user, "removed");
      else if (now.revoked) this.#emit(now.user, "revoked");
    }
  }

  #emit(user: User, change: "revoked" | "removed"): void {
    for (const l of this.#listeners) l(user, change);
  }

  /** Which user a token belongs to, or why it is refused. Compares against every entry, in constant time each. */
  check(token: string): TokenCheck {
    const h = Buffer.from(tokenHash(token), "hex");
    let match: Entry | undefined;
    for (const e of this.#entries) if (timingSafeEqual(e.hash, h) && !match) match = e;
    if (!match) return { ok: false, code: "LIAISON_UNAUTHENTICATED" };
    if (match.revoked) return { ok: false, code: "LIAISON_TOKEN_REVOKED", user: match.user };
    if (this.#now() >= match.expiresAtMs) return { ok: false, code: "LIAISON_TOKEN_EXPIRED", user: match.user };
    return { ok: true, user: match.user };
  }

  find(token: string): User | undefined {
    const c = this.check(token);
    return c.ok ? c.user : undefined;
  }
}

export interface AuthEvents {
  /** A request refused for want of a valid token or role. */
  onRefused(req: FastifyRequest, code: RefusalCode, user?: User): Promise<void>;
  /** A user's first authenticated request since this process started. */
  onLogin(req: FastifyRequest, user: User): Promise<void>;
  /** A token revoked (or its user removed) while the server runs. */
  onRevoked?(user: User, change: "revoked" | "removed"): void;
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

const REFUSAL_DETAIL: Readonly<Record<TokenRefusal, string>> = {
  LIAISON_UNAUTHENTICATED: "unknown token",
  LIAISON_TOKEN_EXPIRED: "the token has expired",
  LIAISON_TOKEN_REVOKED: "the token has been revoked",
};

export function installAuth(app: FastifyInstance, users: UserStore, events: AuthEvents): void {
  const seen = new Set<string>();
  if (events.onRevoked) users.onRevoked(events.onRevoked);
  app.addHook("onRequest", async (req) => {
    const roles = req.routeOptions.config.roles;
    if (!roles) return;
    const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? "");
    if (!m?.[1]) {
      await events.onRefused(req, "LIAISON_UNAUTHENTICATED");
      throw new LiaisonError("LIAISON_UNAUTHENTICATED", "send Authorization: Bearer <token>");
    }
    const c = users.check(m[1]);
    if (!c.ok) {
      await events.onRefused(req, c.code, c.user);
      throw new LiaisonError(c.code, REFUSAL_DETAIL[c.code]);
    }
    const user = c.user;
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
