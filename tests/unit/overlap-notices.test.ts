// Overlap notices (src/notices/overlaps.ts): one to each addressee, naming the two operations and
// the reasons, and nothing else of either operation.
import { describe, expect, it } from "vitest";
import { findOverlap, type Operation } from "../../src/domain/mod.js";
import { overlapNotices } from "../../src/notices/mod.js";
import { pb } from "../../src/proto/mod.js";

const op = (id: string, name: string, leaders: string[], start: string, end: string): Operation => ({
  id,
  name,
  kind: "regional-jco",
  leaders,
  participants: [],
  observers: [],
  objectives: [{ description: "secret-ish objective text", metric: "seizures", target: 3 }],
  riskAreas: ["drug-trafficking"],
  commodityCodes: ["1211"],
  routes: [],
  legalBasis: "Naples II",
  phases: [{ kind: "operational", start, end }],
  status: "planned",
});

describe("overlap notices", () => {
  const o = findOverlap(op("a1", "Athena V", ["DE"], "2027-03-01", "2027-03-07"), op("b1", "Hermes II", ["FR"], "2027-03-05", "2027-03-09"));
  if (!o) throw new Error("the two operations overlap");

  it("go to each addressee once, about the operation that changed", () => {
    const notices = overlapNotices(["DE", "FR", "DE"], "flagged", o);
    expect(notices.map((n) => n.addressee)).toEqual(["DE", "FR"]);
    expect(notices.every((n) => n.kind === pb.NoticeKind.NOTICE_KIND_OVERLAP && n.objectType === "operation" && n.objectId === "a1")).toBe(true);
  });

  it("carry the two operations' ids and names and the reasons, nothing more", () => {
    const [n] = overlapNotices(["FR"], "resolved", o);
    expect(n?.details).toEqual({
      state: "resolved",
      operation: "a1",
      operationName: "Athena V",
      other: "b1",
      otherName: "Hermes II",
      reasons: ["operational phase of Athena V and operational phase of Hermes II both run from 2027-03-05 to 2027-03-07", "both cover risk area drug-trafficking", "commodity codes 1211 and 1211 share HS heading 1211"].join("\n"),
    });
    expect(JSON.stringify(n)).not.toContain("secret-ish objective text");
    expect(Object.keys(n ?? {}).sort()).toEqual(["addressee", "details", "kind", "objectId", "objectType"]);
  });
});
