// `npm start`: the embedded stack, its state file and its process supervision.
export { startStack, formatStackTable, type RunningStack } from "./start.js";
export { readStackFile, writeStackFile, stackFilePath, stackFileSchema, type StackFile } from "./stack-file.js";
export { assertPortsFree, isPortFree, freePort } from "./ports.js";
export { isAlive } from "./alive.js";
export { HUB_IDENTITIES } from "./secrets.js";
