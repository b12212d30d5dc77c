// The compliance report a supervisor reads: items overdue for erasure (must be 0), erasures per day
// by rule and contact point, reviews due / renewed / lapsed per contact point and month, and holds
// in force. Counts come from the audit log itself (followed from a checkpoint), so they include
// erasures the suppliers asked for as well as those the sweeps did.
import { DeliverPolicy, jetstream, jetstreamManager, type ConsumerMessages } from "@nats-io/jetstream";
import type { KV } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/nats-core";
import { splitAuditBatch } from "../../src/audit/mod.js";
import type { Logger } from "../../src/log/mod.js";
import { STREAMS } from "../../src/nats/mod.js";
import { pb } from "../../src/proto/mod.js";
import { hourBucket, type DueIndex, type DueItem } from "../../src/retention/mod.js";

const STATS = "retention.stats";
/** Erasure certificate ids remembered, to count a certificate logged twice once. */
const RECENT_ERASURES = 100_000;
/** Filings of an hour read at a time when looking for overdue ones. */
const REPORT_PAGE = 10_000;
const A = pb.AuditAction;

interface Stats {
  seq: number;
  erasedTotal: number;
  erasures: Record<string, number>;
  reviews: Record<string, { due: number; renewed: number; lapsed: number }>;
  holds: Record<string, pb.IHoldView>;
}

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const month = (ms: number) => new Date(ms).toISOString().slice(0, 7);

export class Compliance {
  #stats: Stats = { seq: 0, erasedTotal: 0, erasures: {}, reviews: {}, holds: {} };
  #dirty = false;
  #follow: ConsumerMessages | undefined;
  #timer: NodeJS.Timeout | undefined;
  /** Who supplied each record, learned from its submission (reviews are counted per supplier). */
  readonly #supplier = new Map<string, string>();
  readonly #recentErasures = new Set<string>();

  constructor(private readonly d: { nc: NatsConnection; state: KV; due: DueIndex; log: Logger; now: () => number; live: (item: DueItem) => Promise<string | undefined> }) {}

  async start(): Promise<void> {
    const e = await this.d.state.get(STATS);
    if (e && e.operation === "PUT") this.#stats = JSON.parse(new TextDecoder().decode(e.value)) as Stats;
    const consumer = await jetstream(this.d.nc).consumers.get(STREAMS.AUDIT.name, {
      deliver_policy: this.#stats.seq > 0 ? DeliverPolicy.StartSequence : DeliverPolicy.All,
      ...(this.#stats.seq > 0 ? { opt_start_seq: this.#stats.seq + 1 } : {}),
    });
    this.#follow = await consumer.consume({
      max_messages: 2_000,
      callback: (m) => {
        try {
          for (const bytes of splitAuditBatch(m.data)) this.#count(pb.AuditEvent.decode(bytes));
        } catch (err) {
          this.d.log.warn({ err, seq: m.seq }, "unreadable AUDIT message skipped by the compliance counts");
        }
        this.#stats.seq = m.seq;
        this.#dirty = true;
      },
    });
    this.#timer = setInterval(() => void this.#save(), 2_000);
    this.#timer.unref();
  }

  #review(cp: string, at: number) {
    const k = `${cp}|${month(at)}`;
    return (this.#stats.reviews[k] ??= { due: 0, renewed: 0, lapsed: 0 });
  }

  #count(e: pb.AuditEvent): void {
    const at = Number(e.atMs);
    if (e.action === A.AUDIT_ACTION_SUBMIT && e.objectType === "record" && e.service === "records") this.#supplier.set(e.objectId, e.authority);
    if (e.action === A.AUDIT_ACTION_ERASE && e.erasure) {
      // An erasure finished after a stop logs its certificate again under the same event id (the
      // audit log keeps one); counted once.
      if (e.id && this.#recentErasures.has(e.id)) return;
      if (e.id) {
        this.#recentErasures.add(e.id);
        if (this.#recentErasures.size > RECENT_ERASURES) this.#recentErasures.delete(this.#recentErasures.values().next().value as string);
      }
      const c = e.erasure;
      const k = `${day(Number(c.erasedAtMs) || at)}|${c.rule ?? ""}|${c.supplier ?? ""}`;
      this.#stats.erasures[k] = (this.#stats.erasures[k] ?? 0) + 1;
      this.#stats.erasedTotal++;
      if (c.rule === "cis-review") this.#review(c.supplier ?? "?", at).lapsed++;
      delete this.#stats.holds[`${c.objectType}:${c.objectId}`];
    } else if (e.action === A.AUDIT_ACTION_RENEW && e.service === "records") {
      this.#review(e.authority, at).renewed++;
    } else if (e.action === A.AUDIT_ACTION_REVIEW_REMINDER && e.details.daysBefore !== undefined && Number(e.details.daysBefore) >= 28) {
      this.#review(e.details.supplier ?? this.#supplier.get(e.objectId) ?? "?", at).due++;
    } else if (e.action === A.AUDIT_ACTION_LEGAL_HOLD_SET && (e.service === "records" || e.service === "files")) {
      this.#stats.holds[`${e.objectType}:${e.objectId}`] = {
        objectType: e.objectType,
        objectId: e.objectId,
        setBy: `${e.authority}:${e.userId}`,
        reason: e.details.reason ?? "",
        setAtMs: at,
        untilMs: Number(e.details.untilMs ?? 0),
      };
    } else if (e.action === A.AUDIT_ACTION_LEGAL_HOLD_LIFTED) {
      delete this.#stats.holds[`${e.objectType}:${e.objectId}`];
    }
  }

  async #save(): Promise<boolean> {
    if (!this.#dirty) return true;
    this.#dirty = false;
    return this.d.state.put(STATS, new TextEncoder().encode(JSON.stringify(this.#stats))).then(
      () => true,
      (err: unknown) => {
        this.d.log.warn({ err }, "compliance counts not saved");
        return false;
      },
    );
  }

  /** Waits until the counts include everything in AUDIT now (for reports and tests). */
  async catchUp(timeoutMs = 10_000): Promise<void> {
    const last = (await (await jetstreamManager(this.d.nc, { checkAPI: false })).streams.info(STREAMS.AUDIT.name)).state.last_seq;
    const end = Date.now() + timeoutMs;
    while (this.#stats.seq < last && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  }

  /** Items due for erasure more than `graceMs` ago and still in the index. */
  async overdue(graceMs: number, firstBucket: number): Promise<pb.IDueView[]> {
    const now = this.d.now();
    const out: pb.IDueView[] = [];
    const hours = [...(await this.d.due.hours())].filter(([h]) => h >= firstBucket && h <= hourBucket(now)).sort(([a], [b]) => a - b);
    for (const [b, n] of hours) {
      // Page by page, as the sweep reads them: an hour may hold a whole bulk load.
      const filed: DueItem[] = [];
      for await (const page of this.d.due.pages(b, n, REPORT_PAGE)) filed.push(...page.filter((i) => i.meta.stage !== "reminder" && i.dueAtMs <= now - graceMs));
      for (const i of filed) {
        // A replaced filing left in a large hour is not overdue (its object was renewed or moved);
        // an erased object whose stored revision is not yet overwritten is ("overwrite").
        const stage = await this.d.live(i);
        if (stage) out.push({ kind: i.kind, objectId: i.id, supplier: i.meta.supplier ?? "", dueAtMs: i.dueAtMs, stage });
      }
    }
    return out;
  }

  async report(o: { graceMs: number; firstBucket: number; lastSweepAtMs: number; kek: { epoch: number; createdAtMs: number } }): Promise<pb.IComplianceReport> {
    await this.catchUp();
    const overdue = await this.overdue(o.graceMs, o.firstBucket);
    const s = this.#stats;
    return {
      generatedAtMs: this.d.now(),
      overdueCount: overdue.length,
      overdue: overdue.slice(0, 200),
      erasures: Object.entries(s.erasures)
        .map(([k, count]) => {
          const [d = "", rule = "", supplier = ""] = k.split("|");
          return { day: d, rule, supplier, count };
        })
        .sort((a, b) => b.day.localeCompare(a.day) || a.rule.localeCompare(b.rule) || a.supplier.localeCompare(b.supplier)),
      reviews: Object.entries(s.reviews)
        .map(([k, v]) => {
          const [cp = "", m = ""] = k.split("|");
          return { contactPoint: cp, month: m, ...v };
        })
        .sort((a, b) => b.month.localeCompare(a.month) || a.contactPoint.localeCompare(b.contactPoint)),
      holds: Object.values(s.holds),
      lastSweepAtMs: o.lastSweepAtMs,
      kekEpoch: o.kek.epoch,
      kekCreatedAtMs: o.kek.createdAtMs,
      erasedTotal: s.erasedTotal,
    };
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    await this.#follow?.close();
    this.#dirty = true;
    if (await this.#save()) this.d.log.info({ seq: this.#stats.seq }, "compliance counts saved");
  }
}
