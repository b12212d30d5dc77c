// Refusals at the HTTP edge (no or bad token, expired or revoked token, wrong role, rate limit) go
// to the audit log without letting a flood of them flood the log: a source's first refusal of a
// kind is logged at once, further ones are counted and logged as one event per source and window
// carrying `count`. A source is client address + user + reason + route, never the token presented;
// the log names the address only by a keyed hash (sourceRef).
import { createHmac, randomBytes } from "node:crypto";
import type { FastifyRequest } from "fastify";
import { AuditAction, AuditOutcome, type AuditEmitter } from "../audit/mod.js";
import type { Logger } from "../log/mod.js";
import type { TokenChange, User } from "./auth.js";
import type { RefusalCode } from "./refusal-codes.js";

export interface Refusal {
  readonly code: RefusalCode;
  /** The client address the request came from. */
  readonly source: string;
  /** "METHOD /route/:pattern" (the pattern, not the URL, so the set of keys stays small). */
  readonly route: string;
  readonly user?: User;
}

export interface RefusalLogOptions {
  readonly windowMs: number;
  /** Writes one audit event for `count` refusals of this kind from this source. */
  readonly emit: (r: Refusal, count: number, windowMs: number) => Promise<void>;
  readonly log: Logger;
  /** Distinct sources tracked at most; beyond that they share one overflow bucket. */
  readonly maxSources?: number;
}

interface Bucket {
  readonly refusal: Refusal;
  pending: number;
}

export const refusalOf = (req: FastifyRequest, code: RefusalCode, user?: User): Refusal => ({
  code,
  source: req.ip,
  route: `${req.method} ${req.routeOptions.url ?? "(no route)"}`,
  ...(user ? { user } : {}),
});

export class RefusalLog {
  readonly #o: RefusalLogOptions;
  readonly #buckets = new Map<string, Bucket>();
  readonly #timer: NodeJS.Timeout;
  readonly #max: number;

  constructor(o: RefusalLogOptions) {
    this.#o = o;
    this.#max = o.maxSources ?? 10_000;
    this.#timer = setInterval(() => void this.flush(), o.windowMs);
    this.#timer.unref();
  }

  /** Resolves once the refusal is logged (the first of its source) or counted (the rest). */
  async record(r: Refusal): Promise<void> {
    let key = `${r.source}\n${r.user?.id ?? ""}\n${r.code}\n${r.route}`;
    if (!this.#buckets.has(key) && this.#buckets.size >= this.#max) {
      key = "overflow";
      r = { code: r.code, source: "*", route: "*" };
    }
    const b = this.#buckets.get(key);
    if (b) {
      b.pending++;
      return;
    }
    this.#buckets.set(key, { refusal: r, pending: 0 });
    await this.#emit(r, 1);
  }

  /** Logs what each source was refused since its last event; forgets sources that went quiet. */
  async flush(): Promise<void> {
    const due: Array<[Refusal, number]> = [];
    for (const [key, b] of this.#buckets) {
      if (b.pending === 0) this.#buckets.delete(key);
      else {
        due.push([b.refusal, b.pending]);
        b.pending = 0;
      }
    }
    await Promise.all(due.map(([r, n]) => this.#emit(r, n)));
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.flush();
  }

  async #emit(r: Refusal, count: number): Promise<void> {
    try {
      await this.#o.emit(r, count, this.#o.windowMs);
    } catch (err) {
      this.#o.log.error({ err, code: r.code, route: r.route }, "refusal could not be logged");
    }
  }
}

/**
 * A refusal log writing REFUSAL audit events: the route as the object, the reason code, the client
 * address as `source`, and `count` refusals of that source in up to `window`.
 */
// A client's address is personal data and must not reach the hub's multi-year log: events name the
// source by a keyed hash (the key lives and dies with this process), enough to tell one source's
// events apart from another's, not to recover the address.
const SOURCE_KEY = randomBytes(32);
export function sourceRef(source: string): string {
  return source === "*" ? "*" : createHmac("sha256", SOURCE_KEY).update(source).digest("hex").slice(0, 16);
}

export function auditedRefusalLog(o: { audit: AuditEmitter; authority: (user?: User) => string; windowMs: number; log: Logger }): RefusalLog {
  return new RefusalLog({
    windowMs: o.windowMs,
    log: o.log,
    emit: (r, count, windowMs) =>
      o.audit.emit({
        action: AuditAction.AUDIT_ACTION_REFUSAL,
        authority: o.authority(r.user),
        userId: r.user?.id ?? "anonymous",
        objectType: "route",
        objectId: r.route,
        outcome: AuditOutcome.AUDIT_OUTCOME_REFUSED,
        reasonCode: r.code,
        details: { count: String(count), window: `${windowMs}ms`, source: sourceRef(r.source), role: r.user?.role ?? "" },
      }),
  });
}

/** A token revoked (or its user removed from the users file) while the server runs, as an audit event. */
export function auditRevocation(audit: AuditEmitter, authority: (user?: User) => string, log: Logger): (user: User, change: TokenChange) => void {
  return (user, change) => {
    audit
      .emit({ action: AuditAction.AUDIT_ACTION_CONFIG_CHANGE, authority: authority(user), userId: user.id, objectType: "token", objectId: user.id, details: { change, role: user.role } })
      .catch((err: unknown) => log.error({ err }, "token revocation could not be logged"));
  };
}
