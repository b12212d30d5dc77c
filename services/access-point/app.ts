// The access point's HTTP API: built from its dependencies without listening, so tests can
// app.inject() and main.ts can listen.
import { z } from "zod";
import type { AuditEmitter } from "../../src/audit/mod.js";
import type { HttpLimits } from "../../src/config/mod.js";
import { createAuditedApp, type LiaisonApp, type UserStore } from "../../src/http/mod.js";
import type { Logger } from "../../src/log/mod.js";
import type { HubClient } from "../../src/hub-rpc/mod.js";
import type { Mailbox } from "./mailbox.js";
import type { LargeFiles } from "./large-files.js";
import { messageRoutes } from "./routes/messages.js";
import { uploadRoutes } from "./routes/uploads.js";
import { fileRoutes } from "./routes/files.js";
import { recordRoutes } from "./routes/records.js";
import { userRoutes } from "./routes/users.js";
import { operationRoutes } from "./routes/operations.js";
import { consoleRoutes } from "./routes/console.js";

const healthSchema = z.object({ status: z.enum(["up", "down"]) });

export interface AccessPointAppDeps {
  readonly cp: string;
  readonly mailbox: Mailbox;
  readonly hub: HubClient;
  readonly users: UserStore;
  readonly audit: AuditEmitter;
  readonly log: Logger;
  readonly bodyLimit: number;
  readonly maxAttachmentBytes: number;
  /** Large attachments (docs/large-files.md) and how long an upload waits to be sent. */
  readonly largeFiles?: { readonly store: LargeFiles; readonly uploadTtlMs: number };
  /** Whether it can serve (its NATS connection is open); /healthz says up or down from this. */
  readonly isUp: () => boolean;
  /** The HTTP edge's limits (src/config/http.ts); the named defaults otherwise. */
  readonly http?: Partial<HttpLimits>;
  /** Extra route plugins (records, files) registered by later features. */
  readonly plugins?: ReadonlyArray<(app: LiaisonApp) => Promise<void>>;
}

export async function buildAccessPointApp(d: AccessPointAppDeps): Promise<LiaisonApp> {
  const app = await createAuditedApp({
    title: `Liaison access point ${d.cp}`,
    description: `The national access point of contact point ${d.cp}: send, receive and read end-to-end encrypted mutual-assistance messages.`,
    log: d.log,
    bodyLimit: d.bodyLimit,
    http: d.http,
    users: d.users,
    audit: d.audit,
    authority: () => d.cp,
  });

  // Unauthenticated: up or down, nothing about the inbox or the contact point.
  app.get(
    "/healthz",
    { schema: { summary: "Up or down", tags: ["operations"], response: { 200: healthSchema, 503: healthSchema } } },
    async (_req, reply) => (d.isUp() ? { status: "up" as const } : reply.code(503).send({ status: "down" as const })),
  );
  const lf = d.largeFiles;
  await app.register(async (scope) => messageRoutes(scope, { mailbox: d.mailbox, audit: d.audit, maxAttachmentBytes: d.maxAttachmentBytes, ...(lf ? { largeFiles: lf.store } : {}) }));
  if (lf) await app.register(async (scope) => uploadRoutes(scope, { mailbox: d.mailbox, largeFiles: lf.store, audit: d.audit, uploadTtlMs: lf.uploadTtlMs }));
  await app.register(async (scope) => recordRoutes(scope, { hub: d.hub, mailbox: d.mailbox }));
  await app.register(async (scope) => fileRoutes(scope, { hub: d.hub, mailbox: d.mailbox }));
  await app.register(async (scope) => userRoutes(scope, { cp: d.cp, users: d.users }));
  await app.register(async (scope) => operationRoutes(scope, { hub: d.hub }));
  for (const p of d.plugins ?? []) await app.register(async (scope) => p(scope));
  await app.register(async (scope) => consoleRoutes(scope, { cp: d.cp }));
  return app;
}
