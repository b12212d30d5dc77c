// The kinds of event an access point pushes to its back office (src/api/events.ts describes each).
export const PUSH_EVENT_TYPES = ["message", "receipt", "notice", "hit"] as const;
export type PushEventType = (typeof PUSH_EVENT_TYPES)[number];
