import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ERRORS, LiaisonError, hasCode, isBadSignature, toLiaisonError, toProblem, type ErrorCode } from "../../src/errors.js";

describe("error registry", () => {
  const doc = readFileSync(new URL("../../docs/errors.md", import.meta.url), "utf8");

  it("documents every code in docs/errors.md with its status", () => {
    for (const [code, spec] of Object.entries(ERRORS)) {
      const row = doc.split("\n").find((l) => l.includes(`\`${code}\``));
      expect(row, `${code} is not documented in docs/errors.md`).toBeDefined();
      expect(row).toContain(`| ${spec.status} |`);
    }
  });

  it("lists no code in the docs that the registry lacks", () => {
    const documented = [...doc.matchAll(/`(LIAISON_[A-Z_]+)`/g)].map((m) => m[1]);
    for (const code of documented) expect(Object.keys(ERRORS)).toContain(code);
  });

  it("uses real HTTP error statuses", () => {
    for (const spec of Object.values(ERRORS)) {
      expect(spec.status).toBeGreaterThanOrEqual(400);
      expect(spec.status).toBeLessThan(600);
    }
  });

  it("renders RFC 9457 problem details carrying the code", () => {
    const p = toProblem(new LiaisonError("LIAISON_BAD_SIGNATURE", "envelope 42"), "/v1/messages");
    expect(p).toMatchObject({ status: 422, code: "LIAISON_BAD_SIGNATURE", detail: "envelope 42", instance: "/v1/messages" });
    expect(p.type.endsWith("/LIAISON_BAD_SIGNATURE")).toBe(true);
  });

  it("tells codes apart with predicates, and wraps foreign errors as internal", () => {
    const err = new LiaisonError("LIAISON_BAD_SIGNATURE");
    expect(isBadSignature(err)).toBe(true);
    expect(hasCode("LIAISON_REPLAY" satisfies ErrorCode)(err)).toBe(false);
    const wrapped = toLiaisonError(new RangeError("boom"));
    expect(wrapped.code).toBe("LIAISON_INTERNAL");
    expect(wrapped.cause).toBeInstanceOf(RangeError);
  });
});
