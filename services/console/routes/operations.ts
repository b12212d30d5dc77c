// The operations views' APIs: usage per contact point and month, joint customs operations per
// year, dormant members, service health
// ($SRV discovery, streams, consumers, NATS), live throughput (Server-Sent Events) and the
// Prometheus exposition of every hub service. Counts and states only, never content.
import type { NatsConnection } from "@nats-io/nats-core";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import {
  calendarQuery,
  consoleCalendarOut,
  dormantOut,
  healthOut,
  isoOrNull,
  isoRequired,
  operationUsageOut,
  operationUsageQuery,
  USAGE_COUNTS,
  usageOut,
  usageQuery,
  type ActivityOut,
  type ConsoleCalendarOut,
  type OperationUsageOut,
  type UsageCount,
  type ThroughputOut,
  type UsageOut,
} from "../../../src/api/mod.js";
import { AuditOutcome, type AuditEmitter } from "../../../src/audit/mod.js";
import { histogramQuantile, rolesWith } from "../../../src/domain/mod.js";
import { HUB_CONSOLE_CALENDAR } from "../../../src/hub-rpc/mod.js";
import { problemResponses } from "../../../src/http/mod.js";
import { requestService, scrapeAll, subjects } from "../../../src/nats/mod.js";
import { HUB_SERVICES, systemStatus } from "../../../src/ops/mod.js";
import { pb } from "../../../src/proto/mod.js";
import { UsageClient } from "../../../src/usage/mod.js";

export interface OperationsRoutesDeps {
  readonly nc: NatsConnection;
  /** For the throughput stream's own read event (see there). */
  readonly audit: AuditEmitter;
  readonly monitorUrl?: string;
}

const OPERATIONS = rolesWith("operations.read");
const errors = problemResponses("LIAISON_VALIDATION", "LIAISON_UNAUTHENTICATED", "LIAISON_FORBIDDEN", "LIAISON_UNAVAILABLE", "LIAISON_TIMEOUT");

/** OPERATION_KIND_FULL_SCALE_JCO → full-scale-jco (the words of src/domain/operations.ts). */
const wordOf = (e: Readonly<Record<number, string>>, prefix: string, v: number | null | undefined) => (e[v ?? 0] ?? `${prefix}UNSPECIFIED`).slice(prefix.length).toLowerCase().replace(/_/g, "-");

function activityView(a: pb.IContactPointActivity): ActivityOut {
  return {
    cp: a.contactPoint ?? "",
    name: a.name ?? "",
    active: Boolean(a.active),
    lastConnection: isoOrNull(a.lastConnectionMs),
    lastActivity: isoOrNull(a.lastActivityMs),
    dormant: Boolean(a.dormant),
    dormantSince: a.dormant ? isoOrNull(a.dormantSinceMs) : null,
    suspensionDue: a.active ? isoOrNull(a.suspensionDueMs) : null,
    suspensionWarning: Boolean(a.suspensionWarning),
    notifiedAt: isoOrNull(a.dormantNoticeAtMs),
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
        querystring: usageQuery,
        response: { 200: usageOut, ...errors },
      },
      config: read("usage"),
    },
    async (req): Promise<UsageOut> => {
      const q = req.query;
      const rep = await usage.report({ ...(q.from ? { fromMonth: q.from } : {}), ...(q.to ? { toMonth: q.to } : {}), ...(q.cp ? { contactPoint: q.cp } : {}) });
      return {
        generatedAt: isoRequired(rep.generatedAtMs),
        months: rep.counters.map((c) => {
          const h = (c.replyTimeHistogram ?? []).map(Number);
          return {
            cp: c.contactPoint ?? "",
            month: c.month ?? "",
            ...(Object.fromEntries(USAGE_COUNTS.map((k) => [k, Number(c[k])])) as Record<UsageCount, number>),
            replyP50Seconds: histogramQuantile(h, 0.5) ?? null,
            replyP90Seconds: histogramQuantile(h, 0.9) ?? null,
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
      schema: { summary: "Dormant contact points (dormancy checked now)", tags: ["operations"], response: { 200: dormantOut, ...errors } },
      config: read("dormancy"),
    },
    async () => {
      const all = (await usage.checkDormancy()).activity.map(activityView);
      return { dormant: all.filter((a) => a.dormant), all };
    },
  );

  r.get(
    "/v1/usage/operations",
    {
      schema: {
        summary: "Joint customs operations per year: by kind, parties per operation, how often each member leads or takes part",
        tags: ["operations"],
        querystring: operationUsageQuery,
        response: { 200: operationUsageOut, ...errors },
      },
      config: read("operation-usage"),
    },
    async (req): Promise<OperationUsageOut> => {
      const q = req.query;
      const rep = await usage.operations({ ...(q.from ? { fromYear: q.from } : {}), ...(q.to ? { toYear: q.to } : {}) });
      return {
        generatedAt: isoRequired(rep.generatedAtMs),
        years: rep.years.map((y) => ({
          year: Number(y.year),
          operations: Number(y.operations),
          byKind: (y.byKind ?? []).map((k) => ({ kind: k.kind ?? "", count: Number(k.count) })),
          participants: { mean: Number(y.participantsMean), min: Number(y.participantsMin), max: Number(y.participantsMax) },
          members: (y.members ?? []).map((m) => ({ cp: m.contactPoint ?? "", leads: Number(m.leads), takesPart: Number(m.takesPart), notUsed: Boolean(m.notUsed) })),
        })),
      };
    },
  );

  r.get(
    "/v1/operations/calendar",
    {
      schema: {
        summary: "The calendar of joint customs operations in a period, with their overlaps in timing and objectives and why",
        tags: ["operations"],
        querystring: calendarQuery,
        response: { 200: consoleCalendarOut, ...errors },
      },
      config: read("operation-calendar"),
    },
    async (req): Promise<ConsoleCalendarOut> => {
      const { from, to } = req.query;
      const c = HUB_CONSOLE_CALENDAR;
      const bytes = await requestService(deps.nc, subjects.api("operations", c.name), c.request.encode({ from, to, user: req.user?.id ?? "" }).finish(), 10_000);
      const cal = c.reply.decode(bytes);
      return {
        from,
        to,
        operations: cal.operations.map((s) => ({
          id: s.id ?? "",
          name: s.content?.name ?? "",
          kind: wordOf(pb.OperationKind, "OPERATION_KIND_", s.content?.kind),
          createdBy: s.createdBy ?? "",
          leaders: s.content?.leaders ?? [],
          participants: s.content?.participants ?? [],
          status: wordOf(pb.OperationStatus, "OPERATION_STATUS_", s.content?.status),
          phases: (s.content?.phases ?? []).map((p) => ({ kind: wordOf(pb.PhaseKind, "PHASE_KIND_", p.kind), start: p.start ?? "", end: p.end ?? "" })),
        })),
        overlaps: cal.overlaps.map((o) => ({
          a: { id: o.aId ?? "", name: o.aName ?? "" },
          b: { id: o.bId ?? "", name: o.bName ?? "" },
          periods: (o.periods ?? []).map((p) => ({ aPhase: p.aPhase ?? "", bPhase: p.bPhase ?? "", from: p.from ?? "", to: p.to ?? "" })),
          reasons: o.reasons ?? [],
        })),
      };
    },
  );

  r.get(
    "/v1/health",
    {
      schema: {
        summary: "Service health: every instance ($SRV), streams, durable consumers, NATS",
        tags: ["operations"],
        response: { 200: healthOut, ...errors },
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
        const data: ThroughputOut = { at: isoRequired(s.atMs), messagesRouted: s.messagesRouted, receipts: s.receipts, queries: s.queries, refusals: s.refusals, auditEvents: s.auditEvents };
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
