// Settings of the exchange: where the hub's signing key is, the replay window, size limits.
import { join } from "node:path";
import { z } from "zod";
import { DUPLICATE_WINDOW_MS } from "../nats/mod.js";
import { baseFields, defaultRegistryKeyFile, registryFields } from "./common.js";
import { zDurationMs } from "./duration.js";

export const DEFAULT_MAX_ENVELOPE_BYTES = 4 * 1024 * 1024;

export const exchangeSchema = z
  .object({
    ...baseFields,
    ...registryFields,
    /** The hub's key file (owner HUB): signs acceptance and rejection receipts. */
    hubKeyFile: z.string().min(1).optional(),
    /** An envelope's creation time may precede its arrival at the hub by at most this. */
    replayWindow: zDurationMs
      .default(5 * 60_000)
      .refine((ms) => ms < DUPLICATE_WINDOW_MS, `must be shorter than the JetStream duplicate window (${DUPLICATE_WINDOW_MS / 60_000} min)`),
    /** ...and follow it by at most this (clocks disagree a little). */
    clockSkew: zDurationMs.default(60_000),
    maxEnvelopeBytes: z.coerce.number().int().positive().default(DEFAULT_MAX_ENVELOPE_BYTES),
    /** Prometheus metrics on this port (0 = none). */
    metricsPort: z.coerce.number().int().min(0).max(65_535).default(0),
  })
  .transform((c) => ({ ...c, hubKeyFile: c.hubKeyFile ?? join(c.home, "secrets", "hub-keys.json"), registryKeyFile: c.registryKeyFile ?? defaultRegistryKeyFile(c.home) }));
export type ExchangeConfig = z.output<typeof exchangeSchema>;
