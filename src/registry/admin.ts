// Registering contact points and the hub's own keys in the registry, revoking keys, suspending:
// the registry administrator's writes (the dev stack's bootstrap, `liaison registry`, tests). Each
// entry is signed with the registry key; every change raises the entry's version. Every change is
// also an audit event, emitted by the caller, who knows who made it.
import { Kvm, type KV } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/nats-core";
import { LiaisonError } from "../errors.js";
import type { KeyPair } from "../crypto/mod.js";
import { pb } from "../proto/mod.js";
import { registryKey } from "./view.js";
import { registryTrust, signEntry, verifyEntry, type RegistryTrust } from "./signing.js";

export function publicKeyEntry(k: Pick<KeyPair, "keyId" | "use" | "publicKey">, notBeforeMs: number, notAfterMs = 0): pb.IPublicKey {
  return {
    keyId: k.keyId,
    use: k.use === "sig" ? pb.KeyUse.KEY_USE_SIGNING : pb.KeyUse.KEY_USE_ENCRYPTION,
    publicKey: k.publicKey,
    notBeforeMs,
    notAfterMs,
  };
}

const ATTEMPTS = 5;

/** The registry as its administrator writes it: KV "registry" and the registry signing key. */
export class RegistryWriter {
  readonly trust: RegistryTrust;

  private constructor(
    readonly kv: KV,
    private readonly key: KeyPair,
  ) {
    this.trust = registryTrust(key.publicKey);
  }

  static async open(nc: NatsConnection, registryKey: KeyPair): Promise<RegistryWriter> {
    if (registryKey.use !== "sig") throw new TypeError("the registry key must be a signing key");
    return new RegistryWriter(await new Kvm(nc).open("registry"), registryKey);
  }

  /**
   * The entry as stored, with its KV revision. An entry this key did not sign (a tampered one, or
   * one from before entries were signed) reads as `unsigned` with what it claims, so the
   * administrator can sign it again over the top.
   */
  async read(code: string): Promise<{ cp: pb.ContactPoint; revision: number; unsigned: boolean } | undefined> {
    const e = await this.kv.get(registryKey(code));
    if (!e || e.operation !== "PUT") return undefined;
    try {
      return { cp: verifyEntry(e.value, this.trust, code), revision: e.revision, unsigned: false };
    } catch {
      let claimed: pb.ContactPoint;
      try {
        claimed = pb.ContactPoint.decode(e.value);
      } catch {
        claimed = pb.ContactPoint.create({ code });
      }
      return { cp: claimed, revision: e.revision, unsigned: true };
    }
  }

  async #write(cp: pb.ContactPoint, revision: number | undefined): Promise<void> {
    const bytes = signEntry(cp, this.key);
    if (revision === undefined) await this.kv.create(registryKey(cp.code), bytes);
    else await this.kv.update(registryKey(cp.code), bytes, revision);
  }

  /**
   * Creates or updates an entry, keeping keys already registered (a key never silently
   * disappears: it is revoked instead). Compare-and-swap on the KV revision. Keys of an entry that
   * was not signed by this registry key are not carried over: only what is given now.
   */
  async upsert(entry: { code: string; name: string; active: boolean; natsUser?: string; keys: pb.IPublicKey[] }, now = Date.now()): Promise<pb.ContactPoint> {
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const existing = await this.read(entry.code);
      const trusted = existing && !existing.unsigned ? existing.cp : undefined;
      const keys = [...(trusted?.keys ?? [])];
      for (const k of entry.keys) if (!keys.some((o) => o.keyId === k.keyId)) keys.push(k);
      const cp = pb.ContactPoint.create({
        code: entry.code,
        name: entry.name,
        active: entry.active,
        keys,
        natsUser: entry.natsUser ?? trusted?.natsUser ?? "",
        registeredAtMs: trusted?.registeredAtMs || now,
        suspendedAtMs: trusted?.suspendedAtMs ?? 0,
        suspensionReason: trusted?.suspensionReason ?? "",
        version: Number(existing?.cp.version ?? 0) + 1,
        updatedAtMs: now,
      });
      try {
        await this.#write(cp, existing?.revision);
        return cp;
      } catch (err) {
        if (attempt === ATTEMPTS - 1) throw new LiaisonError("LIAISON_CONFLICT", `registry entry ${entry.code} kept changing`, { cause: err });
      }
    }
    throw new LiaisonError("LIAISON_CONFLICT", entry.code);
  }

  /** Applies a change to one signed entry with compare-and-swap (revocation, suspension). */
  async modify(code: string, change: (cp: pb.ContactPoint) => void, now = Date.now()): Promise<pb.ContactPoint> {
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const existing = await this.read(code);
      if (!existing) throw new LiaisonError("LIAISON_UNKNOWN_CONTACT_POINT", code);
      if (existing.unsigned) throw new LiaisonError("LIAISON_REGISTRY_TAMPERED", `entry ${code} is not signed by the registry key; register it again`);
      change(existing.cp);
      existing.cp.version = Number(existing.cp.version ?? 0) + 1;
      existing.cp.updatedAtMs = now;
      try {
        await this.#write(existing.cp, existing.revision);
        return existing.cp;
      } catch (err) {
        if (attempt === ATTEMPTS - 1) throw new LiaisonError("LIAISON_CONFLICT", `registry entry ${code} kept changing`, { cause: err });
      }
    }
    throw new LiaisonError("LIAISON_CONFLICT", code);
  }

  /**
   * Adds keys to a registered entry (a rotation): the older keys stay, so what they signed still
   * verifies; readers seal to the newest valid encryption key from now on. `signingEndsAtMs` ends
   * the older signing keys then (a rotation's grace period), so a key rotated out signs nothing new.
   */
  async addKeys(code: string, keys: readonly pb.IPublicKey[], now = Date.now(), opts: { signingEndsAtMs?: number } = {}): Promise<pb.ContactPoint> {
    return this.modify(
      code,
      (cp) => {
        const end = opts.signingEndsAtMs;
        if (end) {
          // The older signing keys end at `end` (or earlier, when they were to end sooner).
          for (const o of cp.keys) if (o.use === pb.KeyUse.KEY_USE_SIGNING && !o.revokedAtMs && (!o.notAfterMs || Number(o.notAfterMs) > end)) o.notAfterMs = end;
        }
        for (const k of keys) {
          if (cp.keys.some((o) => o.keyId === k.keyId)) throw new LiaisonError("LIAISON_CONFLICT", `key ${k.keyId} is already registered`);
          cp.keys.push(pb.PublicKey.create(k));
        }
      },
      now,
    );
  }

  /** Marks a key revoked from `now`: every reader refuses it from the moment it sees the entry. */
  async revokeKey(code: string, keyId: string, reason: string, now = Date.now()): Promise<pb.ContactPoint> {
    return this.modify(
      code,
      (cp) => {
        const k = cp.keys.find((x) => x.keyId === keyId);
        if (!k) throw new LiaisonError("LIAISON_UNKNOWN_KEY", keyId);
        if (k.revokedAtMs) throw new LiaisonError("LIAISON_CONFLICT", `key ${keyId} was revoked already`);
        k.revokedAtMs = now;
        k.revocationReason = reason;
      },
      now,
    );
  }
}
