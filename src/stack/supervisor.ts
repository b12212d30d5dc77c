// Runs the stack's services as child processes: waits for each to report ready, restarts one that
// dies unexpectedly (with backoff, until it fails too often), keeps what runs known (a dead child
// has no pid), and stops them in stages on shutdown, saying how each one ended.
import { spawn, type ChildProcess } from "node:child_process";
import { openSync, closeSync } from "node:fs";
import { join, resolve } from "node:path";
import { processEnv } from "../config/mod.js";
import { LiaisonError } from "../errors.js";
import type { Logger } from "../log/mod.js";
import { isReadyMessage, type ReadyMessage } from "../runtime/mod.js";

export interface ChildSpec {
  readonly name: string;
  /** A TypeScript entry point, relative to the repository root. */
  readonly entry: string;
  readonly env: Readonly<Record<string, string>>;
}

export interface RunningChild {
  readonly spec: ChildSpec;
  readonly ready: ReadyMessage;
  pid(): number | undefined;
}

/**
 * running: ready and serving; starting: launched, not ready yet; restarting: died, to be started
 * again after a pause; failed: died too often, given up; stopped: stopped by the stack.
 */
export type ChildState = "starting" | "running" | "restarting" | "failed" | "stopped";

export interface ChildStatus {
  readonly name: string;
  readonly state: ChildState;
  /** Only while it runs: a dead child's pid is no one's (or soon someone else's). */
  readonly pid?: number;
  /** How it last ended, when it did. */
  readonly exited?: { readonly at: string; readonly code?: number; readonly signal?: string };
}

interface Entry {
  spec: ChildSpec;
  proc: ChildProcess;
  ready?: ReadyMessage;
  restarts: number[];
  state: ChildState;
  exited?: { at: string; code?: number; signal?: string };
}

const ROOT = resolve(import.meta.dirname, "..", "..");
const MAX_RESTARTS_PER_MINUTE = 5;

export class Supervisor {
  readonly #children = new Map<string, Entry>();
  #stopping = false;
  /** Called whenever a child's state or pid changes (it died, was restarted, was given up on). */
  onChange: (name: string) => void = () => undefined;

  constructor(
    private readonly logDir: string,
    private readonly log: Logger,
    private readonly startTimeoutMs: number,
    private readonly stopTimeoutMs: number,
  ) {}

  async start(spec: ChildSpec): Promise<RunningChild> {
    const entry: Entry = { spec, proc: undefined as unknown as ChildProcess, restarts: [], state: "starting" };
    this.#children.set(spec.name, entry);
    const ready = await this.#launch(entry);
    return { spec, ready, pid: () => (entry.state === "running" ? entry.proc.pid : undefined) };
  }

  #launch(entry: Entry): Promise<ReadyMessage> {
    const { spec } = entry;
    const logFile = join(this.logDir, `${spec.name}.log`);
    const fd = openSync(logFile, "a");
    // Own process group: a terminal's Ctrl-C reaches only the stack, which stops children in order.
    // Should the stack die without stopping them, each sees its IPC channel close and stops itself
    // (src/runtime/main.ts).
    const proc = spawn(process.execPath, ["--import", "tsx", join(ROOT, spec.entry)], {
      cwd: ROOT,
      env: { ...processEnv(), ...spec.env },
      stdio: ["ignore", fd, fd, "ipc"],
      detached: true,
    });
    closeSync(fd);
    entry.proc = proc;
    entry.state = "starting";
    return new Promise<ReadyMessage>((resolveReady, reject) => {
      let ready = false;
      const timer = setTimeout(() => {
        proc.kill("SIGKILL");
        reject(new LiaisonError("LIAISON_UNAVAILABLE", `${spec.name} did not report ready within ${this.startTimeoutMs} ms; see ${logFile}`));
      }, this.startTimeoutMs);
      proc.on("message", (m) => {
        if (!ready && isReadyMessage(m)) {
          ready = true;
          clearTimeout(timer);
          entry.ready = m;
          entry.state = "running";
          resolveReady(m);
        }
      });
      proc.once("exit", (code, signal) => {
        clearTimeout(timer);
        entry.exited = { at: new Date().toISOString(), ...(code !== null ? { code } : {}), ...(signal ? { signal } : {}) };
        if (!ready) {
          reject(new LiaisonError("LIAISON_UNAVAILABLE", `${spec.name} exited (${code ?? signal}) before it was ready; see ${logFile}`));
          return;
        }
        if (this.#stopping) return;
        this.log.warn({ child: spec.name, code, signal }, `${spec.name} exited unexpectedly`);
        this.#restart(entry);
      });
    });
  }

  /** Starts a dead child again after a pause; one that cannot start is tried again, up to the limit. */
  #restart(entry: Entry): void {
    const now = Date.now();
    entry.restarts = entry.restarts.filter((t) => now - t < 60_000);
    if (entry.restarts.length >= MAX_RESTARTS_PER_MINUTE) {
      entry.state = "failed";
      this.log.error({ child: entry.spec.name }, `${entry.spec.name} keeps failing; not restarting it again`);
      this.onChange(entry.spec.name);
      return;
    }
    entry.restarts.push(now);
    entry.state = "restarting";
    this.onChange(entry.spec.name);
    const delay = 250 * 2 ** (entry.restarts.length - 1);
    setTimeout(() => {
      if (this.#stopping) return;
      this.#launch(entry).then(
        () => {
          this.log.info({ child: entry.spec.name, pid: entry.proc.pid }, `${entry.spec.name} restarted`);
          this.onChange(entry.spec.name);
        },
        (err: unknown) => {
          if (this.#stopping) return;
          this.log.error({ child: entry.spec.name, err }, `${entry.spec.name} failed to restart`);
          this.#restart(entry);
        },
      );
    }, delay).unref();
  }

  /** Every child, with its pid only while it runs. */
  children(): ChildStatus[] {
    return [...this.#children.values()].map((c) => ({
      name: c.spec.name,
      state: c.state,
      ...(c.state === "running" && c.proc.pid ? { pid: c.proc.pid } : {}),
      ...(c.exited && c.state !== "running" ? { exited: c.exited } : {}),
    }));
  }

  /**
   * Stops every child: the named stages one after another, the children of a stage together, then
   * any child no stage names, last started first. Each gets SIGTERM, then SIGKILL after the stop
   * timeout; the log says how each ended.
   */
  async stopAll(stages: ReadonlyArray<readonly string[]> = []): Promise<void> {
    this.#stopping = true;
    const named = new Set(stages.flat());
    const rest = [...this.#children.keys()].filter((n) => !named.has(n)).reverse();
    for (const stage of [...stages, ...rest.map((n) => [n])]) {
      await Promise.all(stage.map((name) => this.#stop(name)));
    }
  }

  async #stop(name: string): Promise<void> {
    const c = this.#children.get(name);
    if (!c) return;
    const proc = c.proc;
    const wasRunning = proc.exitCode === null && proc.signalCode === null;
    c.state = "stopped";
    if (!wasRunning) return;
    const t0 = Date.now();
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => proc.once("exit", (code, signal) => r({ code, signal })));
    proc.kill("SIGTERM");
    let killed = false;
    const timer = setTimeout(() => {
      killed = true;
      proc.kill("SIGKILL");
    }, this.stopTimeoutMs);
    const { code, signal } = await exited;
    clearTimeout(timer);
    const ms = Date.now() - t0;
    if (killed) this.log.error({ child: name, ms }, `${name} killed after ${this.stopTimeoutMs} ms without stopping`);
    else if (code === 0) this.log.info({ child: name, ms }, `${name} stopped`);
    else this.log.warn({ child: name, code, signal, ms }, `${name} stopped with ${code ?? signal}`);
  }
}
