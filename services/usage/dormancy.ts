// Dormancy: a member with no connection for `dormantAfter` gets a DORMANT notice, and a
// SUSPENSION_WARNING `suspensionWarning` before `suspendAfter`; both are audit events. Each
// member's activity (last connection, the spell it is in, the notices sent in it) is kept in the
// store; only the replica that holds the lease sends notices.
import type { AuditEmitter } from "../../src/audit/mod.js";
import type { UsageConfig } from "../../src/config/mod.js";
import { dormancy, HUB } from "../../src/domain/mod.js";
import type { NoticePublisher } from "../../src/notices/mod.js";
import { pb } from "../../src/proto/mod.js";
import type { UsageParts } from "./parts.js";

export interface DormancyDeps extends UsageParts {
  readonly cfg: Pick<UsageConfig, "dormantAfter" | "suspendAfter" | "suspensionWarning">;
  readonly notices: NoticePublisher;
  /** Each notice sent is an audit event. */
  readonly audit: AuditEmitter;
}

const days = (ms: number) => String(Math.max(0, Math.ceil(ms / 86_400_000)));

export class Dormancy {
  /** Who was dormant at the last check (for the service's stats). */
  #lastDormant = new Map<string, boolean>();
  #timer: NodeJS.Timeout | undefined;

  constructor(private readonly d: DormancyDeps) {}

  dormant(): string[] {
    return [...this.#lastDormant].filter(([, dormant]) => dormant).map(([cp]) => cp);
  }

  /** Each member's activity now, from its monthly counters and the notices already sent. */
  async activity(): Promise<pb.IContactPointActivity[]> {
    const seen = await this.#lastSeen();
    const t = this.d.now();
    const cfg = this.d.cfg;
    return Promise.all(
      this.d
        .registry()
        .all()
        .filter((c) => c.code !== HUB)
        .map(async (c) => {
          const code = c.code ?? "";
          const s = seen.get(code) ?? { conn: 0, act: 0 };
          const d = dormancy(s.conn, Number(c.registeredAtMs), t, { dormantAfterMs: cfg.dormantAfter, suspendAfterMs: cfg.suspendAfter, warnBeforeMs: cfg.suspensionWarning });
          const prev = await this.d.store.activity(code);
          const sameSpell = prev && Number(prev.dormantSinceMs) === d.dormantSinceMs;
          return {
            contactPoint: code,
            name: c.name ?? "",
            active: Boolean(c.active),
            registeredAtMs: Number(c.registeredAtMs),
            lastConnectionMs: s.conn,
            lastActivityMs: s.act,
            dormant: c.active && d.dormant,
            dormantSinceMs: d.dormantSinceMs,
            suspensionDueMs: c.active ? d.suspensionDueMs : 0,
            suspensionWarning: c.active && d.warnSuspension,
            dormantNoticeAtMs: sameSpell ? Number(prev.dormantNoticeAtMs) : 0,
            suspensionWarningAtMs: sameSpell ? Number(prev.suspensionWarningAtMs) : 0,
          } satisfies pb.IContactPointActivity;
        }),
    );
  }

  /** Runs a dormancy check now (notices only if this replica holds the lease) and returns the activity. */
  async check(): Promise<pb.IContactPointActivity[]> {
    const list = await this.activity();
    if (await this.d.lease.acquire()) {
      const t = this.d.now();
      for (const a of list) {
        if (a.dormant && !Number(a.dormantNoticeAtMs)) {
          await this.#notify(a, pb.NoticeKind.NOTICE_KIND_DORMANT, { lastConnectionMs: String(a.lastConnectionMs), daysWithoutConnection: days(t - Number(a.lastConnectionMs || a.registeredAtMs)) });
          a.dormantNoticeAtMs = t;
          this.d.log.warn({ cp: a.contactPoint, lastConnectionMs: a.lastConnectionMs }, "contact point dormant; notice sent");
        }
        if (a.suspensionWarning && !Number(a.suspensionWarningAtMs)) {
          await this.#notify(a, pb.NoticeKind.NOTICE_KIND_SUSPENSION_WARNING, { suspensionDueMs: String(a.suspensionDueMs), daysLeft: days(Number(a.suspensionDueMs) - t) });
          a.suspensionWarningAtMs = t;
          this.d.log.warn({ cp: a.contactPoint, suspensionDueMs: a.suspensionDueMs }, "contact point heading for suspension; reminder sent");
        }
        await this.d.store.putActivity(a);
      }
    }
    this.#lastDormant = new Map(list.map((a) => [a.contactPoint ?? "", Boolean(a.dormant)]));
    return list;
  }

  /** Checks every `intervalMs`, and once now. */
  checkEvery(intervalMs: number): void {
    const run = (what: string) => void this.check().catch((err: unknown) => this.d.log.warn({ err }, what));
    this.#timer = setInterval(() => run("dormancy check failed"), intervalMs);
    run("first dormancy check failed");
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
  }

  /** Last connection and activity of each member, from its monthly counters. */
  async #lastSeen(): Promise<Map<string, { conn: number; act: number }>> {
    const out = new Map<string, { conn: number; act: number }>();
    for (const c of await this.d.store.months()) {
      const cur = out.get(c.contactPoint) ?? { conn: 0, act: 0 };
      out.set(c.contactPoint, { conn: Math.max(cur.conn, Number(c.lastConnectionMs)), act: Math.max(cur.act, Number(c.lastActivityMs)) });
    }
    return out;
  }

  async #notify(a: pb.IContactPointActivity, kind: pb.NoticeKind, details: Record<string, string>): Promise<void> {
    const n = await this.d.notices.send({ kind, addressee: a.contactPoint ?? "", objectType: "contact-point", objectId: a.contactPoint ?? "", dueAtMs: Number(a.suspensionDueMs), details });
    await this.d.audit.emit({
      action: pb.AuditAction.AUDIT_ACTION_NOTICE,
      authority: HUB,
      userId: "usage",
      objectType: "contact-point",
      objectId: a.contactPoint ?? "",
      details: { notice: pb.NoticeKind[kind] ?? "", noticeId: n.id ?? "", ...details },
    });
  }
}
