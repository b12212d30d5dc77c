// The operations API (/v1/operations, /v1/calendar) of the access point: joint customs operations
// and the calendar of operations with their overlaps (src/domain/operations.ts). Routes, the CLI
// and tests take their shapes from here.
import { z } from "zod";
import { OPERATION_KINDS, OPERATION_STATUSES, PHASE_KINDS } from "../domain/mod.js";
import { OFFENCE_AREAS } from "./enums.js";

/** A calendar day, YYYY-MM-DD (UTC). */
export const day = z.iso.date();

/** A party to an operation: a contact point (DE, OLAF), another body (WCO, FRONTEX, EUROPOL) or a third country. */
export const partyCode = z.string().regex(/^(?:[A-Z]{2}|[A-Z][A-Z0-9]{2,9})$/, "a party code such as DE, OLAF, WCO or FRONTEX");
/** An end of a route: an ISO 3166 country code or a UN/LOCODE. */
export const placeCode = z.string().regex(/^[A-Z]{2}(?:[A-Z0-9]{3})?$/, "an ISO 3166 country code (CN) or a UN/LOCODE (DEHAM)");
/** An HS, CN or TARIC code. */
export const commodityCode = z.string().regex(/^\d{2}(?:\d{2}){0,4}$/, "an HS, CN or TARIC code: 2, 4, 6, 8 or 10 digits");

export const phaseIn = z.object({ kind: z.enum(PHASE_KINDS), start: day, end: day.describe("the phase's last day (included)") });
export const objectiveIn = z.object({
  description: z.string().min(1).max(2_000),
  metric: z.string().min(1).max(200).describe("what is counted: seizures, checks, containers screened"),
  target: z.number().positive().describe("the figure aimed at"),
});
export const routeIn = z.object({ from: placeCode, to: placeCode });

const fields = {
  name: z.string().min(1).max(200),
  kind: z.enum(OPERATION_KINDS).describe("full-scale or regional JCO, a JCPO with the police, or another body's operation entered for coordination"),
  leaders: z.array(partyCode).min(1).max(50),
  participants: z.array(partyCode).max(100),
  observers: z.array(partyCode).max(100),
  objectives: z.array(objectiveIn).min(1).max(20),
  riskAreas: z.array(z.enum(OFFENCE_AREAS.keys)).min(1).max(OFFENCE_AREAS.keys.length),
  commodityCodes: z.array(commodityCode).max(100),
  routes: z.array(routeIn).max(50),
  legalBasis: z.string().min(1).max(500),
  phases: z
    .array(phaseIn)
    .min(1)
    .max(8)
    .describe("in the order they run: planning, business-case, operational (one, or two with a break), debriefing, final-report"),
  status: z.enum(OPERATION_STATUSES),
};

export const operationIn = z
  .object({
    ...fields,
    participants: fields.participants.default([]),
    observers: fields.observers.default([]),
    commodityCodes: fields.commodityCodes.default([]),
    routes: fields.routes.default([]),
    status: fields.status.default("planned"),
  })
  .meta({ id: "JointOperationIn" });
export type OperationIn = z.infer<typeof operationIn>;

/** A change: the fields given replace the operation's (moving dates is `phases`). */
export const operationPatch = z
  .object(fields)
  .partial()
  .refine((p) => Object.values(p).some((v) => v !== undefined), { message: "change at least one field" })
  .meta({ id: "JointOperationPatch" });
export type OperationPatch = z.infer<typeof operationPatch>;

export const operationOut = z
  .object({ id: z.string(), createdBy: z.string(), createdAt: z.string(), updatedAt: z.string(), ...fields })
  .meta({ id: "JointOperation" });
export type OperationOut = z.infer<typeof operationOut>;

export const overlapOut = z
  .object({
    a: z.object({ id: z.string(), name: z.string() }),
    b: z.object({ id: z.string(), name: z.string() }),
    periods: z.array(z.object({ aPhase: z.string(), bPhase: z.string(), from: day, to: day })).describe("operational phases of both that share days"),
    riskAreas: z.array(z.enum(OFFENCE_AREAS.keys)),
    commodityCodes: z.array(z.object({ a: z.string(), b: z.string(), prefix: z.string().describe("the HS heading (or chapter) both fall under") })),
    routes: z.array(routeIn),
    participants: z.array(z.string()).describe("parties leading or taking part in both"),
    reasons: z.array(z.string()),
  })
  .meta({ id: "OperationOverlap" });
export type OverlapOut = z.infer<typeof overlapOut>;

export const operationViewOut = z.object({ operation: operationOut, overlaps: z.array(overlapOut) }).meta({ id: "JointOperationView" });
export type OperationViewOut = z.infer<typeof operationViewOut>;

export const calendarQuery = z.object({ from: day, to: day });
export const calendarOut = z
  .object({ from: day, to: day, operations: z.array(operationOut), overlaps: z.array(overlapOut) })
  .meta({ id: "OperationCalendar" });
export type CalendarOut = z.infer<typeof calendarOut>;
