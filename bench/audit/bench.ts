// The access log's benchmark (issue #4): events appended per second through the AUDIT stream into
// the tree, an inclusion proof at 1,000,000 leaves, and offline verification of a 1,000,000-event
// export, each beside the raw SHA-256 rate measured in this run. Also the audit service's memory
// for 1,000,000 events (tree, index, dedupe window), which must stay well under 1 GiB.
import { createHash, hash, randomBytes } from "node:crypto";
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { jetstream } from "@nats-io/jetstream";
import {
  AuditClient,
  eventLine,
  headerLine,
  leavesLine,
  rangeNeighbours,
  signTreeHead,
  treeHeadToJson,
  verifyExportFile,
} from "../../src/audit/mod.js";
import { Ed25519Signer, b64u, generateSigningKey } from "../../src/crypto/mod.js";
import { createLogger } from "../../src/log/mod.js";
import { type MerkleLog } from "../../src/merkle/mod.js";
import { connectNats, provision, startNatsServer, subjects } from "../../src/nats/mod.js";
import { pb } from "../../src/proto/mod.js";
import { LogState } from "../../services/audit/log-state.js";
import { startAuditService } from "../../services/audit/service.js";
import { prepareStackSecrets, stackAccountsConfig } from "../../src/stack/secrets.js";
import { report } from "../support/report.js";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

const MILLION = 1_000_000;
const STREAM_EVENTS = Number(process.env.AUDIT_BENCH_STREAM_EVENTS ?? 200_000);
const BATCH = 500;
const ACTIONS = [pb.AuditAction.AUDIT_ACTION_READ, pb.AuditAction.AUDIT_ACTION_QUERY, pb.AuditAction.AUDIT_ACTION_SUBMIT, pb.AuditAction.AUDIT_ACTION_ROUTE];
const CPS = ["BE", "NL", "DE", "FR", "OLAF", "HUB"];
const EMITTER = "exchange";

/** Event i: realistic sizes and spread (users, objects, a blind-index search ref on queries). */
function eventOf(i: number): pb.IAuditEvent {
  const action = ACTIONS[i % ACTIONS.length] as pb.AuditAction;
  return {
    id: `0190a3b4-${(i >>> 16).toString(16).padStart(4, "0")}-7${(i & 0xfff).toString(16).padStart(3, "0")}-8${(i % 4093).toString(16).padStart(3, "0")}-${i.toString(16).padStart(12, "0")}`,
    atMs: 1_735_689_600_000 + i * 37,
    authority: CPS[i % CPS.length] as string,
    userId: `officer-${i % 997}`,
    action,
    objectType: i % 3 ? "message" : "record",
    objectId: `01HZX${(i % 250_000).toString(36).padStart(8, "0")}`,
    searchRefs: action === pb.AuditAction.AUDIT_ACTION_QUERY ? [createHash("sha256").update(String(i)).digest("base64url")] : [],
    purpose: "Naples II art. 10 request 2025/17",
    outcome: pb.AuditOutcome.AUDIT_OUTCOME_SUCCESS,
    // The emitter the events are published as (the audit service appends only an emitter's own events).
    service: EMITTER,
    details: { route: "GET /v1/messages/:id", status: "200" },
  };
}
const batchOf = (first: number, n: number) => pb.AuditBatch.encode({ events: Array.from({ length: n }, (_, k) => eventOf(first + k)) }).finish();

function rawSha256Rate(bytes: number, ms = 800): number {
  const buf = randomBytes(bytes);
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < ms) {
    for (let i = 0; i < 1000; i++) hash("sha256", buf, "buffer");
    n += 1000;
  }
  return n / ((performance.now() - start) / 1000);
}

function heapMiB(): number {
  gc();
  const m = process.memoryUsage();
  return (m.heapUsed + m.arrayBuffers) / 1024 / 1024;
}

let serverVersion = "";

async function appendThroughput(syncInterval = "always"): Promise<{ eventsPerSecond: number; proofRoundTripMs: number }> {
  const dir = mkdtempSync(join(tmpdir(), "liaison-bench-audit-"));
  // The production topology: the exchange's user publishes, the audit service's user appends.
  const secrets = prepareStackSecrets(join(dir, "home"), []);
  const server = await startNatsServer({ storeDir: join(dir, "js"), configDir: dir, extraConfig: stackAccountsConfig(secrets), syncInterval });
  serverVersion = server.version;
  try {
    const admin = await connectNats({ url: server.url, name: "bench-admin", credsFile: secrets.hub["stack-admin"].seedFile });
    await provision(admin);
    await admin.close();
    const nc = await connectNats({ url: server.url, name: "bench-audit", credsFile: secrets.hub.audit.seedFile });
    const emitterNc = await connectNats({ url: server.url, name: "bench-exchange", credsFile: secrets.hub.exchange.seedFile });
    const js = jetstream(emitterNc);
    // Fill AUDIT first, then time the service draining it into the tree (consume, hash, index,
    // persist leaf chunks, commit checkpoints).
    const pending: Array<Promise<unknown>> = [];
    for (let first = 0; first < STREAM_EVENTS; first += BATCH) {
      pending.push(js.publish(subjects.auditEvents(EMITTER), batchOf(first, Math.min(BATCH, STREAM_EVENTS - first)), { msgID: `bench-${first}` }));
      if (pending.length >= 64) await Promise.all(pending.splice(0));
    }
    await Promise.all(pending);
    await emitterNc.close();
    const signer = new Ed25519Signer(generateSigningKey("AUDIT"));
    const started = performance.now();
    const svc = await startAuditService({
      nc,
      signer,
      log: createLogger("bench", "warn"),
      headIntervalMs: 10_000,
      dedupeWindow: 200_000,
      maxStepEvents: 8_192,
      takeoverAfterMs: 5_000,
    });
    await svc.engine.waitForSize(STREAM_EVENTS, 300_000);
    const seconds = (performance.now() - started) / 1000;
    // A hub user allowed to call the audit service (the console's).
    const clientNc = await connectNats({ url: server.url, name: "bench-audit-client", credsFile: secrets.hub.console.seedFile });
    const client = new AuditClient(clientNc);
    await client.signHead();
    for (let i = 0; i < 200; i++) await client.inclusion(i);
    const t = performance.now();
    const rounds = 500;
    for (let i = 0; i < rounds; i++) await client.inclusion((i * 7919) % STREAM_EVENTS);
    const proofRoundTripMs = (performance.now() - t) / rounds;
    await svc.close();
    await clientNc.drain();
    await nc.drain();
    return { eventsPerSecond: STREAM_EVENTS / seconds, proofRoundTripMs };
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const leafRate = rawSha256Rate(pb.AuditEvent.encode(eventOf(12345)).finish().length + 1);
  const nodeRate = rawSha256Rate(65);

  // 1. Through the stream into the tree.
  const { eventsPerSecond, proofRoundTripMs } = await appendThroughput();
  // The same on a server that flushes to disk every 2 minutes (nats-server's default): what the
  // fsync before every acknowledgement costs the log.
  const unsynced = await appendThroughput("2m");

  // 2. A million events held by the service: memory, and proofs from the tree.
  let batches: Uint8Array[] = [];
  for (let first = 0; first < MILLION; first += BATCH) batches.push(batchOf(first, BATCH));
  const before = heapMiB();
  let state: LogState | undefined = new LogState(200_000);
  const applyStart = performance.now();
  batches.forEach((b, i) => state?.apply(i + 1, b, undefined, subjects.auditEvents(EMITTER)));
  const applyRate = MILLION / ((performance.now() - applyStart) / 1000);
  const memory = heapMiB() - before;
  batches = [];
  const tree: MerkleLog = state.tree;
  const proofs = 20_000;
  const t = performance.now();
  for (let i = 0; i < proofs; i++) tree.inclusion((i * 104_729) % MILLION);
  const proofMs = (performance.now() - t) / proofs;

  // 3. A million-event export, verified offline as `liaison audit verify` does.
  const dir = mkdtempSync(join(tmpdir(), "liaison-bench-export-"));
  const file = join(dir, "export.jsonl");
  const signer = new Ed25519Signer(generateSigningKey("AUDIT"));
  const head = signTreeHead(signer, MILLION, tree.root(), Date.now());
  const fd = openSync(file, "w");
  writeSync(fd, headerLine({ from: 0, to: MILLION, head: treeHeadToJson(head), left: [], right: rangeNeighbours(tree, 0, MILLION, MILLION).right.map(b64u), consistency: [] }));
  for (let first = 0; first < MILLION; first += 4096) {
    const end = Math.min(MILLION, first + 4096);
    let text = leavesLine(first, tree.leafRange(first, end));
    for (let i = first; i < end; i++) text += eventLine(i, pb.AuditEvent.encode(eventOf(i)).finish());
    writeSync(fd, text);
  }
  closeSync(fd);
  // Only the tree was needed; the index and the rest go before the verifier runs.
  state = undefined;
  heapMiB();
  const fileMiB = statSync(file).size / 1024 / 1024;
  const v = performance.now();
  const result = await verifyExportFile(file, { publicKey: signer.publicKey });
  const verifySeconds = (performance.now() - v) / 1000;
  rmSync(dir, { recursive: true, force: true });
  if (!result.ok) throw new Error(`the benchmark export did not verify: ${result.firstBad?.message}`);

  // Baselines: what the same work costs as bare SHA-256 calls on one core.
  const proofBaselineMs = (Math.ceil(Math.log2(MILLION)) / nodeRate) * 1000;
  const verifyBaselineSeconds = MILLION / leafRate + MILLION / nodeRate;
  report(`audit: access log (2 cores; nats-server ${serverVersion}, accounts, sync_interval always)`, [
    { name: "raw SHA-256, event-sized input", value: leafRate, unit: "hashes/s" },
    { name: "raw SHA-256, node-sized input (65 B)", value: nodeRate, unit: "hashes/s" },
    {
      name: `append through AUDIT into the tree (${STREAM_EVENTS.toLocaleString("en-US")} events)`,
      value: eventsPerSecond,
      unit: "events/s",
      baseline: { name: "raw SHA-256 of one event", value: leafRate },
      target: { value: 30_000, better: "higher" },
    },
    {
      name: "append through AUDIT into the tree, sync_interval always",
      value: eventsPerSecond,
      unit: "events/s",
      baseline: { name: "the same with sync_interval 2m", value: unsynced.eventsPerSecond },
    },
    { name: "apply in memory (decode, hash, index, dedupe)", value: applyRate, unit: "events/s", baseline: { name: "raw SHA-256 of one event", value: leafRate } },
    {
      name: "inclusion proof at 1,000,000 leaves",
      value: proofMs,
      unit: "ms",
      baseline: { name: "log2(n) raw node hashes", value: proofBaselineMs },
      target: { value: 1, better: "lower" },
    },
    // Client and service share this process's event loop here, so this is an upper bound.
    { name: `inclusion proof request/reply over NATS (${STREAM_EVENTS.toLocaleString("en-US")} leaves, client in-process)`, value: proofRoundTripMs, unit: "ms" },
    {
      name: `verify a 1,000,000-event export (${Math.round(fileMiB)} MiB)`,
      value: verifySeconds,
      unit: "s",
      baseline: { name: "1M leaf + 1M node raw SHA-256 on one core", value: verifyBaselineSeconds },
      target: { value: 5, better: "lower" },
    },
    { name: "service memory for 1,000,000 events (tree, index, dedupe)", value: memory, unit: "MiB", target: { value: 1024, better: "lower" } },
  ]);
}

await main();
