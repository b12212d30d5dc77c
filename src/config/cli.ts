// Settings of the `liaison` command: where the stack lives, and which API and token to use when
// not naming an access point of the local stack.
import { z } from "zod";
import { DEFAULT_HOME, zHome } from "./common.js";

export const cliSchema = z.object({
  home: zHome.default(DEFAULT_HOME),
  /** An access point or console URL (LIAISON_URL), used when --ap is not given. */
  url: z.string().url().optional(),
  /** A bearer token (LIAISON_TOKEN). */
  token: z.string().min(1).optional(),
  natsUrl: z.string().min(1).optional(),
  natsCreds: z.string().min(1).optional(),
  /** Stream replicas for `liaison provision` (LIAISON_REPLICAS). */
  replicas: z.coerce.number().int().min(1).max(5).default(1),
});
export type CliConfig = z.output<typeof cliSchema>;
