// Usage reports: the stored monthly counters (for one member or all, between two months) and each
// member's activity, dated by the service's clock. Any replica answers them from the store.
import { isContactPointCode, REPLY_TIME_BOUNDS_S } from "../../src/domain/mod.js";
import { LiaisonError } from "../../src/errors.js";
import type { pb } from "../../src/proto/mod.js";
import type { Dormancy } from "./dormancy.js";
import type { UsageStore } from "./store.js";

const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;

/** A query from outside, refused with LIAISON_BAD_REQUEST unless its member code and months are well formed. */
export function checkQuery(q: pb.UsageQuery): pb.IUsageQuery {
  if (q.contactPoint && !isContactPointCode(q.contactPoint)) throw new LiaisonError("LIAISON_BAD_REQUEST", `not a contact point code: ${JSON.stringify(q.contactPoint)}`);
  for (const m of [q.fromMonth, q.toMonth]) if (m && !MONTH.test(m)) throw new LiaisonError("LIAISON_BAD_REQUEST", `not a month (YYYY-MM): ${JSON.stringify(m)}`);
  return q;
}

export class Reports {
  constructor(
    private readonly store: UsageStore,
    private readonly dormancy: Dormancy,
    private readonly now: () => number,
  ) {}

  async report(q: pb.IUsageQuery = {}): Promise<pb.IUsageReport> {
    const out: pb.IUsageCounters[] = (await this.store.months(q.contactPoint || undefined))
      .filter((c) => !(q.fromMonth && c.month < q.fromMonth) && !(q.toMonth && c.month > q.toMonth))
      .map((c) => ({ ...c, auditSeq: 0 }));
    out.sort((a, b) => `${a.contactPoint}.${a.month}`.localeCompare(`${b.contactPoint}.${b.month}`));
    const acts = (await this.dormancy.activity()).filter((a) => !q.contactPoint || a.contactPoint === q.contactPoint);
    return { generatedAtMs: this.now(), counters: out, activity: acts, replyTimeBoundsS: [...REPLY_TIME_BOUNDS_S] };
  }

  /** Activity only, after a dormancy check run now. */
  async checkDormancy(): Promise<pb.IUsageReport> {
    return { generatedAtMs: this.now(), activity: await this.dormancy.check(), replyTimeBoundsS: [...REPLY_TIME_BOUNDS_S] };
  }
}
