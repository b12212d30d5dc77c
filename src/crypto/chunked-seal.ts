// A large file sealed in chunks, end to end: a STREAM-like construction (Hoang, Reyhanitabar,
// Rogaway, Vizár, "Online Authenticated-Encryption and its Nonce-Reuse Misuse-Resistance", 2015)
// built from XChaCha20-Poly1305 (aead.ts), with no primitive of its own. Each file has a fresh key
// and a random 16-byte nonce prefix; chunk i is sealed under nonce prefix ‖ uint64be(i), and its
// associated data names the chunk's index and whether it is the last one, so chunks cannot be
// reordered, dropped, repeated, or cut off after a non-final chunk without the open failing.
import { LiaisonError } from "../errors.js";
import { assertLength, concat, utf8 } from "./bytes.js";
import { AEAD_KEY_SIZE, AEAD_NONCE_SIZE, AEAD_TAG_SIZE, xchachaDecrypt, xchachaEncrypt } from "./aead.js";
import { randomBytes } from "./random.js";

/** Plaintext bytes per chunk (the last one may be shorter, or empty for an empty file). */
export const FILE_CHUNK_SIZE = 1024 * 1024;
export const FILE_NONCE_PREFIX_SIZE = 16;
/** A sealed chunk is its plaintext plus the Poly1305 tag. */
export const FILE_CHUNK_OVERHEAD = AEAD_TAG_SIZE;

const AAD_LABEL = utf8("liaison.v1.large-file-chunk\0");

/** What seals and opens one file: its key and nonce prefix, and the chunk size it was cut in. */
export interface FileSealing {
  readonly key: Uint8Array;
  readonly noncePrefix: Uint8Array;
  readonly chunkSize: number;
}

export function newFileSealing(chunkSize = FILE_CHUNK_SIZE): FileSealing {
  return { key: randomBytes(AEAD_KEY_SIZE), noncePrefix: randomBytes(FILE_NONCE_PREFIX_SIZE), chunkSize };
}

function u64be(n: number): Uint8Array {
  if (!Number.isSafeInteger(n) || n < 0) throw new LiaisonError("LIAISON_INTERNAL", "chunk index out of range");
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(n));
  return b;
}

export function chunkNonce(noncePrefix: Uint8Array, index: number): Uint8Array {
  assertLength(noncePrefix, FILE_NONCE_PREFIX_SIZE, "file nonce prefix");
  const nonce = concat(noncePrefix, u64be(index));
  assertLength(nonce, AEAD_NONCE_SIZE, "chunk nonce");
  return nonce;
}

export function chunkAad(index: number, final: boolean): Uint8Array {
  return concat(AAD_LABEL, u64be(index), Uint8Array.of(final ? 1 : 0));
}

export function sealChunk(s: FileSealing, index: number, final: boolean, plaintext: Uint8Array): Uint8Array {
  if (plaintext.length > s.chunkSize || (!final && plaintext.length !== s.chunkSize)) {
    throw new LiaisonError("LIAISON_INTERNAL", "only the final chunk may be shorter than the chunk size");
  }
  return xchachaEncrypt(s.key, chunkNonce(s.noncePrefix, index), plaintext, chunkAad(index, final));
}

/** Opens chunk `index`, or throws LIAISON_DECRYPT_FAILED (altered, moved, or final-ness not as claimed). */
export function openChunk(s: FileSealing, index: number, final: boolean, sealed: Uint8Array): Uint8Array {
  if (sealed.length > s.chunkSize + FILE_CHUNK_OVERHEAD || (!final && sealed.length !== s.chunkSize + FILE_CHUNK_OVERHEAD)) {
    throw new LiaisonError("LIAISON_DECRYPT_FAILED", `chunk ${index} has the wrong length`);
  }
  return xchachaDecrypt(s.key, chunkNonce(s.noncePrefix, index), sealed, chunkAad(index, final));
}

/** How many chunks a file of `size` bytes is sealed in (an empty file is one empty final chunk). */
export function chunkCount(size: number, chunkSize = FILE_CHUNK_SIZE): number {
  return Math.max(1, Math.ceil(size / chunkSize));
}

/** How many sealed bytes a file of `size` bytes takes. */
export function sealedSize(size: number, chunkSize = FILE_CHUNK_SIZE): number {
  return size + chunkCount(size, chunkSize) * FILE_CHUNK_OVERHEAD;
}

/**
 * Cuts a byte stream into chunks and seals them as they come, holding one chunk back until it
 * knows whether another follows (the final flag). Memory: two chunks, whatever the file's size.
 */
export async function* sealFileChunks(s: FileSealing, source: AsyncIterable<Uint8Array>): AsyncGenerator<{ index: number; sealed: Uint8Array; plain: Uint8Array }> {
  let buf = new Uint8Array(s.chunkSize);
  let fill = 0;
  let held: Uint8Array | undefined;
  let index = 0;
  for await (const part of source) {
    let off = 0;
    while (off < part.length) {
      const n = Math.min(part.length - off, s.chunkSize - fill);
      buf.set(part.subarray(off, off + n), fill);
      fill += n;
      off += n;
      if (fill === s.chunkSize) {
        if (held) {
          yield { index, sealed: sealChunk(s, index, false, held), plain: held };
          index++;
        }
        held = buf;
        buf = new Uint8Array(s.chunkSize);
        fill = 0;
      }
    }
  }
  if (held && fill > 0) {
    yield { index, sealed: sealChunk(s, index, false, held), plain: held };
    index++;
    held = undefined;
  }
  const last = held ?? buf.subarray(0, fill);
  yield { index, sealed: sealChunk(s, index, true, last), plain: last };
}

/**
 * Opens a stream of sealed chunks in order. The chunk that opens only as final must be the last
 * one: a stream that ends before it (truncated) or goes on after it fails, as does any chunk
 * altered or moved.
 */
export async function* openFileChunks(s: FileSealing, chunks: AsyncIterable<Uint8Array>, count: number): AsyncGenerator<Uint8Array> {
  let index = 0;
  for await (const sealed of chunks) {
    if (index >= count) throw new LiaisonError("LIAISON_DECRYPT_FAILED", "data after the final chunk");
    yield openChunk(s, index, index === count - 1, sealed);
    index++;
  }
  if (index !== count) throw new LiaisonError("LIAISON_DECRYPT_FAILED", `truncated: ${index} of ${count} chunks`);
}
