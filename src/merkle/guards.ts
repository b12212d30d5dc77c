// Argument checks at the Merkle module's boundary (RFC 9162 §2.1 hashes are 32 bytes, sizes and
// indices are unsigned integers). A caller's mistake throws TypeError/RangeError at once.

// HASH_SIZE of hash.ts, restated because hash.ts imports this file.
const HASH_BYTES = 32;

/** Throws unless `value` is a 32-byte Uint8Array. */
export function assertHash(value: unknown, what: string): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) throw new TypeError(`${what} must be a Uint8Array`);
  if (value.length !== HASH_BYTES) throw new RangeError(`${what} must be ${HASH_BYTES} bytes, got ${value.length}`);
}

/** Throws unless `value` is a non-negative safe integer (a tree size or a leaf index). */
export function assertCount(value: unknown, what: string): asserts value is number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${what} must be a non-negative integer, got ${String(value)}`);
  }
}

/** Throws unless `value` is an array; proofs and leaf lists arrive as plain arrays. */
export function assertArray(value: unknown, what: string): asserts value is readonly unknown[] {
  if (!Array.isArray(value)) throw new TypeError(`${what} must be an array`);
}

/** Checks every leaf hash and copies them into one flat buffer, `count * 32` bytes. */
export function flattenHashes(hashes: readonly Uint8Array[], what = "leafHashes"): Uint8Array {
  assertArray(hashes, what);
  const flat = new Uint8Array(hashes.length * HASH_BYTES);
  for (let i = 0; i < hashes.length; i++) {
    const h = hashes[i];
    assertHash(h, `${what}[${i}]`);
    flat.set(h, i * HASH_BYTES);
  }
  return flat;
}
