// Per-object data keys (crypto-shredding): every CIS record and FIDE entry is encrypted under its
// own key; the key, wrapped by the current key-encryption key, is one message on its own subject
// of the RECORD_KEYS stream. Erasing the object erases that message with JetStream's secure erase
// (the bytes are overwritten on disk), after which the content cannot be decrypted from any copy.
import type { NatsConnection } from "@nats-io/nats-core";
import { LiaisonError } from "../errors.js";
import { JsPublisher, STREAMS, subjects } from "../nats/mod.js";
import { pb } from "../proto/mod.js";
import { AEAD_NONCE_SIZE, newId, randomBytes, utf8, xchachaDecrypt, xchachaEncrypt, type KekRing } from "../crypto/mod.js";

const STREAM = STREAMS.RECORD_KEYS.name;
const aad = (keyId: string, objectId: string, epoch: number) => utf8(`liaison.v1.data-key\0${keyId}\0${objectId}\0${epoch}`);

export interface DataKey {
  readonly keyId: string;
  readonly key: Uint8Array;
}

export function wrapDataKey(kek: { epoch: number; key: Uint8Array }, keyId: string, objectId: string, key: Uint8Array): pb.IWrappedDataKey {
  const nonce = randomBytes(AEAD_NONCE_SIZE);
  return { keyId, objectId, kekEpoch: kek.epoch, nonce, wrapped: xchachaEncrypt(kek.key, nonce, key, aad(keyId, objectId, kek.epoch)) };
}

export class DataKeyStore {
  readonly #kek: KekRing;
  readonly #pub: JsPublisher;

  private constructor(kek: KekRing, pub: JsPublisher) {
    this.#kek = kek;
    this.#pub = pub;
  }

  static async open(nc: NatsConnection, kek: KekRing): Promise<DataKeyStore> {
    return new DataKeyStore(kek, new JsPublisher(nc, { timeoutMs: 30_000 }));
  }

  /** A fresh data key for an object, stored wrapped under the current KEK. */
  async create(objectId: string): Promise<DataKey> {
    const keyId = newId();
    const key = randomBytes(32);
    const wrapped = wrapDataKey(this.#kek.current(), keyId, objectId, key);
    await this.#pub.publish(subjects.dataKey(keyId), pb.WrappedDataKey.encode(wrapped).finish(), { msgID: `dk.${keyId}`, expectStream: STREAM });
    return { keyId, key };
  }

  async #stored(keyId: string): Promise<{ seq: number; wrapped: pb.WrappedDataKey; bytes: Uint8Array }> {
    const m = await this.#pub.directGet(STREAM, { last_by_subj: subjects.dataKey(keyId) });
    if (!m) throw new LiaisonError("LIAISON_ERASED", `data key ${keyId} no longer exists`);
    return { seq: m.seq, wrapped: pb.WrappedDataKey.decode(m.data), bytes: m.data };
  }

  /** Unwraps an object's data key; throws LIAISON_ERASED once it is gone. */
  async load(keyId: string, objectId: string): Promise<Uint8Array> {
    const { wrapped } = await this.#stored(keyId);
    if (wrapped.objectId !== objectId) throw new LiaisonError("LIAISON_INTERNAL", `data key ${keyId} belongs to another object`);
    const kek = this.#kek.get(wrapped.kekEpoch);
    return xchachaDecrypt(kek.key, wrapped.nonce, wrapped.wrapped, aad(keyId, objectId, wrapped.kekEpoch));
  }

  /** Securely erases the data key; returns the wrapped bytes' sequence (for the certificate). */
  async erase(keyId: string): Promise<{ seq: number; wrapped: Uint8Array } | undefined> {
    let stored;
    try {
      stored = await this.#stored(keyId);
    } catch {
      return undefined; // already gone: erasure is idempotent
    }
    await this.#pub.deleteMessage(STREAM, stored.seq, true);
    return { seq: stored.seq, wrapped: stored.bytes };
  }

  close(): void {
    this.#pub.close();
  }
}
