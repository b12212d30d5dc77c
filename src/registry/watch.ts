// Hub services keep a live view of the registry by watching its KV bucket: the initial contents
// first, then every change as it happens (a revoked key is refused within moments). Each entry is
// checked against the registry key first: one that is not signed by it, is signed for another
// code, or is older than one seen already is refused (reported through `onRefused`, and logged),
// and the view keeps the entry it had.
import { Kvm } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/nats-core";
import { toLiaisonError, type LiaisonError } from "../errors.js";
import type { Logger } from "../log/mod.js";
import { pb } from "../proto/mod.js";
import { VersionFloor, verifyEntry, type RegistryTrust } from "./signing.js";
import { RegistryView } from "./view.js";

export interface RegistryWatch {
  readonly view: RegistryView;
  /** Every entry the view holds, as signed (what the exchange serves to access points). */
  signed(): pb.ISignedContactPoint[];
  /** Called after each change (the exchange republishes a notice for access points). */
  onChange(fn: (code: string) => void): void;
  stop(): void;
}

/** A registry entry a reader refused: its code (as the bucket names it) and why. */
export type RegistryRefusal = (code: string, err: LiaisonError) => void;

export interface RegistryReaderOptions {
  readonly trust: RegistryTrust;
  readonly now?: () => number;
  /** Each refused entry, so the service can log it as an audit event. */
  readonly onRefused?: RegistryRefusal;
}

export async function watchRegistry(nc: NatsConnection, log: Logger, o: RegistryReaderOptions): Promise<RegistryWatch> {
  const kv = await new Kvm(nc).open("registry");
  const view = new RegistryView([], o.now ?? Date.now);
  const floor = new VersionFloor();
  const signed = new Map<string, pb.ISignedContactPoint>();
  const listeners: Array<(code: string) => void> = [];
  const status = await kv.status();
  const iter = await kv.watch({ key: "cp.>" });
  let initialDone: () => void = () => undefined;
  const initial = new Promise<void>((r) => (initialDone = r));
  if (status.values === 0) initialDone();
  void (async () => {
    for await (const e of iter) {
      const code = e.key.slice("cp.".length);
      let changed = true;
      if (e.operation === "PUT") {
        try {
          const cp = verifyEntry(e.value, o.trust, code);
          floor.accept(cp);
          view.put(cp);
          signed.set(code, pb.SignedContactPoint.decode(e.value));
        } catch (err) {
          changed = false;
          const le = toLiaisonError(err);
          log.error({ code, key: e.key, revision: e.revision, reason: le.code, detail: le.detail }, "registry entry refused; keeping the one held before");
          o.onRefused?.(code, le);
        }
      } else {
        // A deleted entry: nobody may send to or as that member any more.
        view.remove(code);
        signed.delete(code);
      }
      if (e.delta === 0) initialDone();
      if (changed && e.isUpdate) for (const fn of listeners) fn(code);
    }
  })();
  await initial;
  return { view, signed: () => [...signed.values()], onChange: (fn) => listeners.push(fn), stop: () => iter.stop() };
}
