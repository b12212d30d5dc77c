// The refusals at the HTTP edge that the refusal log (refusal-log.ts) accounts for, and that the
// token check (auth.ts) raises.
export const REFUSAL_CODES = ["LIAISON_UNAUTHENTICATED", "LIAISON_TOKEN_EXPIRED", "LIAISON_TOKEN_REVOKED", "LIAISON_USER_DISABLED", "LIAISON_USERS_UNAVAILABLE", "LIAISON_FORBIDDEN", "LIAISON_RATE_LIMITED"] as const;
export type RefusalCode = (typeof REFUSAL_CODES)[number];

/** Refusals the refusal log accounts for; the per-route audit hook leaves them alone. */
export const isEdgeRefusal = (code: string): code is RefusalCode => (REFUSAL_CODES as readonly string[]).includes(code);
