// The usage service's API, for the console and the CLI: monthly counters per contact point and
// each member's activity (dormancy), joint customs operations per year, plus the live throughput
// samples it publishes.
import type { NatsConnection, Subscription } from "@nats-io/nats-core";
import { decodeAs } from "../crypto/mod.js";
import { requestService, subjects } from "../nats/mod.js";
import { pb } from "../proto/mod.js";

export const USAGE_SERVICE = "usage";
export const usageApi = Object.freeze({
  /** UsageQuery → UsageReport. */
  report: subjects.api(USAGE_SERVICE, "report"),
  /** Empty → UsageReport with activity only, after a dormancy check run now. */
  checkDormancy: subjects.api(USAGE_SERVICE, "check-dormancy"),
  /** OperationUsageQuery → OperationUsageReport: joint customs operations per year. */
  operations: subjects.api(USAGE_SERVICE, "operations"),
});
/** ThroughputSample, every few seconds. */
export const THROUGHPUT_SUBJECT = subjects.live("throughput");

export interface UsageQueryInput {
  fromMonth?: string;
  toMonth?: string;
  contactPoint?: string;
}

export class UsageClient {
  constructor(
    private readonly nc: NatsConnection,
    private readonly timeoutMs = 10_000,
  ) {}

  async report(q: UsageQueryInput = {}): Promise<pb.UsageReport> {
    const bytes = await requestService(this.nc, usageApi.report, pb.UsageQuery.encode(q).finish(), this.timeoutMs);
    return decodeAs((b) => pb.UsageReport.decode(b), bytes, "UsageReport");
  }

  async checkDormancy(): Promise<pb.UsageReport> {
    const bytes = await requestService(this.nc, usageApi.checkDormancy, new Uint8Array(), this.timeoutMs);
    return decodeAs((b) => pb.UsageReport.decode(b), bytes, "UsageReport");
  }

  /** Joint customs operations per year: by kind, parties per operation, who leads and who takes part. */
  async operations(q: { fromYear?: number; toYear?: number } = {}): Promise<pb.OperationUsageReport> {
    const bytes = await requestService(this.nc, usageApi.operations, pb.OperationUsageQuery.encode(q).finish(), this.timeoutMs);
    return decodeAs((b) => pb.OperationUsageReport.decode(b), bytes, "OperationUsageReport");
  }

  /** Calls `onSample` with every throughput sample until the subscription is closed. */
  throughput(onSample: (s: pb.ThroughputSample) => void): Subscription {
    return this.nc.subscribe(THROUGHPUT_SUBJECT, {
      callback: (err, msg) => {
        if (err) return;
        try {
          onSample(pb.ThroughputSample.decode(msg.data));
        } catch {
          // a malformed sample is dropped; the next one comes in seconds
        }
      },
    });
  }
}
