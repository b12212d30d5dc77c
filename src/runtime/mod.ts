// Process plumbing shared by every service's composition root.
export { runHubServiceMain, type HubServiceProcess, type HubServiceSettings } from "./hub-service.js";
export { runMain, isReadyMessage, type Started, type ReadyMessage } from "./main.js";
export { type PartContext } from "./parts.js";
