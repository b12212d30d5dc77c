// The raw floor of a query, answered in the records service's process beside it (worker.ts): a NATS
// request that is answered once one JetStream publish of its bytes is stored, as a query is answered
// once its audit event is. No crypto, no index, no service logic.
export const RAW_QUERY_SUBJECT = "bench.raw.query";
export const RAW_LOG_STREAM = "BENCH_RAW_LOG";
export const RAW_LOG_SUBJECT = "bench.raw.log";
