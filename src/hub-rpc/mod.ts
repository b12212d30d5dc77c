// Sealed request/reply between access points and hub services (records, files).
export { HubClient, type HubService } from "./client.js";
export { HubRpcServer, type HubCall, type HubHandler } from "./server.js";
