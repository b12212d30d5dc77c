// Metrics over NATS: every hub service answers a scrape on one subject with its metrics as JSON;
// the console gathers all the answers into one Prometheus exposition at /metrics, so operations
// scrape one target and still see each replica (labels service, instance).
import { errors as natsErrors, type NatsConnection, type Subscription } from "@nats-io/nats-core";
import { AggregatorRegistry, type MetricObjectWithValues, type MetricValue } from "prom-client";
import type { ServiceMetrics } from "../metrics/mod.js";
import { subjects } from "./subjects.js";

export const METRICS_SCRAPE_SUBJECT = subjects.live("metrics-scrape");

/** Answers scrapes for this service until the subscription is closed. */
export function serveMetrics(nc: NatsConnection, m: ServiceMetrics): Subscription {
  return nc.subscribe(METRICS_SCRAPE_SUBJECT, {
    callback: (err, msg) => {
      if (err) return;
      // A failing gauge is left out by the gauge itself; anything else (a closed connection) loses
      // this answer only.
      m.registry
        .getMetricsAsJSON()
        .then((json) => msg.respond(new TextEncoder().encode(JSON.stringify(json))))
        .catch(() => undefined);
    },
  });
}

/** Gathers every service's metrics (waiting `waitMs` for answers) as one Prometheus text exposition. */
export async function scrapeAll(nc: NatsConnection, waitMs = 500): Promise<{ text: string; contentType: string; services: number }> {
  const answers: Array<Array<MetricObjectWithValues<MetricValue<string>>>> = [];
  try {
    const iter = await nc.requestMany(METRICS_SCRAPE_SUBJECT, new Uint8Array(), { strategy: "timer", maxWait: waitMs });
    for await (const m of iter) {
      try {
        answers.push(JSON.parse(new TextDecoder().decode(m.data)) as Array<MetricObjectWithValues<MetricValue<string>>>);
      } catch {
        // an unreadable answer is left out; the others still count
      }
    }
  } catch (err) {
    // No service answering is a state to show (an empty exposition), not an error.
    if (!(err instanceof natsErrors.NoRespondersError)) throw err;
  }
  const registry = AggregatorRegistry.aggregate(answers);
  return { text: await registry.metrics(), contentType: registry.contentType, services: answers.length };
}
