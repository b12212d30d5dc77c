// /v1/operations and /v1/calendar: joint customs operations and the calendar of operations with
// their overlaps in timing and objectives. Calls go to the hub's operations service sealed and
// signed (src/hub-rpc); every read and change is logged here and there.
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import {
  calendarOut,
  calendarQuery,
  idParams,
  isoRequired,
  OFFENCE_AREAS,
  operationIn,
  operationPatch,
  operationViewOut,
  type OperationOut,
  type OperationPatch,
  type OverlapOut,
} from "../../../src/api/mod.js";
import { OPERATION_KINDS, OPERATION_STATUSES, PHASE_KINDS } from "../../../src/domain/mod.js";
import type { HubClient } from "../../../src/hub-rpc/mod.js";
import { problemResponses } from "../../../src/http/mod.js";
import { pb } from "../../../src/proto/mod.js";
import { hubRoutes } from "./hub-routes.js";

export interface OperationRoutesDeps {
  readonly hub: HubClient;
}

const errors = problemResponses("LIAISON_VALIDATION", "LIAISON_UNAUTHENTICATED", "LIAISON_FORBIDDEN", "LIAISON_NOT_SUPPLIER", "LIAISON_NOT_FOUND", "LIAISON_CONFLICT", "LIAISON_UNAVAILABLE");

const upperSnake = (w: string) => w.toUpperCase().replace(/-/g, "_");
const wordOf = <K extends string>(e: Readonly<Record<number, string>>, prefix: string, words: readonly K[], v: number | null | undefined, fallback: K): K => {
  const w = (e[v ?? 0] ?? "").slice(prefix.length).toLowerCase().replace(/_/g, "-");
  return (words as readonly string[]).includes(w) ? (w as K) : fallback;
};
const enumOf = (e: Readonly<Record<string, number | string>>, prefix: string, word: string) => Number(e[`${prefix}${upperSnake(word)}`] ?? 0);

/** The API's fields of an operation as the hub's content message. */
function contentOf(p: OperationPatch): pb.IOperationContent {
  return {
    ...(p.name !== undefined ? { name: p.name } : {}),
    ...(p.kind !== undefined ? { kind: enumOf(pb.OperationKind, "OPERATION_KIND_", p.kind) } : {}),
    ...(p.leaders !== undefined ? { leaders: p.leaders } : {}),
    ...(p.participants !== undefined ? { participants: p.participants } : {}),
    ...(p.observers !== undefined ? { observers: p.observers } : {}),
    ...(p.objectives !== undefined ? { objectives: p.objectives } : {}),
    ...(p.riskAreas !== undefined ? { riskAreas: p.riskAreas.map((r) => OFFENCE_AREAS.toProto(r)) } : {}),
    ...(p.commodityCodes !== undefined ? { commodityCodes: p.commodityCodes } : {}),
    ...(p.routes !== undefined ? { routes: p.routes } : {}),
    ...(p.legalBasis !== undefined ? { legalBasis: p.legalBasis } : {}),
    ...(p.phases !== undefined ? { phases: p.phases.map((ph) => ({ kind: enumOf(pb.PhaseKind, "PHASE_KIND_", ph.kind), start: ph.start, end: ph.end })) } : {}),
    ...(p.status !== undefined ? { status: enumOf(pb.OperationStatus, "OPERATION_STATUS_", p.status) } : {}),
  };
}

export function operationView(s: pb.IStoredOperation): OperationOut {
  const c = s.content ?? {};
  return {
    id: s.id ?? "",
    createdBy: s.createdBy ?? "",
    createdAt: isoRequired(s.createdAtMs),
    updatedAt: isoRequired(s.updatedAtMs),
    name: c.name ?? "",
    kind: wordOf(pb.OperationKind, "OPERATION_KIND_", OPERATION_KINDS, c.kind, "full-scale-jco"),
    leaders: c.leaders ?? [],
    participants: c.participants ?? [],
    observers: c.observers ?? [],
    objectives: (c.objectives ?? []).map((o) => ({ description: o.description ?? "", metric: o.metric ?? "", target: Number(o.target ?? 0) })),
    riskAreas: (c.riskAreas ?? []).map((r) => OFFENCE_AREAS.toApi(r)).filter((r) => r !== undefined),
    commodityCodes: c.commodityCodes ?? [],
    routes: (c.routes ?? []).map((r) => ({ from: r.from ?? "", to: r.to ?? "" })),
    legalBasis: c.legalBasis ?? "",
    phases: (c.phases ?? []).map((p) => ({ kind: wordOf(pb.PhaseKind, "PHASE_KIND_", PHASE_KINDS, p.kind, "operational"), start: p.start ?? "", end: p.end ?? "" })),
    status: wordOf(pb.OperationStatus, "OPERATION_STATUS_", OPERATION_STATUSES, c.status, "planned"),
  };
}

export function overlapView(o: pb.IOperationOverlap): OverlapOut {
  return {
    a: { id: o.aId ?? "", name: o.aName ?? "" },
    b: { id: o.bId ?? "", name: o.bName ?? "" },
    periods: (o.periods ?? []).map((p) => ({ aPhase: p.aPhase ?? "", bPhase: p.bPhase ?? "", from: p.from ?? "", to: p.to ?? "" })),
    riskAreas: (o.riskAreas ?? []).map((r) => OFFENCE_AREAS.toApi(r)).filter((r) => r !== undefined),
    commodityCodes: (o.commodityCodes ?? []).map((c) => ({ a: c.a ?? "", b: c.b ?? "", prefix: c.prefix ?? "" })),
    routes: (o.routes ?? []).map((r) => ({ from: r.from ?? "", to: r.to ?? "" })),
    participants: o.participants ?? [],
    reasons: o.reasons ?? [],
  };
}

const view = (v: pb.IOperationView) => ({ operation: operationView(v.operation ?? {}), overlaps: (v.overlaps ?? []).map(overlapView) });

export async function operationRoutes(app: FastifyInstance, d: OperationRoutesDeps): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { call, audit } = hubRoutes(d.hub, "operations", "operation", { read: "jco.read", write: "jco.write" });

  r.post(
    "/v1/operations",
    {
      schema: { summary: "Enter a joint customs operation, or another body's operation for coordination; the answer lists its overlaps", tags: ["jco"], body: operationIn, response: { 201: operationViewOut, ...errors } },
      config: audit(pb.AuditAction.AUDIT_ACTION_SUBMIT, "operation", undefined),
    },
    async (req, reply) => {
      const res = await call("create", req.user?.id ?? "", { content: contentOf(req.body) });
      req.audit.objectId = res.operation?.id ?? "";
      return reply.code(201).send(view(res));
    },
  );

  r.get(
    "/v1/operations/:id",
    { schema: { summary: "Read an operation and its overlaps (the read is logged)", tags: ["jco"], params: idParams, response: { 200: operationViewOut, ...errors } }, config: audit(pb.AuditAction.AUDIT_ACTION_READ) },
    async (req) => view(await call("get", req.user?.id ?? "", { operationId: req.params.id })),
  );

  r.patch(
    "/v1/operations/:id",
    {
      schema: { summary: "Change an operation (its creator or a leader): the fields given replace its own; moving dates is `phases`", tags: ["jco"], params: idParams, body: operationPatch, response: { 200: operationViewOut, ...errors } },
      config: audit(pb.AuditAction.AUDIT_ACTION_AMEND),
    },
    async (req) => {
      const given = Object.keys(req.body).filter((k) => (req.body as Record<string, unknown>)[k] !== undefined);
      return view(await call("update", req.user?.id ?? "", { operationId: req.params.id, content: contentOf(req.body), fields: given }));
    },
  );

  r.get(
    "/v1/calendar",
    {
      schema: { summary: "Every operation with a phase in the period, and their overlaps in timing and objectives", tags: ["jco"], querystring: calendarQuery, response: { 200: calendarOut, ...errors } },
      config: audit(pb.AuditAction.AUDIT_ACTION_READ, "operation-calendar", undefined),
    },
    async (req) => {
      const res = await call("calendar", req.user?.id ?? "", { from: req.query.from, to: req.query.to });
      req.audit.objectId = `${req.query.from}..${req.query.to}`;
      return { from: req.query.from, to: req.query.to, operations: res.operations.map(operationView), overlaps: res.overlaps.map(overlapView) };
    },
  );
}
