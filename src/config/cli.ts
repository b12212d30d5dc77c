// Settings of the `liaison` command: where the stack lives, and which API and token to use when
// not naming an access point of the local stack.
import { z } from "zod";
import { DEFAULT_KEY_ACTIVATION_DELAY_MS, DEFAULT_KEY_EXPIRY_WARNING_DAYS } from "../domain/mod.js";
import { DEFAULT_LARGE_FILE_STORE_BYTES } from "../nats/mod.js";
import { DEFAULT_HOME, zHome, zLargeFileStoreBytes } from "./common.js";
import { zDurationMs } from "./duration.js";

export const cliSchema = z.object({
  home: zHome.default(DEFAULT_HOME),
  /** An access point or console URL (LIAISON_URL), used when --ap is not given. */
  url: z.string().url().optional(),
  /** A bearer token (LIAISON_TOKEN). */
  token: z.string().min(1).optional(),
  natsUrl: z.string().min(1).optional(),
  natsCreds: z.string().min(1).optional(),
  /** `liaison registry list` flags keys whose validity ends within this many days. */
  keyExpiryWarningDays: z.coerce.number().int().min(0).default(DEFAULT_KEY_EXPIRY_WARNING_DAYS),
  /** `liaison keys rotate`: the new encryption key is valid from this long after the rotation. */
  keyActivationDelay: zDurationMs.default(DEFAULT_KEY_ACTIVATION_DELAY_MS),
  /** The registry's public key, to check entries (default $LIAISON_HOME/secrets/registry-key.pub). */
  registryKeyFile: z.string().min(1).optional(),
  /** Stream replicas for `liaison provision` (LIAISON_REPLICAS). */
  replicas: z.coerce.number().int().min(1).max(5).default(1),
  /** `liaison provision`: each contact point's large-file store holds at most this many bytes (LIAISON_LARGE_FILE_STORE_BYTES). */
  largeFileStoreBytes: zLargeFileStoreBytes.default(DEFAULT_LARGE_FILE_STORE_BYTES),
});
export type CliConfig = z.output<typeof cliSchema>;
