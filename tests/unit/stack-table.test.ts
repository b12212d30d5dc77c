import { describe, expect, it } from "vitest";
import { formatStackTable, stackFileSchema } from "../../src/stack/mod.js";

const file = (adminToken: string) =>
  stackFileSchema.parse({
    ready: true,
    home: "/tmp/h",
    pid: 1,
    startedAt: "2026-12-06T04:00:00Z",
    nats: { url: "nats://127.0.0.1:4222", embedded: true },
    accessPoints: { BE: { url: "http://127.0.0.1:8101", operatorToken: "lsn_op", operatorUser: "be-operator", adminToken } },
    services: [],
  });

describe("the table npm start prints", () => {
  it("gives each access point's demo administrator token under its operator token, and none once blanked", () => {
    const lines = formatStackTable(file("lsn_admin")).split("\n");
    const at = lines.findIndex((l) => l.includes("operator token lsn_op"));
    expect(lines[at]).toContain("access point BE");
    expect(lines[at + 1]).toMatch(/^\s+admin token lsn_admin$/);
    expect(formatStackTable(file(""))).not.toContain("admin token");
  });
});
