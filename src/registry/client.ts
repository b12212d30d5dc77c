// Access points read the registry through the exchange's read endpoint (they have no access to the
// hub's KV), refreshing when the hub announces a change and at a fixed interval. They trust neither
// the exchange nor the channel: each entry must carry the registry key's signature (the registry
// public key is in the access point's configuration), and none may be older than one seen before.
import type { NatsConnection } from "@nats-io/nats-core";
import { decodeAs } from "../crypto/mod.js";
import { toLiaisonError } from "../errors.js";
import type { Logger } from "../log/mod.js";
import { requestService, subjects } from "../nats/mod.js";
import { pb } from "../proto/mod.js";
import { VersionFloor, verifyEntry } from "./signing.js";
import { RegistryView } from "./view.js";
import type { RegistryReaderOptions } from "./watch.js";

export const REGISTRY_LIST_SUBJECT = subjects.api("registry", "list");
export const REGISTRY_CHANGED_SUBJECT = subjects.live("registry");

export interface RegistryFollower {
  readonly view: () => RegistryView;
  refresh(): Promise<void>;
  stop(): void;
}

/**
 * The registry as the exchange serves it, every entry checked. A refused entry is reported and
 * left out, or (with `previous`) the entry held before is kept.
 */
export async function fetchRegistry(nc: NatsConnection, o: RegistryReaderOptions & { log?: Logger; previous?: RegistryView; floor?: VersionFloor }): Promise<RegistryView> {
  const bytes = await requestService(nc, REGISTRY_LIST_SUBJECT, new Uint8Array());
  const snap = decodeAs((b) => pb.RegistrySnapshot.decode(b), bytes, "RegistrySnapshot");
  const floor = o.floor ?? new VersionFloor();
  const view = new RegistryView([], o.now ?? Date.now);
  for (const signed of snap.entries) {
    const raw = pb.SignedContactPoint.encode(signed).finish();
    try {
      const cp = verifyEntry(raw, o.trust);
      floor.accept(cp);
      view.put(cp);
    } catch (err) {
      const le = toLiaisonError(err);
      let claimed = "?";
      try {
        claimed = pb.ContactPoint.decode(signed.entry ?? new Uint8Array()).code || "?";
      } catch {
        // Not even a contact point: reported under "?".
      }
      o.log?.error({ code: claimed, reason: le.code, detail: le.detail }, "registry entry refused; keeping the one held before");
      o.onRefused?.(claimed, le);
      const before = o.previous?.get(claimed);
      if (before) view.put(before);
    }
  }
  return view;
}

/** Waits for the registry: at start an access point may come up before the exchange does. */
async function fetchWithRetry(nc: NatsConnection, log: Logger, o: RegistryReaderOptions & { floor: VersionFloor }): Promise<RegistryView> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fetchRegistry(nc, { ...o, log });
    } catch (err) {
      if (attempt % 5 === 0) log.warn({ err }, "registry not available yet; retrying");
      await new Promise((r) => setTimeout(r, Math.min(2_000, 100 * 2 ** attempt)));
    }
  }
}

export async function followRegistry(nc: NatsConnection, log: Logger, o: RegistryReaderOptions & { refreshMs?: number }): Promise<RegistryFollower> {
  const floor = new VersionFloor();
  let view = await fetchWithRetry(nc, log, { ...o, floor });
  const refresh = async () => {
    try {
      view = await fetchRegistry(nc, { ...o, log, previous: view, floor });
    } catch (err) {
      log.warn({ err }, "registry refresh failed; keeping the last view");
    }
  };
  const sub = nc.subscribe(REGISTRY_CHANGED_SUBJECT, { callback: () => void refresh() });
  const timer = setInterval(() => void refresh(), o.refreshMs ?? 60_000);
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
