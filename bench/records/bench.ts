// bench/records: with synthetic CIS records stored (default 1,000,000; BENCH_RECORDS to change),
// query latency and rate through the access point's HTTP API and directly over NATS (the sealed,
// signed hub call the access point makes, HubClient), the records service's resident memory, and
// the load rate — bulk (bench/support/records-generator.ts writes the stored form straight to
// JetStream) and through the real submit path — beside raw JetStream KV put and get measured in
// the same run on the same server.
// Target (issue #5): p99 ≤ 2 ms over NATS and ≤ 5 ms over HTTP at 1,000,000 records, resident
// memory ≤ 1 GiB, load ≥ 5,000 records/s. Latency targets are held at one query in flight.
// Each party runs in its own process, as in production: nats-server, the records service and the
// access point (worker.ts); this process is the client (HubClient, HTTP) and hosts the exchange,
// which the access point needs only to read the registry at start.
// The server runs the production topology (src/nats/accounts.ts): the hub's services in the HUB
// account, each with its own least-privilege user, and an account per contact point.
import { fork, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { Agent, request } from "node:http";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { nanos } from "@nats-io/nats-core";
import { INDEX_HEADER } from "../../src/blindstore/mod.js";
import { KekRing, readKeyFile } from "../../src/crypto/mod.js";
import { DAY_MS, normaliseCompanyName } from "../../src/domain/mod.js";
import { HubClient } from "../../src/hub-rpc/mod.js";
import { createLogger } from "../../src/log/mod.js";
import { connectNats, cpInboxPrefix, JsPublisher, provision, startNatsServer } from "../../src/nats/mod.js";
import { pb } from "../../src/proto/mod.js";
import { followRegistry, readRegistryTrust } from "../../src/registry/mod.js";
import { prepareStackSecrets, stackAccountsConfig } from "../../src/stack/secrets.js";
import { registerStackIdentities } from "../../src/stack/services.js";
import { startExchange } from "../../services/exchange/service.js";
import { generateRecords, syntheticName, syntheticVat } from "../support/records-generator.js";
import { percentile, report, type Figure } from "../support/report.js";
import { RAW_LOG_STREAM, RAW_LOG_SUBJECT, RAW_QUERY_SUBJECT } from "./raw-floor.js";
import type { WorkerArgs, WorkerCmd } from "./worker.js";

const STORED = Number(process.env.BENCH_RECORDS ?? 1_000_000);
const QUERIES = Number(process.env.BENCH_QUERIES ?? 6_000);
const SUBMITS = Number(process.env.BENCH_SUBMITS ?? 5_000);
const SUBMIT_WINDOW = 64;
const CONCURRENCY = (process.env.BENCH_CONCURRENCY ?? "1,16").split(",").map(Number);
const RAW_PUTS = 30_000;
/** In flight while loading, as records-generator.ts keeps it (2,048 records, three messages each). */
const LOAD_WINDOW = 3 * 2_048;
const WARM_UP = 1_000;
const START_ATTEMPTS = 3;
const MiB = 1_048_576;
const log = createLogger("bench-records", "warn");

type Msg = Record<string, unknown>;
interface Worker {
  readonly proc: ChildProcess;
  /** What the worker reported when it was ready. */
  readonly ready: Msg;
  next(pred: (m: Msg) => boolean): Promise<Msg>;
  send(c: WorkerCmd): void;
}

/**
 * Starts a worker process and resolves once it is ready. A start that fails, and a worker that
 * exits while the bench waits on it, reject (so the bench still cleans up); the error carries
 * how long the worker had been starting (`afterMs`).
 */
function worker(args: WorkerArgs): Promise<Worker> {
  const prof = process.env.BENCH_PROF ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_PROF}`] : [];
  const proc = fork(join(import.meta.dirname, "worker.ts"), [JSON.stringify(args)], { execArgv: ["--import", "tsx", ...prof], stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const queue: Msg[] = [];
  const waiters: Array<{ pred: (m: Msg) => boolean; resolve: (m: Msg) => void; reject: (err: Error) => void }> = [];
  const failAll = (err: Error) => {
    for (const w of waiters.splice(0)) w.reject(err);
  };
  proc.on("message", (m: Msg) => {
    if (m.error) return failAll(Object.assign(new Error(String(m.error)), { afterMs: m.afterMs }));
    const w = waiters.findIndex((x) => x.pred(m));
    if (w >= 0) waiters.splice(w, 1)[0]?.resolve(m);
    else queue.push(m);
  });
  proc.on("exit", (code, signal) => failAll(new Error(`the ${args.role} process exited (${signal ?? code})`)));
  const next = (pred: (m: Msg) => boolean) =>
    new Promise<Msg>((resolve, reject) => {
      const i = queue.findIndex(pred);
      if (i >= 0) resolve(queue.splice(i, 1)[0] as Msg);
      else waiters.push({ pred, resolve, reject });
    });
  return next((m) => m.ready === true).then((ready) => ({ proc, ready, next, send: (c: WorkerCmd) => proc.send(c) }));
}

/** Resident and peak resident memory of a process (Linux /proc), in MiB. */
function residentMiB(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? Number.NaN);
  return { rss: kb("VmRSS") / 1024, peak: kb("VmHWM") / 1024 };
}

/** CPU time (user + system) a process has used, in ms (Linux /proc, 10 ms resolution). */
function cpuMs(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  return (Number(f[11]) + Number(f[12])) * 10;
}

/** POSTs JSON over a kept-alive connection; resolves with the status and the parsed body. */
function postJson(agent: Agent, url: URL, headers: Record<string, string>, body: unknown): Promise<{ status: number; body: unknown }> {
  const data = Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = request(url, { method: "POST", agent, headers: { ...headers, "content-type": "application/json", "content-length": String(data.length) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        try {
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString("utf8")) });
        } catch (err) {
          reject(err as Error);
        }
      });
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(data);
  });
}

interface GcPauses {
  readonly count: number;
  /** Full (mark-compact) collections among them. */
  readonly major: number;
  readonly totalMs: number;
  readonly maxMs: number;
  readonly over5Ms: number;
}
/** A worker's CPU time, heap, and the garbage-collection pauses since the previous call. */
async function status(w: Worker): Promise<{ cpuMs: number; heapUsed: number; gc: GcPauses }> {
  w.send({ cmd: "status" });
  const s = await w.next((m) => m.status === true);
  return { cpuMs: s.cpuMs as number, heapUsed: s.heapUsed as number, gc: s.gc as GcPauses };
}

/** Runs `total` calls, `concurrency` in flight (closed loop); each call's latency (ms) by index, and calls/s. */
async function closedLoop(total: number, concurrency: number, call: (i: number) => Promise<void>): Promise<{ lat: Float64Array; rate: number }> {
  const lat = new Float64Array(total);
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const i = next++;
        const s = performance.now();
        await call(i);
        lat[i] = performance.now() - s;
      }
    }),
  );
  return { lat, rate: total / ((performance.now() - t0) / 1000) };
}

/**
 * The query mix: a quarter each of hits by VAT number, misses by VAT number, hits by company name
 * and misses by company name, with the generator's identifier scheme so that each hit matches
 * exactly one stored record (a different one in each phase) and each miss matches none.
 */
interface QuerySpec {
  readonly hit: boolean;
  readonly type: "vat-number" | "company-name";
  readonly value: string;
}
/** Numbers whose synthetic company name is unique: "Synthetic Trading bv" folds to "synthetic trading", as do "… sa", "… ag"... */
const uniqueName = (n: number) => normaliseCompanyName(syntheticName(n)) !== "synthetic trading";
function querySpec(phase: number, i: number): QuerySpec {
  const n = Math.floor(i / 4);
  let stored = (phase * 104_729 + n * 7_919) % STORED;
  while (!uniqueName(stored)) stored = (stored + 1) % STORED;
  let absent = STORED + SUBMITS + (phase + 1) * 1_000_000 + n;
  while (!uniqueName(absent)) absent++;
  switch (i % 4) {
    case 0:
      return { hit: true, type: "vat-number", value: syntheticVat(stored) };
    case 1:
      return { hit: false, type: "vat-number", value: syntheticVat(absent) };
    case 2:
      return { hit: true, type: "company-name", value: syntheticName(stored) };
    default:
      return { hit: false, type: "company-name", value: syntheticName(absent) };
  }
}
const PROTO_TYPE = { "vat-number": pb.IdentifierType.IDENTIFIER_TYPE_VAT_NUMBER, "company-name": pb.IdentifierType.IDENTIFIER_TYPE_COMPANY_NAME } as const;
const PURPOSE = "risk analysis of an import declaration (benchmark)";

interface Phase {
  readonly transport: "NATS" | "HTTP";
  readonly concurrency: number;
  readonly lat: Float64Array;
  readonly rate: number;
  readonly hitLat: number[];
  readonly missLat: number[];
  /** Records service CPU per query (ms). */
  readonly cpuPerQuery: number;
  /** nats-server CPU per query (ms). */
  readonly serverCpuPerQuery: number;
  /** The records service's garbage-collection pauses during the phase. */
  readonly gc: GcPauses;
}

const fmtMs = (x: number) => x.toFixed(2);

const home = mkdtempSync(join(tmpdir(), "liaison-bench-records-"));
const secrets = prepareStackSecrets(home, ["BE", "NL"]);
const cp = (code: string) => {
  const c = secrets.contactPoints.find((x) => x.cp === code);
  if (!c) throw new Error(`no contact point ${code}`);
  return c;
};
const server = await startNatsServer({
  port: 0,
  storeDir: join(home, "jetstream"),
  configDir: join(home, "nats"),
  extraConfig: stackAccountsConfig(secrets),
});
/** An identity's NATS credentials. */
const creds = (file: string) => ({ credsFile: file });
const admin = await connectNats({ url: server.url, name: "bench-admin", ...creds(secrets.hub["stack-admin"].seedFile) });
const serverPid = server.pid() ?? 0;
const load0 = loadavg()[0] ?? 0;
const children: ChildProcess[] = [];
const closers: Array<() => Promise<unknown>> = [];
try {
  await provision(admin, { contactPoints: ["BE", "NL"] });
  await registerStackIdentities(admin, secrets);
  const kek = new KekRing(secrets.hubSecretsFile);
  const t0 = Date.now();

  // Bulk load: the stored form written straight to JetStream (record, wrapped data key, due entry).
  process.stdout.write(`loading ${STORED.toLocaleString("en-US")} records (bulk, stored form straight to JetStream)...\n`);
  const g0 = performance.now();
  await generateRecords(admin, kek, {
    first: 0,
    count: STORED,
    supplier: "BE",
    reviewDueMs: t0 + 365 * DAY_MS,
    nowMs: t0,
    onProgress: (n) => {
      if (n % 100_000 < 2_048) process.stdout.write(`  ${n.toLocaleString("en-US")}  (${Math.round(n / ((performance.now() - g0) / 1000)).toLocaleString("en-US")} records/s)\n`);
    },
  });
  const bulkSeconds = (performance.now() - g0) / 1000;
  const bulkRate = STORED / bulkSeconds;
  process.stdout.write(`bulk-loaded in ${bulkSeconds.toFixed(1)} s: ${Math.round(bulkRate)} records/s\n`);

  // The records service in its own process: it builds its index from the bucket's headers.
  // A start that fails (before 967d5a0, at 1,000,000 records the consumer that reads the index back
  // took longer than the 5 s API timeout to set up) is retried in a new process, as a supervisor
  // would restart the service; the report says how many starts failed.
  const failedStarts: string[] = [];
  let records: Worker | undefined;
  while (!records) {
    try {
      records = await worker({
        role: "records",
        url: server.url,
        ...creds(secrets.hub.records.seedFile),
        hubSecretsFile: secrets.hubSecretsFile,
        hubKeyFile: secrets.hubKeyFile,
        registryKeyFile: secrets.registryPublicFile,
        rawCredsFile: secrets.hub["stack-admin"].seedFile,
      });
    } catch (err) {
      const why = `${(err as Error).message.split("\n")[0] ?? ""} after ${(((err as { afterMs?: number }).afterMs ?? Number.NaN) / 1000).toFixed(1)} s`;
      failedStarts.push(why);
      process.stdout.write(`records service failed to start (attempt ${failedStarts.length}): ${why}\n`);
      if (failedStarts.length >= START_ATTEMPTS) throw err;
    }
  }
  children.push(records.proc);
  const indexSeconds = (records.ready.startMs as number) / 1000;
  if (records.ready.size !== STORED) throw new Error(`the records service indexed ${String(records.ready.size)} records, expected ${STORED}`);
  const afterIndex = residentMiB(records.proc.pid ?? 0);
  process.stdout.write(`records service indexed ${STORED.toLocaleString("en-US")} records in ${indexSeconds.toFixed(1)} s; resident ${afterIndex.rss.toFixed(0)} MiB\n`);

  const exNc = await connectNats({ url: server.url, name: "bench-exchange", ...creds(secrets.hub.exchange.seedFile) });
  const exchange = await startExchange(exNc, { replayWindow: 5 * 60_000, clockSkew: 60_000, maxEnvelopeBytes: 4 << 20, registryTrust: readRegistryTrust(secrets.registryPublicFile) }, readKeyFile(secrets.hubKeyFile), log);
  closers.push(async () => {
    await exchange.close();
    await exNc.close();
  });
  const ap = await worker({ role: "access-point", url: server.url, ...creds(cp("NL").nkeySeedFile), cp: "NL", keyFile: cp("NL").keyFile, usersFile: cp("NL").usersFile, registryKeyFile: secrets.registryPublicFile });
  children.push(ap.proc);
  const apUrl = ap.ready.url as string;

  // Baseline on the same server, now holding the records: raw KV put (pipelined as the bulk load
  // is) and raw KV get (direct get, as the records service reads) of a stored record's exact bytes.
  const raw = new JsPublisher(admin, { timeoutMs: 60_000 });
  closers.push(async () => raw.close());
  const sample = await raw.directGet("KV_records", { seq: 1 });
  if (!sample) throw new Error("no stored record to size the baseline on");
  const sampleHeader = sample.headers?.get(INDEX_HEADER) ?? "";
  await new Kvm(admin).create("bench_raw", { history: 1 });
  const p0 = performance.now();
  for (let i = 0; i < RAW_PUTS; i += LOAD_WINDOW) {
    await Promise.all(Array.from({ length: Math.min(LOAD_WINDOW, RAW_PUTS - i) }, (_, k) => raw.publish(`$KV.bench_raw.k${i + k}`, sample.data, { headers: { [INDEX_HEADER]: sampleHeader } })));
  }
  const rawPutRate = RAW_PUTS / ((performance.now() - p0) / 1000);
  const rawKey = (i: number) => `k${(i * 7_919) % RAW_PUTS}`;
  const kvGet = async (i: number) => {
    if (!(await raw.kvGet("bench_raw", rawKey(i)))) throw new Error(`raw KV get found no ${rawKey(i)}`);
  };
  await closedLoop(WARM_UP, 8, kvGet);
  const rawGets = new Map<number, { lat: Float64Array; rate: number }>();
  for (const c of CONCURRENCY) rawGets.set(c, await closedLoop(QUERIES, c, kvGet));
  // A hit reads one record out of all those stored, and its data key: wherever it lies on disk,
  // which the server may have to load first. The same raw get of a random stored record (by
  // sequence, anywhere in the bucket) is the floor for that part of a hit.
  const storedGet = async (i: number) => {
    const seq = 1 + ((i * 104_729 + 7_919) % STORED);
    if (!(await raw.directGet("KV_records", { seq }))) throw new Error(`no stored record at sequence ${seq}`);
  };
  await closedLoop(QUERIES, 8, (i) => storedGet(i + QUERIES)); // the same spread, other records: as warm as the queries find the store
  const storedGets = new Map<number, { lat: Float64Array; rate: number }>();
  for (const c of CONCURRENCY) storedGets.set(c, await closedLoop(QUERIES, c, storedGet));
  const rawLine = (m: Map<number, { lat: Float64Array }>) => CONCURRENCY.map((c) => `${c} in flight: p50 ${fmtMs(percentile([...(m.get(c)?.lat ?? [])], 50))} ms, p99 ${fmtMs(percentile([...(m.get(c)?.lat ?? [])], 99))} ms`).join("; ");
  // The floor of any query (one that reads nothing): a NATS request answered by the records
  // service's process once one JetStream publish of it is stored, as a query is answered once its
  // audit event is; the bytes are a sealed query's size. No crypto, no index, no service logic.
  await (await jetstreamManager(admin)).streams.add({ name: RAW_LOG_STREAM, subjects: [RAW_LOG_SUBJECT], max_age: nanos(10 * 60_000) });
  const rawQueryBytes = new Uint8Array(600).fill(7);
  const rawRequest = async () => {
    const reply = await admin.request(RAW_QUERY_SUBJECT, rawQueryBytes, { timeout: 10_000 });
    if (reply.data.length === 0) throw new Error("the raw floor's publish failed");
  };
  await closedLoop(WARM_UP, 8, rawRequest);
  const rawRequests = new Map<number, { lat: Float64Array; rate: number }>();
  for (const c of CONCURRENCY) rawRequests.set(c, await closedLoop(QUERIES, c, rawRequest));
  process.stdout.write(
    `raw KV put ${Math.round(rawPutRate)}/s pipelined; raw KV get (30,000 keys) ${rawLine(rawGets)}\nraw get of a random stored record (of ${STORED.toLocaleString("en-US")}) ${rawLine(storedGets)}\nraw request answered after one JetStream publish ${rawLine(rawRequests)}\n`,
  );

  // The contact points' side of the hub calls, connected as the access points are.
  const hubClient = async (code: string) => {
    const nc = await connectNats({ url: server.url, name: `bench-client-${code}`, ...creds(cp(code).nkeySeedFile), inboxPrefix: cpInboxPrefix(code) });
    const registry = await followRegistry(nc, log, { trust: readRegistryTrust(secrets.registryPublicFile) });
    closers.push(async () => {
      registry.stop();
      await nc.close();
    });
    return new HubClient(nc, readKeyFile(cp(code).keyFile), registry.view);
  };
  const hubBE = await hubClient("BE");
  const hubNL = await hubClient("NL");

  // Load through the real submit path: BE's sealed, signed submit calls, each record stored with
  // its data key, due entry and audit event before the answer.
  const submitCpu0 = await status(records);
  const submitted = await closedLoop(SUBMITS, SUBMIT_WINDOW, async (i) => {
    const n = STORED + i;
    await hubBE.call(
      "records",
      "submit",
      "be-operator",
      {
        content: {
          category: pb.RecordCategory.RECORD_CATEGORY_BUSINESS,
          purpose: pb.RecordPurpose.RECORD_PURPOSE_SPECIFIC_CHECK,
          suggestedAction: "check the consignment",
          identifiers: [
            { type: pb.IdentifierType.IDENTIFIER_TYPE_COMPANY_NAME, value: syntheticName(n) },
            { type: pb.IdentifierType.IDENTIFIER_TYPE_VAT_NUMBER, value: syntheticVat(n) },
          ],
          freeText: `synthetic record ${n} for the benchmark`,
        },
      },
    );
  });

  const submitCpu = ((await status(records)).cpuMs - submitCpu0.cpuMs) / SUBMITS;
  process.stdout.write(`submitted ${SUBMITS} records through HubClient: ${Math.round(submitted.rate)} records/s, p99 ${fmtMs(percentile([...submitted.lat], 99))} ms\n`);

  // Queries, from NL (so every hit is on another member's record: a hit notice and hit record).
  let wrong = 0;
  const check = (q: QuerySpec, matches: number) => {
    if (matches !== (q.hit ? 1 : 0)) wrong++;
  };
  const natsQuery = (phase: number) => async (i: number) => {
    const q = querySpec(phase, i);
    check(q, (await hubNL.call("records", "query", "nl-operator", { identifiers: [{ type: PROTO_TYPE[q.type], value: q.value }], purpose: PURPOSE })).matches.length);
  };
  // node:http with keep-alive: fetch (undici's web streams) cost this client about 0.5 ms of CPU a request.
  const agent = new Agent({ keepAlive: true, maxSockets: Math.max(...CONCURRENCY) });
  closers.push(async () => agent.destroy());
  const queryUrl = new URL("/v1/records/query", apUrl);
  const auth = { authorization: `Bearer ${cp("NL").operatorToken}` };
  const httpQuery = (phase: number) => async (i: number) => {
    const q = querySpec(phase, i);
    const res = await postJson(agent, queryUrl, auth, { identifiers: [{ type: q.type, value: q.value }], purpose: PURPOSE });
    if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${JSON.stringify(res.body)}`);
    check(q, (res.body as { matches: unknown[] }).matches.length);
  };

  let phaseNo = 0;
  const phases: Phase[] = [];
  const measure = async (transport: Phase["transport"], concurrency: number) => {
    const call = transport === "NATS" ? natsQuery(++phaseNo) : httpQuery(++phaseNo);
    const phase = phaseNo;
    const before = await status(records);
    const serverBefore = cpuMs(serverPid);
    const r = await closedLoop(QUERIES, concurrency, call);
    const serverCpuPerQuery = (cpuMs(serverPid) - serverBefore) / QUERIES;
    const after = await status(records);
    const hitLat: number[] = [];
    const missLat: number[] = [];
    r.lat.forEach((x, i) => (querySpec(phase, i).hit ? hitLat : missLat).push(x));
    const p: Phase = { transport, concurrency, lat: r.lat, rate: r.rate, hitLat, missLat, cpuPerQuery: (after.cpuMs - before.cpuMs) / QUERIES, serverCpuPerQuery, gc: after.gc };
    phases.push(p);
    const all = [...r.lat];
    process.stdout.write(
      `  ${transport}, ${concurrency} in flight: p50 ${fmtMs(percentile(all, 50))} ms, p99 ${fmtMs(percentile(all, 99))} ms (hits ${fmtMs(percentile(hitLat, 99))}, misses ${fmtMs(percentile(missLat, 99))}), ${Math.round(r.rate)} queries/s\n`,
    );
  };
  process.stdout.write(`querying (${QUERIES.toLocaleString("en-US")} queries per phase, half hits, half misses)...\n`);
  await closedLoop(WARM_UP, 8, natsQuery(++phaseNo));
  for (const c of CONCURRENCY) await measure("NATS", c);
  await closedLoop(WARM_UP, 8, httpQuery(++phaseNo));
  for (const c of CONCURRENCY) await measure("HTTP", c);
  if (wrong > 0) throw new Error(`${wrong} queries matched other than expected`);

  const mem = residentMiB(records.proc.pid ?? 0);
  const recordsHeap = (await status(records)).heapUsed / MiB;
  const apMem = residentMiB(ap.proc.pid ?? 0);

  const figures: Figure[] = [];
  for (const p of phases) {
    const all = [...p.lat];
    const at = `over ${p.transport}, ${p.concurrency} in flight`;
    const one = p.concurrency === 1;
    const get = rawGets.get(p.concurrency) ?? { lat: new Float64Array(), rate: Number.NaN };
    const n = p.concurrency;
    figures.push(
      { name: `query p50 ${at}`, value: percentile(all, 50), unit: "ms", baseline: { name: `raw KV get p50, ${n} in flight`, value: percentile([...get.lat], 50) } },
      {
        name: `query p99 ${at}`,
        value: percentile(all, 99),
        unit: "ms",
        baseline: { name: `raw KV get p99, ${n} in flight`, value: percentile([...get.lat], 99) },
        ...(one ? { target: { value: p.transport === "NATS" ? 2 : 5, better: "lower" as const } } : {}),
      },
      {
        name: `query p99 ${at}, hits only`,
        value: percentile(p.hitLat, 99),
        unit: "ms",
        baseline: { name: `raw get of a random stored record p99, ${n} in flight`, value: percentile([...(storedGets.get(n)?.lat ?? [])], 99) },
      },
      {
        name: `query p99 ${at}, misses only`,
        value: percentile(p.missLat, 99),
        unit: "ms",
        baseline: { name: `raw request answered after one JetStream publish p99, ${n} in flight`, value: percentile([...(rawRequests.get(n)?.lat ?? [])], 99) },
      },
      { name: `queries/s ${at}`, value: p.rate, unit: "queries/s", baseline: { name: `raw KV gets/s, ${n} in flight`, value: get.rate } },
      { name: `CPU per query ${at}: records service / nats-server`, value: p.cpuPerQuery, unit: `ms / ${fmtMs(p.serverCpuPerQuery)} ms` },
      {
        name: `records service GC pauses ${at}: longest (of ${p.gc.count}, ${p.gc.major} full, ${p.gc.over5Ms} over 5 ms, ${Math.round(p.gc.totalMs)} ms in all)`,
        value: p.gc.maxMs,
        unit: "ms",
      },
    );
  }
  figures.push(
    { name: "records service resident memory after load, warm-up and queries", value: mem.rss, unit: "MiB", target: { value: 1024, better: "lower" } },
    { name: "records service peak resident memory (VmHWM)", value: mem.peak, unit: "MiB", target: { value: 1024, better: "lower" } },
    { name: "records service V8 heap used", value: recordsHeap, unit: "MiB" },
    { name: "records service resident memory right after indexing", value: afterIndex.rss, unit: "MiB" },
    { name: "access point resident memory (for reference)", value: apMem.rss, unit: "MiB" },
    { name: "bulk load rate (generator: stored form straight to JetStream, 3 messages per record)", value: bulkRate, unit: "records/s", baseline: { name: "raw KV put, pipelined", value: rawPutRate }, target: { value: 5_000, better: "higher" } },
    {
      name: `load rate through the real submit path (HubClient submit, ${SUBMITS.toLocaleString("en-US")} records, ${SUBMIT_WINDOW} in flight)`,
      value: submitted.rate,
      unit: "records/s",
      baseline: { name: "raw KV put, pipelined", value: rawPutRate },
      target: { value: 5_000, better: "higher" },
    },
    { name: "submit p99 at that load", value: percentile([...submitted.lat], 99), unit: "ms" },
    { name: "records service CPU per submitted record", value: submitCpu, unit: "ms" },
    { name: "records service index build at start", value: STORED / indexSeconds, unit: "records/s" },
    { name: `records service starts that failed before one succeeded${failedStarts.length ? ` (${failedStarts.join("; ")})` : ""}`, value: failedStarts.length, unit: "" },
  );
  report(
    `bench/records — ${STORED.toLocaleString("en-US")} records stored (bulk-loaded in ${bulkSeconds.toFixed(0)} s; the records service indexed them in ${indexSeconds.toFixed(1)} s); ${QUERIES.toLocaleString("en-US")} queries per phase, half hits; stored record ${sample.data.length} bytes + ${sampleHeader.length}-byte index header; nats-server ${server.version} with the production accounts and permissions, file storage, sync_interval always; 2 cores shared (1-min load average ${load0.toFixed(1)} at start, ${(loadavg()[0] ?? 0).toFixed(1)} at the end)`,
    figures,
  );
  records.send({ cmd: "stop" });
  ap.send({ cmd: "stop" });
  await Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => { c.once("exit", r); setTimeout(r, 10_000); }) : undefined)));
} finally {
  for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
  for (const close of closers.reverse()) await close().catch(() => undefined);
  await admin.close();
  await server.stop();
  rmSync(home, { recursive: true, force: true });
}
