// A supervisor's legal hold on a record or a FIDE entry (docs/retention.md, "Legal holds"): set
// with a reason and an optional end, or lifted. The console keeps no data: it asks the service that
// owns the object (HUB_SUPERVISION's `supervisor-hold`, hub-internal), which writes the hold and logs it as
// the supervisor's; this route's own access event is logged by the audit hook like every other.
import type { NatsConnection } from "@nats-io/nats-core";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { HOLD_OBJECTS, holdView, supervisorHoldIn, supervisorHoldOut, supervisorHoldParams, type HoldObjects, type SupervisorHoldOut } from "../../../src/api/mod.js";
import { rolesWith } from "../../../src/domain/mod.js";
import { problemResponses } from "../../../src/http/mod.js";
import { callSupervisorHold } from "../../../src/hub-rpc/mod.js";
import { pb } from "../../../src/proto/mod.js";

const SUPERVISOR = rolesWith("holds.supervise");
const errors = problemResponses("LIAISON_VALIDATION", "LIAISON_UNAUTHENTICATED", "LIAISON_FORBIDDEN", "LIAISON_NOT_FOUND", "LIAISON_CONFLICT", "LIAISON_UNAVAILABLE", "LIAISON_TIMEOUT");

export async function holdRoutes(app: FastifyInstance, deps: { nc: NatsConnection }): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  for (const kind of Object.keys(HOLD_OBJECTS) as HoldObjects[]) {
    const { objectType, service } = HOLD_OBJECTS[kind];
    r.post(
      `/v1/holds/${kind}/:id`,
      {
        schema: {
          summary: `Set a supervisor's legal hold on a ${objectType === "file" ? "FIDE entry" : "record"} (no erasure while it is in force), or lift it`,
          tags: ["supervisor"],
          params: supervisorHoldParams,
          body: supervisorHoldIn,
          response: { 200: supervisorHoldOut, ...errors },
        },
        config: { roles: SUPERVISOR, audit: { action: pb.AuditAction.AUDIT_ACTION_LEGAL_HOLD_SET, objectType, objectParam: "id" } },
      },
      async (req): Promise<SupervisorHoldOut> => {
        const b = req.body;
        req.audit.details = { lift: String(b.lift) };
        const state = await callSupervisorHold(deps.nc, service, { objectId: req.params.id, reason: b.reason, untilMs: b.until ? Date.parse(b.until) : 0, lift: b.lift, supervisor: req.user?.id ?? "" });
        return { objectType, id: state.objectId, supplier: state.supplier, hold: state.hold ? holdView(state.hold) : null };
      },
    );
  }
}
