// Access points read the registry through the exchange's read endpoint (they have no access to the
// hub's KV), refreshing when the hub announces a change and at a fixed interval.
import type { NatsConnection } from "@nats-io/nats-core";
import { decodeAs } from "../crypto/mod.js";
import type { Logger } from "../log/mod.js";
import { requestService, subjects } from "../nats/mod.js";
import { pb } from "../proto/mod.js";
import { RegistryView } from "./view.js";

export const REGISTRY_LIST_SUBJECT = subjects.api("registry", "list");
export const REGISTRY_CHANGED_SUBJECT = subjects.live("registry");

export interface RegistryFollower {
  readonly view: () => RegistryView;
  refresh(): Promise<void>;
  stop(): void;
}

export async function fetchRegistry(nc: NatsConnection, now: () => number = Date.now): Promise<RegistryView> {
  const bytes = await requestService(nc, REGISTRY_LIST_SUBJECT, new Uint8Array());
  const snap = decodeAs((b) => pb.RegistrySnapshot.decode(b), bytes, "RegistrySnapshot");
  return new RegistryView(snap.contactPoints, now);
}

/** Waits for the registry: at start an access point may come up before the exchange does. */
async function fetchWithRetry(nc: NatsConnection, log: Logger, now?: () => number): Promise<RegistryView> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fetchRegistry(nc, now);
    } catch (err) {
      if (attempt % 5 === 0) log.warn({ err }, "registry not available yet; retrying");
      await new Promise((r) => setTimeout(r, Math.min(2_000, 100 * 2 ** attempt)));
    }
  }
}

export async function followRegistry(nc: NatsConnection, log: Logger, opts: { refreshMs?: number; now?: () => number } = {}): Promise<RegistryFollower> {
  let view = await fetchWithRetry(nc, log, opts.now);
  const refresh = async () => {
    try {
      view = await fetchRegistry(nc, opts.now);
    } catch (err) {
      log.warn({ err }, "registry refresh failed; keeping the last view");
    }
  };
  const sub = nc.subscribe(REGISTRY_CHANGED_SUBJECT, { callback: () => void refresh() });
  const timer = setInterval(() => void refresh(), opts.refreshMs ?? 60_000);
  timer.unref();
  return {
    view: () => view,
    refresh,
    stop: () => {
      clearInterval(timer);
      sub.unsubscribe();
    },
  };
}
