// Examples a reader copies must be valid: every ISO 6346 container number written in the README,
// in docs/ and in the identifier rules' own messages passes the check digit the hub applies.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { normaliseContainerNumber } from "../../src/domain/mod.js";

const root = join(import.meta.dirname, "..", "..");
const sources = [
  "README.md",
  ...readdirSync(join(root, "docs"), { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".md"))
    .map((f) => join("docs", f)),
  "src/domain/identifiers.ts",
];
/** Owner code, category U/J/Z, six digits and a check digit, as people write them (spaces, a dash). */
const CONTAINER = /\b[A-Z]{3}[UJZ] ?\d{6}[- ]?\d\b/g;

describe("documentation examples", () => {
  it("writes only container numbers that pass the ISO 6346 check digit", () => {
    const found = sources.flatMap((file) => [...readFileSync(join(root, file), "utf8").matchAll(CONTAINER)].map((m) => ({ file, number: m[0] })));
    expect(found.length).toBeGreaterThan(0);
    const failing = found.filter(({ number }) => {
      try {
        normaliseContainerNumber(number);
        return false;
      } catch {
        return true;
      }
    });
    expect(failing).toEqual([]);
  });
});
