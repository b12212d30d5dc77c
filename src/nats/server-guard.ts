// Runs one nats-server for a parent that may die without stopping it (the stack, killed with
// SIGKILL): started in a process group of its own (no terminal's Ctrl-C reaches the server, which
// the stack stops after its services), it stops the server when the parent's IPC channel closes,
// once the server's clients are gone (the services stop themselves first) or after a grace period.
// Run by local-server.ts with `guarded` (an entry point, not a module to import); the server's
// output is relayed to the parent and appended to its log. Tells the parent the server's pid over IPC.
import { spawn } from "node:child_process";
import { createWriteStream } from "node:fs";
import { createInterface } from "node:readline";
import { z } from "zod";

const argsSchema = z.object({
  bin: z.string().min(1),
  args: z.array(z.string()),
  cwd: z.string().min(1),
  /** The server's environment, when it is not this process's own (a configuration template's variables). */
  env: z.record(z.string(), z.string()).optional(),
  logFile: z.string().min(1).optional(),
  /** How long to wait for the server's clients to leave once the parent is gone. */
  graceMs: z.number().int().nonnegative(),
});
export type ServerGuardArgs = z.infer<typeof argsSchema>;

/** Client connections the server reports at /varz; undefined when it cannot be asked. */
async function clientConnections(monitorUrl: string): Promise<number | undefined> {
  try {
    const res = await fetch(new URL("/varz", monitorUrl), { signal: AbortSignal.timeout(1_000) });
    const body = (await res.json()) as { connections?: unknown };
    return typeof body.connections === "number" ? body.connections : undefined;
  } catch {
    return undefined;
  }
}

function runGuard(a: ServerGuardArgs): void {
  const server = spawn(a.bin, a.args, { cwd: a.cwd, stdio: ["ignore", "pipe", "pipe"], ...(a.env ? { env: a.env } : {}) });
  const log = a.logFile ? createWriteStream(a.logFile, { flags: "a" }) : undefined;
  let parentGone = false;
  let monitorUrl: string | undefined;
  // Once the parent is gone so is the other end of these pipes: nothing more is written there.
  process.stdout.on("error", () => undefined);
  process.stderr.on("error", () => undefined);

  const onLine = (line: string) => {
    log?.write(line + "\n");
    const m = /Starting http monitor on (\S+):(\d+)/.exec(line);
    if (m) monitorUrl = `http://${m[1] === "0.0.0.0" ? "127.0.0.1" : m[1]}:${m[2]}`;
    if (!parentGone) process.stdout.write(line + "\n");
  };
  if (server.stdout) createInterface({ input: server.stdout }).on("line", onLine);
  if (server.stderr) createInterface({ input: server.stderr }).on("line", onLine);

  server.once("spawn", () => process.send?.({ type: "nats-server", pid: server.pid }));
  server.once("error", (err) => {
    if (!parentGone) process.stderr.write(`cannot run ${a.bin}: ${err.message}\n`);
    process.exit(127);
  });
  server.once("exit", (code, signal) => {
    const status = code ?? (signal ? 1 : 0);
    if (log) log.end(() => process.exit(status));
    else process.exit(status);
  });
  const stopServer = () => {
    if (server.exitCode === null && server.signalCode === null) server.kill("SIGTERM");
  };
  for (const sig of ["SIGTERM", "SIGINT", "SIGHUP"] as const) process.on(sig, stopServer);

  process.on("disconnect", () => {
    parentGone = true;
    void (async () => {
      const end = Date.now() + a.graceMs;
      if (monitorUrl) {
        while (Date.now() < end) {
          const n = await clientConnections(monitorUrl);
          if (n === undefined || n === 0) break;
          await new Promise((r) => setTimeout(r, 200));
        }
      } else {
        await new Promise((r) => setTimeout(r, Math.min(a.graceMs, 2_000)));
      }
      log?.write(`[liaison] the stack is gone; stopping nats-server\n`);
      stopServer();
    })();
  });
}

const parsed = argsSchema.safeParse(JSON.parse(process.argv[2] ?? "null"));
if (!parsed.success) {
  process.stderr.write(`server-guard: ${z.prettifyError(parsed.error)}\n`);
  process.exit(2);
}
runGuard(parsed.data);
