// The usage service's micro service: the report, check-dormancy and operations endpoints (src/usage/client.ts
// is their caller), its metrics, and its $SRV stats.
import type { NatsConnection } from "@nats-io/nats-core";
import { decodeAs } from "../../src/crypto/mod.js";
import type { Logger } from "../../src/log/mod.js";
import type { ServiceMetrics } from "../../src/metrics/mod.js";
import { startMicroService } from "../../src/nats/mod.js";
import { pb } from "../../src/proto/mod.js";
import { usageApi, USAGE_SERVICE } from "../../src/usage/mod.js";
import type { OperationUsage } from "./operations.js";
import { checkQuery, type Reports } from "./reports.js";

export function startUsageEndpoints(nc: NatsConnection, d: { reports: Reports; operations: OperationUsage; metrics: ServiceMetrics; log: Logger; stats: () => Promise<unknown> }) {
  return startMicroService(nc, {
    name: USAGE_SERVICE,
    description: "Usage levels per contact point and month, dormancy, live throughput, operations metrics",
    log: d.log,
    metrics: d.metrics,
    endpoints: [
      {
        name: "report",
        subject: usageApi.report,
        handler: async (msg) => pb.UsageReport.encode(await d.reports.report(checkQuery(decodeAs((b) => pb.UsageQuery.decode(b), msg.data, "UsageQuery")))).finish(),
      },
      {
        name: "check-dormancy",
        subject: usageApi.checkDormancy,
        handler: async () => pb.UsageReport.encode(await d.reports.checkDormancy()).finish(),
      },
      {
        name: "operations",
        subject: usageApi.operations,
        handler: async (msg) => pb.OperationUsageReport.encode(await d.operations.report(decodeAs((b) => pb.OperationUsageQuery.decode(b), msg.data, "OperationUsageQuery"))).finish(),
      },
    ],
    stats: d.stats,
  });
}
