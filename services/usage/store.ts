// The usage service's KV bucket "usage": counters per contact point and month (key
// m.<CP>.<YYYY-MM>) and activity per contact point (key a.<CP>: last connection, dormancy,
// notices sent). Only the usage service reads or writes it.
import type { JetStreamManager } from "@nats-io/jetstream";
import type { KV, Kvm } from "@nats-io/kv";
import { pb } from "../../src/proto/mod.js";

const BUCKET = "usage";
export const monthKey = (cp: string, month: string) => `m.${cp}.${month}`;
const activityKey = (cp: string) => `a.${cp}`;

export class UsageStore {
  constructor(
    private readonly kv: KV,
    private readonly jsm: JetStreamManager,
  ) {}

  static async open(kvm: Kvm, jsm: JetStreamManager): Promise<UsageStore> {
    return new UsageStore(await kvm.open(BUCKET), jsm);
  }

  /**
   * The keys under a filter, from the stream's per-subject counts: one request, a consistent
   * answer. (kv.keys() walks an ordered consumer over the bucket, which returns duplicates and
   * takes seconds while the counter is writing.)
   */
  async #keysOf(filter: string): Promise<string[]> {
    const prefix = `$KV.${BUCKET}.`;
    const info = await this.jsm.streams.info(`KV_${BUCKET}`, { subjects_filter: `${prefix}${filter}` });
    return Object.keys(info.state.subjects ?? {})
      .map((s) => s.slice(prefix.length))
      .sort();
  }

  /** One contact point's counters for one month, as stored (undefined: nothing counted yet). */
  async month(cp: string, month: string): Promise<pb.UsageCounters | undefined> {
    const e = await this.kv.get(monthKey(cp, month));
    return e && e.operation === "PUT" ? pb.UsageCounters.decode(e.value) : undefined;
  }

  async putMonth(c: pb.IUsageCounters): Promise<void> {
    await this.kv.put(monthKey(c.contactPoint ?? "", c.month ?? ""), pb.UsageCounters.encode(c).finish());
  }

  /** The stored monthly counters of one contact point, or of all. */
  async months(cp?: string): Promise<pb.UsageCounters[]> {
    const out: pb.UsageCounters[] = [];
    for (const key of await this.#keysOf(cp ? `m.${cp}.*` : "m.>")) {
      const e = await this.kv.get(key);
      if (e && e.operation === "PUT") out.push(pb.UsageCounters.decode(e.value));
    }
    return out;
  }

  async activity(cp: string): Promise<pb.IContactPointActivity | undefined> {
    const e = await this.kv.get(activityKey(cp));
    return e && e.operation === "PUT" ? pb.ContactPointActivity.decode(e.value) : undefined;
  }

  async putActivity(a: pb.IContactPointActivity): Promise<void> {
    await this.kv.put(activityKey(a.contactPoint ?? ""), pb.ContactPointActivity.encode(a).finish());
  }
}
