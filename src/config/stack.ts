// Settings of `npm start` / `liaison start`: the whole system on one machine.
import { z } from "zod";
import { zCpList, zHome, zLogLevel, zPort, DEFAULT_HOME } from "./common.js";
import { zDurationMs } from "./duration.js";

export const DEFAULT_STACK_ACCESS_POINTS = ["BE", "NL", "DE", "FR"];
export const DEFAULT_NATS_PORT = 4222;
export const DEFAULT_NATS_MONITOR_PORT = 8222;
export const DEFAULT_CONSOLE_PORT = 8400;
export const DEFAULT_FIRST_AP_PORT = 8401;

export const stackSchema = z.object({
  home: zHome.default(DEFAULT_HOME),
  logLevel: zLogLevel.default("info"),
  /** When set, the stack uses this server instead of starting its own. */
  natsUrl: z.string().min(1).optional(),
  natsPort: zPort.default(DEFAULT_NATS_PORT),
  natsMonitorPort: zPort.default(DEFAULT_NATS_MONITOR_PORT),
  /** A nats-server binary of the pinned version or newer; default: the pinned build, installed on first start. */
  natsServerBin: z.string().min(1).optional(),
  /** Where scripts/install-nats.sh keeps the pinned nats-server and `nats` CLI (default ~/.cache/liaison/tools). */
  tools: z.string().min(1).optional(),
  /** The PATH searched for a recent enough `nats-server` when no pinned build is installed. */
  path: z.string().optional(),
  host: z.string().min(1).default("127.0.0.1"),
  accessPoints: zCpList.default(DEFAULT_STACK_ACCESS_POINTS),
  consolePort: zPort.default(DEFAULT_CONSOLE_PORT),
  firstApPort: zPort.default(DEFAULT_FIRST_AP_PORT),
  /** How long a service may take to report ready. */
  startTimeout: zDurationMs.default(60_000),
  /** How long children get to stop after SIGTERM before SIGKILL. */
  stopTimeout: zDurationMs.default(10_000),
});
export type StackConfig = z.output<typeof stackSchema>;
