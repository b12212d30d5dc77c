// Process plumbing shared by every service's composition root.
export { runMain, isReadyMessage, type Started, type ReadyMessage } from "./main.js";
