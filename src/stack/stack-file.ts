// $LIAISON_HOME/stack.json: what a running stack offers (URLs and this start's tokens), read by the
// CLI's `--ap BE` and by tests. Written atomically; readable only by its owner, as it holds tokens
// while the stack runs (they are blanked when it stops).
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { LiaisonError } from "../errors.js";

export const stackFileSchema = z.object({
  ready: z.boolean(),
  home: z.string(),
  pid: z.number().int(),
  startedAt: z.string(),
  nats: z.object({
    url: z.string(),
    embedded: z.boolean(),
    /** What the server reports (INFO), e.g. "2.15.3". */
    version: z.string().optional(),
    /** The hub administrator's nkey seed (the whole HUB account): `nats --nkey <file> micro ls`. */
    adminCreds: z.string().optional(),
    /** The SYS account's nkey seed: `nats --nkey <file> server list`. */
    systemCreds: z.string().optional(),
    /** The pinned `nats` CLI, when installed (scripts/install-nats.sh). */
    cli: z.string().optional(),
    /** With LIAISON_CLUSTER: the cluster's name and every node (url lists them all, comma-separated). */
    cluster: z.string().optional(),
    nodes: z.array(z.object({ name: z.string(), url: z.string(), monitorUrl: z.string().optional(), pid: z.number().int().optional(), guardPid: z.number().int().optional() })).optional(),
    monitorUrl: z.string().optional(),
    pid: z.number().int().optional(),
    /** The process that stops the embedded server should the stack die (src/nats/server-guard.ts). */
    guardPid: z.number().int().optional(),
  }),
  accessPoints: z.record(
    z.string(),
    z.object({
      url: z.string(),
      operatorToken: z.string(),
      operatorUser: z.string(),
      /** The demo administrator of the access point (docs/users.md): manages its users, reads no content. */
      adminToken: z.string().optional(),
      /** Where the access point connects, and its nkey seed: use the `nats` CLI as that member. */
      natsUrl: z.string().optional(),
      natsCreds: z.string().optional(),
      /** Only while it runs (see `services` for its state). */
      pid: z.number().int().optional(),
    }),
  ),
  console: z.object({ url: z.string(), supervisorToken: z.string(), operationsToken: z.string(), pid: z.number().int().optional() }).optional(),
  /**
   * Every child process of the stack (hub services, access points as access-point-<CP>, the
   * console), kept current as they die and restart: a pid only while the child runs.
   */
  services: z.array(
    z.object({
      name: z.string(),
      pid: z.number().int().optional(),
      state: z.enum(["starting", "running", "restarting", "failed", "stopped"]).optional(),
      exited: z.object({ at: z.string(), code: z.number().int().optional(), signal: z.string().optional() }).optional(),
    }),
  ),
});
export type StackFile = z.infer<typeof stackFileSchema>;

export const stackFilePath = (home: string) => join(home, "stack.json");

export function writeStackFile(home: string, data: StackFile): void {
  const path = stackFilePath(home);
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(data, null, 2) + "\n", { mode: 0o600 });
  renameSync(tmp, path);
}

export function readStackFile(home: string): StackFile {
  const path = stackFilePath(home);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new LiaisonError("LIAISON_NOT_FOUND", `no running stack described at ${path}; start one with \`npm start\``, { cause: err });
  }
  const parsed = stackFileSchema.safeParse(raw);
  if (!parsed.success) throw new LiaisonError("LIAISON_CONFIG_INVALID", `${path}: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}
