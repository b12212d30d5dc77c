// When a registered public key may be used: inside its validity period and not revoked.
// A key revoked or expired is refused for new signatures and new envelopes alike.

export type KeyState = "valid" | "not-yet-valid" | "expired" | "revoked";

export interface KeyValidity {
  readonly notBeforeMs?: number | null;
  readonly notAfterMs?: number | null;
  readonly revokedAtMs?: number | null;
}

export function keyState(k: KeyValidity, atMs: number): KeyState {
  if (k.revokedAtMs && k.revokedAtMs <= atMs) return "revoked";
  if (k.notBeforeMs && atMs < k.notBeforeMs) return "not-yet-valid";
  if (k.notAfterMs && atMs >= k.notAfterMs) return "expired";
  return "valid";
}
