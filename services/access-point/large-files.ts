// Large attachments (docs/large-files.md): a file streamed in is sealed chunk by chunk under a
// fresh file key (src/crypto/chunked-seal.ts) and written into each recipient's large-file store
// at the hub (object store large-files-<CP>); the key stays here until the file is sent in a
// message, then travels only inside that sealed message. A recipient's access point reads its own
// store by direct get, opens each chunk and checks the plaintext's SHA-256 at the end. No whole
// file is ever held in memory: a few chunks at a time.
import { createHash } from "node:crypto";
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/nats-core";
import { chunkCount, hex, newFileSealing, openChunk, randomBytes, sealFileChunks, FILE_CHUNK_OVERHEAD, type FileSealing } from "../../src/crypto/mod.js";
import { LiaisonError } from "../../src/errors.js";
import type { Logger } from "../../src/log/mod.js";
import { largeFileStore, subjects } from "../../src/nats/mod.js";
import type { pb } from "../../src/proto/mod.js";

/** Sealed chunks written and not yet acknowledged, per upload: bounds memory and keeps the link busy. */
const WRITE_WINDOW = 8;
/** The most recipients one upload is sealed for: each is a full copy in another store. */
export const MAX_LARGE_FILE_RECIPIENTS = 30;
/** An upload id: 32 hex digits (also the object's name in every recipient's store). */
export const UPLOAD_ID = /^[0-9a-f]{32}$/;

export interface LargeFilesDeps {
  readonly nc: NatsConnection;
  readonly cp: string;
  readonly maxBytes: number;
  readonly uploadTtlMs: number;
  readonly log: Logger;
  readonly now?: () => number;
  /** Whether a contact point is in the registry (a file for anyone else is refused before it is read). */
  readonly isMember?: (cp: string) => boolean;
}

export interface UploadMeta {
  readonly name: string;
  readonly mediaType: string;
  /** The recipients it is sealed for: the message that sends it must be addressed to exactly these. */
  readonly to: readonly string[];
  /** The size the client declared (Content-Length), when it did: over the limit is refused before anything is stored. */
  readonly declaredSize?: number;
  /** Who uploads it: only this user may send it. */
  readonly userId: string;
}

export interface Upload {
  readonly id: string;
  readonly name: string;
  readonly mediaType: string;
  readonly to: readonly string[];
  readonly userId: string;
  readonly size: number;
  readonly sha256: Uint8Array;
  readonly createdAtMs: number;
  readonly sealing: FileSealing;
  /** The random id in the subject of its chunks, and how many there are. */
  readonly chunksId: string;
  readonly chunks: number;
}

/** The object store's metadata record, as @nats-io/obj writes it (so `nats obj` and Objm read ours). */
interface ObjectMeta {
  name: string;
  bucket: string;
  nuid: string;
  size: number;
  chunks: number;
  digest: string;
  mtime: string;
  deleted: boolean;
  options: { max_chunk_size: number };
}

const b64urlPadded = (b: Uint8Array | string) => Buffer.from(b).toString("base64").replaceAll("+", "-").replaceAll("/", "_");
const metaSubject = (bucket: string, name: string) => `$O.${bucket}.M.${b64urlPadded(name)}`;
const chunkSubject = (bucket: string, nuid: string) => `$O.${bucket}.C.${nuid}`;

export class LargeFiles {
  readonly #d: LargeFilesDeps;
  readonly #js: JetStreamClient;
  #hubJsm: JetStreamManager | undefined;
  readonly #uploads = new Map<string, Upload>();
  readonly #timer: NodeJS.Timeout;

  constructor(d: LargeFilesDeps) {
    this.#d = d;
    this.#js = jetstream(d.nc);
    this.#timer = setInterval(() => this.sweep(), Math.min(60_000, Math.max(1_000, d.uploadTtlMs / 4)));
    this.#timer.unref();
  }

  get maxBytes(): number {
    return this.#d.maxBytes;
  }

  #now(): number {
    return (this.#d.now ?? Date.now)();
  }

  /**
   * Seals what `body` streams into every recipient's store and keeps the key for the message that
   * sends it. Over the limit: LIAISON_PAYLOAD_TOO_LARGE, before anything is written when the size
   * was declared, otherwise as soon as the limit is passed (the chunks written so far stay without
   * a metadata record, so no object exists; their key is dropped at once and they age out).
   */
  async upload(body: AsyncIterable<Uint8Array>, meta: UploadMeta): Promise<Upload> {
    const max = this.#d.maxBytes;
    if (meta.declaredSize !== undefined && meta.declaredSize > max) throw new LiaisonError("LIAISON_PAYLOAD_TOO_LARGE", `${meta.declaredSize} bytes, limit ${max}`);
    const to = [...new Set(meta.to)].sort();
    if (to.length > MAX_LARGE_FILE_RECIPIENTS) throw new LiaisonError("LIAISON_BAD_REQUEST", `to: ${to.length} recipients, at most ${MAX_LARGE_FILE_RECIPIENTS} for one upload`);
    if (to.includes(this.#d.cp)) throw new LiaisonError("LIAISON_VALIDATION", "to: a large file is sent to other contact points, not to oneself");
    const unknown = to.filter((cp) => this.#d.isMember && !this.#d.isMember(cp));
    if (unknown.length) throw new LiaisonError("LIAISON_UNKNOWN_CONTACT_POINT", `to: ${unknown.join(",")} is not in the registry`);
    const id = hex(randomBytes(16));
    const nuid = hex(randomBytes(16));
    const sealing = newFileSealing();
    const plainHash = createHash("sha256");
    const storedHash = createHash("sha256");
    let size = 0;
    let chunks = 0;
    let sealedBytes = 0;
    const counted = async function* (): AsyncGenerator<Uint8Array> {
      for await (const part of body) {
        size += part.length;
        if (size > max) throw new LiaisonError("LIAISON_PAYLOAD_TOO_LARGE", `more than ${max} bytes`);
        yield part;
      }
    };
    const pending: Array<Promise<unknown>> = [];
    try {
      for await (const c of sealFileChunks(sealing, counted())) {
        plainHash.update(c.plain);
        storedHash.update(c.sealed);
        chunks++;
        sealedBytes += c.sealed.length;
        for (const cp of to) {
          const ack = this.#js.publish(chunkSubject(largeFileStore(cp).bucket, nuid), c.sealed);
          // Awaited in order below; until then a refusal must not count as unhandled.
          ack.catch(() => undefined);
          pending.push(ack);
        }
        while (pending.length >= WRITE_WINDOW * to.length) await pending.shift();
      }
      await Promise.all(pending);
      const mtime = new Date(this.#now()).toISOString();
      for (const cp of to) {
        const bucket = largeFileStore(cp).bucket;
        const info: ObjectMeta = {
          name: id,
          bucket,
          nuid,
          size: sealedBytes,
          chunks,
          digest: `SHA-256=${b64urlPadded(storedHash.copy().digest())}`,
          mtime,
          deleted: false,
          options: { max_chunk_size: sealing.chunkSize + FILE_CHUNK_OVERHEAD },
        };
        // For `nats obj` and @nats-io/obj; no rollup header (the store refuses them). The reader
        // reads none: the sealed reference names the chunks.
        await this.#js.publish(metaSubject(bucket, id), JSON.stringify(info));
      }
    } catch (err) {
      await Promise.allSettled(pending);
      sealing.key.fill(0);
      throw err;
    }
    const up: Upload = { id, name: meta.name, mediaType: meta.mediaType, to, userId: meta.userId, size, sha256: new Uint8Array(plainHash.digest()), createdAtMs: this.#now(), sealing, chunksId: nuid, chunks };
    this.#uploads.set(id, up);
    this.#d.log.info({ upload: id, size, chunks, recipients: to.length }, "large file uploaded");
    return up;
  }

  /**
   * The references a message carries for these uploads (copies of their keys). Refused: an unknown
   * or expired upload, one named twice, one sealed for other recipients than the message's, or one
   * another user uploaded (LIAISON_FORBIDDEN). They stay waiting until sent() says the message went.
   */
  refsFor(ids: readonly string[], recipients: readonly string[], userId: string): pb.ILargeAttachment[] {
    if (new Set(ids).size !== ids.length) throw new LiaisonError("LIAISON_VALIDATION", "largeAttachments: an upload is named twice");
    const want = [...new Set(recipients)].sort().join(",");
    return ids.map((id) => {
      const up = this.#uploads.get(id);
      if (!up) throw new LiaisonError("LIAISON_VALIDATION", `largeAttachments: no upload ${id} waiting here (unknown, already sent, or expired)`);
      if (up.userId !== userId) throw new LiaisonError("LIAISON_FORBIDDEN", `largeAttachments: upload ${id} is another user's; only the user who uploaded a file sends it`);
      if (up.to.join(",") !== want) throw new LiaisonError("LIAISON_VALIDATION", `largeAttachments: upload ${id} was sealed for ${up.to.join(",")}, not for ${want}`);
      return {
        name: up.name,
        mediaType: up.mediaType,
        object: up.id,
        size: up.size,
        sha256: up.sha256,
        fileKey: new Uint8Array(up.sealing.key),
        noncePrefix: up.sealing.noncePrefix,
        chunkSize: up.sealing.chunkSize,
        chunksId: up.chunksId,
        chunkCount: up.chunks,
      };
    });
  }

  /** These uploads went in a sealed message: their keys now live only there. */
  sent(ids: readonly string[]): void {
    for (const id of ids) {
      this.#uploads.get(id)?.sealing.key.fill(0);
      this.#uploads.delete(id);
    }
  }

  /** Forgets uploads older than the TTL: their key is zeroed, and their objects marked deleted. */
  sweep(): void {
    const limit = this.#now() - this.#d.uploadTtlMs;
    for (const up of [...this.#uploads.values()]) {
      if (up.createdAtMs > limit) continue;
      this.#uploads.delete(up.id);
      up.sealing.key.fill(0);
      for (const cp of up.to) {
        const bucket = largeFileStore(cp).bucket;
        const gone = { name: up.id, bucket, nuid: "", size: 0, chunks: 0, digest: "", mtime: new Date(this.#now()).toISOString(), deleted: true, options: {} };
        this.#js.publish(metaSubject(bucket, up.id), JSON.stringify(gone)).catch((err: unknown) => this.#d.log.warn({ err, upload: up.id }, "could not mark an abandoned upload deleted"));
      }
      this.#d.log.info({ upload: up.id }, "an upload never sent was forgotten (its key dropped)");
    }
  }

  /** How many uploads wait to be sent. */
  get waiting(): number {
    return this.#uploads.size;
  }

  async #hub(): Promise<JetStreamManager> {
    this.#hubJsm ??= await jetstreamManager(this.#d.nc, { apiPrefix: subjects.hubJsApi, checkAPI: false });
    return this.#hubJsm;
  }

  /**
   * The plaintext of a large attachment sent to this contact point, chunk by chunk, from its own
   * store: exactly the chunks its sealed reference names (their subject's id and their count), in
   * order; no object record is read, since anyone who may write into the store could add one.
   * Checked before the first byte: the count is the one the size needs, and the first chunk opens;
   * then each chunk opens (in place, final flag where it belongs) and the SHA-256 matches at the
   * end, before the last chunk is given out.
   */
  async open(ref: pb.ILargeAttachment): Promise<AsyncGenerator<Uint8Array>> {
    const bucket = largeFileStore(this.#d.cp).bucket;
    const stream = `OBJ_${bucket}`;
    const object = ref.object ?? "";
    const chunksId = ref.chunksId ?? "";
    if (!UPLOAD_ID.test(object) || !UPLOAD_ID.test(chunksId) || !ref.fileKey || !ref.noncePrefix || !ref.chunkSize) throw new LiaisonError("LIAISON_VALIDATION", "malformed large-file reference");
    const size = Number(ref.size ?? 0);
    const count = chunkCount(size, ref.chunkSize);
    if (ref.chunkCount !== count) throw new LiaisonError("LIAISON_DECRYPT_FAILED", `the large file's reference names ${ref.chunkCount ?? 0} chunks; its size needs ${count}`);
    const jsm = await this.#hub();
    const sealing: FileSealing = { key: ref.fileKey, noncePrefix: ref.noncePrefix, chunkSize: ref.chunkSize };
    const subj = chunkSubject(bucket, chunksId);
    const want = ref.sha256 ?? new Uint8Array();
    const read = async (seq: number) => jsm.direct.getMessage(stream, { seq, next_by_subj: subj });
    // The body form of a direct get (the only one imported). The first chunk opens before anything
    // is answered, so a file altered there is refused cleanly; none at all: it aged out, or never came.
    const first = await read(0);
    if (!first) throw new LiaisonError("LIAISON_NOT_FOUND", `the large file ${ref.name ?? ""} is no longer at the hub`);
    const firstPlain = openChunk(sealing, 0, count === 1, first.data);
    const hash = createHash("sha256").update(firstPlain);
    const mismatch = () => new LiaisonError("LIAISON_DECRYPT_FAILED", "the file's SHA-256 does not match its message");
    // A file of one chunk is checked whole before anything is answered.
    if (count === 1 && !Buffer.from(hash.digest()).equals(Buffer.from(want))) throw mismatch();
    return (async function* () {
      // Each chunk is held back until the next one opened, and the last until the SHA-256 matched:
      // a file that fails anywhere is a broken-off answer, never one that looks complete.
      let held = firstPlain;
      let seq = first.seq;
      for (let i = 1; i < count; i++) {
        const c = await read(seq + 1);
        if (!c) throw new LiaisonError("LIAISON_DECRYPT_FAILED", `truncated: ${i} of ${count} chunks`);
        seq = c.seq;
        const plain = openChunk(sealing, i, i === count - 1, c.data);
        hash.update(plain);
        yield held;
        held = plain;
      }
      if (count > 1 && !Buffer.from(hash.digest()).equals(Buffer.from(want))) throw mismatch();
      yield held;
    })();
  }

  close(): void {
    clearInterval(this.#timer);
    for (const up of this.#uploads.values()) up.sealing.key.fill(0);
    this.#uploads.clear();
  }
}
