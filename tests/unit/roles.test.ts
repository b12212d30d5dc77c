import { describe, expect, it } from "vitest";
import { ACCESS_POINT_ROLES, PERMISSIONS, ROLE_PERMISSIONS, may, rolesWith } from "../../src/domain/mod.js";

const CONTENT = ["messages.read", "messages.send", "records.read", "records.write", "files.read", "files.write"] as const;

describe("roles at an access point", () => {
  it("has an operator, a reader, a data-protection officer and an administrator", () => {
    expect([...ACCESS_POINT_ROLES]).toEqual(["operator", "reader", "dpo", "admin"]);
  });

  it("lets an operator send, read, query and submit, and manage no users", () => {
    for (const p of CONTENT) expect(may("operator", p), p).toBe(true);
    expect(may("operator", "users.manage")).toBe(false);
    expect(may("operator", "users.read")).toBe(false);
  });

  it("lets a reader read messages, records and files, and never send, query or submit", () => {
    for (const p of ["messages.read", "records.read", "files.read"] as const) expect(may("reader", p), p).toBe(true);
    for (const p of ["messages.send", "records.write", "files.write", "users.manage"] as const) expect(may("reader", p), p).toBe(false);
  });

  it("keeps content from the data-protection officer and the administrator", () => {
    for (const r of ["dpo", "admin"] as const) for (const p of CONTENT) expect(may(r, p), `${r} ${p}`).toBe(false);
    expect(may("dpo", "users.read")).toBe(true);
    expect(may("dpo", "users.manage")).toBe(false);
    expect(may("admin", "users.manage")).toBe(true);
  });

  it("gives console roles nothing at an access point, and access-point roles nothing at the console", () => {
    for (const p of [...CONTENT, "users.read", "users.manage"] as const) expect(rolesWith(p).filter((r) => r === "supervisor" || r === "operations"), p).toEqual([]);
    for (const p of ["audit.read", "operations.read"] as const) expect(rolesWith(p).filter((r) => (ACCESS_POINT_ROLES as readonly string[]).includes(r)), p).toEqual([]);
  });

  it("names only known permissions, and every permission is some role's", () => {
    for (const ps of Object.values(ROLE_PERMISSIONS)) for (const p of ps) expect(PERMISSIONS).toContain(p);
    for (const p of PERMISSIONS) expect(rolesWith(p).length, p).toBeGreaterThan(0);
  });
});
