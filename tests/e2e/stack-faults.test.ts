// The stack's start and stop as an operator meets them: Ctrl-C reaching the terminal's whole process
// group, a SIGKILL of the stack, and an access point that dies and cannot come back.
import { existsSync, readFileSync, renameSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { connectNats, requestService, subjects } from "../../src/nats/mod.js";
import { pb } from "../../src/proto/mod.js";
import { isPortFree, type StackFile } from "../../src/stack/mod.js";
import { cli, isRunning, startStackProcess, type StackProcess } from "../support/stack.js";

type ApInfo = { url: string; operatorToken: string };

async function until(check: () => Promise<boolean> | boolean, what: string | (() => string), ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await Promise.resolve().then(check).catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out after ${ms} ms: ${typeof what === "string" ? what : what()}`);
}

/** Every process stack.json names: the NATS server (and what watches it) and every child. */
function pidsOf(f: StackFile): number[] {
  const n = f.nats as StackFile["nats"] & { guardPid?: number };
  return [n.pid, n.guardPid, ...f.services.map((s) => s.pid)].filter((p): p is number => typeof p === "number" && p > 0);
}

const stackPorts = (s: StackProcess) => [s.ports.nats, s.ports.monitor, s.ports.console, ...[0, 1, 2, 3].map((i) => s.ports.firstAp + i)];

async function lastSweepAtMs(s: StackProcess): Promise<number> {
  const f = s.file();
  const nc = await connectNats({ url: f.nats.url, name: "e2e-faults", credsFile: f.nats.adminCreds ?? "" });
  try {
    return Number(pb.ComplianceReport.decode(await requestService(nc, subjects.api("retention", "report"), new Uint8Array(), 30_000)).lastSweepAtMs ?? 0);
  } finally {
    await nc.close();
  }
}

describe("npm start: stopping, crashing and losing a child", () => {
  const started: StackProcess[] = [];
  let stack: StackProcess;
  afterAll(() => {
    // Whatever a failed test left behind: the stack's group and every process it named.
    for (const s of started) {
      if (s.proc.exitCode === null && s.proc.signalCode === null) s.signal("SIGKILL");
      try {
        for (const pid of pidsOf(s.file())) if (isRunning(pid)) process.kill(pid, "SIGKILL");
      } catch {
        // no stack.json
      }
    }
  });

  /** The stack the tests share, or a new one when an earlier test left none running. */
  const running = async (): Promise<StackProcess> => {
    if (stack && stack.proc.exitCode === null && stack.proc.signalCode === null) return stack;
    stack = await startStackProcess();
    started.push(stack);
    return stack;
  };

  it("stops the services before nats-server on a Ctrl-C to the whole process group: quickly, cleanly, and the next start sweeps at once", async () => {
    stack = await startStackProcess();
    started.push(stack);
    const pids = pidsOf(stack.file());
    await until(async () => (await lastSweepAtMs(stack)) > 0, "the first sweep", 30_000);

    const t0 = Date.now();
    stack.signal("SIGINT"); // the terminal's Ctrl-C: every process of the foreground group gets it
    const code = await Promise.race([stack.exited, new Promise<string>((r) => setTimeout(() => r("still running"), 15_000))]);
    expect(code).toBe(0);
    expect(Date.now() - t0).toBeLessThan(15_000);
    await until(() => pids.every((p) => !isRunning(p)), "every child to be gone", 5_000);

    const retentionLog = readFileSync(join(stack.home, "logs", "retention.log"), "utf8");
    expect(retentionLog).toContain("compliance counts saved");
    expect(retentionLog).toContain("sweep lease released");
    expect(retentionLog).not.toContain("killed by timeout");
    expect(retentionLog).not.toContain("compliance counts not saved");
    // The supervisor says how each child ended: none needed a SIGKILL.
    expect(stack.output()).toMatch(/retention stopped/);
    expect(stack.output()).not.toMatch(/killed after|SIGKILL/);

    // The lease was given back: the next start's retention sweeps at once, not when it lapses.
    stack = await startStackProcess({ home: stack.home, ports: stack.ports });
    started.push(stack);
    const ready = Date.now();
    await until(async () => (await lastSweepAtMs(stack)) >= ready - 30_000, "a sweep after the restart", 10_000);
  }, 180_000);

  it("names an access point that died and could not come back in liaison status (exit 1), and stack.json drops its pid", async () => {
    stack = await running();
    const f = stack.file();
    const nl = f.accessPoints.NL;
    const be = f.accessPoints.BE as ApInfo;
    const nlPid = nl?.pid;
    expect(nlPid && isRunning(nlPid)).toBe(true);
    expect(cli(stack.home, ["status"]).code).toBe(0);

    // NL loses its NATS credentials, then dies: every restart fails until the supervisor gives up.
    const creds = nl?.natsCreds ?? "";
    renameSync(creds, `${creds}.away`);
    try {
      process.kill(nlPid as number, "SIGKILL");
      await until(() => stack.file().accessPoints.NL?.pid !== nlPid, "stack.json to drop the dead pid", 30_000);
      expect(stack.file().services.find((s) => s.name === "access-point-NL")?.pid).not.toBe(nlPid);

      for (let i = 0; i < 3; i++) {
        const r = await fetch(new URL("/v1/messages", be.url), {
          method: "POST",
          headers: { authorization: `Bearer ${be.operatorToken}`, "content-type": "application/json" },
          body: JSON.stringify({ kind: "spontaneous", to: ["NL"], subject: `while NL is down ${i}`, body: "waits in NL's inbox", caseRef: "DOWN-1" }),
        });
        expect(r.status).toBe(202);
      }
      let out = "";
      let code: number | null = null;
      await until(
        () => {
          const r = cli(stack.home, ["status", "--max-idle", "2s"]);
          out = r.stdout + r.stderr;
          code = r.code;
          return /access point NL: no pull on its inbox/.test(out);
        },
        "liaison status to name NL",
        60_000,
      );
      expect(code).toBe(1);
      const waiting = Number(/access point NL: no pull on its inbox[^\n]*?(\d+) message\(s\) waiting/.exec(out)?.[1] ?? 0);
      expect(waiting).toBeGreaterThanOrEqual(3);
      expect(out).not.toMatch(/access point (BE|DE|FR): no pull/);
      expect(out).not.toContain("all hub services answer");
      // Once the supervisor has given up, stack.json says so.
      await until(() => (stack.file().services.find((s) => s.name === "access-point-NL") as { state?: string } | undefined)?.state === "failed", "NL marked failed", 60_000);
      expect(stack.file().accessPoints.NL?.pid).toBeUndefined();
    } finally {
      if (existsSync(`${creds}.away`)) renameSync(`${creds}.away`, creds);
    }
  }, 180_000);

  it("leaves no process and no port behind when the stack's main process is killed with SIGKILL", async () => {
    stack = await running();
    const f = stack.file();
    const pids = pidsOf(f);
    expect(pids.length).toBeGreaterThan(5);
    expect(pids.every(isRunning)).toBe(true);
    process.kill(stack.proc.pid as number, "SIGKILL");
    await until(() => pids.every((p) => !isRunning(p)), () => `every child of the killed stack to exit (left: ${pids.filter(isRunning).join(", ")})`, 20_000);
    await until(async () => (await Promise.all(stackPorts(stack).map((p) => isPortFree("127.0.0.1", p)))).every(Boolean), "every port to be free", 5_000);
  }, 120_000);
});
