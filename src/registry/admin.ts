// Registering contact points and the hub's own keys in the registry, revoking keys, suspending.
// Used by `liaison registry` and the dev stack's bootstrap; every change is also an audit event
// (emitted by the caller, who knows who made it).
import { Kvm, type KV } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/nats-core";
import { LiaisonError } from "../errors.js";
import type { KeyPair } from "../crypto/mod.js";
import { pb } from "../proto/mod.js";
import { registryKey } from "./view.js";

export async function openRegistry(nc: NatsConnection): Promise<KV> {
  return new Kvm(nc).open("registry");
}

export function publicKeyEntry(k: Pick<KeyPair, "keyId" | "use" | "publicKey">, notBeforeMs: number, notAfterMs = 0): pb.IPublicKey {
  return {
    keyId: k.keyId,
    use: k.use === "sig" ? pb.KeyUse.KEY_USE_SIGNING : pb.KeyUse.KEY_USE_ENCRYPTION,
    publicKey: k.publicKey,
    notBeforeMs,
    notAfterMs,
  };
}

export async function readContactPoint(kv: KV, code: string): Promise<{ cp: pb.ContactPoint; revision: number } | undefined> {
  const e = await kv.get(registryKey(code));
  if (!e || e.operation !== "PUT") return undefined;
  return { cp: pb.ContactPoint.decode(e.value), revision: e.revision };
}

/**
 * Creates or updates a registry entry, keeping keys already registered (a key never silently
 * disappears: it is revoked instead). Compare-and-swap on the KV revision.
 */
export async function upsertContactPoint(
  kv: KV,
  entry: { code: string; name: string; active: boolean; natsUser?: string; keys: pb.IPublicKey[] },
  now = Date.now(),
): Promise<pb.ContactPoint> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const existing = await readContactPoint(kv, entry.code);
    const keys = [...(existing?.cp.keys ?? [])];
    for (const k of entry.keys) if (!keys.some((o) => o.keyId === k.keyId)) keys.push(k);
    const cp = pb.ContactPoint.create({
      code: entry.code,
      name: entry.name,
      active: entry.active,
      keys,
      natsUser: entry.natsUser ?? existing?.cp.natsUser ?? "",
      registeredAtMs: existing?.cp.registeredAtMs || now,
      suspendedAtMs: existing?.cp.suspendedAtMs ?? 0,
      suspensionReason: existing?.cp.suspensionReason ?? "",
    });
    const bytes = pb.ContactPoint.encode(cp).finish();
    try {
      if (existing) await kv.update(registryKey(entry.code), bytes, existing.revision);
      else await kv.create(registryKey(entry.code), bytes);
      return cp;
    } catch (err) {
      if (attempt === 4) throw new LiaisonError("LIAISON_CONFLICT", `registry entry ${entry.code} kept changing`, { cause: err });
    }
  }
  throw new LiaisonError("LIAISON_CONFLICT", entry.code);
}

/** Applies a change to one entry with compare-and-swap (revocation, suspension). */
export async function modifyContactPoint(kv: KV, code: string, change: (cp: pb.ContactPoint) => void): Promise<pb.ContactPoint> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const existing = await readContactPoint(kv, code);
    if (!existing) throw new LiaisonError("LIAISON_UNKNOWN_CONTACT_POINT", code);
    change(existing.cp);
    try {
      await kv.update(registryKey(code), pb.ContactPoint.encode(existing.cp).finish(), existing.revision);
      return existing.cp;
    } catch (err) {
      if (attempt === 4) throw new LiaisonError("LIAISON_CONFLICT", `registry entry ${code} kept changing`, { cause: err });
    }
  }
  throw new LiaisonError("LIAISON_CONFLICT", code);
}

export async function revokeKey(kv: KV, code: string, keyId: string, reason: string, now = Date.now()): Promise<void> {
  await modifyContactPoint(kv, code, (cp) => {
    const k = cp.keys.find((x) => x.keyId === keyId);
    if (!k) throw new LiaisonError("LIAISON_UNKNOWN_KEY", keyId);
    k.revokedAtMs = now;
    k.revocationReason = reason;
  });
}
