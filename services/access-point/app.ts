// The access point's HTTP API: built from its dependencies without listening, so tests can
// app.inject() and main.ts can listen.
import { z } from "zod";
import { AuditAction, AuditOutcome, type AuditEmitter } from "../../src/audit/mod.js";
import { createHttpApp, installAuditHook, installAuth, type LiaisonApp, type UserStore } from "../../src/http/mod.js";
import type { Logger } from "../../src/log/mod.js";
import type { HubClient } from "../../src/hub-rpc/mod.js";
import type { Mailbox } from "./mailbox.js";
import { messageRoutes } from "./routes/messages.js";
import { fileRoutes } from "./routes/files.js";
import { recordRoutes } from "./routes/records.js";

export interface AccessPointAppDeps {
  readonly cp: string;
  readonly mailbox: Mailbox;
  readonly hub: HubClient;
  readonly users: UserStore;
  readonly audit: AuditEmitter;
  readonly log: Logger;
  readonly bodyLimit: number;
  readonly maxAttachmentBytes: number;
  /** Extra route plugins (records, files) registered by later features. */
  readonly plugins?: ReadonlyArray<(app: LiaisonApp) => Promise<void>>;
}

export async function buildAccessPointApp(d: AccessPointAppDeps): Promise<LiaisonApp> {
  const app = await createHttpApp({
    title: `Liaison access point ${d.cp}`,
    description: `The national access point of contact point ${d.cp}: send, receive and read end-to-end encrypted mutual-assistance messages.`,
    log: d.log,
    bodyLimit: d.bodyLimit,
  });
  installAuth(app, d.users, {
    onRefused: async (req, code, user) => {
      await d.audit.emit({
        action: AuditAction.AUDIT_ACTION_REFUSAL,
        authority: d.cp,
        userId: user?.id ?? "anonymous",
        objectType: "route",
        objectId: `${req.method} ${req.routeOptions.url ?? req.url}`,
        outcome: AuditOutcome.AUDIT_OUTCOME_REFUSED,
        reasonCode: code,
      });
    },
    onLogin: async (req, user) => {
      await d.audit.emit({
        action: AuditAction.AUDIT_ACTION_LOGIN,
        authority: d.cp,
        userId: user.id,
        objectType: "token",
        objectId: user.id,
        details: { role: user.role },
      });
    },
  });
  installAuditHook(app, { emitter: d.audit, authority: () => d.cp });

  app.get(
    "/healthz",
    { schema: { summary: "Liveness and inbox size", tags: ["operations"], response: { 200: z.object({ status: z.literal("ok"), cp: z.string(), messages: z.number() }) } } },
    async () => ({ status: "ok" as const, cp: d.cp, messages: d.mailbox.size }),
  );
  await app.register(async (scope) => messageRoutes(scope, { mailbox: d.mailbox, audit: d.audit, maxAttachmentBytes: d.maxAttachmentBytes }));
  await app.register(async (scope) => recordRoutes(scope, { hub: d.hub, mailbox: d.mailbox }));
  await app.register(async (scope) => fileRoutes(scope, { hub: d.hub, mailbox: d.mailbox }));
  for (const p of d.plugins ?? []) await app.register(async (scope) => p(scope));
  return app;
}
