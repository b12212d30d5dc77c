// Runs the stack's services as child processes: waits for each to report ready, restarts one that
// dies unexpectedly (with backoff), and stops them all in reverse order on shutdown.
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

const ROOT = resolve(import.meta.dirname, "..", "..");
const MAX_RESTARTS_PER_MINUTE = 5;

export class Supervisor {
  readonly #children = new Map<string, { spec: ChildSpec; proc: ChildProcess; ready?: ReadyMessage; restarts: number[] }>();
  #stopping = false;
  /** Called after a child was restarted (its pid changed). */
  onRestart: (name: string) => void = () => undefined;

  constructor(
    private readonly logDir: string,
    private readonly log: Logger,
    private readonly startTimeoutMs: number,
    private readonly stopTimeoutMs: number,
  ) {}

  async start(spec: ChildSpec): Promise<RunningChild> {
    const entry = { spec, proc: undefined as unknown as ChildProcess, restarts: [] as number[] } as {
      spec: ChildSpec;
      proc: ChildProcess;
      ready?: ReadyMessage;
      restarts: number[];
    };
    this.#children.set(spec.name, entry);
    entry.ready = await this.#launch(entry);
    return { spec, ready: entry.ready, pid: () => entry.proc.pid };
  }

  #launch(entry: { spec: ChildSpec; proc: ChildProcess; ready?: ReadyMessage; restarts: number[] }): Promise<ReadyMessage> {
    const { spec } = entry;
    const logFile = join(this.logDir, `${spec.name}.log`);
    const fd = openSync(logFile, "a");
    // Own process group: a terminal's Ctrl-C reaches only the stack, which stops children in order.
    const proc = spawn(process.execPath, ["--import", "tsx", join(ROOT, spec.entry)], {
      cwd: ROOT,
      env: { ...processEnv(), ...spec.env },
      stdio: ["ignore", fd, fd, "ipc"],
      detached: true,
    });
    closeSync(fd);
    entry.proc = proc;
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
          resolveReady(m);
        }
      });
      proc.once("exit", (code, signal) => {
        clearTimeout(timer);
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

  #restart(entry: { spec: ChildSpec; proc: ChildProcess; ready?: ReadyMessage; restarts: number[] }): void {
    const now = Date.now();
    entry.restarts = entry.restarts.filter((t) => now - t < 60_000);
    if (entry.restarts.length >= MAX_RESTARTS_PER_MINUTE) {
      this.log.error({ child: entry.spec.name }, `${entry.spec.name} keeps failing; not restarting it again`);
      return;
    }
    entry.restarts.push(now);
    const delay = 250 * 2 ** (entry.restarts.length - 1);
    setTimeout(() => {
      if (this.#stopping) return;
      this.#launch(entry).then(
        (r) => {
          entry.ready = r;
          this.log.info({ child: entry.spec.name, pid: entry.proc.pid }, `${entry.spec.name} restarted`);
          this.onRestart(entry.spec.name);
        },
        (err: unknown) => this.log.error({ child: entry.spec.name, err }, `${entry.spec.name} failed to restart`),
      );
    }, delay).unref();
  }

  pids(): Array<{ name: string; pid: number | undefined }> {
    return [...this.#children.values()].map((c) => ({ name: c.spec.name, pid: c.proc.pid }));
  }

  /** Stops every child, last started first: SIGTERM, then SIGKILL after the stop timeout. */
  async stopAll(): Promise<void> {
    this.#stopping = true;
    for (const c of [...this.#children.values()].reverse()) {
      const proc = c.proc;
      if (proc.exitCode !== null || proc.signalCode !== null) continue;
      const exited = new Promise<void>((r) => proc.once("exit", () => r()));
      proc.kill("SIGTERM");
      const timer = setTimeout(() => proc.kill("SIGKILL"), this.stopTimeoutMs);
      await exited;
      clearTimeout(timer);
    }
  }
}
