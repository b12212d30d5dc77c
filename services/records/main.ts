// The records service: CIS records for contact points. Composition root only (see service.ts, handlers.ts).
import { runHubDataMain } from "../../src/hub-data/mod.js";
import { startRecords } from "./service.js";

await runHubDataMain("records", startRecords);
