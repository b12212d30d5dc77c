// Per-object data keys (crypto-shredding): every CIS record and FIDE entry is encrypted under its
// own key; the key, wrapped by the current key-encryption key, is one message on its own subject
// of one of the KEY_SHARDS data-key streams (RECORD_KEYS, RECORD_KEYS_1, ...). Erasing the object
// erases that message with JetStream's secure erase (the bytes are overwritten on disk), after
// which the content cannot be decrypted from any copy.
//
// Why shards: nats-server erases one stream's messages one after another, each waiting for its
// disk flush, and answers one connection's JetStream requests in order; the disk flushes several
// files at once faster than one after another (here 1,660 erases/s on one stream, 3,810/s over four
// on four connections). A key's shard is part of its id (`_s<k>`, none for shard 0), so it is found
// without a lookup; ids without one (written before the shards) are in RECORD_KEYS. A new key's
// id follows from its object's id (keyIdFor), so a read fetches the object and its key at once.
import type { NatsConnection } from "@nats-io/nats-core";
import { LiaisonError } from "../errors.js";
import { JsPublisher, KEY_SHARDS, keyShardStream, subjects } from "../nats/mod.js";
import { pb } from "../proto/mod.js";
import { aeadOpen, aeadSeal, randomBytes, utf8, type KekRing } from "../crypto/mod.js";

const SHARD_SUFFIX = /_s([1-9][0-9]*)$/;

/** The shard a data key lives in (0 for ids without a shard, written before there were shards). */
export function keyShard(keyId: string): number {
  const m = SHARD_SUFFIX.exec(keyId);
  return m ? Number(m[1]) : 0;
}

/** Where a data key is stored: its stream and subject. */
export function keyLocation(keyId: string): { stream: string; subject: string } {
  const shard = keyShard(keyId);
  return { stream: keyShardStream(shard), subject: subjects.dataKey(keyId, shard) };
}

/** What an object id looks like: one subject token (it becomes part of its key's subject). */
const OBJECT_ID = /^[A-Za-z0-9_-]{1,128}$/;

/**
 * The id of an object's data key: the object's id and a shard that follows from it (FNV-1a of the
 * id, so new keys spread evenly over the shards). Because the id follows from the object's, the
 * key can be read in the same moment as the object (`prefetch`), instead of after it. Keys created
 * before this have random ids; the stored object names its key either way.
 */
export function keyIdFor(objectId: string): string {
  if (!OBJECT_ID.test(objectId)) throw new LiaisonError("LIAISON_INTERNAL", `not an object id: ${JSON.stringify(objectId)}`);
  let h = 0x811c9dc5;
  for (let i = 0; i < objectId.length; i++) h = Math.imul(h ^ objectId.charCodeAt(i), 0x01000193);
  const shard = (h >>> 0) % KEY_SHARDS;
  return shard === 0 ? objectId : `${objectId}_s${shard}`;
}
const aad = (keyId: string, objectId: string, epoch: number) => utf8(`liaison.v1.data-key\0${keyId}\0${objectId}\0${epoch}`);

/** A data key read ahead (DataKeyStore.prefetch): the key, or why it could not be read. */
export interface PrefetchedKey {
  readonly keyId: string;
  readonly objectId: string;
  readonly result: Promise<{ key: Uint8Array } | { error: unknown }>;
}

export interface DataKey {
  readonly keyId: string;
  readonly key: Uint8Array;
}

export function wrapDataKey(kek: { epoch: number; key: Uint8Array }, keyId: string, objectId: string, key: Uint8Array): pb.IWrappedDataKey {
  const sealed = aeadSeal(kek.key, key, aad(keyId, objectId, kek.epoch));
  return { keyId, objectId, kekEpoch: kek.epoch, nonce: sealed.nonce, wrapped: sealed.ciphertext };
}

export class DataKeyStore {
  readonly #kek: KekRing;
  /** One publisher per shard, each on the next of the connections given. */
  readonly #pubs: JsPublisher[];

  private constructor(kek: KekRing, pubs: JsPublisher[]) {
    this.#kek = kek;
    this.#pubs = pubs;
  }

  /**
   * Opens the store. Given one connection per shard, each shard's traffic has a connection of its
   * own, and erasures in different shards do not wait for each other.
   */
  static async open(nc: NatsConnection | readonly NatsConnection[], kek: KekRing): Promise<DataKeyStore> {
    const ncs = Array.isArray(nc) ? (nc as readonly NatsConnection[]) : [nc as NatsConnection];
    return new DataKeyStore(
      kek,
      Array.from({ length: KEY_SHARDS }, (_, k) => new JsPublisher(ncs[k % ncs.length] as NatsConnection, { timeoutMs: 30_000 })),
    );
  }

  #pub(keyId: string): JsPublisher {
    return this.#pubs[keyShard(keyId) % this.#pubs.length] as JsPublisher;
  }

  /** A fresh data key for an object, stored wrapped under the current KEK. */
  async create(objectId: string): Promise<DataKey> {
    const keyId = keyIdFor(objectId);
    const key = randomBytes(32);
    const wrapped = wrapDataKey(this.#kek.current(), keyId, objectId, key);
    const at = keyLocation(keyId);
    await this.#pub(keyId).publish(at.subject, pb.WrappedDataKey.encode(wrapped).finish(), { msgID: `dk.${keyId}`, expectStream: at.stream });
    return { keyId, key };
  }

  async #stored(keyId: string): Promise<{ seq: number; wrapped: pb.WrappedDataKey; bytes: Uint8Array }> {
    const at = keyLocation(keyId);
    const m = await this.#pub(keyId).directGet(at.stream, { last_by_subj: at.subject });
    if (!m) throw new LiaisonError("LIAISON_ERASED", `data key ${keyId} no longer exists`);
    return { seq: m.seq, wrapped: pb.WrappedDataKey.decode(m.data), bytes: m.data };
  }

  /**
   * Starts reading an object's data key before the object is read: the key it has if it was created
   * since key ids follow from object ids (keyIdFor). `load` uses it when the object names that key;
   * a failure is kept for `load` to throw, never left unhandled. Nothing is read for a string that
   * cannot be an object id (the object's own read refuses it).
   */
  prefetch(objectId: string): PrefetchedKey | undefined {
    if (!OBJECT_ID.test(objectId)) return undefined;
    const keyId = keyIdFor(objectId);
    return {
      keyId,
      objectId,
      result: this.#unwrap(keyId, objectId).then(
        (key) => ({ key }),
        (error: unknown) => ({ error }),
      ),
    };
  }

  /**
   * Unwraps an object's data key; throws LIAISON_ERASED once it is gone. With a `prefetch` of the
   * same key for the same object, waits for that read instead of reading again.
   */
  async load(keyId: string, objectId: string, prefetched?: PrefetchedKey): Promise<Uint8Array> {
    if (!prefetched || prefetched.keyId !== keyId || prefetched.objectId !== objectId) return this.#unwrap(keyId, objectId);
    const r = await prefetched.result;
    if ("error" in r) throw r.error;
    return r.key;
  }

  async #unwrap(keyId: string, objectId: string): Promise<Uint8Array> {
    const { wrapped } = await this.#stored(keyId);
    if (wrapped.objectId !== objectId) throw new LiaisonError("LIAISON_INTERNAL", `data key ${keyId} belongs to another object`);
    const kek = this.#kek.get(wrapped.kekEpoch);
    return aeadOpen(kek.key, wrapped.nonce, wrapped.wrapped, aad(keyId, objectId, wrapped.kekEpoch));
  }

  /** Securely erases the data key; returns the wrapped bytes' sequence (for the certificate). */
  async erase(keyId: string): Promise<{ seq: number; wrapped: Uint8Array } | undefined> {
    let stored;
    try {
      stored = await this.#stored(keyId);
    } catch (err) {
      // Already gone: erasure is idempotent. Anything else (no answer, a lost connection) is not
      // taken for gone: the erasure fails and is tried again.
      if (err instanceof LiaisonError && err.code === "LIAISON_ERASED") return undefined;
      throw err;
    }
    await this.#pub(keyId).deleteMessage(keyLocation(keyId).stream, stored.seq, true);
    return { seq: stored.seq, wrapped: stored.bytes };
  }

  close(): void {
    for (const p of this.#pubs) p.close();
  }
}
