// Checks that the ports the stack needs are free before anything starts, so a clash is one clear
// line naming the port and what wanted it, not a stack trace from deep inside a child.
import { createServer } from "node:net";
import { LiaisonError } from "../errors.js";

export function isPortFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once("error", () => resolve(false));
    srv.listen({ host, port, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

export async function assertPortsFree(host: string, wanted: ReadonlyArray<{ port: number; purpose: string }>): Promise<void> {
  const busy: string[] = [];
  for (const w of wanted) {
    if (w.port === 0) continue;
    if (!(await isPortFree(host, w.port))) busy.push(`${w.port} (${w.purpose})`);
  }
  if (busy.length > 0) {
    throw new LiaisonError(
      "LIAISON_PORT_IN_USE",
      `port ${busy.join(", ")} on ${host} is already in use. Is another Liaison stack or nats-server running? ` +
        `Stop it, or choose other ports (LIAISON_NATS_PORT, LIAISON_NATS_MONITOR_PORT, LIAISON_CONSOLE_PORT, LIAISON_FIRST_AP_PORT).`,
    );
  }
}

/** A free port chosen by the OS (for tests and for a stack started with port 0). */
export function freePort(host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen({ host, port: 0 }, () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}
