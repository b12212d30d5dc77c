// Settings of the console: where it listens, its users (supervisor and operations tokens), and
// the NATS monitoring URL whose /healthz it shows (optional).
import { join } from "node:path";
import { z } from "zod";
import { baseFields, zPort } from "./common.js";
import { checkHttpLimits, httpLimitFields } from "./http.js";
import { DEFAULT_CONSOLE_PORT } from "./stack.js";

export const consoleSchema = z
  .object({
    ...baseFields,
    usersFile: z.string().min(1).optional(),
    host: z.string().min(1).default("127.0.0.1"),
    port: zPort.default(DEFAULT_CONSOLE_PORT),
    natsMonitorUrl: z.url().optional(),
    /** Rate limits, timeouts, connection cap, refusal log window, users file reload (config/http.ts). */
    ...httpLimitFields,
  })
  .superRefine(checkHttpLimits)
  .transform((c) => ({ ...c, usersFile: c.usersFile ?? join(c.home, "console", "users.json") }));
export type ConsoleConfig = z.output<typeof consoleSchema>;
