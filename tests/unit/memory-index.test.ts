import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { MemoryIndex } from "../../src/blindstore/mod.js";

const ref = () => new Uint8Array(randomBytes(32));
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

interface Obj {
  readonly supplier: string;
  readonly category: number;
  readonly refs: Uint8Array[];
  readonly types: string[];
  readonly hexes: Set<string>;
}

/** The plain answer: every object holding the reference, by a scan. */
function expected(objects: Map<string, Obj>, query: ReadonlyArray<{ ref: Uint8Array; type: string }>, category = 0): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const q of query) {
    const want = hex(q.ref);
    for (const [id, o] of objects) {
      if (category && o.category !== category) continue;
      if (!o.hexes.has(want)) continue;
      const s = out.get(id) ?? new Set<string>();
      s.add(q.type);
      out.set(id, s);
    }
  }
  return out;
}
const sorted = (m: Map<string, Set<string>>) => [...m].map(([id, s]) => [id, [...s].sort()] as const).sort((a, b) => a[0].localeCompare(b[0]));

describe("the in-memory blind index", () => {
  it("answers as a scan of every object would, through inserts, replacements and removals, past every initial capacity", () => {
    const index = new MemoryIndex();
    const objects = new Map<string, Obj>();
    const hot = ref(); // one reference many objects share (a common company name)
    const pool = Array.from({ length: 3_000 }, ref);
    let n = 0;
    const put = (id: string) => {
      const refs = [ref(), pool[Math.floor(Math.random() * pool.length)] as Uint8Array, ...(Math.random() < 0.3 ? [hot] : [])];
      const o: Obj = { supplier: ["BE", "NL", "DE"][n % 3] as string, category: 1 + (n % 4), refs, types: refs.map((_, k) => `type-${k}`), hexes: new Set(refs.map(hex)) };
      n++;
      objects.set(id, o);
      index.upsert({ id, supplier: o.supplier, category: o.category, blindIndexes: o.refs, indexTypes: o.types });
    };
    for (let i = 0; i < 20_000; i++) put(`obj-${i}`);
    // Replace some (an amendment: new references), remove others (erasure), then add more into the freed room.
    for (let i = 0; i < 20_000; i += 7) put(`obj-${i}`);
    for (let i = 0; i < 20_000; i += 3) {
      objects.delete(`obj-${i}`);
      index.remove(`obj-${i}`);
    }
    for (let i = 20_000; i < 26_000; i++) put(`obj-${i}`);
    expect(index.size).toBe(objects.size);

    const some = [...objects.entries()].filter((_, i) => i % 97 === 0);
    for (const [id, o] of some) {
      const q = [{ ref: o.refs[0] as Uint8Array, type: "vat" }];
      expect(sorted(index.lookup(q))).toEqual(sorted(expected(objects, q)));
      expect(index.get(id)).toEqual({ supplier: o.supplier, category: o.category, types: o.types });
    }
    for (const r of pool.slice(0, 100)) {
      const q = [{ ref: r, type: "name" }, { ref: hot, type: "company" }];
      expect(sorted(index.lookup(q, 2))).toEqual(sorted(expected(objects, q, 2)));
    }
    const all = [{ ref: hot, type: "company" }];
    expect(sorted(index.lookup(all))).toEqual(sorted(expected(objects, all)));
    expect(index.lookup([{ ref: ref(), type: "vat" }]).size).toBe(0);
    expect(index.get("obj-0")).toBeUndefined();
  });

  it("forgets a reference once its last object is gone, and finds it again when it comes back", () => {
    const index = new MemoryIndex();
    const r = ref();
    index.upsert({ id: "a", supplier: "BE", category: 1, blindIndexes: [r, r], indexTypes: ["vat", "vat"] });
    index.upsert({ id: "b", supplier: "NL", category: 1, blindIndexes: [r], indexTypes: ["vat"] });
    expect(index.references).toBe(1);
    expect(index.get("a")?.types).toEqual(["vat"]); // the same reference twice is one entry
    index.remove("a");
    index.remove("a"); // twice is harmless
    expect([...index.lookup([{ ref: r, type: "vat" }]).keys()]).toEqual(["b"]);
    index.remove("b");
    expect(index.references).toBe(0);
    expect(index.lookup([{ ref: r, type: "vat" }]).size).toBe(0);
    index.upsert({ id: "c", supplier: "DE", category: 2, blindIndexes: [r], indexTypes: ["vat"] });
    expect([...index.lookup([{ ref: r, type: "vat" }]).keys()]).toEqual(["c"]);
    expect(index.size).toBe(1);
  });

  it("stops adding objects at the limit, and still gives each found object every type it matched on", () => {
    const index = new MemoryIndex();
    const name = ref();
    const vat = ref();
    for (let i = 0; i < 50; i++) index.upsert({ id: `o${i}`, supplier: "BE", category: 1, blindIndexes: [name, vat], indexTypes: ["name", "vat"] });
    const found = index.lookup([{ ref: name, type: "name" }, { ref: vat, type: "vat" }], 0, 10);
    expect(found.size).toBe(10);
    for (const types of found.values()) expect([...types].sort()).toEqual(["name", "vat"]);
  });

  it("refuses a reference that is not 32 bytes rather than index it wrongly", () => {
    const index = new MemoryIndex();
    const r = ref();
    index.upsert({ id: "x", supplier: "BE", category: 1, blindIndexes: [r], indexTypes: ["vat"] });
    expect(() => index.upsert({ id: "x", supplier: "BE", category: 1, blindIndexes: [new Uint8Array(16)], indexTypes: ["vat"] })).toThrow(/32 bytes/);
    // Nothing changed: the object is still there with its reference.
    expect(index.size).toBe(1);
    expect([...index.lookup([{ ref: r, type: "vat" }]).keys()]).toEqual(["x"]);
    expect(index.lookup([{ ref: new Uint8Array(16), type: "vat" }]).size).toBe(0);
  });
});
