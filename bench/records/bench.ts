// bench/records: load synthetic CIS records (default 1,000,000; BENCH_RECORDS to change), then
// measure query latency and rate through the access point's HTTP API and directly over NATS (the
// sealed, signed hub call the access point makes), the process's resident memory, and the load
// rate — bulk (bench/support/records-generator.ts, the stored form written straight to KV) and
// through the real submit path — beside raw JetStream KV put and get on the same server.
// Target (issue #5): p99 ≤ 2 ms over NATS and ≤ 5 ms over HTTP at 1,000,000 records, resident
// memory ≤ 1 GiB, load ≥ 5,000 records/s.
// The records service runs in this process, so the memory figure includes the bench's own
// clients (an upper bound of the service's).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Kvm } from "@nats-io/kv";
import { KekRing, readKeyFile } from "../../src/crypto/mod.js";
import { DAY_MS } from "../../src/domain/mod.js";
import { UserStore } from "../../src/http/mod.js";
import { HubClient } from "../../src/hub-rpc/mod.js";
import { createLogger } from "../../src/log/mod.js";
import { connectNats, JsPublisher, provision, startNatsServer } from "../../src/nats/mod.js";
import { pb } from "../../src/proto/mod.js";
import { fetchRegistry } from "../../src/registry/mod.js";
import { prepareStackSecrets } from "../../src/stack/secrets.js";
import { registerStackIdentities } from "../../src/stack/services.js";
import { startAccessPoint } from "../../services/access-point/service.js";
import { startExchange } from "../../services/exchange/service.js";
import { startRecords } from "../../services/records/service.js";
import { generateRecords, syntheticName, syntheticVat } from "../support/records-generator.js";
import { report } from "../support/report.js";

const STORED = Number(process.env.BENCH_RECORDS ?? 1_000_000);
const QUERIES = Number(process.env.BENCH_QUERIES ?? 5_000);
const SUBMITS = Number(process.env.BENCH_SUBMITS ?? 3_000);
const log = createLogger("bench-records", "warn");

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};

/** Runs `total` calls, `concurrency` in flight; returns each call's latency (ms) and calls/s. */
async function closedLoop(total: number, concurrency: number, call: (i: number) => Promise<unknown>): Promise<{ lat: number[]; rate: number }> {
  const lat: number[] = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const i = next++;
        const s = performance.now();
        await call(i);
        lat.push(performance.now() - s);
      }
    }),
  );
  return { lat, rate: total / ((performance.now() - t0) / 1000) };
}

const home = mkdtempSync(join(tmpdir(), "liaison-bench-records-"));
const secrets = prepareStackSecrets(home, ["BE", "NL"]);
const server = await startNatsServer({ port: 0, storeDir: join(home, "jetstream"), configDir: join(home, "nats") });
const nc = await connectNats({ url: server.url, name: "bench-records" });
try {
  await provision(nc, { contactPoints: ["BE", "NL"] });
  await registerStackIdentities(nc, secrets);
  const kek = new KekRing(secrets.hubSecretsFile);
  const t0 = Date.now();

  // Baseline: raw KV put (pipelined) and get (one in flight) of a record-sized value.
  const kv = await new Kvm(nc).create("bench_raw", { history: 1 });
  const value = new Uint8Array(700);
  const pub = new JsPublisher(nc);
  const rawN = 20_000;
  const p0 = performance.now();
  for (let i = 0; i < rawN; i += 2_048) await Promise.all(Array.from({ length: Math.min(2_048, rawN - i) }, (_, k) => pub.publish(`$KV.bench_raw.k${i + k}`, value)));
  const rawPutRate = rawN / ((performance.now() - p0) / 1000);
  const rawGet = await closedLoop(QUERIES, 1, (i) => kv.get(`k${i % rawN}`));

  process.stdout.write(`loading ${STORED.toLocaleString("en-US")} records...\n`);
  const g0 = performance.now();
  await generateRecords(nc, kek, {
    first: 0,
    count: STORED,
    supplier: "BE",
    reviewDueMs: t0 + 365 * DAY_MS,
    nowMs: t0,
    onProgress: (n) => {
      if (n % 100_000 < 2_048) process.stdout.write(`  ${n.toLocaleString("en-US")}\n`);
    },
  });
  const bulkRate = STORED / ((performance.now() - g0) / 1000);

  const r0 = performance.now();
  const records = await startRecords(
    nc,
    { hubSecretsFile: secrets.hubSecretsFile, reviewPeriod: { months: 12, ms: 0 }, reviewPeriodByCategory: {}, maxAttachmentBytes: 4 << 20, maxQueryMatches: 100 },
    readKeyFile(secrets.hubKeyFile),
    log,
  );
  const indexSeconds = (performance.now() - r0) / 1000;
  await startExchange(nc, { replayWindow: 86_400_000, clockSkew: 300_000, maxEnvelopeBytes: 8 << 20 }, readKeyFile(secrets.hubKeyFile), log);

  const cp = (code: string) => secrets.contactPoints.find((c) => c.cp === code)!;
  const registry = await fetchRegistry(nc);
  const hubBE = new HubClient(nc, readKeyFile(cp("BE").keyFile), () => registry);
  const hubNL = new HubClient(nc, readKeyFile(cp("NL").keyFile), () => registry);

  // Load through the real submit path: sealed, signed hub calls from BE's side, 64 in flight.
  const submit = await closedLoop(SUBMITS, 64, (i) =>
    hubBE.call(
      "records",
      "submit",
      "bench",
      pb.RecordSubmit.encode({
        content: {
          category: pb.RecordCategory.RECORD_CATEGORY_BUSINESS,
          purpose: pb.RecordPurpose.RECORD_PURPOSE_SPECIFIC_CHECK,
          suggestedAction: "check the consignment",
          identifiers: [{ type: pb.IdentifierType.IDENTIFIER_TYPE_COMPANY_NAME, value: `Submitted Trading ${i}` }],
          freeText: `submitted record ${i}`,
        },
      }).finish(),
    ),
  );

  // Queries: half hit a stored record (by VAT number), half miss.
  const query = (i: number) =>
    pb.RecordQuery.encode({
      identifiers: [i % 2 ? { type: pb.IdentifierType.IDENTIFIER_TYPE_VAT_NUMBER, value: syntheticVat((i * 7_919) % STORED) } : { type: pb.IdentifierType.IDENTIFIER_TYPE_COMPANY_NAME, value: `${syntheticName(i)} absent` }],
      purpose: "benchmark",
    }).finish();
  let hits = 0;
  const natsCall = async (i: number) => {
    const r = pb.RecordQueryResult.decode(await hubNL.call("records", "query", "bench", query(i)));
    hits += r.matches.length;
  };
  await closedLoop(500, 8, natsCall); // warm-up
  hits = 0;
  const nats1 = await closedLoop(QUERIES, 1, natsCall);
  if (hits !== QUERIES / 2) throw new Error(`expected ${QUERIES / 2} hits over NATS, got ${hits}`);
  const nats16 = await closedLoop(QUERIES, 16, natsCall);

  const ap = await startAccessPoint(nc, { cp: "NL", host: "127.0.0.1", port: 0, bodyLimit: 1 << 20, maxAttachmentBytes: 1 << 20 }, readKeyFile(cp("NL").keyFile), UserStore.load(cp("NL").usersFile), log);
  const httpCall = async (i: number) => {
    const res = await fetch(`${ap.url}/v1/records/query`, {
      method: "POST",
      headers: { authorization: `Bearer ${cp("NL").operatorToken}`, "content-type": "application/json" },
      body: JSON.stringify(i % 2 ? { identifiers: [{ type: "vat-number", value: syntheticVat((i * 7_919) % STORED) }], purpose: "benchmark" } : { identifiers: [{ type: "company-name", value: `${syntheticName(i)} absent` }], purpose: "benchmark" }),
    });
    if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${await res.text()}`);
    await res.arrayBuffer();
  };
  await closedLoop(500, 8, httpCall);
  const http1 = await closedLoop(QUERIES, 1, httpCall);
  const http16 = await closedLoop(QUERIES, 16, httpCall);
  const rssMiB = process.memoryUsage().rss / 1_048_576;

  report(`bench/records — ${STORED.toLocaleString("en-US")} records stored (indexed by the records service in ${indexSeconds.toFixed(1)} s)`, [
    { name: "query p50 over NATS, 1 in flight", value: pct(nats1.lat, 50), unit: "ms", baseline: { name: "raw KV get p50", value: pct(rawGet.lat, 50) } },
    { name: "query p99 over NATS, 1 in flight", value: pct(nats1.lat, 99), unit: "ms", baseline: { name: "raw KV get p99", value: pct(rawGet.lat, 99) }, target: { value: 2, better: "lower" } },
    { name: "query p99 over NATS, 16 in flight", value: pct(nats16.lat, 99), unit: "ms" },
    { name: "queries/s over NATS, 16 in flight", value: nats16.rate, unit: "queries/s", baseline: { name: "raw KV gets/s, 1 in flight", value: rawGet.rate } },
    { name: "query p50 over HTTP, 1 in flight", value: pct(http1.lat, 50), unit: "ms" },
    { name: "query p99 over HTTP, 1 in flight", value: pct(http1.lat, 99), unit: "ms", baseline: { name: "raw KV get p99", value: pct(rawGet.lat, 99) }, target: { value: 5, better: "lower" } },
    { name: "query p99 over HTTP, 16 in flight", value: pct(http16.lat, 99), unit: "ms" },
    { name: "queries/s over HTTP, 16 in flight", value: http16.rate, unit: "queries/s" },
    { name: "resident memory (this process: records service, access point, exchange, clients)", value: rssMiB, unit: "MiB", target: { value: 1024, better: "lower" } },
    { name: "bulk load rate (stored form straight to KV)", value: bulkRate, unit: "records/s", baseline: { name: "raw KV put, pipelined", value: rawPutRate }, target: { value: 5_000, better: "higher" } },
    { name: "submit rate through the hub call, 64 in flight", value: submit.rate, unit: "records/s", baseline: { name: "raw KV put, pipelined", value: rawPutRate }, target: { value: 5_000, better: "higher" } },
  ]);
  await ap.close();
  pub.close();
  await records.close();
} finally {
  await nc.close();
  await server.stop();
  rmSync(home, { recursive: true, force: true });
}
