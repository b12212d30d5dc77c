// Prometheus metrics: each service's registry, and the scrape that gathers them over NATS.
export { ServiceMetrics } from "./service-metrics.js";
export { serveMetrics, scrapeAll, METRICS_SCRAPE_SUBJECT } from "./scrape.js";
