// The files (FIDE) service's definition for startHubData: its handlers, its operations, and how a
// retention order erases an entry.
import type { HubDataConfig } from "../../src/config/mod.js";
import { FILES_STORE, hubDataService, type HubDataParts, type HubDataSettings, type RunningHubData } from "../../src/hub-data/mod.js";
import { FilesHandlers } from "./handlers.js";

export type FilesSettings = Pick<HubDataConfig, "maxQueryMatches"> & HubDataSettings;

export type RunningFiles = RunningHubData<FilesHandlers>;

/** Starts the files service (see startHubData: `opts.now` is its clock, `opts.keysNc` carries the data keys' traffic). */
export const startFiles = hubDataService((cfg: FilesSettings) => ({
  service: "files",
  bucket: FILES_STORE.bucket,
  prefix: FILES_STORE.prefix,
  description: "FIDE investigation-file index (Decision 2009/917/JHA Chapter VI): hit/no-hit, Art. 19 retention",
  countAs: "entries",
  objects: { type: "file", noun: "file entry", logAs: "entry" },
  handlers: (p: HubDataParts) => new FilesHandlers({ ...p, maxQueryMatches: cfg.maxQueryMatches }),
  erasure: (h: FilesHandlers) => h.erasure,
}));
