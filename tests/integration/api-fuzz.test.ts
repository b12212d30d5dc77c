// Both OpenAPI documents fuzzed with the pinned schemathesis (scripts/install-fuzz.sh) against a
// real hub: an access point's API as its operator, the console's as a supervisor and as operations.
// Must hold: no 5xx, every error answered as problem+json with a code src/errors.ts registers
// (tests/fuzz/liaison_checks.py), nothing stored by a request that breaks the schema (negative
// mode: refused, and the stores that hold data unchanged), and the servers still answer afterwards.
// Bounded in time (LIAISON_FUZZ_SECONDS per run, default 20); LIAISON_FUZZ_SEED to replay a run.
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jetstreamManager } from "@nats-io/jetstream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildConsoleApp } from "../../services/console/app.js";
import { AuditEmitter } from "../../src/audit/mod.js";
import { ERRORS } from "../../src/errors.js";
import { UserStore, type LiaisonApp } from "../../src/http/mod.js";
import { quiet, startTestHub, type TestAccessPoint, type TestHub } from "../support/hub.js";

const ROOT = join(import.meta.dirname, "..", "..");
const TOOLS = process.env.LIAISON_TOOLS ?? join(process.env.HOME ?? "", ".cache", "liaison", "tools");
const SCHEMATHESIS = join(TOOLS, "bin", "schemathesis");
const SECONDS = Number(process.env.LIAISON_FUZZ_SECONDS ?? 20);
const SEED = process.env.LIAISON_FUZZ_SEED ?? "20261206";
const FUZZ_LIMITS = { rateLimitPerClient: 1_000_000, rateLimitPerToken: 1_000_000, refusalLimitPerClient: 1_000_000 };

interface Run {
  code: number;
  out: string;
}

/** Runs schemathesis without blocking this process: the servers it talks to run in here. */
function fuzz(base: string, token: string, mode: "positive" | "negative", codesFile: string, reportDir: string): Promise<Run> {
  const args = [
    "--config-file",
    join(ROOT, "tests", "fuzz", "schemathesis.toml"),
    "run",
    `${base}/docs/json`,
    "--url",
    base,
    "--header",
    `Authorization: Bearer ${token}`,
    "--mode",
    mode,
    "--checks",
    ["not_a_server_error", "registered_error_code", ...(mode === "negative" ? ["negative_data_rejection"] : [])].join(","),
    "--max-time",
    String(SECONDS),
    "--seed",
    SEED,
    // One worker: Python 3.11's ast module is not safe across hypothesis's threads
    // ("AST constructor recursion depth mismatch").
    "--workers",
    "1",
    "--request-timeout",
    "10",
    "--suppress-health-check",
    "all",
    "--no-color",
    "--report-dir",
    reportDir,
    "--warnings",
    "off",
  ];
  return new Promise((resolve) => {
    execFile(
      SCHEMATHESIS,
      args,
      // Run outside the repository: schemathesis keeps a cache (.schemathesis/) where it runs.
      { cwd: reportDir.replace(/[/\\][^/\\]+$/, ""), encoding: "utf8", timeout: (SECONDS + 90) * 1000, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, SCHEMATHESIS_HOOKS: "liaison_checks", PYTHONPATH: join(ROOT, "tests", "fuzz"), LIAISON_ERROR_CODES: codesFile } },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: `${stdout}\n${stderr}` }),
    );
  });
}

/** Messages in every stream that holds data (not the access log, which records the refusals). */
async function stored(hub: TestHub): Promise<Record<string, number>> {
  const jsm = await jetstreamManager(hub.admin);
  const out: Record<string, number> = {};
  for await (const s of jsm.streams.list()) if (!s.config.name.startsWith("AUDIT") && s.config.name !== "KV_usage" && s.config.name !== "KV_state") out[s.config.name] = s.state.messages;
  return out;
}

describe("the OpenAPI documents, fuzzed", () => {
  let hub: TestHub;
  let be: TestAccessPoint;
  let consoleApp: LiaisonApp;
  let apUrl: string;
  let consoleUrl: string;
  const dir = mkdtempSync(join(tmpdir(), "liaison-fuzz-"));
  const codesFile = join(dir, "codes.json");

  beforeAll(async () => {
    expect(existsSync(SCHEMATHESIS), "bash scripts/install-fuzz.sh installs schemathesis").toBe(true);
    writeFileSync(codesFile, JSON.stringify(Object.keys(ERRORS)));
    hub = await startTestHub({ cps: ["BE", "NL"] });
    await hub.startAudit();
    await hub.startExchange();
    await hub.startRecords();
    await hub.startFiles();
    await hub.startOperations();
    await hub.startUsage({ timers: false });
    await hub.startRetention();
    // The fuzzer is one client sending thousands of requests, many refused (a supervisor calling
    // operations' routes): the edge's rate limits would answer most of them 429 and test nothing.
    be = await hub.startAp("BE", { http: FUZZ_LIMITS });
    await hub.startAp("NL");
    apUrl = await be.app.listen({ host: "127.0.0.1", port: 0 });
    const nc = await hub.connectHub("console");
    consoleApp = await buildConsoleApp({ nc, users: UserStore.load(hub.secrets.console.usersFile), audit: new AuditEmitter(nc, "console"), log: quiet, http: FUZZ_LIMITS });
    consoleUrl = await consoleApp.listen({ host: "127.0.0.1", port: 0 });
  }, 60_000);
  afterAll(async () => {
    await consoleApp?.close();
    await hub?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const expectClean = (what: string, r: Run) => {
    // The summary names each failed check; the whole output goes with a failure.
    expect(r.out, `${what}: schemathesis did not run`).toMatch(/test cases|Test cases|operations/i);
    // The failures section (each failing case with its curl line), then the summary.
    const failures = r.out.indexOf("FAILURES");
    expect(r.code, `${what}:\n${failures >= 0 ? r.out.slice(failures, failures + 30_000) : r.out.slice(-12_000)}`).toBe(0);
  };

  it("refuses whatever breaks an access point's schema with a registered code, stores nothing for it, and never answers 5xx", async () => {
    const before = await stored(hub);
    const r = await fuzz(apUrl, be.token, "negative", codesFile, join(dir, "ap-negative"));
    expectClean("access point, negative", r);
    expect(await stored(hub)).toEqual(before);
    expect((await fetch(`${apUrl}/healthz`)).status).toBe(200);
  }, (SECONDS + 120) * 1000);

  it("answers what fits an access point's schema without a 5xx or an unregistered error code", async () => {
    const r = await fuzz(apUrl, be.token, "positive", codesFile, join(dir, "ap-positive"));
    expectClean("access point, positive", r);
    expect((await fetch(`${apUrl}/healthz`)).status).toBe(200);
  }, (SECONDS + 120) * 1000);

  for (const role of ["supervisor", "operations"] as const) {
    it(`holds the same for the console's API as ${role}`, async () => {
      const token = role === "supervisor" ? hub.secrets.console.supervisorToken : hub.secrets.console.operationsToken;
      const before = await stored(hub);
      const neg = await fuzz(consoleUrl, token, "negative", codesFile, join(dir, `console-${role}-negative`));
      expectClean(`console as ${role}, negative`, neg);
      expect(await stored(hub)).toEqual(before);
      const pos = await fuzz(consoleUrl, token, "positive", codesFile, join(dir, `console-${role}-positive`));
      expectClean(`console as ${role}, positive`, pos);
      expect((await fetch(`${consoleUrl}/healthz`)).status).toBe(200);
    }, (2 * SECONDS + 180) * 1000);
  }
});
