// Runs one part of a benchmark in its own process (bench/exchange/worker.ts: a raw JetStream
// publisher or consumer, the exchange, a sending or receiving access point) and talks to it over IPC.
import { fork, type ChildProcess } from "node:child_process";
import { join } from "node:path";

export type Msg = Record<string, unknown>;

export interface Worker {
  readonly proc: ChildProcess;
  /** The next message from the worker that matches `pred` (queued if it came earlier). */
  next(pred: (m: Msg) => boolean): Promise<Msg>;
}

export function startWorker(role: string, url: string, home: string, env: Record<string, string> = {}): Promise<Worker> {
  const prof = process.env.BENCH_PROF ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_PROF}`] : [];
  const proc = fork(join(import.meta.dirname, "..", "exchange", "worker.ts"), [role, url, home], {
    execArgv: ["--import", "tsx", ...prof],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
    env: { ...process.env, ...env },
  });
  const queue: Msg[] = [];
  const waiters: Array<{ pred: (m: Msg) => boolean; resolve: (m: Msg) => void }> = [];
  proc.on("message", (m: Msg) => {
    if (m.error) {
      process.stderr.write(`${role}: ${String(m.error)}\n`);
      process.exit(1);
    }
    const w = waiters.findIndex((x) => x.pred(m));
    if (w >= 0) waiters.splice(w, 1)[0]?.resolve(m);
    else queue.push(m);
  });
  const next = (pred: (m: Msg) => boolean) =>
    new Promise<Msg>((resolve) => {
      const i = queue.findIndex(pred);
      if (i >= 0) resolve(queue.splice(i, 1)[0] as Msg);
      else waiters.push({ pred, resolve });
    });
  return next((m) => m.ready === true).then(() => ({ proc, next }));
}

/** Asks every worker to stop and waits (at most 5 s each) for it to exit. */
export async function stopWorkers(workers: readonly Worker[]): Promise<void> {
  for (const w of workers) if (w.proc.exitCode === null) w.proc.send({ cmd: "stop" });
  await Promise.all(workers.map((w) => (w.proc.exitCode === null ? new Promise((r) => { w.proc.once("exit", r); setTimeout(r, 5_000); }) : undefined)));
  for (const w of workers) if (w.proc.exitCode === null) w.proc.kill("SIGKILL");
}

/**
 * The exchange end to end: 500 messages to warm up, then a burst of `n` with `window` in flight from
 * the sending access point to the receiving one; messages per second from first send to last delivery.
 */
export async function endToEndBurst(receiver: Worker, sender: Worker, n: number, window: number): Promise<number> {
  const warm = 500;
  receiver.proc.send({ cmd: "expect", n: warm });
  sender.proc.send({ cmd: "burst", n: warm, window: 32 });
  await sender.next((m) => m.sent !== undefined);
  await receiver.next((m) => m.delivered !== undefined);
  receiver.proc.send({ cmd: "expect", n });
  sender.proc.send({ cmd: "burst", n, window });
  const burst = await sender.next((m) => m.sent !== undefined);
  const got = await receiver.next((m) => m.delivered !== undefined);
  return n / (((got.at as number) - (burst.t0 as number)) / 1000);
}
