// The files service: the FIDE investigation-file index. Composition root only (see service.ts, handlers.ts).
import { runHubDataMain } from "../../src/hub-data/mod.js";
import { startFiles } from "./service.js";

await runHubDataMain("files", startFiles);
