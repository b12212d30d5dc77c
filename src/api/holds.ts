// Legal holds as the APIs show them (a FIDE entry's hold at the access point, a supervisor's hold on
// the console), and the console's hold API (/v1/holds): a supervisor sets or lifts a legal hold on a
// record or a FIDE entry (docs/retention.md, "Legal holds"; docs/console.md).
import { z } from "zod";
import type { pb } from "../proto/mod.js";
import { iso, isoRequired, isoTime, objectId } from "./common.js";

export const holdOut = z
  .object({
    setBy: z.string().describe('who set it: "<contact point>:<user>" (the supplier) or "SUPERVISOR:<user>"'),
    supervisory: z.boolean().describe("set by a supervisor: only a supervisor lifts or replaces it"),
    reason: z.string(),
    setAt: z.string(),
    until: z.string().optional().describe("when it ends; none: until lifted"),
  })
  .meta({ id: "LegalHold" });
export type HoldOut = z.infer<typeof holdOut>;

export function holdView(h: pb.ILegalHold): HoldOut {
  const until = iso(h.untilMs);
  return { setBy: h.setBy ?? "", supervisory: Boolean(h.supervisory), reason: h.reason ?? "", setAt: isoRequired(h.setAtMs), ...(until ? { until } : {}) };
}

/** The objects a supervisor may hold, as the console's paths name them, and the services that keep them. */
export const HOLD_OBJECTS = { records: { objectType: "record", service: "records" }, files: { objectType: "file", service: "files" } } as const;
export type HoldObjects = keyof typeof HOLD_OBJECTS;

export const supervisorHoldParams = z.object({ id: objectId });
export const supervisorHoldIn = z
  .object({
    reason: z.string().max(2_000).default("").describe("why (required to set a hold, at least 3 characters; logged with it)"),
    until: isoTime.optional().describe("when the hold ends; none: until a supervisor lifts it"),
    lift: z.boolean().default(false).describe("lift the supervisor's hold instead of setting one"),
  })
  .meta({ id: "SupervisorHoldRequest" });
export type SupervisorHoldIn = z.infer<typeof supervisorHoldIn>;

export const supervisorHoldOut = z
  .object({
    objectType: z.enum(["record", "file"]),
    id: z.string(),
    supplier: z.string(),
    hold: holdOut.nullable().describe("the hold as it now stands; null: none"),
  })
  .meta({ id: "HoldState" });
export type SupervisorHoldOut = z.infer<typeof supervisorHoldOut>;
