// The CLI's HTTP client for an access point or the console: `--ap BE` takes the URL and token from
// $LIAISON_HOME/stack.json; `--url`/`--token` (or LIAISON_URL, LIAISON_TOKEN) name any other.
// Without either, a stack of one access point means that one; a stack of several is refused: which
// member's operator acts (sends, reads, erases, under that member's audit trail) is never guessed.
import type { Command } from "commander";
import { cliSchema, loadConfig } from "../config/mod.js";
import { ERRORS, LiaisonError, isErrorCode } from "../errors.js";
import { readStackFile } from "../stack/mod.js";

export interface TargetOptions {
  readonly ap?: string;
  readonly url?: string;
  readonly token?: string;
}

/** What every access-point command takes: which access point, and how to print. */
export type Common = TargetOptions & { json?: boolean };

/** The options every access-point command takes: which access point, and how to print. */
export function target(cmd: Command): Command {
  return cmd
    .option("--ap <cp>", "an access point of the local stack ($LIAISON_HOME/stack.json)")
    .option("--url <url>", "an access point's URL (or LIAISON_URL)")
    .option("--token <token>", "a bearer token (or LIAISON_TOKEN)")
    .option("--json", "print JSON instead of a table");
}

export interface Target {
  readonly url: string;
  readonly token: string;
}

export function resolveTarget(o: TargetOptions, want: "access-point" | "console" = "access-point"): Target {
  const cfg = loadConfig("cli", cliSchema);
  if (o.url || (!o.ap && cfg.url)) {
    const url = o.url ?? cfg.url ?? "";
    const token = o.token ?? cfg.token;
    if (!token) throw new LiaisonError("LIAISON_UNAUTHENTICATED", "give --token or set LIAISON_TOKEN");
    return { url, token };
  }
  const stack = readStackFile(cfg.home);
  if (want === "console") {
    if (!stack.console) throw new LiaisonError("LIAISON_NOT_FOUND", "the running stack has no console");
    return { url: stack.console.url, token: o.token ?? stack.console.supervisorToken };
  }
  const have = Object.keys(stack.accessPoints);
  if (!o.ap && have.length > 1) {
    throw new LiaisonError("LIAISON_VALIDATION", `${cfg.home}/stack.json has ${have.length} access points (${have.join(", ")}): say which member acts with --ap ${have[0]} (or set LIAISON_URL and LIAISON_TOKEN)`);
  }
  const cp = o.ap ?? have[0];
  const ap = cp ? stack.accessPoints[cp] : undefined;
  if (!ap) throw new LiaisonError("LIAISON_UNKNOWN_CONTACT_POINT", `no access point ${cp ?? ""} in ${cfg.home}/stack.json (have ${have.join(", ") || "none"})`);
  return { url: ap.url, token: o.token ?? ap.operatorToken };
}

/** Calls the API; a problem+json answer becomes the LiaisonError it describes. */
export async function callApi<T>(t: Target, method: string, path: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(new URL(path, t.url), {
      method,
      headers: { authorization: `Bearer ${t.token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch (err) {
    throw new LiaisonError("LIAISON_UNAVAILABLE", `cannot reach ${t.url}`, { cause: err });
  }
  const text = await res.text();
  const json = text ? (JSON.parse(text) as unknown) : undefined;
  if (!res.ok) {
    const p = json as { code?: string; detail?: string } | undefined;
    const code = p?.code && isErrorCode(p.code) ? p.code : "LIAISON_INTERNAL";
    throw new LiaisonError(code, p?.detail ?? `${res.status} ${ERRORS[code].message}`);
  }
  return json as T;
}
