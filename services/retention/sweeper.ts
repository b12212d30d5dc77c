// One retention sweep: every item of the due index whose time has come is handled — a review
// reminder to the supplier, or erasure (by the records or files service, which writes the erasure
// certificate) unless a legal hold is in force. Only the hours up to now that hold items are read,
// so the cost follows what is due. A sweep runs only while this replica holds the sweep lease.
import type { NatsConnection } from "@nats-io/nats-core";
import { AuditAction, type AuditEmitter } from "../../src/audit/mod.js";
import { DAY_MS, holdInForce, HUB, nextRecordEvent } from "../../src/domain/mod.js";
import { isLiaisonError } from "../../src/errors.js";
import type { Logger } from "../../src/log/mod.js";
import { requestService, subjects, type JsPublisher, type Lease } from "../../src/nats/mod.js";
import type { NoticePublisher } from "../../src/notices/mod.js";
import { pb } from "../../src/proto/mod.js";
import { hourBucket, type DueIndex, type DueItem } from "../../src/retention/mod.js";

export interface SweeperDeps {
  readonly nc: NatsConnection;
  readonly due: DueIndex;
  /** Direct gets of the records and files buckets (metadata only; the content stays encrypted). */
  readonly fast: JsPublisher;
  readonly lease: Lease;
  readonly notices: NoticePublisher;
  readonly audit: AuditEmitter;
  readonly log: Logger;
  readonly now: () => number;
  readonly reminderDays: readonly number[];
  readonly concurrency: number;
}

/** How often a long sweep renews its lease (the lease lasts at least 30 s). */
const LEASE_RENEW_MS = 5_000;

type Outcome = "reminder" | "erased" | "held" | "stale";

/** What one sweep erased for one supplier under one rule: told to the supplier in one notice. */
interface ErasedGroup {
  readonly supplier: string;
  readonly objectType: string;
  readonly rule: string;
  readonly ids: string[];
}

export class Sweeper {
  #lastSweepAtMs = 0;
  #erased = new Map<string, ErasedGroup>();

  constructor(private readonly d: SweeperDeps) {}

  get lastSweepAtMs(): number {
    return this.#lastSweepAtMs;
  }

  /** Sweeps the due index; returns what it did. Does nothing without the lease. */
  async sweep(): Promise<pb.ISweepResult> {
    const started = this.d.now();
    const result = { examined: 0, reminders: 0, erased: 0, held: 0, stale: 0 };
    if (!(await this.d.lease.acquire())) return { ran: false };
    const now = this.d.now();
    const current = hourBucket(now);
    // Only the hours that hold items, up to now: one call lists them, however many are stored.
    const hours = [...(await this.d.due.hours())].filter(([h]) => h <= current).sort(([a], [b]) => a - b);
    let lost = false;
    let leaseAt = this.d.now();
    for (const [b, n] of hours) {
      if (lost) break;
      const items = (await this.d.due.bucket(b, n)).filter((i) => i.dueAtMs <= now);
      result.examined += items.length;
      // A pool of workers, each taking the next item as soon as it is done with one: a slow item
      // holds up one worker, not a whole batch.
      let next = 0;
      const worker = async (): Promise<void> => {
        while (!lost && next < items.length) {
          const item = items[next++] as DueItem & { seq: number };
          if (this.d.now() - leaseAt > LEASE_RENEW_MS) {
            leaseAt = this.d.now();
            // Keep the lease alive through a long sweep; stop at once if another replica took it.
            if (!(await this.d.lease.acquire())) lost = true;
            if (lost) return;
          }
          const o = await this.#handle(item, now);
          if (o) result[o === "reminder" ? "reminders" : o]++;
        }
      };
      await Promise.all(Array.from({ length: Math.min(this.d.concurrency, items.length) }, worker));
    }
    await this.#notifyErased();
    this.#lastSweepAtMs = now;
    return { ...result, ran: true, tookMs: this.d.now() - started };
  }

  /**
   * Whether a filing still stands: the object exists and is still due as filed. A replaced filing
   * left in a large hour (see src/retention/due-index.ts) does not.
   */
  async live(item: DueItem, now: number): Promise<boolean> {
    if (item.kind === "record") {
      const r = await this.#storedRecord(item.id);
      return !!r && String(r.reviewDueMs) === item.meta.reviewDueMs;
    }
    if (item.kind === "file") {
      const f = await this.#storedFile(item.id);
      return !!f && Number(f.retentionUntilMs) <= now;
    }
    return false;
  }

  async #storedRecord(id: string): Promise<pb.StoredRecord | undefined> {
    const e = await this.d.fast.kvGet("records", `rec.${id}`);
    return e ? pb.StoredRecord.decode(e.data) : undefined;
  }

  async #storedFile(id: string): Promise<pb.StoredFileEntry | undefined> {
    const e = await this.d.fast.kvGet("files", `file.${id}`);
    return e ? pb.StoredFileEntry.decode(e.data) : undefined;
  }

  async #handle(item: DueItem & { seq: number }, now: number): Promise<Outcome | undefined> {
    try {
      const outcome = item.kind === "record" ? await this.#record(item, now) : item.kind === "file" ? await this.#file(item, now) : "stale";
      await this.d.due.done(item.seq);
      return outcome;
    } catch (err) {
      // Left in the index: the next sweep tries again, and the compliance report shows it overdue meanwhile.
      this.d.log.error({ err, kind: item.kind, id: item.id }, "retention could not handle a due item");
      return undefined;
    }
  }

  async #record(item: DueItem, now: number): Promise<Outcome> {
    const r = await this.#storedRecord(item.id);
    if (!r) return "stale"; // erased meanwhile
    if (String(r.reviewDueMs) !== item.meta.reviewDueMs) return "stale"; // renewed: its new entry stands
    const reviewDue = Number(r.reviewDueMs);
    if (item.meta.stage === "reminder") {
      const daysLeft = Math.max(0, Math.round((reviewDue - now) / DAY_MS));
      await this.d.notices.send({
        kind: pb.NoticeKind.NOTICE_KIND_REVIEW_REMINDER,
        addressee: r.supplier,
        objectType: "record",
        objectId: r.id,
        dueAtMs: reviewDue,
        details: { daysLeft: String(daysLeft), renew: `POST /v1/records/${r.id}/renew` },
      });
      await this.d.audit.emit({
        action: AuditAction.AUDIT_ACTION_REVIEW_REMINDER,
        authority: HUB,
        userId: "retention",
        objectType: "record",
        objectId: r.id,
        details: { supplier: r.supplier, daysBefore: String(daysLeft), reviewDueMs: String(reviewDue) },
      });
      await this.#reschedule("record", r.id, nextRecordEvent(reviewDue, now, this.d.reminderDays), { supplier: r.supplier, reviewDueMs: String(reviewDue) }, now);
      return "reminder";
    }
    if (holdInForce(r.hold, now)) {
      await this.#reschedule("record", r.id, { atMs: r.hold?.untilMs ? Number(r.hold.untilMs) : now + DAY_MS, stage: "review" }, { supplier: r.supplier, reviewDueMs: String(reviewDue) }, now);
      return "held";
    }
    return (await this.#erase("records", r.id, "cis-review", reviewDue, r.supplier)) ? "erased" : "stale";
  }

  async #file(item: DueItem, now: number): Promise<Outcome> {
    const f = await this.#storedFile(item.id);
    if (!f) return "stale";
    const until = Number(f.retentionUntilMs);
    if (until > now) return "stale"; // moved by a status change: its new entry stands
    if (holdInForce(f.hold, now)) {
      await this.#reschedule("file", f.id, { atMs: f.hold?.untilMs ? Number(f.hold.untilMs) : now + DAY_MS, stage: "review" }, { supplier: f.supplier }, now);
      return "held";
    }
    return (await this.#erase("files", f.id, f.retentionRule || "fide-ongoing", until, f.supplier)) ? "erased" : "stale";
  }

  async #reschedule(kind: string, id: string, next: { atMs: number; stage: string }, meta: Record<string, string>, now: number): Promise<void> {
    await this.d.due.schedule({ kind, id, dueAtMs: next.atMs, meta: { ...meta, stage: next.stage } }, now);
  }

  /** Orders the erasure; false when the object turned out not to be erasable after all. */
  async #erase(service: "records" | "files", id: string, rule: string, dueAtMs: number, supplier: string): Promise<boolean> {
    try {
      await requestService(this.d.nc, subjects.api(service, "erase-due"), pb.ErasureOrder.encode({ objectId: id, rule, dueAtMs }).finish(), 30_000);
    } catch (err) {
      // Erased by someone else, renewed or put on hold since we looked: the next sweep sees it as it is now.
      if (isLiaisonError(err) && ["LIAISON_NOT_FOUND", "LIAISON_CONFLICT", "LIAISON_ON_HOLD"].includes(err.code)) return false;
      throw err;
    }
    const objectType = service === "records" ? "record" : "file";
    const key = `${supplier}|${objectType}|${rule}`;
    const group = this.#erased.get(key) ?? { supplier, objectType, rule, ids: [] };
    group.ids.push(id);
    this.#erased.set(key, group);
    return true;
  }

  /** One notice per supplier and rule for what this sweep erased (not one per item). */
  async #notifyErased(): Promise<void> {
    const groups = [...this.#erased.values()];
    this.#erased = new Map();
    await Promise.all(
      groups.map((g) =>
        this.d.notices.send({
          kind: pb.NoticeKind.NOTICE_KIND_ERASED,
          addressee: g.supplier,
          objectType: g.objectType,
          objectId: g.ids.length === 1 ? (g.ids[0] as string) : "",
          details: { rule: g.rule, count: String(g.ids.length), ids: g.ids.slice(0, 100).join(","), ...(g.ids.length > 100 ? { more: String(g.ids.length - 100) } : {}) },
        }),
      ),
    );
  }
}
