// Rules with no I/O: contact points, retention periods, categories, permissions.
export { CP_CODE_PATTERN, HUB, isContactPointCode } from "./contact-point.js";
export { keyState, type KeyState, type KeyValidity } from "./keys.js";
export { checkKind, effectivePriority, isMemberState, MAX_RECIPIENTS, type KindRefusal } from "./message-kinds.js";
