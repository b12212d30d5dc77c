// Writes large-file-chunks.json: a file of 40 bytes cut in 16-byte chunks, each chunk sealed by
// @noble/ciphers' xchacha20poly1305 (the reference, not our fast path) under the nonce and
// associated data docs/large-files.md defines. Run: npx tsx tests/vectors/crypto/generate-large-file.ts
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { xchacha20poly1305 } from "@noble/ciphers/chacha.js";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const key = Uint8Array.from({ length: 32 }, (_, i) => i);
const noncePrefix = Uint8Array.from({ length: 16 }, (_, i) => 0xa0 + i);
const chunkSize = 16;
const plaintext = new TextEncoder().encode("Naples II Art. 19: large file, chunked.!");
const label = new TextEncoder().encode("liaison.v1.large-file-chunk\0");
const u64 = (n: number) => {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(n));
  return b;
};
const cat = (...p: Uint8Array[]) => Uint8Array.from(p.flatMap((x) => [...x]));
const count = Math.ceil(plaintext.length / chunkSize);
const chunks = [];
for (let i = 0; i < count; i++) {
  const final = i === count - 1;
  const nonce = cat(noncePrefix, u64(i));
  const aad = cat(label, u64(i), Uint8Array.of(final ? 1 : 0));
  const plain = plaintext.subarray(i * chunkSize, (i + 1) * chunkSize);
  chunks.push({ index: i, final, nonce: hex(nonce), aad: hex(aad), plaintext: hex(plain), sealed: hex(xchacha20poly1305(key, nonce, aad).encrypt(plain)) });
}
writeFileSync(join(import.meta.dirname, "large-file-chunks.json"), JSON.stringify({ source: "tests/vectors/crypto/generate-large-file.ts (@noble/ciphers xchacha20poly1305)", key: hex(key), noncePrefix: hex(noncePrefix), chunkSize, plaintext: hex(plaintext), chunks }, null, 2) + "\n");
