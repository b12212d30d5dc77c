// An in-memory view of the registry (KV "registry"): contact points, their keys and whether they
// are active. Answers the questions the exchange and access points ask on every envelope.
import { LiaisonError } from "../errors.js";
import type { RecipientKey, SignerKey, SignerKeyLookup } from "../crypto/mod.js";
import { keyState, HUB } from "../domain/mod.js";
import { pb } from "../proto/mod.js";

export const registryKey = (code: string) => `cp.${code}`;

export class RegistryView {
  readonly #cps = new Map<string, pb.IContactPoint>();
  readonly #keys = new Map<string, { owner: string; key: pb.IPublicKey }>();
  readonly #now: () => number;

  constructor(entries: Iterable<pb.IContactPoint> = [], now: () => number = Date.now) {
    this.#now = now;
    for (const e of entries) this.put(e);
  }

  put(cp: pb.IContactPoint): void {
    const code = cp.code ?? "";
    const old = this.#cps.get(code);
    for (const k of old?.keys ?? []) this.#keys.delete(k.keyId ?? "");
    this.#cps.set(code, cp);
    for (const k of cp.keys ?? []) if (k.keyId) this.#keys.set(k.keyId, { owner: code, key: k });
  }

  remove(code: string): void {
    for (const k of this.#cps.get(code)?.keys ?? []) this.#keys.delete(k.keyId ?? "");
    this.#cps.delete(code);
  }

  get(code: string): pb.IContactPoint | undefined {
    return this.#cps.get(code);
  }

  all(): pb.IContactPoint[] {
    return [...this.#cps.values()];
  }

  /** Contact points that may send and receive now (the hub itself is not one). */
  active(): string[] {
    return [...this.#cps.values()]
      .filter((c) => c.active && !c.suspendedAtMs && c.code !== HUB)
      .map((c) => c.code ?? "")
      .sort();
  }

  /** Throws LIAISON_UNKNOWN_CONTACT_POINT or LIAISON_INACTIVE_CONTACT_POINT. */
  requireActive(code: string): pb.IContactPoint {
    const cp = this.#cps.get(code);
    if (!cp || code === HUB) throw new LiaisonError("LIAISON_UNKNOWN_CONTACT_POINT", code);
    if (!cp.active || cp.suspendedAtMs) throw new LiaisonError("LIAISON_INACTIVE_CONTACT_POINT", code);
    return cp;
  }

  /** A key usable at `atMs` (its validity period); a revocation counts as soon as it is known. */
  #usable(keyId: string, use: pb.KeyUse, atMs: number): { owner: string; key: pb.IPublicKey } {
    const found = this.#keys.get(keyId);
    if (!found || found.key.use !== use || !(found.key.publicKey instanceof Uint8Array)) {
      throw new LiaisonError("LIAISON_UNKNOWN_KEY", keyId);
    }
    const now = this.#now();
    if (keyState(found.key, Math.max(now, atMs)) === "revoked") throw new LiaisonError("LIAISON_KEY_REVOKED", keyId);
    if (keyState(found.key, atMs) !== "valid") throw new LiaisonError("LIAISON_KEY_EXPIRED", keyId);
    return found;
  }

  /** For BatchVerifier: a signing key by id, if it is valid now. */
  readonly signingKey: SignerKeyLookup = (keyId: string): SignerKey => this.signingKeyAt(keyId, this.#now());

  /**
   * A signing key by id if it was valid at `atMs` (when the hub accepted what it signed) and is not
   * revoked: a recipient checks what reaches it late against the time the hub took it in, so a
   * message signed just before a rotation's grace period ended still verifies afterwards.
   */
  signingKeyAt(keyId: string, atMs: number): SignerKey {
    const { owner, key } = this.#usable(keyId, pb.KeyUse.KEY_USE_SIGNING, atMs);
    return { owner, publicKey: key.publicKey as Uint8Array };
  }

  /** A contact point's current encryption key (the newest valid one). */
  encryptionKey(code: string): RecipientKey {
    const cp = this.#cps.get(code);
    if (!cp) throw new LiaisonError("LIAISON_UNKNOWN_CONTACT_POINT", code);
    const now = this.#now();
    const key = [...(cp.keys ?? [])]
      .filter((k) => k.use === pb.KeyUse.KEY_USE_ENCRYPTION && keyState(k, now) === "valid")
      .sort((a, b) => Number(b.notBeforeMs ?? 0) - Number(a.notBeforeMs ?? 0))[0];
    if (!key?.keyId || !(key.publicKey instanceof Uint8Array)) throw new LiaisonError("LIAISON_UNKNOWN_KEY", `no valid encryption key for ${code}`);
    return { cp: code, keyId: key.keyId, publicKey: key.publicKey };
  }

  /** Is this a currently valid encryption key of that contact point? */
  isEncryptionKeyOf(code: string, keyId: string): boolean {
    const found = this.#keys.get(keyId);
    return !!found && found.owner === code && found.key.use === pb.KeyUse.KEY_USE_ENCRYPTION && keyState(found.key, this.#now()) === "valid";
  }
}
