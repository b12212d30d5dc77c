// Connecting to NATS with a service's or access point's own credentials, reconnecting forever
// with jitter, and logging every status change (never the credentials).
import { credsAuthenticator, nkeyAuthenticator, type NatsConnection } from "@nats-io/nats-core";
import { connect } from "@nats-io/transport-node";
import { readSecretFile } from "../crypto/mod.js";
import { LiaisonError } from "../errors.js";
import type { Logger } from "../log/mod.js";

export const RECONNECT_SETTINGS = Object.freeze({
  maxReconnectAttempts: -1,
  reconnectTimeWait: 500,
  reconnectJitter: 250,
  pingInterval: 10_000,
  maxPingOut: 3,
});

export interface ConnectOptions {
  readonly url: string;
  /** Shown in the server's connection list (`nats server report connections`). */
  readonly name: string;
  /** An nkey seed file or a .creds file; must not be readable by group or others. */
  readonly credsFile?: string;
  readonly log?: Logger;
  /** Keep trying until the server answers (services); CLI tools fail fast instead. */
  readonly waitOnFirstConnect?: boolean;
  readonly timeoutMs?: number;
  /** Reply subjects under this prefix: a contact point's permissions admit only its own (_INBOX_BE). */
  readonly inboxPrefix?: string;
}

function authenticatorFor(credsFile: string) {
  const bytes = readSecretFile(credsFile);
  const text = new TextDecoder().decode(bytes).trim();
  if (text.includes("BEGIN NATS USER JWT")) return credsAuthenticator(bytes);
  return nkeyAuthenticator(new TextEncoder().encode(text));
}

export async function connectNats(opts: ConnectOptions): Promise<NatsConnection> {
  let nc: NatsConnection;
  try {
    nc = await connect({
      servers: opts.url.split(",").map((s) => s.trim()),
      name: opts.name,
      ...RECONNECT_SETTINGS,
      waitOnFirstConnect: opts.waitOnFirstConnect ?? false,
      // nats.js builds an Error (a stack trace) and a timer for every request to report where a
      // failed request started. At thousands of requests a second that was a fifth of a service's
      // CPU; our errors carry reason codes instead.
      noAsyncTraces: true,
      timeout: opts.timeoutMs ?? 5_000,
      ...(opts.credsFile ? { authenticator: authenticatorFor(opts.credsFile) } : {}),
      ...(opts.inboxPrefix ? { inboxPrefix: opts.inboxPrefix } : {}),
    });
  } catch (err) {
    if (err instanceof LiaisonError) throw err;
    throw new LiaisonError("LIAISON_NATS_UNAVAILABLE", `cannot connect to NATS at ${opts.url}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const log = opts.log;
  if (log) {
    void (async () => {
      for await (const s of nc.status()) {
        if (s.type === "ping" || s.type === "update") continue;
        const level = s.type === "reconnect" ? "info" : s.type === "disconnect" || s.type === "error" ? "warn" : "debug";
        log[level]({ nats: s.type }, `nats ${s.type}`);
      }
    })();
  }
  return nc;
}
