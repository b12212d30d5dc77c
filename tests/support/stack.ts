// Runs the real `npm start` (src/cli/main.ts start) as a child process on free ports with its own
// LIAISON_HOME, the way a newcomer would, and reads back its stack.json.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { isPortFree } from "../../src/stack/mod.js";
import type { StackFile } from "../../src/stack/mod.js";

export const ROOT = resolve(import.meta.dirname, "..", "..");

export interface StackPorts {
  readonly nats: number;
  readonly monitor: number;
  readonly console: number;
  readonly firstAp: number;
}

/** Finds a run of free ports: nats, monitor, console, then one per access point. */
export async function freePorts(aps = 4): Promise<StackPorts> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 30_000);
    const all = Array.from({ length: 3 + aps }, (_, i) => base + i);
    const free = await Promise.all(all.map((p) => isPortFree("127.0.0.1", p)));
    if (free.every(Boolean)) return { nats: base, monitor: base + 1, console: base + 2, firstAp: base + 3 };
  }
  throw new Error("no run of free ports found");
}

export interface StackProcess {
  readonly proc: ChildProcess;
  readonly home: string;
  readonly ports: StackPorts;
  output(): string;
  file(): StackFile;
  /** Resolves with the exit code. */
  readonly exited: Promise<number | null>;
  /** Sends a signal to the stack's process group, as a terminal's Ctrl-C does. */
  signal(sig: NodeJS.Signals): void;
}

export function stackEnv(home: string, ports: StackPorts, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    LIAISON_HOME: home,
    LIAISON_NATS_PORT: String(ports.nats),
    LIAISON_NATS_MONITOR_PORT: String(ports.monitor),
    LIAISON_CONSOLE_PORT: String(ports.console),
    LIAISON_FIRST_AP_PORT: String(ports.firstAp),
    ...extra,
  };
  delete env.NATS_URL;
  return env;
}

export async function startStackProcess(opts: { home?: string; ports?: StackPorts; env?: Record<string, string>; waitReady?: boolean } = {}): Promise<StackProcess> {
  const home = opts.home ?? mkdtempSync(join(tmpdir(), "liaison-stack-"));
  const ports = opts.ports ?? (await freePorts());
  let out = "";
  const proc = spawn(process.execPath, ["--import", "tsx", join(ROOT, "src/cli/main.ts"), "start"], {
    cwd: ROOT,
    env: stackEnv(home, ports, opts.env),
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  proc.stdout?.on("data", (d: Buffer) => (out += d.toString()));
  proc.stderr?.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => proc.once("exit", (code) => r(code)));
  const file = () => JSON.parse(readFileSync(join(home, "stack.json"), "utf8")) as StackFile;
  const s: StackProcess = {
    proc,
    home,
    ports,
    output: () => out,
    file,
    exited,
    signal: (sig) => {
      if (proc.pid) process.kill(-proc.pid, sig);
    },
  };
  if (opts.waitReady === false) return s;
  const deadline = Date.now() + 120_000;
  let done = false;
  void exited.then(() => (done = true));
  while (Date.now() < deadline) {
    if (done) throw new Error(`the stack exited before it was ready:\n${out}`);
    if (existsSync(join(home, "stack.json"))) {
      try {
        if (file().ready && out.includes("Liaison is up")) return s;
      } catch {
        // being written
      }
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  s.signal("SIGKILL");
  throw new Error(`the stack did not become ready:\n${out}`);
}

export function isAlive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Runs the `liaison` CLI against a stack's home; returns its exit code and output. */
export function cli(home: string, args: string[], env: Record<string, string> = {}): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ["--import", "tsx", join(ROOT, "src/cli/main.ts"), ...args], {
    cwd: ROOT,
    env: { ...process.env, LIAISON_HOME: home, ...env },
    encoding: "utf8",
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Whether a process runs: a zombie (exited, not yet reaped by whoever inherited it) does not. */
export function isRunning(pid: number | undefined): boolean {
  if (!isAlive(pid)) return false;
  try {
    // /proc/<pid>/stat: "pid (comm) state ..."; the state comes after the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return isAlive(pid);
  }
}
