// Prometheus metrics: each service's registry. The scrape that gathers them over NATS is in
// src/nats/metrics-scrape.ts.
export { ServiceMetrics } from "./service-metrics.js";
