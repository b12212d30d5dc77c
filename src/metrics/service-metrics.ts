// Prometheus metrics of a hub service (prom-client): request counts and latencies per endpoint,
// plus whatever gauges the service adds; process metrics come with them.
// Labels `service` and `instance` tell replicas apart once the console aggregates them.
import { hostname } from "node:os";
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";

export class ServiceMetrics {
  readonly registry = new Registry();
  readonly requests: Counter<"endpoint" | "code">;
  readonly latency: Histogram<"endpoint">;
  readonly collectErrors: Counter<"metric">;

  constructor(readonly service: string) {
    this.registry.setDefaultLabels({ service, instance: `${hostname()}:${process.pid}` });
    collectDefaultMetrics({ register: this.registry, prefix: "liaison_" });
    this.requests = new Counter({ name: "liaison_requests_total", help: "Requests handled, by endpoint and outcome code", labelNames: ["endpoint", "code"], registers: [this.registry] });
    this.latency = new Histogram({
      name: "liaison_request_duration_seconds",
      help: "Time to handle a request, by endpoint",
      labelNames: ["endpoint"],
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [this.registry],
    });
    this.collectErrors = new Counter({ name: "liaison_metrics_collect_errors_total", help: "Gauges that could not be read at a scrape (left out of it), by metric", labelNames: ["metric"], registers: [this.registry] });
  }

  /** Records one handled request (startMicroService calls it); `code` is the refusal's reason. */
  observe = (endpoint: string, ms: number, code: string | undefined): void => {
    this.requests.inc({ endpoint, code: code ?? "ok" });
    this.latency.observe({ endpoint }, ms / 1000);
  };

  /**
   * A gauge; `collect` fills it at each scrape. A collect that fails leaves this gauge out of that
   * scrape (no stale value) and counts the failure: the other metrics are still answered.
   */
  gauge(name: string, help: string, labelNames: string[] = [], collect?: (g: Gauge<string>) => void | Promise<void>): Gauge<string> {
    const errors = this.collectErrors;
    return new Gauge({
      name,
      help,
      labelNames,
      registers: [this.registry],
      ...(collect
        ? {
            async collect() {
              try {
                await collect(this);
              } catch {
                this.reset();
                errors.inc({ metric: name });
              }
            },
          }
        : {}),
    });
  }

  counter(name: string, help: string, labelNames: string[] = []): Counter<string> {
    return new Counter({ name, help, labelNames, registers: [this.registry] });
  }
}
