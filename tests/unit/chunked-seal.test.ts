// The chunked seal of large files (src/crypto/chunked-seal.ts): known answers made with
// @noble/ciphers (tests/vectors/crypto/large-file-chunks.json), and every way a sealed file can be
// cut, reordered or altered refused.
import { describe, expect, it } from "vitest";
import { chunkCount, openFileChunks, sealFileChunks, sealedSize, newFileSealing, type FileSealing } from "../../src/crypto/mod.js";
import { isLiaisonError } from "../../src/errors.js";
import v from "../vectors/crypto/large-file-chunks.json" with { type: "json" };

const bytes = (h: string) => new Uint8Array(Buffer.from(h, "hex"));
const vs: FileSealing = { key: bytes(v.key), noncePrefix: bytes(v.noncePrefix), chunkSize: v.chunkSize };

async function* parts(b: Uint8Array, step: number) {
  for (let i = 0; i < b.length; i += step) yield b.subarray(i, i + step);
}
async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}
const sealAll = async (s: FileSealing, b: Uint8Array, step = 7) => (await collect(sealFileChunks(s, parts(b, step)))).map((c) => c.sealed);
const openAll = async (s: FileSealing, chunks: Uint8Array[], count: number) => Buffer.concat(await collect(openFileChunks(s, (async function* () { yield* chunks; })(), count)));
const decryptFailed = (err: unknown) => isLiaisonError(err) && err.code === "LIAISON_DECRYPT_FAILED";

describe("chunked seal of large files", () => {
  it("seals each chunk as the reference (@noble/ciphers) does, whatever the input's pieces", async () => {
    for (const step of [1, 5, 16, 40]) {
      const sealed = await sealAll(vs, bytes(v.plaintext), step);
      expect(sealed.map((c) => Buffer.from(c).toString("hex"))).toEqual(v.chunks.map((c) => c.sealed));
    }
    expect(chunkCount(bytes(v.plaintext).length, v.chunkSize)).toBe(v.chunks.length);
    expect(sealedSize(40, 16)).toBe(40 + 3 * 16);
  });

  it("opens the reference's chunks back to the plaintext", async () => {
    expect((await openAll(vs, v.chunks.map((c) => bytes(c.sealed)), v.chunks.length)).toString("hex")).toBe(v.plaintext);
  });

  it("round-trips an empty file, one exact chunk, and a file ending on a chunk boundary", async () => {
    const s = newFileSealing(16);
    for (const n of [0, 1, 16, 32, 33]) {
      const plain = Uint8Array.from({ length: n }, (_, i) => i);
      const sealed = await sealAll(s, plain, 5);
      expect(sealed.length).toBe(chunkCount(n, 16));
      expect(sealed.reduce((t, c) => t + c.length, 0)).toBe(sealedSize(n, 16));
      expect(Buffer.compare(await openAll(s, sealed, chunkCount(n, 16)), Buffer.from(plain))).toBe(0);
    }
  });

  it("refuses a truncated file, even one cut on a chunk boundary", async () => {
    const chunks = v.chunks.map((c) => bytes(c.sealed));
    await expect(openAll(vs, chunks.slice(0, 2), 3)).rejects.toSatisfy(decryptFailed);
    // Claiming fewer chunks makes the last one present open as final: it was sealed as not final.
    await expect(openAll(vs, chunks.slice(0, 2), 2)).rejects.toSatisfy(decryptFailed);
  });

  it("refuses chunks reordered, repeated, altered, or extended past the final one", async () => {
    const chunks = v.chunks.map((c) => bytes(c.sealed));
    await expect(openAll(vs, [chunks[1]!, chunks[0]!, chunks[2]!], 3)).rejects.toSatisfy(decryptFailed);
    await expect(openAll(vs, [chunks[0]!, chunks[0]!, chunks[2]!], 3)).rejects.toSatisfy(decryptFailed);
    const altered = chunks.map((c) => new Uint8Array(c));
    altered[1]![3]! ^= 1;
    await expect(openAll(vs, altered, 3)).rejects.toSatisfy(decryptFailed);
    await expect(openAll(vs, [...chunks, chunks[2]!], 3)).rejects.toSatisfy(decryptFailed);
  });

  it("refuses a file opened under another key or nonce prefix", async () => {
    const chunks = v.chunks.map((c) => bytes(c.sealed));
    const other = newFileSealing(16);
    await expect(openAll({ ...vs, key: other.key }, chunks, 3)).rejects.toSatisfy(decryptFailed);
    await expect(openAll({ ...vs, noncePrefix: other.noncePrefix }, chunks, 3)).rejects.toSatisfy(decryptFailed);
  });
});
