// What an access point pushes to its national back office, by signed webhook and on GET /v1/events:
// one event per new message, receipt, notice and hit. An event carries ids, kinds, the counterpart,
// the priority and the time, never content, a subject line or an identifier: the push channel may
// be less protected than the API, so the back office fetches the item itself, with its token.
import { z } from "zod";
import { PUSH_EVENT_TYPES, type PushEventType } from "../domain/mod.js";
import { PRIORITIES } from "./enums.js";

/** The event types, in the words of the `type` field, the SSE `event:` line and LIAISON_WEBHOOK_EVENTS. */
export { PUSH_EVENT_TYPES, type PushEventType };

export const pushEventOut = z
  .object({
    id: z.string().describe("The event's sequence on this access point, increasing; the SSE `id:` (send it back as Last-Event-ID to resume)"),
    type: z.enum(PUSH_EVENT_TYPES).describe("message: a new message in the inbox; receipt: a receipt on a sent message; notice: a notice from the hub (review reminder, erasure, dormancy, suspension warning, hit outcome); hit: a hit notice (someone's query matched a record or file entry of ours)"),
    at: z.string().describe("When it happened here (ISO 8601)"),
    kind: z.string().describe("message: its kind (request, reply, spontaneous, special-form); receipt: accepted, rejected, delivered, read or answered; notice and hit: the notice kind"),
    counterpart: z.string().describe("message: its sender; receipt: the recipient it is about; hit: the contact point whose query matched; notice: HUB"),
    messageId: z.string().optional().describe("message, receipt: the message (GET /v1/messages/{id})"),
    priority: z.enum(PRIORITIES.keys).optional().describe("message, receipt: the message's priority"),
    receiptId: z.string().optional().describe("receipt: the receipt's id"),
    reasonCode: z.string().optional().describe("receipt (rejected): the reason code"),
    noticeId: z.string().optional().describe("notice, hit: the notice (GET /v1/notices)"),
    objectType: z.string().optional().describe("notice, hit: what it is about (record, file entry, hit)"),
    objectId: z.string().optional().describe("notice, hit: the id of what it is about"),
  })
  .meta({ id: "PushEvent", description: "One event pushed to the back office: ids, kinds, counterpart, priority and time; never content" });
export type PushEventOut = z.infer<typeof pushEventOut>;

export const DELIVERY_STATES = ["pending", "delivered", "failed"] as const;

export const deliveryAttemptOut = z.object({
  at: z.string(),
  status: z.number().int().optional().describe("The HTTP status the back office answered"),
  error: z.string().optional().describe("Why there was no answer (timeout, refused connection)"),
  ms: z.number().int().describe("How long the attempt took"),
});

export const deliveryOut = z
  .object({
    id: z.string().describe("The delivery's id: the sequence of its event"),
    state: z.enum(DELIVERY_STATES).describe("pending: to be tried (again); delivered: a 2xx answer; failed: every attempt failed (replay to try again)"),
    event: pushEventOut,
    attempts: z.number().int().describe("Attempts since it was created or last replayed"),
    nextAttemptAt: z.string().optional(),
    lastAttempts: z.array(deliveryAttemptOut).describe("The latest attempts, newest last (at most 10)"),
    replays: z.number().int(),
  })
  .meta({ id: "WebhookDelivery" });
export type DeliveryOut = z.infer<typeof deliveryOut>;

export const deliveriesQuery = z.object({
  state: z.enum(DELIVERY_STATES).optional(),
  limit: z.coerce.number().int().min(1).max(1_000).default(100),
});
export const deliveriesOut = z.object({ items: z.array(deliveryOut).describe("Newest first") });
export type DeliveriesOut = z.infer<typeof deliveriesOut>;
export const deliveryParams = z.object({ id: z.string().regex(/^[1-9][0-9]{0,15}$/) });
