// Hub services keep a live view of the registry by watching its KV bucket: the initial contents
// first, then every change as it happens (a revoked key is refused within moments).
import { Kvm } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/nats-core";
import { decodeAs } from "../crypto/mod.js";
import type { Logger } from "../log/mod.js";
import { pb } from "../proto/mod.js";
import { RegistryView } from "./view.js";

export interface RegistryWatch {
  readonly view: RegistryView;
  /** Called after each change (the exchange republishes a notice for access points). */
  onChange(fn: (code: string) => void): void;
  stop(): void;
}

export async function watchRegistry(nc: NatsConnection, log: Logger, now: () => number = Date.now): Promise<RegistryWatch> {
  const kv = await new Kvm(nc).open("registry");
  const view = new RegistryView([], now);
  const listeners: Array<(code: string) => void> = [];
  const status = await kv.status();
  const iter = await kv.watch({ key: "cp.>" });
  let initialDone: () => void = () => undefined;
  const initial = new Promise<void>((r) => (initialDone = r));
  if (status.values === 0) initialDone();
  void (async () => {
    for await (const e of iter) {
      const code = e.key.slice("cp.".length);
      if (e.operation === "PUT") {
        try {
          view.put(decodeAs((b) => pb.ContactPoint.decode(b), e.value, "ContactPoint"));
        } catch (err) {
          log.error({ err, key: e.key }, "unreadable registry entry ignored");
        }
      } else {
        view.remove(code);
      }
      if (e.delta === 0) initialDone();
      if (e.isUpdate) for (const fn of listeners) fn(code);
    }
  })();
  await initial;
  return { view, onChange: (fn) => listeners.push(fn), stop: () => iter.stop() };
}
