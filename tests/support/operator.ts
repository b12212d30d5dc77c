// An access point's operator in tests: its HTTP API through app.inject() and the `liaison` CLI
// against its URL, both with the operator's bearer token.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import type { TestAccessPoint } from "./hub.js";

const run = promisify(execFile);

/** `liaison <args>` against an access point's URL with its operator's token: what it printed. */
export async function cli(ap: TestAccessPoint, url: string, args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], { env: { ...process.env, LIAISON_URL: url, LIAISON_TOKEN: ap.token }, timeout: 60_000 });
  return stdout;
}

/** One call to the access point's API as its operator: the status and the JSON body. */
export async function api<T = Record<string, unknown>>(ap: TestAccessPoint, method: "GET" | "POST" | "PATCH", url: string, payload?: unknown): Promise<{ status: number; body: T }> {
  const res = await ap.app.inject({ method, url, headers: { authorization: `Bearer ${ap.token}` }, ...(payload !== undefined ? { payload: payload as object } : {}) });
  return { status: res.statusCode, body: res.json() as T };
}
