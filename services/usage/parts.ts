// What the usage service's stateful parts (counter.ts, dormancy.ts) are built from.
import type { Logger } from "../../src/log/mod.js";
import type { Lease } from "../../src/nats/mod.js";
import type { RegistryView } from "../../src/registry/mod.js";
import type { UsageStore } from "./store.js";

export interface UsageParts {
  readonly store: UsageStore;
  /** The registry as last verified: who is a member. */
  readonly registry: () => RegistryView;
  /** Held by the replica that counts and sends the dormancy notices. */
  readonly lease: Lease;
  readonly log: Logger;
  readonly now: () => number;
}
