// Encrypted, blind-indexed objects in a KV bucket (CIS records in "records", FIDE entries in
// "files"): the value is the encrypted object, and an index header carries only blind-index
// references, so a service can rebuild its query index from headers alone. Updates are
// compare-and-swap on the KV revision, and the replaced revision is overwritten on disk; erasure
// overwrites what is left of the key on disk and leaves a delete marker.
import { DeliverPolicy, jetstream, type ConsumerMessages, type JetStreamClient } from "@nats-io/jetstream";
import { Kvm, type KV } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/nats-core";
import { b64u, fromB64u, hex, sha256 } from "../crypto/mod.js";
import { LiaisonError } from "../errors.js";
import type { Logger } from "../log/mod.js";
import { JsPublisher, token } from "../nats/mod.js";
import { pb } from "../proto/mod.js";
import { MemoryIndex } from "./memory-index.js";

export const INDEX_HEADER = "Liaison-Index";
/** On a delete marker written by tombstone(): the revision still to be overwritten on disk. */
export const OVERWRITE_HEADER = "Liaison-Overwrite";
/**
 * How many times an erasure reads an object again when it changed between the read and the delete
 * marker (an amendment, a hold, a renewal), before it gives up until the next sweep.
 */
export const ERASE_ATTEMPTS = 3;
/** On a revision written by an update: the revision it replaced (overwritten right after, normally). */
export const REPLACES_HEADER = "Liaison-Replaces";

/** How shred() goes about an object: the revision read, the one it replaced, and when to overwrite. */
/**
 * The revision an erased object's delete marker names for overwrite (OVERWRITE_HEADER), if its
 * latest entry is such a marker. Shared with the retention sweeper, which reads over a JsPublisher.
 */
export async function markedRevision(pub: JsPublisher, bucket: string, key: string): Promise<number | undefined> {
  const last = await pub.directGet(`KV_${bucket}`, { last_by_subj: `$KV.${bucket}.${key}` });
  const rev = Number(last?.headers?.get(OVERWRITE_HEADER) ?? 0);
  return last?.headers?.get("KV-Operation") === "DEL" && rev > 0 ? rev : undefined;
}

/** The stored bytes of one revision of a key, if that revision is still stored and is that key's. */
export async function storedRevision(pub: JsPublisher, bucket: string, key: string, revision: number): Promise<Uint8Array | undefined> {
  const m = await pub.directGet(`KV_${bucket}`, { seq: revision });
  return m && m.subject === `$KV.${bucket}.${key}` && m.data.length > 0 ? m.data : undefined;
}

/** A side record's key ("hit.<id>"): dot-separated tokens, each checked like a subject token. */
const sideKey = (key: string): string => key.split(".").map(token).join(".");

export interface ShredOptions {
  readonly revision?: number;
  readonly replaces?: number;
  readonly overwriteLater?: "mark" | "resume";
}

export class BlindStore {
  readonly index = new MemoryIndex();
  #follow: ConsumerMessages | undefined;

  private constructor(
    readonly bucket: string,
    readonly prefix: string,
    private readonly kv: KV,
    private readonly sides: KV,
    private readonly js: JetStreamClient,
    private readonly pub: JsPublisher,
    private readonly log: Logger,
  ) {}

  static async open(nc: NatsConnection, bucket: string, prefix: string, log: Logger): Promise<BlindStore> {
    // Reading the index back starts a last-per-subject consumer over every key: with a million
    // records the server needs longer than the default 5 s API timeout to set it up.
    const kvm = new Kvm(nc);
    return new BlindStore(bucket, prefix, await kvm.open(bucket), await kvm.open("hits"), jetstream(nc, { timeout: 120_000 }), new JsPublisher(nc, { timeoutMs: 30_000 }), log);
  }

  /** An object's key: one token after the prefix, so an id from outside can never be a wildcard. */
  key(id: string): string {
    return `${this.prefix}.${token(id)}`;
  }

  /** The current revision; `replaces`: the revision an update replaced, when it was one. */
  async get(id: string): Promise<{ bytes: Uint8Array; revision: number; replaces?: number } | undefined> {
    const e = await this.pub.kvGet(this.bucket, this.key(id));
    if (!e) return undefined;
    const replaces = Number(e.headers?.get(REPLACES_HEADER) ?? 0);
    return { bytes: e.data, revision: e.revision, ...(replaces > 0 ? { replaces } : {}) };
  }

  /** Writes an object with its index header; `expectRevision` 0 means "must not exist yet". */
  async put(id: string, bytes: Uint8Array, index: pb.IIndexEntry, expectRevision?: number): Promise<number> {
    try {
      const ack = await this.pub.publish(`$KV.${this.bucket}.${this.key(id)}`, bytes, {
        expectStream: `KV_${this.bucket}`,
        headers: { [INDEX_HEADER]: b64u(pb.IndexEntry.encode(index).finish()), ...(expectRevision ? { [REPLACES_HEADER]: String(expectRevision) } : {}) },
        ...(expectRevision !== undefined ? { expectLastSubjectSequence: expectRevision } : {}),
      });
      this.index.upsert(index);
      // The revision this one replaces is overwritten on disk, not merely dropped (the bucket keeps
      // two revisions so that it is still there to erase). Should this fail, the next update or the
      // erasure takes it.
      if (expectRevision) await this.pub.deleteMessage(`KV_${this.bucket}`, expectRevision, true).catch(() => undefined);
      return ack.seq;
    } catch (err) {
      if (err instanceof LiaisonError && err.code === "LIAISON_CONFLICT") throw new LiaisonError("LIAISON_CONFLICT", `${this.prefix} ${id} changed meanwhile`, { cause: err });
      throw err;
    }
  }

  /**
   * Erases an object: its stored message is overwritten on disk (JetStream secure erase), then a
   * delete marker tells every follower to drop it from their index.
   */
  async erase(id: string, knownSeq?: number): Promise<void> {
    const stream = `KV_${this.bucket}`;
    // A delete marker, not a purge: nothing of the object is left to purge, and on nats-server 2.9
    // a purge (a rollup) walks every block of the stream for the subject — 3 ms each at 1,000,000
    // records, serialised on the stream, against an append for the marker.
    const marker = (onlyIfEmpty: boolean) =>
      this.pub.publish(`$KV.${this.bucket}.${this.key(id)}`, new Uint8Array(0), {
        expectStream: stream,
        headers: { "KV-Operation": "DEL" },
        ...(onlyIfEmpty ? { expectLastSubjectSequence: 0 } : {}),
      });
    if (knownSeq) {
      await this.pub.deleteMessage(stream, knownSeq, true).catch(() => undefined);
      // The usual case in one call: the marker goes in only if no revision newer than knownSeq is
      // left on the subject; otherwise the loop below finds and erases it first.
      try {
        await marker(true);
        this.index.remove(id);
        return;
      } catch (err) {
        if (!(err instanceof LiaisonError && err.code === "LIAISON_CONFLICT")) throw err;
      }
    }
    for (;;) {
      const m = await this.pub.kvGet(this.bucket, this.key(id));
      if (!m) break;
      await this.pub.deleteMessage(stream, m.seq, true);
    }
    await marker(false);
    this.index.remove(id);
  }

  /**
   * Crypto-shredding of one object, records and files alike. `eraseKey` erases its data key (and
   * whatever goes with it); the object is then erased, every revision overwritten on disk, behind a
   * delete marker. With `overwriteLater` (the retention sweep) the delete marker goes first
   * ("mark": tombstone(), refused with LIAISON_CONFLICT before anything is erased if `revision` is
   * no longer the latest; "resume": the marker is there already) and the stored revision is left
   * for overwrite(). Returns what `eraseKey` returned and the revision left to overwrite (0: none).
   */
  async shred<T>(id: string, eraseKey: () => Promise<T>, o: ShredOptions = {}): Promise<{ key: T; pending: number }> {
    const pending = o.overwriteLater && o.revision ? o.revision : 0;
    if (pending && o.overwriteLater === "mark") await this.tombstone(id, pending, o.replaces);
    const key = await eraseKey();
    if (!pending) await this.erase(id, o.revision);
    return { key, pending };
  }

  /**
   * An erasure's first step when the overwrite comes later: a delete marker in place of the known
   * revision, written only if that revision is still the latest, so the object is gone from every
   * view and index at once while its stored bytes wait for overwrite(). The marker names the
   * revision (OVERWRITE_HEADER). Throws LIAISON_CONFLICT, changing nothing, when a newer revision
   * was written meanwhile (a renewal, a hold): the caller then erases nothing. `replaces`: the
   * revision that `revision` replaced (from get()), if any.
   */
  async tombstone(id: string, revision: number, replaces?: number): Promise<void> {
    const stream = `KV_${this.bucket}`;
    const subject = `$KV.${this.bucket}.${this.key(id)}`;
    // The revision an update replaced is overwritten right after the update; should that have
    // failed, it is still stored (the bucket keeps two) and is overwritten here, first: the marker
    // would push it out of the bucket without overwriting it.
    if (replaces) {
      const older = await this.pub.directGet(stream, { seq: replaces });
      if (older && older.subject === subject) await this.pub.deleteMessage(stream, replaces, true);
    }
    try {
      await this.pub.publish(subject, new Uint8Array(0), {
        expectStream: stream,
        headers: { "KV-Operation": "DEL", [OVERWRITE_HEADER]: String(revision) },
        expectLastSubjectSequence: revision,
      });
    } catch (err) {
      if (err instanceof LiaisonError && err.code === "LIAISON_CONFLICT") throw new LiaisonError("LIAISON_CONFLICT", `${this.prefix} ${id} changed meanwhile`, { cause: err });
      throw err;
    }
    this.index.remove(id);
  }

  /** A stored revision of an object, by its sequence; undefined when it is not (or no longer) there. */
  revision(id: string, revision: number): Promise<Uint8Array | undefined> {
    return storedRevision(this.pub, this.bucket, this.key(id), revision);
  }

  /**
   * An erasure's second step: overwrites on disk (JetStream secure erase) a revision left behind by
   * tombstone(). Refuses a revision that is still the object's latest (its erasure did not get as
   * far as the delete marker) or that belongs to another object; false if it is gone already.
   */
  async overwrite(id: string, revision: number): Promise<boolean> {
    const stream = `KV_${this.bucket}`;
    const subject = `$KV.${this.bucket}.${this.key(id)}`;
    const m = await this.pub.directGet(stream, { seq: revision });
    if (!m) return false;
    if (m.subject !== subject) throw new LiaisonError("LIAISON_VALIDATION", `revision ${revision} is not ${this.prefix} ${id}`);
    const last = await this.pub.directGet(stream, { last_by_subj: subject });
    if (last?.seq === revision) throw new LiaisonError("LIAISON_CONFLICT", `${this.prefix} ${id} is not erased yet`);
    await this.pub.deleteMessage(stream, revision, true);
    return true;
  }

  /**
   * The revision an erasure left to overwrite, should its second step not have happened (the
   * sweep stopped in between): read from the delete marker; undefined when there is none.
   */
  overwritePending(id: string): Promise<number | undefined> {
    return markedRevision(this.pub, this.bucket, this.key(id));
  }

  /**
   * Small side records (hits), in bucket "hits" under this store's prefix: they expire there.
   * Written through the publisher, which waits out a stream without a leader (a cluster node lost)
   * and, with the key and the value's hash as message id, retries a lost answer without writing
   * twice (a later change of the same record, an outcome, has another hash).
   */
  async putSide(key: string, bytes: Uint8Array): Promise<void> {
    const subject = `$KV.hits.${this.prefix}.${sideKey(key)}`;
    await this.pub.publish(subject, bytes, { expectStream: "KV_hits", msgID: `${subject}.${hex(sha256(bytes)).slice(0, 32)}` });
  }

  async getSide(key: string): Promise<Uint8Array | undefined> {
    const e = await this.sides.get(`${this.prefix}.${sideKey(key)}`);
    if (e && e.operation === "PUT") return e.value;
    // Written before hits had a bucket of their own (kept beside the objects, without expiry).
    const old = await this.kv.get(key);
    return old && old.operation === "PUT" ? old.value : undefined;
  }

  /** Loads the index from the headers (no content is read) and keeps following changes. */
  async follow(): Promise<void> {
    const filter = `$KV.${this.bucket}.${this.prefix}.>`;
    // Deliver-all, not last-per-subject: the bucket keeps one revision per key, so both give the
    // same messages, and the server sets deliver-all up in a fraction of the time (1.2–2.8 s
    // against 5.8–8.9 s at 1,000,000 records). Were history ever raised, later revisions still
    // arrive after earlier ones and replace them.
    const consumer = await this.js.consumers.get(`KV_${this.bucket}`, { filter_subjects: filter, headers_only: true, deliver_policy: DeliverPolicy.All });
    let loaded: () => void = () => undefined;
    const ready = new Promise<void>((r) => (loaded = r));
    const info = await consumer.info();
    if (info.num_pending === 0) loaded();
    this.#follow = await consumer.consume({
      max_messages: 5_000,
      callback: (m) => {
        const id = m.subject.slice(filter.length - 1);
        const op = m.headers?.get("KV-Operation");
        if (op === "DEL" || op === "PURGE") this.index.remove(id);
        else {
          const h = m.headers?.get(INDEX_HEADER);
          if (h) {
            try {
              this.index.upsert(pb.IndexEntry.decode(fromB64u(h)));
            } catch (err) {
              this.log.error({ err, id }, "unreadable index header");
            }
          }
        }
        if (m.info.pending === 0) loaded();
      },
    });
    await ready;
  }

  close(): void {
    void this.#follow?.close();
    this.pub.close();
  }
}
