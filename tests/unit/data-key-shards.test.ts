import { describe, expect, it } from "vitest";
import { newId } from "../../src/crypto/mod.js";
import { keyIdFor, keyLocation, keyShard } from "../../src/keystore/mod.js";
import { KEY_SHARDS, keyShardStream, STREAMS } from "../../src/nats/mod.js";

describe("data-key shards", () => {
  it("finds a key written before there were shards in RECORD_KEYS, under its old subject", () => {
    const id = "0193a6f2-7c1e-7d3a-9b1c-2f4e6a8b0c1d";
    expect(keyShard(id)).toBe(0);
    expect(keyLocation(id)).toEqual({ stream: "RECORD_KEYS", subject: `liaison.v1.keys.${id}` });
  });

  it("reads a key's shard from its id", () => {
    const id = "0193a6f2-7c1e-7d3a-9b1c-2f4e6a8b0c1d_s3";
    expect(keyShard(id)).toBe(3);
    expect(keyLocation(id)).toEqual({ stream: "RECORD_KEYS_3", subject: `liaison.v1.keys-3.${id}` });
  });

  it("derives a new key's id from its object's id, spreading new keys over every shard", () => {
    const seen = new Map<number, number>();
    for (let i = 0; i < 2_000; i++) {
      const objectId = newId();
      const id = keyIdFor(objectId);
      expect(keyIdFor(objectId)).toBe(id);
      expect(id.startsWith(objectId)).toBe(true);
      const shard = keyShard(id);
      expect(shard).toBeGreaterThanOrEqual(0);
      expect(shard).toBeLessThan(KEY_SHARDS);
      expect(keyLocation(id).subject.split(".").at(-1)).toBe(id);
      seen.set(shard, (seen.get(shard) ?? 0) + 1);
    }
    expect([...seen.keys()].sort()).toEqual(Array.from({ length: KEY_SHARDS }, (_, k) => k));
    // Roughly even: each shard takes between 15 % and 35 % of 2,000 objects.
    for (const n of seen.values()) expect(n).toBeGreaterThan(300);
    for (const n of seen.values()) expect(n).toBeLessThan(700);
  });

  it("refuses to derive a key id from a string that is not an object id (it would be another subject)", () => {
    for (const bad of ["", "a.b", "a*", ">", "a b", "x".repeat(129)]) expect(() => keyIdFor(bad)).toThrow(/not an object id/);
  });

  it("provisions one stream per shard, with subjects that do not overlap", () => {
    const specs = Object.values(STREAMS).filter((s) => s.name.startsWith("RECORD_KEYS"));
    expect(specs.map((s) => s.name).sort()).toEqual(Array.from({ length: KEY_SHARDS }, (_, k) => keyShardStream(k)).sort());
    const subjectsOf = specs.flatMap((s) => s.subjects);
    expect(new Set(subjectsOf).size).toBe(KEY_SHARDS);
    for (const spec of specs) {
      expect(spec.max_msgs_per_subject).toBe(1);
      expect(spec.allow_direct).toBe(true);
    }
    // A shard's subject is never matched by another shard's filter.
    for (let k = 0; k < KEY_SHARDS; k++) {
      const subject = keyLocation(`x_s${k}`.replace("_s0", "")).subject;
      const matching = subjectsOf.filter((f) => subject.startsWith(f.slice(0, -1)));
      expect(matching).toEqual([keyLocation(`x_s${k}`.replace("_s0", "")).subject.replace(/[^.]+$/, ">")]);
    }
  });
});
