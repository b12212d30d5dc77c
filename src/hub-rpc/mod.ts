// Sealed request/reply between access points and hub services (records, files).
export { HubClient } from "./client.js";
export { HUB_CONSOLE_CALENDAR, HUB_OPERATIONS, HUB_SUPERVISION, hubOps, type HubSupervisionOp, type HubOp, type HubReply, type HubReplyInput, type HubRequest, type HubRequestInput, type HubService } from "./operations.js";
export { HubRpcServer, type HubCall, type HubHandler, type HubHandlers } from "./server.js";
export { callSupervisorHold, supervisionEndpoints, supervisionSubject, type SupervisionHandlers } from "./supervision.js";
export { itemCaseRef, OperationItemSealer, sealedTo, verifyItemEnvelope } from "./operation-items.js";
