// The inbox's listing orders and cursors (services/access-point/message-index.ts) and its blind
// search index (services/access-point/search-index.ts), without a hub.
import { describe, expect, it } from "vitest";
import { arrivalKey, cursorOf, listed, type Entry, type ListOrder } from "../../services/access-point/message-index.js";
import { SearchIndex } from "../../services/access-point/search-index.js";
import { LiaisonError } from "../../src/errors.js";
import { pb } from "../../src/proto/mod.js";

let n = 0;
function entry(seq: number, pos: number, urgent: boolean): Entry {
  const header = pb.EnvelopeHeader.create({ id: `m${++n}`, priority: urgent ? pb.Priority.PRIORITY_URGENT : pb.Priority.PRIORITY_NORMAL });
  return { id: header.id, box: "inbox", seq, pos, header, storedAtMs: 0, receipts: [], recipients: new Map() };
}

/** Pages of `size` from the top, with `arrive` called after the first page. */
function page(all: Entry[], order: ListOrder, size: number, arrive?: () => void): string[] {
  const seen: string[] = [];
  let cursor: string | undefined;
  for (let i = 0; ; i++) {
    const rest = listed(all, order, cursor);
    const p = rest.slice(0, size);
    seen.push(...p.map((e) => e.id));
    if (i === 0) arrive?.();
    if (rest.length <= size) return seen;
    cursor = cursorOf(p.at(-1) as Entry, order);
  }
}

describe("inbox listing orders", () => {
  const mixed = () => {
    const out: Entry[] = [];
    for (let seq = 1; seq <= 9; seq++) for (let pos = 0; pos < 3; pos++) out.push(entry(seq, pos, (seq * 3 + pos) % 4 === 0));
    return out;
  };

  it("lists urgent before normal, each newest arrival first, in priority order", () => {
    const all = mixed();
    const got = listed(all, "priority");
    const urgent = got.filter((e) => e.header.priority === pb.Priority.PRIORITY_URGENT);
    expect(got.slice(0, urgent.length)).toEqual(urgent);
    for (const group of [urgent, got.slice(urgent.length)]) {
      for (let i = 1; i < group.length; i++) expect(arrivalKey(group[i - 1] as Entry)).toBeGreaterThan(arrivalKey(group[i] as Entry));
    }
  });

  it("lists newest arrival first whatever the priority, in arrival order", () => {
    const got = listed(mixed(), "arrival").map(arrivalKey);
    expect(got).toEqual([...got].sort((a, b) => b - a));
  });

  for (const order of ["priority", "arrival"] as const) {
    for (const size of [1, 2, 5, 26, 27, 100]) {
      it(`pages by ${size} in ${order} order through every entry exactly once, even as urgent and normal ones arrive`, () => {
        const all = mixed();
        const before = all.map((e) => e.id);
        let firstCursor = "";
        const seen = page(all, order, size, () => {
          firstCursor = cursorOf(listed(all, order)[size - 1] ?? (all[0] as Entry), order);
          all.push(entry(10, 0, true), entry(10, 1, false), entry(11, 0, true));
        });
        const late = all.slice(before.length);
        // Each one that was there when paging began is seen exactly once.
        expect(seen.filter((id) => before.includes(id)).sort()).toEqual([...before].sort());
        expect(new Set(seen).size).toBe(seen.length);
        // One that arrived meanwhile tops its group: seen in this pass only if it sorts below where
        // the first page ended (a normal one while the pager was still in the urgent ones).
        const firstPageEnded = before.length <= size;
        for (const e of late) {
          const below = listed([e], order, firstCursor).length === 1;
          expect(seen.includes(e.id), `${e.id} ${order}`).toBe(!firstPageEnded && below);
          if (e.header.priority === pb.Priority.PRIORITY_URGENT || order === "arrival") expect(below).toBe(false);
        }
      });
    }
  }

  it("refuses a cursor of the other order", () => {
    const e = entry(3, 1, true);
    expect(cursorOf(e, "priority")).toBe(`1.${3 * 65_536 + 1}`);
    expect(cursorOf(e, "arrival")).toBe(String(3 * 65_536 + 1));
    expect(() => listed([e], "priority", cursorOf(e, "arrival"))).toThrow(LiaisonError);
    expect(() => listed([e], "arrival", cursorOf(e, "priority"))).toThrow(LiaisonError);
  });
});

describe("the blind search index", () => {
  const payload = (subject: string, body: string, legalBasis?: pb.LegalBasis): pb.IPayload => ({ subject, body, ...(legalBasis ? { request: { legalBasis } } : {}) });

  it("finds a message by every word of a query, folded, and not by a word it lacks", () => {
    const s = new SearchIndex();
    s.add("a", payload("Container MSCU1234566", "Driver MÜLLER, Hans: undeclared tobacco."));
    s.add("b", payload("Cigars", "declared"));
    expect(s.matches("a", s.query("muller TOBACCO"))).toBe(true);
    expect(s.matches("a", s.query("mscu1234566"))).toBe(true);
    expect(s.matches("a", s.query("muller cigars"))).toBe(false);
    expect(s.matches("b", s.query("cigars"))).toBe(true);
    // Whole words: "declared" is not "undeclared".
    expect(s.matches("a", s.query("declared"))).toBe(false);
    expect(s.matches("a", s.query("!!!"))).toBe(false);
    expect(s.matches("unknown", s.query("cigars"))).toBe(false);
  });

  it("keeps blind references, not words, under a key of its own", () => {
    const s = new SearchIndex();
    const t = new SearchIndex();
    const refs = s.query("tobacco muller");
    expect(refs).toHaveLength(2);
    for (const r of refs) {
      expect(r).toMatch(/^[0-9a-f]{64}$/);
      expect(r).not.toContain(Buffer.from("tobacco").toString("hex"));
    }
    // Another index (another process) blinds the same word differently.
    expect(t.query("tobacco")[0]).not.toBe(s.query("tobacco")[0]);
  });

  it("keeps a request's legal basis for the filter, and none for other messages", () => {
    const s = new SearchIndex();
    s.add("r", payload("x", "y", pb.LegalBasis.LEGAL_BASIS_SURVEILLANCE));
    s.add("i", payload("x", "y"));
    expect(s.legalBasis("r")).toBe(pb.LegalBasis.LEGAL_BASIS_SURVEILLANCE);
    expect(s.legalBasis("i")).toBe(0);
    expect(s.legalBasis("never")).toBe(0);
  });
});
