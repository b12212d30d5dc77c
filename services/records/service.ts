// The records service's definition for startHubData: its handlers (with the attachments' object
// store and the review periods), its operations, and how a retention order erases a record.
import { jetstream } from "@nats-io/jetstream";
import { Objm } from "@nats-io/obj";
import type { HubDataConfig } from "../../src/config/mod.js";
import { LiaisonError } from "../../src/errors.js";
import { hubDataService, RECORDS_STORE, type HubDataParts, type HubDataSettings, type RunningHubData } from "../../src/hub-data/mod.js";
import { pb } from "../../src/proto/mod.js";
import { RecordsHandlers } from "./handlers.js";

export type RecordsSettings = Pick<HubDataConfig, "reviewPeriod" | "reviewPeriodByCategory" | "reminderDays" | "maxAttachmentBytes" | "maxQueryMatches"> & HubDataSettings;

export type RunningRecords = RunningHubData<RecordsHandlers>;

/** {"RECORD_CATEGORY_PERSON": period} → {4: period}; an unknown category name is a config error. */
export function periodsByCategory(byName: RecordsSettings["reviewPeriodByCategory"]): Record<number, RecordsSettings["reviewPeriod"]> {
  return Object.fromEntries(
    Object.entries(byName).map(([name, period]) => {
      const value = pb.RecordCategory[name as keyof typeof pb.RecordCategory];
      if (typeof value !== "number") throw new LiaisonError("LIAISON_CONFIG_INVALID", `reviewPeriodByCategory: unknown category ${name}`);
      return [value, period];
    }),
  );
}

/** Starts the records service (see startHubData: `opts.now` is its clock, `opts.keysNc` carries the data keys' traffic). */
export const startRecords = hubDataService((cfg: RecordsSettings) => ({
  service: "records",
  bucket: RECORDS_STORE.bucket,
  prefix: RECORDS_STORE.prefix,
  description: "CIS records (Decision 2009/917/JHA): encrypted at rest, blind-indexed queries, hit notices",
  countAs: "records",
  objects: { type: "record", noun: "record", logAs: "record" },
  handlers: async (p: HubDataParts) =>
    new RecordsHandlers({
      ...p,
      attachments: await new Objm(jetstream(p.nc)).open("attachments"),
      retention: { reviewPeriod: cfg.reviewPeriod, reviewPeriodByCategory: periodsByCategory(cfg.reviewPeriodByCategory), reminderDays: cfg.reminderDays },
      maxAttachmentBytes: cfg.maxAttachmentBytes,
      maxQueryMatches: cfg.maxQueryMatches,
    }),
  erasure: (h: RecordsHandlers) => h.erasure,
}));
