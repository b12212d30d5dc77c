// What most parts of a service are given, declared once: the registry as it stands, the audit
// emitter, a logger and the clock. A part's own dependencies extend it.
import type { AuditEmitter } from "../audit/mod.js";
import type { Logger } from "../log/mod.js";
import type { RegistryView } from "../registry/mod.js";

export interface PartContext {
  /** The registry as it stands (a watched view: call it each time). */
  readonly registry: () => RegistryView;
  readonly audit: AuditEmitter;
  readonly log: Logger;
  /** The clock: Date.now unless a test sets one. */
  readonly now: () => number;
}
