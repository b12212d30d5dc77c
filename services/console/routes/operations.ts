// The operations views' APIs: usage per contact point and month, dormant members, service health
// ($SRV discovery, streams, consumers, NATS), live throughput (Server-Sent Events) and the
// Prometheus exposition of every hub service. Counts and states only, never content.
import type { NatsConnection } from "@nats-io/nats-core";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { AuditOutcome, type AuditEmitter } from "../../../src/audit/mod.js";
import { histogramQuantile } from "../../../src/domain/mod.js";
import { problemSchema } from "../../../src/http/mod.js";
import { scrapeAll } from "../../../src/nats/mod.js";
import { HUB_SERVICES, systemStatus } from "../../../src/ops/mod.js";
import { pb } from "../../../src/proto/mod.js";
import { UsageClient } from "../../../src/usage/mod.js";

export interface OperationsRoutesDeps {
  readonly nc: NatsConnection;
  /** For the throughput stream's own read event (see there). */
  readonly audit: AuditEmitter;
  readonly monitorUrl?: string;
}

const OPERATIONS = ["operations"] as const;
const errors = { 400: problemSchema, 401: problemSchema, 403: problemSchema, 503: problemSchema, 504: problemSchema };
const month = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, "YYYY-MM");
const iso = (ms: number) => (ms > 0 ? new Date(ms).toISOString() : null);

const monthOut = z.object({
  cp: z.string(),
  month: z.string(),
  messagesSent: z.number(),
  messagesReceived: z.number(),
  messagesAnswered: z.number(),
  replyP50Seconds: z.number().nullable().describe("Median reply time (upper bound of its histogram bucket)"),
  replyP90Seconds: z.number().nullable(),
  repliesOnTime: z.number(),
  repliesLate: z.number(),
  recordsSubmitted: z.number(),
  recordsQueried: z.number(),
  recordHits: z.number(),
  filesRegistered: z.number(),
  filesQueried: z.number(),
  fileHits: z.number(),
  refusals: z.number(),
});
const activityOut = z.object({
  cp: z.string(),
  name: z.string(),
  active: z.boolean(),
  lastConnection: z.string().nullable(),
  lastActivity: z.string().nullable(),
  dormant: z.boolean(),
  dormantSince: z.string().nullable(),
  suspensionDue: z.string().nullable(),
  suspensionWarning: z.boolean(),
  notifiedAt: z.string().nullable(),
});
type Activity = z.infer<typeof activityOut>;

function activityView(a: pb.IContactPointActivity): Activity {
  return {
    cp: a.contactPoint ?? "",
    name: a.name ?? "",
    active: Boolean(a.active),
    lastConnection: iso(Number(a.lastConnectionMs)),
    lastActivity: iso(Number(a.lastActivityMs)),
    dormant: Boolean(a.dormant),
    dormantSince: a.dormant ? iso(Number(a.dormantSinceMs)) : null,
    suspensionDue: a.active ? iso(Number(a.suspensionDueMs)) : null,
    suspensionWarning: Boolean(a.suspensionWarning),
    notifiedAt: iso(Number(a.dormantNoticeAtMs)),
  };
}

export async function operationsRoutes(app: FastifyInstance, deps: OperationsRoutesDeps): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const usage = new UsageClient(deps.nc);
  const read = (objectType: string) => ({ roles: OPERATIONS, audit: { action: pb.AuditAction.AUDIT_ACTION_READ, objectType } });

  r.get(
    "/v1/usage",
    {
      schema: {
        summary: "Usage per contact point and month",
        tags: ["operations"],
        querystring: z.object({ from: month.optional(), to: month.optional(), cp: z.string().regex(/^[A-Z][A-Z0-9]{1,9}$/).optional() }),
        response: { 200: z.object({ generatedAt: z.string(), months: z.array(monthOut), activity: z.array(activityOut), replyTimeBoundsSeconds: z.array(z.number()) }), ...errors },
      },
      config: read("usage"),
    },
    async (req) => {
      const q = req.query;
      const rep = await usage.report({ ...(q.from ? { fromMonth: q.from } : {}), ...(q.to ? { toMonth: q.to } : {}), ...(q.cp ? { contactPoint: q.cp } : {}) });
      return {
        generatedAt: new Date(Number(rep.generatedAtMs)).toISOString(),
        months: rep.counters.map((c) => {
          const h = (c.replyTimeHistogram ?? []).map(Number);
          return {
            cp: c.contactPoint ?? "",
            month: c.month ?? "",
            messagesSent: Number(c.messagesSent),
            messagesReceived: Number(c.messagesReceived),
            messagesAnswered: Number(c.messagesAnswered),
            replyP50Seconds: histogramQuantile(h, 0.5) ?? null,
            replyP90Seconds: histogramQuantile(h, 0.9) ?? null,
            repliesOnTime: Number(c.repliesOnTime),
            repliesLate: Number(c.repliesLate),
            recordsSubmitted: Number(c.recordsSubmitted),
            recordsQueried: Number(c.recordsQueried),
            recordHits: Number(c.recordHits),
            filesRegistered: Number(c.filesRegistered),
            filesQueried: Number(c.filesQueried),
            fileHits: Number(c.fileHits),
            refusals: Number(c.refusals),
          };
        }),
        activity: rep.activity.map(activityView),
        replyTimeBoundsSeconds: rep.replyTimeBoundsS.map(Number),
      };
    },
  );

  r.get(
    "/v1/usage/dormant",
    {
      schema: { summary: "Dormant contact points (dormancy checked now)", tags: ["operations"], response: { 200: z.object({ dormant: z.array(activityOut), all: z.array(activityOut) }), ...errors } },
      config: read("dormancy"),
    },
    async () => {
      const all = (await usage.checkDormancy()).activity.map(activityView);
      return { dormant: all.filter((a) => a.dormant), all };
    },
  );

  r.get(
    "/v1/health",
    {
      schema: {
        summary: "Service health: every instance ($SRV), streams, durable consumers, NATS",
        tags: ["operations"],
        response: { 200: z.object({ expectedServices: z.array(z.string()), missing: z.array(z.string()) }).passthrough(), ...errors },
      },
      config: read("health"),
    },
    async () => {
      const s = await systemStatus(deps.nc, deps.monitorUrl ? { monitorUrl: deps.monitorUrl } : {});
      const running = new Set(s.services.map((x) => x.name));
      return { ...s, expectedServices: [...HUB_SERVICES], missing: HUB_SERVICES.filter((n) => !running.has(n)) };
    },
  );

  r.get(
    "/v1/throughput/stream",
    { schema: { summary: "Live throughput as Server-Sent Events (one ThroughputSample every few seconds)", tags: ["operations"] }, config: { roles: OPERATIONS } },
    async (req, reply) => {
      // A hijacked stream that the client closes never "finishes", so the audit hook would not see
      // it: the read is logged here, when the stream opens.
      await deps.audit.emit({
        action: pb.AuditAction.AUDIT_ACTION_READ,
        authority: "OPERATIONS",
        userId: req.user?.id ?? "anonymous",
        objectType: "throughput",
        objectId: "",
        outcome: AuditOutcome.AUDIT_OUTCOME_SUCCESS,
        details: { route: `${req.method} ${req.routeOptions.url}`, status: "200" },
      });
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-store", connection: "keep-alive" });
      res.write(": liaison throughput\n\n");
      const sub = usage.throughput((s) => {
        const data = { at: new Date(Number(s.atMs)).toISOString(), messagesRouted: s.messagesRouted, receipts: s.receipts, queries: s.queries, refusals: s.refusals, auditEvents: s.auditEvents };
        res.write(`event: sample\ndata: ${JSON.stringify(data)}\n\n`);
      });
      const ping = setInterval(() => res.write(": ping\n\n"), 15_000);
      req.raw.on("close", () => {
        clearInterval(ping);
        sub.unsubscribe();
      });
    },
  );

  r.get(
    "/metrics",
    { schema: { summary: "Prometheus metrics of every hub service instance, gathered over NATS", tags: ["operations"], hide: false }, config: { roles: OPERATIONS } },
    async (_req, reply) => {
      const m = await scrapeAll(deps.nc);
      return reply.header("content-type", m.contentType).send(m.text);
    },
  );
}
