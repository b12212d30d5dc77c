// The process of a hub service that needs the hub's keys, the registry's trust and one NATS
// connection (exchange, usage, operations): its settings, its logger and its connection; on stop
// the service closes before the connection drains.
import type { NatsConnection } from "@nats-io/nats-core";
import { readKeyFile, type ContactPointKeys } from "../crypto/mod.js";
import { createLogger, type Logger } from "../log/mod.js";
import { connectNats } from "../nats/mod.js";
import { readRegistryTrust, type RegistryTrust } from "../registry/mod.js";
import { runMain } from "./main.js";

/** The settings such a service has, whatever else its schema holds. */
export interface HubServiceSettings {
  readonly natsUrl: string;
  readonly natsCreds?: string | undefined;
  readonly logLevel: Parameters<typeof createLogger>[1];
  readonly hubKeyFile: string;
  readonly registryKeyFile: string;
}

export interface HubServiceProcess<C> {
  readonly cfg: C;
  readonly log: Logger;
  readonly nc: NatsConnection;
  readonly hubKeys: ContactPointKeys;
  readonly registryTrust: RegistryTrust;
}

export function runHubServiceMain<C extends HubServiceSettings>(
  service: string,
  /** Its settings: `() => loadConfig(service, schema)`. */
  settings: () => C,
  start: (p: HubServiceProcess<C>) => Promise<{ close(): Promise<void> }>,
): Promise<void> {
  return runMain(service, async () => {
    const cfg = settings();
    const log = createLogger(service, cfg.logLevel);
    const hubKeys = readKeyFile(cfg.hubKeyFile);
    const nc = await connectNats({ url: cfg.natsUrl, name: `liaison-${service}`, ...(cfg.natsCreds ? { credsFile: cfg.natsCreds } : {}), log, waitOnFirstConnect: true });
    const running = await start({ cfg, log, nc, hubKeys, registryTrust: readRegistryTrust(cfg.registryKeyFile) });
    return {
      close: async () => {
        await running.close();
        await nc.drain();
      },
    };
  });
}
