// What the hub's registry administrator does with contact points' keys, each change an audit event:
// listing every entry with its keys' states, publishing a rotation, revoking a key. Used by
// `liaison registry`, `liaison keys rotate` and the console's registry route.
import { Kvm } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/nats-core";
import { AuditAction, type AuditEmitter } from "../audit/mod.js";
import { b64u, rotateKeyFile, type ContactPointKeys } from "../crypto/mod.js";
import { daysUntilExpiry, DEFAULT_KEY_ACTIVATION_DELAY_MS, DEFAULT_SIGNING_KEY_GRACE_MS, HUB, keyStatus, type KeyStatus } from "../domain/mod.js";
import { LiaisonError, toLiaisonError } from "../errors.js";
import { pb } from "../proto/mod.js";
import { publicKeyEntry, type RegistryWriter } from "./admin.js";
import { verifyEntry, type RegistryTrust } from "./signing.js";

export interface KeyRow {
  readonly keyId: string;
  readonly use: "sig" | "enc";
  readonly status: KeyStatus;
  readonly publicKey: string;
  readonly notBefore: string | undefined;
  readonly notAfter: string | undefined;
  readonly revokedAt: string | undefined;
  readonly revocationReason: string | undefined;
  /** Days left before notAfter, when it is within the warning window. */
  readonly expiresInDays: number | undefined;
}

export interface ContactPointRow {
  readonly code: string;
  readonly name: string;
  readonly active: boolean;
  readonly suspended: boolean;
  readonly version: number;
  readonly updatedAt: string | undefined;
  readonly keys: readonly KeyRow[];
}

const iso = (ms: unknown) => (Number(ms ?? 0) ? new Date(Number(ms)).toISOString() : undefined);

/** One entry as `liaison registry show` prints it; `warnDays`: flag keys ending within so many days. */
export function describeEntry(cp: pb.IContactPoint, now: number, warnDays: number): ContactPointRow {
  const keys = cp.keys ?? [];
  return {
    code: cp.code ?? "",
    name: cp.name ?? "",
    active: !!cp.active,
    suspended: !!Number(cp.suspendedAtMs ?? 0),
    version: Number(cp.version ?? 0),
    updatedAt: iso(cp.updatedAtMs),
    keys: keys.map((k) => {
      const v = { notBeforeMs: Number(k.notBeforeMs ?? 0), notAfterMs: Number(k.notAfterMs ?? 0), revokedAtMs: Number(k.revokedAtMs ?? 0) };
      const siblings = keys.filter((o) => o.use === k.use).map((o) => (o === k ? v : { notBeforeMs: Number(o.notBeforeMs ?? 0), notAfterMs: Number(o.notAfterMs ?? 0), revokedAtMs: Number(o.revokedAtMs ?? 0) }));
      const status = keyStatus(v, siblings, now);
      const left = status === "active" ? daysUntilExpiry(v, now) : undefined;
      return {
        keyId: k.keyId ?? "",
        use: k.use === pb.KeyUse.KEY_USE_SIGNING ? "sig" : "enc",
        status,
        publicKey: k.publicKey ? b64u(k.publicKey) : "",
        notBefore: iso(k.notBeforeMs),
        notAfter: iso(k.notAfterMs),
        revokedAt: iso(k.revokedAtMs),
        revocationReason: k.revocationReason || undefined,
        expiresInDays: left !== undefined && left <= warnDays ? left : undefined,
      };
    }),
  };
}

/** The keys of `code` whose validity ends within `warnDays` (what an access point warns about). */
export function expiringKeys(cp: pb.IContactPoint | undefined, now: number, warnDays: number): Array<{ use: "sig" | "enc"; days: number }> {
  if (!cp) return [];
  return describeEntry(cp, now, warnDays).keys.flatMap((k) => (k.expiresInDays === undefined ? [] : [{ use: k.use, days: k.expiresInDays }]));
}

/**
 * Every entry of the registry bucket, each checked against the registry key; an entry that is not
 * signed by it is listed under `refused` with the reason, not as if it were true.
 */
export async function readRegistryEntries(nc: NatsConnection, trust: RegistryTrust): Promise<{ entries: pb.ContactPoint[]; refused: Array<{ code: string; reason: string }> }> {
  const kv = await new Kvm(nc).open("registry");
  const entries: pb.ContactPoint[] = [];
  const refused: Array<{ code: string; reason: string }> = [];
  const names: string[] = [];
  for await (const k of await kv.keys("cp.>")) names.push(k);
  for (const key of names.sort()) {
    const e = await kv.get(key);
    if (!e || e.operation !== "PUT") continue;
    const code = key.slice("cp.".length);
    try {
      entries.push(verifyEntry(e.value, trust, code));
    } catch (err) {
      refused.push({ code, reason: toLiaisonError(err).code });
    }
  }
  return { entries, refused };
}

export interface KeyChange {
  readonly registry: RegistryWriter;
  readonly audit: AuditEmitter;
  /** Who made the change, for the audit event (an administrator's user id, "cli:<os user>"). */
  readonly by: string;
  readonly now?: number;
}

async function logKeyChange(c: KeyChange, code: string, details: Record<string, string>): Promise<void> {
  await c.audit.emit({ action: AuditAction.AUDIT_ACTION_KEY_CHANGE, authority: HUB, userId: c.by, objectType: "contact-point", objectId: code, details });
  await c.audit.flush();
}

/**
 * Revokes one key of a contact point: the registry marks it revoked (readers refuse it as soon as
 * they see the entry: the hub's services through their watch, access points on the registry
 * notice), and the revocation is an audit event. LIAISON_UNKNOWN_KEY when the entry has no such key.
 */
export async function revokeContactPointKey(c: KeyChange & { code: string; keyId: string; reason: string }): Promise<pb.ContactPoint> {
  if (!c.reason.trim()) throw new LiaisonError("LIAISON_VALIDATION", "a revocation needs a reason");
  const cp = await c.registry.revokeKey(c.code, c.keyId, c.reason, c.now ?? Date.now());
  await logKeyChange(c, c.code, { change: "revoked", keyId: c.keyId, reason: c.reason });
  return cp;
}

/**
 * `liaison keys rotate`: new signing and encryption keys for the contact point whose key file is
 * at `keyFile`, published to the registry, then put in force in the key file; the older encryption
 * keys stay in it. The signing key is valid at once (the access point signs with it once
 * restarted); the older signing keys end `graceMs` after the rotation
 * (DEFAULT_SIGNING_KEY_GRACE_MS), time to restart the access point, and sign nothing new after
 * that. The encryption key is valid `activateAfterMs` later (DEFAULT_KEY_ACTIVATION_DELAY_MS), time
 * for the running access point to read it from its key file before anyone seals to it. Both new
 * keys end `validForMs` after the rotation when given. If the registry write fails, the entry is
 * read again: when it lists the new keys the rotation is completed; otherwise the new keys stay in
 * `<keyFile>.rotating` (never deleted here: it may be their only copy) and the error says so.
 */
export async function rotateContactPointKeys(
  c: KeyChange & { keyFile: string; activateAfterMs?: number; validForMs?: number; graceMs?: number },
): Promise<{ keys: ContactPointKeys; entry: pb.ContactPoint; encryptionFromMs: number; signingUntilMs: number }> {
  const now = c.now ?? Date.now();
  const encryptionFromMs = now + (c.activateAfterMs ?? DEFAULT_KEY_ACTIVATION_DELAY_MS);
  const notAfter = c.validForMs ? now + c.validForMs : 0;
  if (notAfter && notAfter <= encryptionFromMs) throw new LiaisonError("LIAISON_VALIDATION", "the new keys would expire before the encryption key becomes valid");
  const graceMs = c.graceMs ?? DEFAULT_SIGNING_KEY_GRACE_MS;
  if (!Number.isSafeInteger(graceMs) || graceMs <= 0) throw new LiaisonError("LIAISON_VALIDATION", "the old signing key's grace period is more than nothing");
  const signingUntilMs = now + graceMs;
  const rotation = rotateKeyFile(c.keyFile, new Date(now));
  let entry: pb.ContactPoint | undefined;
  try {
    entry = await c.registry.addKeys(
      rotation.keys.owner,
      rotation.added.map((k) => publicKeyEntry(k, k.use === "enc" ? encryptionFromMs : now, notAfter)),
      now,
      { signingEndsAtMs: signingUntilMs },
    );
  } catch (err) {
    // The write may have landed with its answer lost: then the registry advertises keys only the
    // pending file holds, and deleting it would lose what senders seal to from now on.
    if (!(await landed(c.registry, rotation.keys.owner, rotation.added.map((k) => k.keyId)))) {
      throw new LiaisonError(
        "LIAISON_UNAVAILABLE",
        `the registry did not confirm the new keys; ${c.keyFile}.rotating keeps them: check \`liaison registry list\`, then rename it over ${c.keyFile} if its keys are listed, or remove it`,
        { cause: err },
      );
    }
  }
  rotation.commit();
  entry ??= (await c.registry.read(rotation.keys.owner))?.cp;
  if (!entry) throw new LiaisonError("LIAISON_UNKNOWN_CONTACT_POINT", rotation.keys.owner);
  await logKeyChange(c, rotation.keys.owner, { change: "rotated", keys: rotation.added.map((k) => k.keyId).join(",") });
  return { keys: rotation.keys, entry, encryptionFromMs, signingUntilMs };
}

/** Whether the registry entry of `code` lists every one of `keyIds`; false also when it cannot be read. */
async function landed(registry: RegistryWriter, code: string, keyIds: readonly string[]): Promise<boolean> {
  try {
    const cp = (await registry.read(code))?.cp;
    return keyIds.every((id) => cp?.keys.some((k) => k.keyId === id));
  } catch {
    return false;
  }
}
