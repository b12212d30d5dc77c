// Bearer tokens per user, each user with a role (src/domain/roles.ts), tokens that expire and maybe
// a revocation, and the user maybe disabled. A user may hold several tokens (one entry each), so a
// new token can be issued before the old one expires. Only SHA-256 hashes of tokens are kept,
// compared in constant time against every entry. The users file is re-read when it changes, so a
// revocation takes effect within seconds without a restart; a users file that can no longer be
// read refuses every token (fail closed) until it can. A missing, unknown, expired, revoked,
// disabled or wrong-role token is refused with a problem+json and goes to the refusal log; a
// user's first request is a login event. Each request's audit event names the token it was made
// with by tokenRef (a prefix of its hash), so an action traces to the token used.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, unwatchFile, watchFile, writeSync } from "node:fs";
import { dirname } from "node:path";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { z } from "zod";
import { isUserId, parsePeriod, ROLES, type Role } from "../domain/mod.js";
import { LiaisonError } from "../errors.js";
import type { Logger } from "../log/mod.js";
import type { RefusalCode } from "./refusal-codes.js";

export { ROLES, type Role };

export interface User {
  readonly id: string;
  readonly role: Role;
  /** For access-point users: their contact point. */
  readonly cp?: string;
}

const iso = z.iso.datetime({ offset: true });
const entrySchema = z.object({
  id: z.string().min(1),
  role: z.enum(ROLES),
  cp: z.string().optional(),
  tokenSha256: z.string().regex(/^[0-9a-f]{64}$/),
  /** When the token stops being accepted (ISO 8601). Every token expires. */
  expiresAt: iso,
  /** Set by `liaison tokens revoke`: the token is refused from then on. */
  revokedAt: iso.optional(),
  /** Set by `liaison users disable`: every token of the user is refused, and none is issued. */
  disabledAt: iso.optional(),
});
const usersFileSchema = z
  .object({ users: z.array(entrySchema) })
  .superRefine((f, ctx) => {
    const first = new Map<string, z.infer<typeof entrySchema>>();
    const hashes = new Set<string>();
    f.users.forEach((u, i) => {
      if (hashes.has(u.tokenSha256)) ctx.addIssue({ code: "custom", path: ["users", i, "tokenSha256"], message: "the same token twice" });
      hashes.add(u.tokenSha256);
      const f0 = first.get(u.id);
      if (!f0) first.set(u.id, u);
      else if (f0.role !== u.role || f0.cp !== u.cp) ctx.addIssue({ code: "custom", path: ["users", i], message: `user ${u.id} appears with two roles or contact points` });
    });
  });
export type UsersFile = z.infer<typeof usersFileSchema>;
export type UserEntry = UsersFile["users"][number];

export const tokenHash = (token: string) => createHash("sha256").update(token, "utf8").digest("hex");
/**
 * A token's reference in audit events: the first 6 bytes of its SHA-256, in hex, which is the start
 * of its entry's `tokenSha256` in the users file. Says which token acted, never the token itself.
 */
export const tokenRef = (token: string) => tokenHash(token).slice(0, 12);
/** A new bearer token: 192 random bits. */
export const newToken = () => `lsn_${randomBytes(24).toString("base64url")}`;

export type TokenRefusal = Extract<
  RefusalCode,
  "LIAISON_UNAUTHENTICATED" | "LIAISON_TOKEN_EXPIRED" | "LIAISON_TOKEN_REVOKED" | "LIAISON_USER_DISABLED" | "LIAISON_USERS_UNAVAILABLE"
>;
export type TokenCheck = { readonly ok: true; readonly user: User; readonly tokenRef: string } | { readonly ok: false; readonly code: TokenRefusal; readonly user?: User };

interface Entry {
  readonly user: User;
  readonly hash: Buffer;
  readonly expiresAtMs: number;
  readonly revoked: boolean;
  readonly disabled: boolean;
}

export function readUsersFile(path: string): UsersFile {
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

/**
 * Writes a users file atomically (0600): a temporary file, flushed to disk, renamed over the old
 * one, so a server re-reading it sees the old file or the new one, never half of either.
 */
export function writeUsersFile(path: string, file: UsersFile): void {
  const text = JSON.stringify(usersFileSchema.parse(file), null, 2) + "\n";
  const tmp = `${path}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`;
  const fd = openSync(tmp, "wx", 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw err;
  }
  closeSync(fd);
  renameSync(tmp, path);
}

/** How long a users-file change waits for another process's change to finish. */
export const USERS_FILE_LOCK_WAIT_MS = 5_000;
/** A lock older than this was left by a writer that died (a change takes milliseconds): taken over. */
export const USERS_FILE_LOCK_STALE_MS = 15_000;

/**
 * Runs a read-modify-write of the users file holding `<path>.lock` (created with O_EXCL), so the
 * CLI and a running server changing it at the same time both land instead of the last rename
 * winning. Waits synchronously (the change itself takes milliseconds); a lock older than
 * USERS_FILE_LOCK_STALE_MS is removed; after USERS_FILE_LOCK_WAIT_MS, LIAISON_CONFLICT.
 */
export function withUsersFileLock<T>(path: string, change: () => T): T {
  const lock = `${path}.lock`;
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const deadline = Date.now() + USERS_FILE_LOCK_WAIT_MS;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  let fd: number | undefined;
  while (fd === undefined) {
    try {
      fd = openSync(lock, "wx", 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      let since: number;
      try {
        since = statSync(lock).mtimeMs;
      } catch {
        continue; // released meanwhile
      }
      if (Date.now() - since > USERS_FILE_LOCK_STALE_MS) rmSync(lock, { force: true });
      else if (Date.now() >= deadline) throw new LiaisonError("LIAISON_CONFLICT", `the users file is being changed by another process (${lock}); try again`);
      else Atomics.wait(pause, 0, 0, 20);
    }
  }
  try {
    writeSync(fd, `${process.pid}\n`);
    return change();
  } finally {
    closeSync(fd);
    rmSync(lock, { force: true });
  }
}

/** Marks every token of a user revoked in a users file; returns false when no such user is there. */
export function revokeUser(path: string, userId: string, at = new Date()): boolean {
  return markUser(path, userId, "revokedAt", at);
}

/** Stamps every entry of a user with `field` (a first stamp stays), under the file's lock; false when no such user is there. */
function markUser(path: string, userId: string, field: "revokedAt" | "disabledAt", at: Date): boolean {
  return withUsersFileLock(path, () => {
    const file = readUsersFile(path);
    let found = false;
    const users = file.users.map((u) => {
      if (u.id !== userId) return u;
      found = true;
      return u[field] ? u : { ...u, [field]: at.toISOString() };
    });
    if (found) writeUsersFile(path, { users });
    return found;
  });
}

/** How long a new token lasts unless told otherwise. */
export const DEFAULT_TOKEN_VALIDITY_MS = 30 * 24 * 3600_000;
/** The longest a token may be issued for: a year. */
export const MAX_TOKEN_VALIDITY_MS = 366 * 24 * 3600_000;

export interface IssuedToken {
  readonly user: User;
  /** Shown once, to whoever asked for it; only its hash is kept. */
  readonly token: string;
  readonly expiresAt: string;
}

/** A token validity period ("12h", "30d", "2w") in milliseconds; calendar months and years are refused. */
export function parseValidity(text: string): number {
  const p = parsePeriod(text);
  if (!p || p.months !== 0) throw new LiaisonError("LIAISON_VALIDATION", `${text} is not a validity period such as 12h, 30d or 2w`);
  return validity(p.ms);
}

function validity(validForMs: number | undefined): number {
  const ms = validForMs ?? DEFAULT_TOKEN_VALIDITY_MS;
  if (!Number.isFinite(ms) || ms <= 0 || ms > MAX_TOKEN_VALIDITY_MS) throw new LiaisonError("LIAISON_VALIDATION", "a token is valid for more than nothing and at most a year");
  return ms;
}

/** Adds a user with a first token to a users file (made when absent); refuses an id already there. */
export function addUser(path: string, u: { id: string; role: Role; cp?: string; validForMs?: number; now?: number }): IssuedToken {
  if (!isUserId(u.id)) throw new LiaisonError("LIAISON_VALIDATION", "a user id is 1 to 64 letters, digits, '.', '-' and '_', starting with a letter or digit");
  const ms = validity(u.validForMs);
  return withUsersFileLock(path, () => addLocked(path, u, ms));
}

function addLocked(path: string, u: { id: string; role: Role; cp?: string; now?: number }, ms: number): IssuedToken {
  const file = existsSync(path) ? readUsersFile(path) : { users: [] };
  if (file.users.some((e) => e.id === u.id)) throw new LiaisonError("LIAISON_CONFLICT", `user ${u.id} exists already`);
  const token = newToken();
  const expiresAt = new Date((u.now ?? Date.now()) + ms).toISOString();
  writeUsersFile(path, { users: [...file.users, { id: u.id, role: u.role, ...(u.cp ? { cp: u.cp } : {}), tokenSha256: tokenHash(token), expiresAt }] });
  return { user: { id: u.id, role: u.role, ...(u.cp ? { cp: u.cp } : {}) }, token, expiresAt };
}

/**
 * Issues an existing, enabled user a new token. The user's other tokens keep working until they
 * expire or are revoked, so a client can switch over without a gap.
 */
export function issueToken(path: string, userId: string, opts: { validForMs?: number; now?: number } = {}): IssuedToken {
  const ms = validity(opts.validForMs);
  return withUsersFileLock(path, () => issueLocked(path, userId, ms, opts.now));
}

function issueLocked(path: string, userId: string, ms: number, now: number | undefined): IssuedToken {
  const file = readUsersFile(path);
  const mine = file.users.filter((e) => e.id === userId);
  const first = mine[0];
  if (!first) throw new LiaisonError("LIAISON_NOT_FOUND", `no user ${userId}`);
  if (mine.some((e) => e.disabledAt)) throw new LiaisonError("LIAISON_CONFLICT", `user ${userId} is disabled; no token is issued to a disabled user`);
  const token = newToken();
  const expiresAt = new Date((now ?? Date.now()) + ms).toISOString();
  writeUsersFile(path, { users: [...file.users, { id: userId, role: first.role, ...(first.cp ? { cp: first.cp } : {}), tokenSha256: tokenHash(token), expiresAt }] });
  return { user: { id: userId, role: first.role, ...(first.cp ? { cp: first.cp } : {}) }, token, expiresAt };
}

/** Disables a user: every token of theirs is refused from the next reload on. False when no such user. */
export function disableUser(path: string, userId: string, at = new Date()): boolean {
  return markUser(path, userId, "disabledAt", at);
}

export type UserState = "active" | "expired" | "revoked" | "disabled";

/** A user as listed: never a token nor its hash. */
export type UserSummary = {
  readonly id: string;
  readonly role: Role;
  readonly cp?: string;
  readonly state: UserState;
  /** When the last of the user's usable tokens expires (or, with none usable, the last expiry). */
  readonly expiresAt: string;
  /** Tokens that would be accepted now. */
  readonly activeTokens: number;
  readonly disabledAt?: string;
};

export function listUsers(file: UsersFile, now = Date.now()): UserSummary[] {
  const byId = new Map<string, UserEntry[]>();
  for (const e of file.users) byId.set(e.id, [...(byId.get(e.id) ?? []), e]);
  return [...byId.values()].map((es) => {
    const u = es[0] as UserEntry;
    const disabledAt = es.find((e) => e.disabledAt)?.disabledAt;
    const usable = es.filter((e) => !e.revokedAt && Date.parse(e.expiresAt) > now);
    const latest = (xs: UserEntry[]) => xs.map((e) => e.expiresAt).sort((a, b) => Date.parse(b) - Date.parse(a))[0] ?? "";
    const state: UserState = disabledAt ? "disabled" : usable.length > 0 ? "active" : es.every((e) => e.revokedAt) ? "revoked" : "expired";
    return {
      id: u.id,
      role: u.role,
      ...(u.cp ? { cp: u.cp } : {}),
      state,
      expiresAt: latest(usable.length > 0 ? usable : es),
      activeTokens: disabledAt ? 0 : usable.length,
      ...(disabledAt ? { disabledAt } : {}),
    };
  });
}

export type TokenChange = "revoked" | "removed" | "disabled";
export type RevocationListener = (user: User, change: TokenChange) => void;

export class UserStore {
  #entries: readonly Entry[] = [];
  /** Why the users file cannot be used; while set, every token is refused. */
  #unreadable: Error | undefined;
  readonly #now: () => number;
  readonly #listeners: RevocationListener[] = [];
  #close: () => void = () => undefined;
  /** The users file this store reads, when it reads one (user management writes there). */
  readonly path: string | undefined;

  constructor(file: UsersFile, opts: { now?: () => number; path?: string } = {}) {
    this.#now = opts.now ?? Date.now;
    this.path = opts.path;
    this.#set(file);
  }

  static load(path: string, opts: { now?: () => number } = {}): UserStore {
    return new UserStore(readUsersFile(path), { ...opts, path });
  }

  /**
   * Loads the file and re-reads it whenever it changes (polled every `intervalMs`, which also sees
   * a file replaced by rename or removed). A file that no longer reads or parses is logged and
   * refuses every token (LIAISON_USERS_UNAVAILABLE) until a good one is back: keeping the previous
   * users would leave a revocation or a disabled user silently without effect.
   */
  static watch(path: string, opts: { intervalMs: number; log: Logger; now?: () => number }): UserStore {
    const store = UserStore.load(path, opts.now ? { now: opts.now } : {});
    const onChange = (cur: { mtimeMs: number; ino: number; size: number }, prev: { mtimeMs: number; ino: number; size: number }) => {
      if (cur.mtimeMs === prev.mtimeMs && cur.ino === prev.ino && cur.size === prev.size) return;
      if (store.reload()) opts.log.info({ path }, "users file reloaded");
      else opts.log.error({ err: store.#unreadable, path }, "users file changed but cannot be read; every token is refused until it can");
    };
    watchFile(path, { interval: opts.intervalMs, persistent: false }, onChange);
    // A file caught half-written (or gone) by the change that made it unreadable may see no further
    // change of its own: while unreadable, it is read again at every interval, not only on a change.
    const retry = setInterval(() => {
      if (store.#unreadable && store.reload()) opts.log.info({ path }, "users file readable again");
    }, opts.intervalMs);
    retry.unref();
    store.#close = () => {
      unwatchFile(path, onChange);
      clearInterval(retry);
    };
    return store;
  }

  /** Re-reads the users file now; false (and every token refused) when it cannot be read. */
  reload(): boolean {
    if (!this.path) return true;
    try {
      this.#set(readUsersFile(this.path));
      return true;
    } catch (err) {
      this.#unreadable = err instanceof Error ? err : new Error(String(err));
      return false;
    }
  }

  /** Called for each token a reload revoked or removed, or whose user it disabled. */
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
      disabled: u.disabledAt !== undefined,
    }));
    this.#unreadable = undefined;
    for (const old of before) {
      if (old.revoked || old.disabled) continue;
      const now = this.#entries.find((e) => e.hash.equals(old.hash));
      if (!now) this.#emit(old.user, "removed");
      else if (now.disabled) this.#emit(now.user, "disabled");
      else if (now.revoked) this.#emit(now.user, "revoked");
    }
  }

  #emit(user: User, change: TokenChange): void {
    for (const l of this.#listeners) l(user, change);
  }

  /** Which user a token belongs to, or why it is refused. Compares against every entry, in constant time each. */
  check(token: string): TokenCheck {
    if (this.#unreadable) return { ok: false, code: "LIAISON_USERS_UNAVAILABLE" };
    const h = Buffer.from(tokenHash(token), "hex");
    let match: Entry | undefined;
    for (const e of this.#entries) if (timingSafeEqual(e.hash, h) && !match) match = e;
    if (!match) return { ok: false, code: "LIAISON_UNAUTHENTICATED" };
    if (match.disabled) return { ok: false, code: "LIAISON_USER_DISABLED", user: match.user };
    if (match.revoked) return { ok: false, code: "LIAISON_TOKEN_REVOKED", user: match.user };
    if (this.#now() >= match.expiresAtMs) return { ok: false, code: "LIAISON_TOKEN_EXPIRED", user: match.user };
    return { ok: true, user: match.user, tokenRef: match.hash.subarray(0, 6).toString("hex") };
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
  /** A token revoked (or its user removed or disabled) while the server runs. */
  onRevoked?(user: User, change: TokenChange): void;
}

declare module "fastify" {
  interface FastifyRequest {
    user?: User;
    /** tokenRef of the token the request was made with, for its audit event. */
    tokenRef?: string;
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
  LIAISON_USER_DISABLED: "the user has been disabled",
  LIAISON_USERS_UNAVAILABLE: "the users file cannot be read, so no token is accepted",
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
    req.tokenRef = c.tokenRef;
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
