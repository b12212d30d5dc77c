// The shell every service's main.ts runs in: start, report ready to a parent stack, stop cleanly
// on SIGINT/SIGTERM (close-with-grace), and fail at start with a clear line instead of a trace.
import closeWithGrace from "close-with-grace";
import { isLiaisonError } from "../errors.js";

export interface Started {
  close(): Promise<void>;
  /** Sent to the parent stack with the ready message (URLs, ports). */
  readonly ready?: Readonly<Record<string, unknown>>;
}

/** The message a child process sends its parent stack once it serves. */
export interface ReadyMessage {
  readonly type: "ready";
  readonly name: string;
  readonly [key: string]: unknown;
}

export function isReadyMessage(m: unknown): m is ReadyMessage {
  return typeof m === "object" && m !== null && (m as { type?: unknown }).type === "ready";
}

/** Runs a service: `runMain("exchange", async () => { ...; return { close } })`. */
export async function runMain(name: string, start: () => Promise<Started>, graceMs = 10_000): Promise<void> {
  let started: Started;
  try {
    started = await start();
  } catch (err) {
    if (isLiaisonError(err)) process.stderr.write(`${name}: ${err.code}: ${err.message}\n`);
    else process.stderr.write(`${name}: failed to start: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exit(1);
  }
  const grace = closeWithGrace({ delay: graceMs }, async ({ err }) => {
    if (err) process.stderr.write(`${name}: ${err.stack ?? err.message}\n`);
    await started.close();
  });
  // Started by a stack: when the parent goes away, so do we (no orphans after a crash of the parent).
  if (process.send) {
    process.on("disconnect", () => grace.close());
    const msg: ReadyMessage = { type: "ready", name, ...(started.ready ?? {}) };
    process.send(msg);
  }
}
