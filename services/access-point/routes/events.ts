// /v1/events and /v1/webhooks/deliveries: what the access point pushes to its back office. The
// event stream is Server-Sent Events (WHATWG HTML §9.2): `Last-Event-ID` resumes after an event
// from the push log; comments keep it open through proxies. The webhook's delivery log can be read
// and a delivery replayed by an operator; both are audited.
import type { ServerResponse } from "node:http";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { deliveriesOut, deliveriesQuery, deliveryOut, deliveryParams, iso, PUSH_EVENT_TYPES, type DeliveryOut, type PushEventOut } from "../../../src/api/mod.js";
import { AuditOutcome, type AuditEmitter } from "../../../src/audit/mod.js";
import { rolesWith } from "../../../src/domain/mod.js";
import { problemResponses } from "../../../src/http/mod.js";
import { pb } from "../../../src/proto/mod.js";
import type { DeliveryRecord } from "../push/log.js";
import type { Push } from "../push/push.js";

export interface EventRoutesDeps {
  readonly cp: string;
  readonly push: Push;
  readonly audit: AuditEmitter;
  /** How often the stream writes a comment to keep idle connections open (15 s by default). */
  readonly heartbeatMs?: number;
}

/** A client that reads slower than events come is cut off past this much unsent output; it resumes with Last-Event-ID. */
const MAX_UNSENT_BYTES = 1024 * 1024;

const errors = problemResponses("LIAISON_VALIDATION", "LIAISON_UNAUTHENTICATED", "LIAISON_FORBIDDEN", "LIAISON_NOT_FOUND", "LIAISON_CONFLICT", "LIAISON_UNAVAILABLE");

const oneType = `(?:${PUSH_EVENT_TYPES.join("|")})`;
const eventsQuery = z.object({
  types: z
    .string()
    .regex(new RegExp(`^${oneType}(?:,${oneType})*$`))
    .optional()
    .describe(`Only these event types, comma-separated (${PUSH_EVENT_TYPES.join(", ")}); all by default`),
});
const eventsHeaders = z.object({ "last-event-id": z.string().regex(/^[0-9]{1,16}$/).optional().describe("Resume after this event (its id)") });

const sseDescription = [
  "Server-Sent Events (text/event-stream), one per new message in the inbox, receipt on a sent message, notice and hit,",
  "each `id: <sequence>`, `event: <type>` (message, receipt, notice or hit) and `data: <PushEvent as JSON>` (components.schemas.PushEvent).",
  "An event carries ids, kinds, the counterpart, the priority and the time, never content: fetch the message or notice with your token.",
  "Send `Last-Event-ID` to receive first every event stored after that one (the push log keeps 30 days, at most 20,000 items), then the live ones.",
  "A comment line (`: ping`) comes every 15 seconds. Opening the stream is logged as a READ.",
].join(" ");

export function deliveryView(d: DeliveryRecord): DeliveryOut {
  const { nextAttemptAtMs, ...rest } = d;
  const next = nextAttemptAtMs !== undefined && d.state === "pending" ? iso(nextAttemptAtMs) : undefined;
  return { ...rest, ...(next ? { nextAttemptAt: next } : {}) };
}

const frame = (e: PushEventOut) => `id: ${e.id}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`;

export async function eventRoutes(app: FastifyInstance, d: EventRoutesDeps): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  // Open streams never finish by themselves: a closing server ends them (their clients resume with Last-Event-ID).
  const streams = new Set<ServerResponse>();
  app.addHook("preClose", async () => {
    // The socket too, once the end is written: the stream's connection is not reused.
    for (const res of streams) res.end(() => res.socket?.destroySoon());
  });

  r.get(
    "/v1/events",
    {
      schema: { summary: "Live events for the back office (Server-Sent Events)", description: sseDescription, tags: ["events"], querystring: eventsQuery, headers: eventsHeaders, response: errors },
      config: { roles: rolesWith("push.read") },
    },
    async (req, reply) => {
      const wanted = new Set<string>(req.query.types?.split(",") ?? PUSH_EVENT_TYPES);
      const lastId = req.headers["last-event-id"];
      // A hijacked stream has no onSend: its READ is logged here, and stored, before it opens.
      await d.audit.emit({
        action: pb.AuditAction.AUDIT_ACTION_READ,
        authority: d.cp,
        userId: req.user?.id ?? "anonymous",
        objectType: "events",
        objectId: "",
        outcome: AuditOutcome.AUDIT_OUTCOME_SUCCESS,
        details: { route: `${req.method} ${req.routeOptions.url}`, status: "200", ...(lastId ? { lastEventId: lastId } : {}) },
      });
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-store", connection: "keep-alive", "x-content-type-options": "nosniff" });
      res.write(": liaison events\n\n");
      let sent = lastId ? Number(lastId) : 0;
      let live = false;
      const early: PushEventOut[] = [];
      const write = (e: PushEventOut) => {
        if (Number(e.id) <= sent || !wanted.has(e.type)) return;
        sent = Number(e.id);
        res.write(frame(e));
        if (res.writableLength > MAX_UNSENT_BYTES) res.destroy();
      };
      const onEvent = (e: PushEventOut) => (live ? write(e) : early.push(e));
      d.push.on("event", onEvent);
      const ping = setInterval(() => res.write(": ping\n\n"), d.heartbeatMs ?? 15_000);
      ping.unref();
      streams.add(res);
      req.raw.on("close", () => {
        clearInterval(ping);
        d.push.off("event", onEvent);
        streams.delete(res);
      });
      try {
        if (lastId) await d.push.eventsAfter(Number(lastId), write);
      } catch (err) {
        req.log.warn({ err }, "could not read the push log to resume an event stream");
        res.destroy();
        return;
      }
      for (const e of early) write(e);
      live = true;
    },
  );

  r.get(
    "/v1/webhooks/deliveries",
    {
      schema: { summary: "The webhook's delivery log: each event's attempts, statuses and errors, newest first", tags: ["events"], querystring: deliveriesQuery, response: { 200: deliveriesOut, ...errors } },
      config: { roles: rolesWith("push.read"), audit: { action: pb.AuditAction.AUDIT_ACTION_READ, objectType: "webhook-deliveries" } },
    },
    async (req) => ({ items: d.push.deliveries(req.query.state, req.query.limit).map(deliveryView) }),
  );

  r.post(
    "/v1/webhooks/deliveries/:id/replay",
    {
      schema: { summary: "Tries a webhook delivery again from its first attempt (after the back office was fixed)", tags: ["events"], params: deliveryParams, response: { 202: deliveryOut, ...errors } },
      config: { roles: rolesWith("push.replay"), audit: { action: pb.AuditAction.AUDIT_ACTION_SUBMIT, objectType: "webhook-delivery", objectParam: "id" } },
    },
    async (req, reply) => reply.code(202).send(deliveryView(await d.push.replay(req.params.id))),
  );
}
