// When a registered public key may be used: inside its validity period and not revoked.
// A key revoked or expired is refused for new signatures and new envelopes alike. A key that a
// newer one of the same use has replaced (a rotation) is retired: still valid, so that what it
// signed verifies and what was sealed to it opens, but no longer chosen for new envelopes. A
// rotated-out signing key is retired only for a grace period, then expires: what it signed is
// checked against the time the hub accepted it, not against the time it is read.

/** Warn this many days before a key's end of validity (LIAISON_KEY_EXPIRY_WARNING_DAYS). */
export const DEFAULT_KEY_EXPIRY_WARNING_DAYS = 30;
/**
 * A rotated encryption key is published valid from this long after the rotation: senders keep
 * sealing to the previous key until then, while the running access point picks the new private
 * key up from its key file (every LIAISON_KEY_FILE_RELOAD_INTERVAL), so nothing arrives sealed to
 * a key it does not hold yet.
 */
export const DEFAULT_KEY_ACTIVATION_DELAY_MS = 60_000;
/**
 * How long a rotated-out signing key stays valid after a rotation: time to restart the access
 * point, which signs with the new key only once restarted. After that the old key signs nothing
 * new: a signature by it is refused unless the hub accepted the message before this end.
 */
export const DEFAULT_SIGNING_KEY_GRACE_MS = 24 * 3600_000;
/** How often a running access point looks at its key file for a rotation. */
export const DEFAULT_KEY_FILE_RELOAD_INTERVAL_MS = 2_000;

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

/** How `liaison registry list` shows a key: its state among the keys of the same owner and use. */
export type KeyStatus = "active" | "retired" | "revoked" | "expired" | "not-yet-valid";

/**
 * `active`: the newest valid key of its use (the one new envelopes are sealed to and that signs);
 * `retired`: valid, but a newer valid key of the same use exists. `siblings` are the owner's keys
 * of the same use, `k` among them.
 */
export function keyStatus(k: KeyValidity, siblings: readonly KeyValidity[], atMs: number): KeyStatus {
  const state = keyState(k, atMs);
  if (state !== "valid") return state;
  const mine = Number(k.notBeforeMs ?? 0);
  const newer = siblings.some((o) => o !== k && keyState(o, atMs) === "valid" && Number(o.notBeforeMs ?? 0) > mine);
  return newer ? "retired" : "active";
}

/** Days until `k` expires (rounded up), or undefined when it has no end of validity or has passed it. */
export function daysUntilExpiry(k: KeyValidity, atMs: number): number | undefined {
  const end = Number(k.notAfterMs ?? 0);
  if (!end || end <= atMs) return undefined;
  return Math.ceil((end - atMs) / 86_400_000);
}
