// One retention sweep: every item of the due index whose time has come is handled — a review
// reminder to the supplier, or erasure (by the records or files service, which writes the erasure
// certificate) unless a legal hold is in force. Only the hours up to now that hold items are read,
// so the cost follows what is due. A sweep runs only while this replica holds the sweep lease.
import type { NatsConnection } from "@nats-io/nats-core";
import { AuditAction, type AuditEmitter } from "../../src/audit/mod.js";
import { markedRevision, storedRevision } from "../../src/blindstore/mod.js";
import { DAY_MS, holdInForce, HUB, nextRecordEvent } from "../../src/domain/mod.js";
import { isLiaisonError } from "../../src/errors.js";
import { FILES_STORE, RECORDS_STORE, type DataStore } from "../../src/hub-data/mod.js";
import type { Logger } from "../../src/log/mod.js";
import { LEASE_RENEW_MS, requestService, subjects, type JsPublisher, type Lease } from "../../src/nats/mod.js";
import { erasureNotices, type NoticePublisher } from "../../src/notices/mod.js";
import { pb } from "../../src/proto/mod.js";
import { hourBucket, type DueIndex, type DueItem } from "../../src/retention/mod.js";

export interface SweeperDeps {
  readonly nc: NatsConnection;
  readonly due: DueIndex;
  /** Direct gets of the records and files stores (metadata only; the content stays encrypted). */
  readonly fast: JsPublisher;
  readonly lease: Lease;
  readonly notices: NoticePublisher;
  readonly audit: AuditEmitter;
  readonly log: Logger;
  readonly now: () => number;
  readonly reminderDays: readonly number[];
  readonly concurrency: number;
  /** Filings of an hour read and handled at a time (default SWEEP_PAGE). */
  readonly pageSize?: number;
}

/** How many filings of an hour a sweep reads and handles at a time. */
const SWEEP_PAGE = 10_000;
/** Swept filings removed from the index at once. */
const REMOVE_IN_FLIGHT = 256;


type Outcome = "reminder" | "erased" | "held" | "stale";

/** An erased object's stored revision, to be overwritten on disk in the sweep's second step. */
interface PendingOverwrite {
  readonly service: "records" | "files";
  readonly id: string;
  readonly revision: number;
  readonly done: () => void;
}

interface Counts {
  examined: number;
  reminders: number;
  erased: number;
  held: number;
  stale: number;
  overwritten: number;
}

/** What one sweep erased for one supplier under one rule: told to the supplier in one notice. */
interface ErasedGroup {
  readonly supplier: string;
  readonly objectType: string;
  readonly rule: string;
  readonly certified: pb.ICertifiedErasure[];
}

export class Sweeper {
  #lastSweepAtMs = 0;
  #erased = new Map<string, ErasedGroup>();
  /** Erasures of the running sweep whose stored revision is left to overwrite, by object id. */
  #overwrite = new Map<string, { service: "records" | "files"; revision: number }>();

  constructor(private readonly d: SweeperDeps) {}

  get lastSweepAtMs(): number {
    return this.#lastSweepAtMs;
  }

  /** Sweeps the due index; returns what it did. Does nothing without the lease. */
  async sweep(): Promise<pb.ISweepResult> {
    const started = this.d.now();
    const result: Counts = { examined: 0, reminders: 0, erased: 0, held: 0, stale: 0, overwritten: 0 };
    if (!(await this.d.lease.acquire())) return { ran: false };
    const run = { lost: false, leaseAt: this.d.now(), erasingMs: 0 };
    const now = this.d.now();
    // Only the hours that hold items, up to now: one call lists them, however many are stored.
    const hours = [...(await this.d.due.hours())].filter(([h]) => h <= hourBucket(now)).sort(([a], [b]) => a - b);
    for (const [bucket, n] of hours) {
      // An hour page by page (a bulk load files a million items under one hour), each page
      // erased, then overwritten, then taken out of the index. `hour.clean` stays true while
      // everything filed in the hour so far is handled: then a page leaves with one purge.
      const hour = { bucket, clean: true };
      for await (const page of this.d.due.pages(bucket, n, this.d.pageSize ?? SWEEP_PAGE)) {
        if (run.lost) break;
        await this.#sweepPage(page, now, result, run, hour);
      }
    }
    if (!run.lost) await this.#sweepOperations(result, run);
    await this.#notifyErased();
    this.#lastSweepAtMs = now;
    return { ...result, ran: true, tookMs: this.d.now() - started, erasuresTookMs: run.erasingMs };
  }

  /**
   * One page of an hour: every item due is handled; then each erased object's stored revision is
   * overwritten on disk (a disk flush each, which the erasures did not wait for); then the page's
   * handled filings leave the index.
   */
  async #sweepPage(
    filed: ReadonlyArray<DueItem & { seq: number }>,
    now: number,
    result: Counts,
    run: { lost: boolean; leaseAt: number; erasingMs: number },
    hour: { bucket: number; clean: boolean },
  ): Promise<void> {
    const items = filed.filter((i) => i.dueAtMs <= now);
    result.examined += items.length;
    const handled = new Set<number>();
    /** Filings already taken out one by one (reminders sent, moved under a hold). */
    const gone = new Set<number>();
    const overwrites: PendingOverwrite[] = [];
    const t0 = this.d.now();
    await this.#pool(items, run, async (item) => {
      const o = await this.#handle(item, now);
      if (!o) return;
      if (o === "reminder" || o === "held") gone.add(item.seq);
      result[o === "reminder" ? "reminders" : o]++;
      const pending = o === "erased" ? this.#overwrite.get(item.id) : undefined;
      this.#overwrite.delete(item.id);
      // An erasure whose stored revision is still to be overwritten keeps its filing until that is
      // done: should the sweep stop first, the next one finds the object gone and finishes it.
      if (pending) overwrites.push({ ...pending, id: item.id, done: () => handled.add(item.seq) });
      else if (o === "erased" || o === "stale") handled.add(item.seq); // reminders and holds: taken out already
    });
    run.erasingMs += this.d.now() - t0;
    await this.#pool(overwrites, run, async (w) => {
      try {
        await requestService(this.d.nc, subjects.api(w.service, "erase-due"), pb.ErasureOrder.encode({ objectId: w.id, overwriteRevision: w.revision }).finish(), 30_000);
        result.overwritten++;
        w.done();
      } catch (err) {
        this.d.log.error({ err, id: w.id }, "an erased object's stored revision could not be overwritten; the next sweep does it");
      }
    });
    await this.#removeHandled(filed, handled, gone, hour);
  }

  /**
   * Runs `fn` over the items with a pool of workers, each taking the next item as soon as it is
   * done with one (a slow item holds up one worker, not a whole batch). Renews the lease through a
   * long sweep and stops at once if another replica took it.
   */
  async #pool<T>(items: readonly T[], run: { lost: boolean; leaseAt: number }, fn: (item: T) => Promise<void>): Promise<void> {
    let next = 0;
    const worker = async (): Promise<void> => {
      while (!run.lost && next < items.length) {
        const item = items[next++] as T;
        if (this.d.now() - run.leaseAt > LEASE_RENEW_MS) {
          run.leaseAt = this.d.now();
          if (!(await this.d.lease.acquire())) run.lost = true;
          if (run.lost) return;
        }
        await fn(item);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.d.concurrency, items.length) }, worker));
  }

  /**
   * What a filing still stands for, as a stage to report: the object exists and is still due as
   * filed (its stage), or it is erased but its stored revision is not yet overwritten ("overwrite").
   * Undefined when it stands for nothing: a replaced filing left in a large hour (see
   * src/retention/due-index.ts), or one whose object is gone entirely.
   */
  async live(item: DueItem, now: number): Promise<string | undefined> {
    if (item.kind === "record") {
      const r = await this.#stored(RECORDS_STORE, item.id);
      if (r) return String(r.reviewDueMs) === item.meta.reviewDueMs ? item.meta.stage || "review" : undefined;
      return (await this.#overwriteLeft(RECORDS_STORE, item.id)) ? "overwrite" : undefined;
    }
    if (item.kind === "file") {
      const f = await this.#stored(FILES_STORE, item.id);
      if (f) return Number(f.retentionUntilMs) <= now ? item.meta.stage || "erasure" : undefined;
      return (await this.#overwriteLeft(FILES_STORE, item.id)) ? "overwrite" : undefined;
    }
    return undefined;
  }

  /** Whether an erased object's delete marker names a stored revision that is still there. */
  async #overwriteLeft<T>(store: DataStore<T>, id: string): Promise<boolean> {
    const revision = await markedRevision(this.d.fast, store.bucket, store.key(id));
    return revision !== undefined && (await storedRevision(this.d.fast, store.bucket, store.key(id), revision)) !== undefined;
  }

  /** The object as its service stored it, read through the store's descriptor. */
  async #stored<T>(store: DataStore<T>, id: string): Promise<T | undefined> {
    const e = await this.d.fast.kvGet(store.bucket, store.key(id));
    return e ? store.decode(e.data) : undefined;
  }

  async #handle(item: DueItem & { seq: number }, now: number): Promise<Outcome | undefined> {
    try {
      const outcome = item.kind === "record" ? await this.#record(item, now) : item.kind === "file" ? await this.#file(item, now) : "stale";
      // A reminder sent or a filing moved under a hold is taken out of the index at once, so that a
      // sweep cut short does not send it again; erased and stale ones are removed with their hour.
      if (outcome === "reminder" || outcome === "held") await this.d.due.done(item.seq);
      return outcome;
    } catch (err) {
      // Left in the index: the next sweep tries again, and the compliance report shows it overdue meanwhile.
      this.d.log.error({ err, kind: item.kind, id: item.id }, "retention could not handle a due item");
      return undefined;
    }
  }

  /**
   * Takes a page's handled filings out of the index. While everything filed in the hour up to the
   * page's last filing is handled (or already gone), that is one filtered purge of the hour's
   * subject through that filing; a filing added meanwhile comes later and stays. Otherwise, from
   * the first filing left in place (not due yet, failed, stopped by a lost lease) to the hour's
   * end, one delete each (a few hundred in flight). Should a removal fail, the filings stay and the
   * next sweep drops them as stale.
   */
  async #removeHandled(filed: ReadonlyArray<DueItem & { seq: number }>, handled: ReadonlySet<number>, gone: ReadonlySet<number>, hour: { bucket: number; clean: boolean }): Promise<void> {
    if (hour.clean && filed.length > 0 && filed.every((i) => handled.has(i.seq) || gone.has(i.seq))) {
      const last = (filed[filed.length - 1] as { seq: number }).seq;
      try {
        await this.d.due.purgeThrough(hour.bucket, last);
        return;
      } catch (err) {
        this.d.log.warn({ err, hour: hour.bucket }, "could not purge a swept page from the due index; removing its filings one by one");
      }
    }
    hour.clean = false;
    const seqs = filed.filter((i) => handled.has(i.seq)).map((i) => i.seq);
    for (let i = 0; i < seqs.length; i += REMOVE_IN_FLIGHT) await Promise.all(seqs.slice(i, i + REMOVE_IN_FLIGHT).map((seq) => this.d.due.done(seq)));
  }

  async #record(item: DueItem, now: number): Promise<Outcome> {
    // Erasure, the usual case: ordered straight away. The records service checks the record as it
    // is at that moment (renewed meanwhile: stale; under a hold: read below and filed again).
    if (item.meta.stage !== "reminder" && item.meta.reviewDueMs) {
      const o = await this.#erase(RECORDS_STORE.service, item.id, "cis-review", Number(item.meta.reviewDueMs));
      if (o !== "held") return o;
    }
    const r = await this.#stored(RECORDS_STORE, item.id);
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
    return this.#settled(await this.#erase(RECORDS_STORE.service, r.id, "cis-review", reviewDue));
  }

  async #file(item: DueItem, now: number): Promise<Outcome> {
    // As for records: the files service applies the entry's own rule, and refuses what is held or
    // was kept longer since it was filed (its limit now after the filing's time).
    const o = await this.#erase(FILES_STORE.service, item.id, "", item.dueAtMs);
    if (o !== "held") return o;
    const f = await this.#stored(FILES_STORE, item.id);
    if (!f) return "stale";
    const until = Number(f.retentionUntilMs);
    if (until > now) return "stale"; // moved by a status change: its new entry stands
    if (holdInForce(f.hold, now)) {
      await this.#reschedule("file", f.id, { atMs: f.hold?.untilMs ? Number(f.hold.untilMs) : now + DAY_MS, stage: "review" }, { supplier: f.supplier }, now);
      return "held";
    }
    return this.#settled(await this.#erase(FILES_STORE.service, f.id, f.retentionRule || "fide-ongoing", until));
  }

  async #reschedule(kind: string, id: string, next: { atMs: number; stage: string }, meta: Record<string, string>, now: number): Promise<void> {
    await this.d.due.schedule({ kind, id, dueAtMs: next.atMs, meta: { ...meta, stage: next.stage } }, now);
  }

  /**
   * Orders the erasure (an empty rule and no date: the service applies the object's own). "stale"
   * when the object is gone or no longer due, "held" when a legal hold stopped it.
   */
  async #erase(service: "records" | "files", id: string, rule: string, dueAtMs: number): Promise<Outcome> {
    let certified: pb.CertifiedErasure;
    try {
      certified = pb.CertifiedErasure.decode(await requestService(this.d.nc, subjects.api(service, "erase-due"), pb.ErasureOrder.encode({ objectId: id, rule, dueAtMs }).finish(), 30_000));
    } catch (err) {
      // Erased by someone else or renewed since it was filed: its new filing, if any, stands.
      if (isLiaisonError(err) && (err.code === "LIAISON_NOT_FOUND" || err.code === "LIAISON_CONFLICT")) return "stale";
      if (isLiaisonError(err) && err.code === "LIAISON_ON_HOLD") return "held";
      throw err;
    }
    const cert = pb.ErasureCertificate.create(certified.certificate ?? { objectId: id });
    if (Number(cert.overwritePendingRevision) > 0) this.#overwrite.set(id, { service, revision: Number(cert.overwritePendingRevision) });
    const key = `${cert.supplier}|${cert.objectType}|${cert.rule}`;
    const group = this.#erased.get(key) ?? { supplier: cert.supplier, objectType: cert.objectType, rule: cert.rule, certified: [] as pb.ICertifiedErasure[] };
    group.certified.push(certified);
    this.#erased.set(key, group);
    return "erased";
  }

  /**
   * Joint customs operations (issue #18 item 5): the operations service lists what of them is due
   * now (rules "operation-items", "operation-entry"), from its bucket as it is, so what is not
   * erased this time is listed again next time; each is ordered erased, and the operations
   * service checks once more, certifies and tells every member of the operation.
   */
  async #sweepOperations(result: Counts, run: { lost: boolean; leaseAt: number }): Promise<void> {
    let due: pb.OperationsDue;
    try {
      due = pb.OperationsDue.decode(await requestService(this.d.nc, subjects.api("operations", "due"), new Uint8Array(), 30_000));
    } catch (err) {
      this.d.log.warn({ err }, "operations not swept: the operations service did not list what is due; the next sweep asks again");
      return;
    }
    result.examined += due.orders.length;
    await this.#pool(due.orders, run, async (order) => {
      try {
        await requestService(this.d.nc, subjects.api("operations", "erase-due"), pb.ErasureOrder.encode(order).finish(), 30_000);
        result.erased++;
      } catch (err) {
        // Erased by another sweep, or its dates moved since it was listed.
        if (isLiaisonError(err) && (err.code === "LIAISON_NOT_FOUND" || err.code === "LIAISON_CONFLICT")) return void result.stale++;
        this.d.log.error({ err, rule: order.rule, id: order.objectId }, "retention could not erase an operation's data; the next sweep tries again");
      }
    });
  }

  /** A hold set between the read and the order: the filing stays, and the next sweep files it under the hold. */
  #settled(o: Outcome): Outcome {
    if (o === "held") throw new Error("a legal hold was set while the sweep handled the item");
    return o;
  }

  /** What this sweep erased, to each supplier with its certificates: a notice per rule and CERTIFICATES_PER_NOTICE erasures (not one per item). */
  async #notifyErased(): Promise<void> {
    const groups = [...this.#erased.values()];
    this.#erased = new Map();
    await Promise.all(groups.flatMap((g) => erasureNotices(g.supplier, g.objectType, g.rule, g.certified).map((n) => this.d.notices.send(n))));
  }
}
