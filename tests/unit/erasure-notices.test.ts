import { describe, expect, it } from "vitest";
import { CERTIFICATES_PER_NOTICE, erasureNotices } from "../../src/notices/mod.js";
import { pb } from "../../src/proto/mod.js";

const certified = (n: number): pb.ICertifiedErasure[] =>
  Array.from({ length: n }, (_, i) => ({ certificate: { objectType: "record", objectId: `r${i}`, supplier: "BE", rule: "cis-review" }, auditEventId: `erasure.record.r${i}`, auditLeafHash: new Uint8Array(32) }));

describe("erasure notices", () => {
  it("carries every certificate of a sweep's erasures for one supplier and rule, at most CERTIFICATES_PER_NOTICE a notice", () => {
    const all = certified(2 * CERTIFICATES_PER_NOTICE + 1);
    const notices = erasureNotices("BE", "record", "cis-review", all);
    expect(notices.map((n) => n.erasures?.length)).toEqual([CERTIFICATES_PER_NOTICE, CERTIFICATES_PER_NOTICE, 1]);
    expect(notices.flatMap((n) => n.erasures)).toEqual(all);
    for (const n of notices) {
      expect(n).toMatchObject({ kind: pb.NoticeKind.NOTICE_KIND_ERASED, addressee: "BE", objectType: "record" });
      expect(n.details).toEqual({ rule: "cis-review", count: String(n.erasures?.length), ids: (n.erasures ?? []).map((c) => c.certificate?.objectId).join(",") });
    }
    // Encoded, a full notice stays far below what an inbox message may carry.
    expect(pb.Notice.encode(notices[0] as pb.INotice).finish().length).toBeLessThan(64 * 1024);
  });

  it("names the one object a single-erasure notice is about", () => {
    const [n] = erasureNotices("BE", "record", "cis-supplier-erasure", certified(1));
    expect(n?.objectId).toBe("r0");
    expect(erasureNotices("BE", "record", "cis-review", certified(2))[0]?.objectId).toBe("");
  });
});
