// Settings of `npm start` / `liaison start`: the whole system on one machine.
import { z } from "zod";
import { zCpList, zHome, zLargeFileStoreBytes, zLogLevel, zPort, DEFAULT_HOME } from "./common.js";
import { zDurationMs } from "./duration.js";
import { DEFAULT_TOKEN_TTL_MS } from "./http.js";

export const DEFAULT_STACK_ACCESS_POINTS = ["BE", "NL", "DE", "FR"];
export const DEFAULT_NATS_PORT = 4222;
export const DEFAULT_NATS_MONITOR_PORT = 8222;
export const DEFAULT_CONSOLE_PORT = 8400;
export const DEFAULT_FIRST_AP_PORT = 8401;
export const DEFAULT_STACK_LARGE_FILE_STORE_BYTES = 2 * 1024 * 1024 * 1024;

export const stackSchema = z
  .object({
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
  /**
   * LIAISON_CLUSTER=3: run the embedded NATS as a JetStream cluster of that many local nodes
   * (client ports from LIAISON_NATS_PORT on, monitoring from LIAISON_NATS_MONITOR_PORT on); 0: one node.
   */
  cluster: z.coerce
    .number()
    .int()
    .min(0)
    .max(7)
    .refine((n) => n === 0 || n === 1 || n >= 3, "a cluster needs at least 3 nodes to survive the loss of one")
    .default(0),
  /** How long the tokens a start issues stay valid (LIAISON_TOKEN_TTL, e.g. 12h); each start issues new ones. */
  tokenTtl: zDurationMs.default(DEFAULT_TOKEN_TTL_MS),
  /** Stream replicas (LIAISON_REPLICAS); default 3 on a cluster, 1 on one node. */
  replicas: z.coerce.number().int().min(1).max(5).optional(),
  /**
   * Each contact point's large-file store at the hub holds at most this many bytes
   * (LIAISON_LARGE_FILE_STORE_BYTES): 2 GiB here, so that the stores of four access points fit in
   * the embedded server's 20 GB of JetStream beside the other streams.
   */
  largeFileStoreBytes: zLargeFileStoreBytes.default(DEFAULT_STACK_LARGE_FILE_STORE_BYTES),
})
  .transform((c) => ({ ...c, replicas: c.replicas ?? (c.cluster >= 3 ? 3 : 1) }));
export type StackConfig = z.output<typeof stackSchema>;
