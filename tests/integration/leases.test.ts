// The leases that let one replica at a time sweep (retention) or count (usage): when the holder
// crashes, a replica started after it takes over within seconds, not when a long lease lapses; and
// one holder's overlapping renewals never make it lose its own lease.
import { spawn, type ChildProcess } from "node:child_process";
import { join, resolve } from "node:path";
import { Kvm } from "@nats-io/kv";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Lease, requestService, subjects } from "../../src/nats/mod.js";
import { discover } from "../../src/ops/mod.js";
import { pb } from "../../src/proto/mod.js";
import { isReadyMessage } from "../../src/runtime/mod.js";
import { startTestHub, type TestHub } from "../support/hub.js";

const ROOT = resolve(import.meta.dirname, "..", "..");

/** A hub service as the stack runs it: its own process, reporting ready over IPC. */
async function spawnService(hub: TestHub, name: "retention" | "usage"): Promise<ChildProcess> {
  const proc = spawn(process.execPath, ["--import", "tsx", join(ROOT, "services", name, "main.ts")], {
    cwd: ROOT,
    env: { ...process.env, LIAISON_HOME: hub.home, NATS_URL: hub.nats.url, NATS_CREDS: hub.secrets.hub[name].seedFile, LIAISON_LOG_LEVEL: "warn" },
    stdio: ["ignore", "ignore", "inherit", "ipc"],
  });
  await new Promise<void>((ok, fail) => {
    proc.on("message", (m) => isReadyMessage(m) && ok());
    proc.once("exit", (code) => fail(new Error(`${name} exited (${code}) before it was ready`)));
  });
  return proc;
}

/** Polls `check` every 250 ms (a failing check is a no) until it holds; throws after `ms`. */
async function eventually(check: () => Promise<boolean>, what: string, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out after ${ms} ms: ${what}`);
}

const killed = (p: ChildProcess) => new Promise<void>((r) => (p.exitCode !== null || p.signalCode !== null ? r() : p.once("exit", () => r())));

describe("leases", () => {
  let hub: TestHub;
  const procs: ChildProcess[] = [];
  beforeAll(async () => {
    hub = await startTestHub({ cps: ["BE"] });
  });
  afterAll(async () => {
    for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill("SIGKILL");
    await Promise.all(procs.map(killed));
    await hub?.stop();
  });

  it("keeps a lease through overlapping renewals by its own holder", async () => {
    const kv = await new Kvm(hub.admin).open("state");
    const lease = new Lease(kv, "test.overlap", "holder-a", 15_000);
    const results = await Promise.all(Array.from({ length: 8 }, () => lease.acquire()));
    expect(results).toEqual(Array.from({ length: 8 }, () => true));
    expect(await new Lease(kv, "test.overlap", "holder-b", 15_000).acquire()).toBe(false);
    await lease.release();
    expect(await new Lease(kv, "test.overlap", "holder-b", 15_000).acquire()).toBe(true);
  });

  it("lets a new retention replica sweep within seconds of the crash of the one that held the sweep lease", async () => {
    const report = async () => pb.ComplianceReport.decode(await requestService(hub.admin, subjects.api("retention", "report"), new Uint8Array(), 30_000));
    const first = await spawnService(hub, "retention");
    procs.push(first);
    await eventually(async () => Number((await report()).lastSweepAtMs ?? 0) > 0, "the first sweep", 20_000);
    first.kill("SIGKILL"); // a crash: the lease stays in KV, held
    await killed(first);
    const crashedAt = Date.now();

    const second = await spawnService(hub, "retention");
    procs.push(second);
    await eventually(async () => Number((await report()).lastSweepAtMs ?? 0) > crashedAt, "a sweep by the second replica", 40_000);
    expect(Date.now() - crashedAt).toBeLessThan(25_000);
    second.kill("SIGTERM");
    await killed(second);
  }, 90_000);

  it("lets a new usage replica count within seconds of the crash of the one that held the counting lease", async () => {
    const counting = async () => (await discover(hub.admin, 500)).some((s) => s.name === "usage" && (s.data as { counting?: boolean } | null)?.counting === true);
    const first = await spawnService(hub, "usage");
    procs.push(first);
    expect(await counting()).toBe(true);
    first.kill("SIGKILL");
    await killed(first);
    const crashedAt = Date.now();

    const second = await spawnService(hub, "usage");
    procs.push(second);
    await eventually(counting, "the second replica to count", 45_000);
    expect(Date.now() - crashedAt).toBeLessThan(25_000);
    second.kill("SIGTERM");
    await killed(second);
  }, 90_000);
});
