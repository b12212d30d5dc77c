// Killing the audit service (SIGKILL, as a crash or an OOM kill would) while events are being
// emitted loses no event: after a restart the tree holds every event exactly once, in stream
// order, and its root is the one recomputed from the AUDIT stream itself.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { DeliverPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/nats-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuditAction, AuditClient, AuditEmitter, splitAuditBatch, verifyTreeHead } from "../../src/audit/mod.js";
import { initKeyFile } from "../../src/crypto/mod.js";
import { MerkleLog, leafHash } from "../../src/merkle/mod.js";
import { STREAMS, provision } from "../../src/nats/mod.js";
import { startTestNats, type TestNats } from "../support/nats.js";

const ROOT = resolve(import.meta.dirname, "..", "..");

function startService(env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", "services/audit/main.ts"], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "ignore", "pipe", "ipc"],
  });
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolveReady, reject) => {
    const timer = setTimeout(() => reject(new Error(`audit service not ready in time:\n${stderr}`)), 30_000);
    child.once("message", () => {
      clearTimeout(timer);
      resolveReady(child);
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`audit service exited (${code}):\n${stderr}`));
    });
  });
}

const exited = (c: ChildProcess) => new Promise<void>((r) => (c.exitCode !== null || c.signalCode !== null ? r() : c.once("exit", () => r())));

async function leavesFromStream(nc: NatsConnection): Promise<Uint8Array[]> {
  const last = (await (await jetstreamManager(nc)).streams.info(STREAMS.AUDIT.name)).state.last_seq;
  const c = await jetstream(nc).consumers.get(STREAMS.AUDIT.name, { deliver_policy: DeliverPolicy.All });
  const it = await c.consume();
  const out: Uint8Array[] = [];
  for await (const m of it) {
    for (const e of splitAuditBatch(m.data)) out.push(leafHash(e));
    if (m.seq >= last) break;
  }
  await it.close();
  return out;
}

describe("audit service crash", () => {
  let nats: TestNats;
  let nc: NatsConnection;
  let home: string;
  let child: ChildProcess | undefined;

  beforeAll(async () => {
    nats = await startTestNats({ own: true });
    nc = await nats.connect("audit-crash-test");
    await provision(nc);
    home = mkdtempSync(join(tmpdir(), "liaison-audit-"));
    mkdirSync(join(home, "secrets"), { mode: 0o700 });
    initKeyFile(join(home, "secrets", "audit-key.json"), "AUDIT");
  });
  afterAll(async () => {
    if (child && child.exitCode === null) {
      child.kill("SIGTERM");
      await exited(child);
    }
    await nats?.stop();
    rmSync(home, { recursive: true, force: true });
  });

  it("loses no event when killed with SIGKILL while events are emitted, and resumes to the stream's root", async () => {
    const env = {
      NATS_URL: nats.url,
      LIAISON_HOME: home,
      LIAISON_LOG_LEVEL: "warn",
      LIAISON_HEAD_INTERVAL: "200ms",
      LIAISON_MAX_STEP_EVENTS: "64",
    };
    let emitted = 0;
    child = await startService(env);

    const emitter = new AuditEmitter(nc, "exchange", { maxBatch: 25 });
    let emitting = true;
    const load = (async () => {
      while (emitting) {
        await Promise.all(
          Array.from({ length: 50 }, () =>
            emitter.emit({ action: AuditAction.AUDIT_ACTION_ROUTE, authority: "HUB", userId: "exchange", objectType: "message", objectId: `m-${emitted++}` }),
          ),
        );
        // A steady load of a few thousand events a second, like a busy hub.
        await new Promise((r) => setTimeout(r, 10));
      }
      await emitter.flush();
    })();

    const client = new AuditClient(nc);
    // Let the service append for a while, then kill it in the middle of the stream.
    for (let head = await client.signHead(); head.treeSize < 500; head = await client.signHead()) await new Promise((r) => setTimeout(r, 50));
    child.kill("SIGKILL");
    await exited(child);
    const atKill = emitted;
    await new Promise((r) => setTimeout(r, 300));
    child = await startService(env);
    await new Promise((r) => setTimeout(r, 300));
    emitting = false;
    await load;
    expect(emitted).toBeGreaterThan(atKill);

    const deadline = Date.now() + 30_000;
    let head = await client.signHead();
    while (head.treeSize < emitted && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      head = await client.signHead();
    }
    expect(head.treeSize).toBe(emitted);

    const key = await client.key();
    expect(verifyTreeHead(key.publicKey, head)).toBe(true);
    const leaves = await leavesFromStream(nc);
    expect(leaves).toHaveLength(emitted);
    expect(Buffer.from(new MerkleLog(leaves).root()).equals(Buffer.from(head.rootHash))).toBe(true);
  });
});
