// Hub-side commands (retention, status) talk to NATS directly with the operator's credentials:
// NATS_URL / NATS_CREDS, or the local stack's URL and its administrator nkey.
import { join } from "node:path";
import type { NatsConnection } from "@nats-io/nats-core";
import { cliSchema, loadConfig } from "../config/mod.js";
import { connectNats } from "../nats/mod.js";
import { readStackFile } from "../stack/mod.js";

export async function hubConnection(name: string): Promise<NatsConnection> {
  const cfg = loadConfig("cli", cliSchema);
  const url = cfg.natsUrl ?? readStackFile(cfg.home).nats.url;
  const credsFile = cfg.natsCreds ?? join(cfg.home, "secrets", "nkeys", "stack-admin.nk");
  return connectNats({ url, name, credsFile });
}
