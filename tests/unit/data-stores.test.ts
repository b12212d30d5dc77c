// Each hub data service's store is declared once (src/hub-data/stores.ts): the bucket that
// provisioning creates, the key its objects are stored under, and how a stored value reads back.
import { describe, expect, it } from "vitest";
import { FILES_STORE, OPERATION_ITEMS_STORE, RECORDS_STORE } from "../../src/hub-data/mod.js";
import { BUCKETS } from "../../src/nats/mod.js";
import { pb } from "../../src/proto/mod.js";

describe("data stores", () => {
  it("name buckets that provisioning creates, keeping the revision a secure erase overwrites", () => {
    for (const store of [RECORDS_STORE, FILES_STORE]) {
      const spec = BUCKETS.find((b) => b.bucket === store.bucket);
      expect(spec, store.bucket).toBeDefined();
      expect(spec?.history).toBeGreaterThanOrEqual(2);
    }
    expect(RECORDS_STORE.bucket).not.toBe(FILES_STORE.bucket);
  });

  it("key an object under its service's prefix and read back what the service stored", () => {
    expect(RECORDS_STORE.key("r1")).toBe("rec.r1");
    expect(FILES_STORE.key("f1")).toBe("file.f1");
    expect(RECORDS_STORE.decode(pb.StoredRecord.encode({ id: "r1", supplier: "BE", reviewDueMs: 42 }).finish())).toMatchObject({ id: "r1", supplier: "BE" });
    expect(FILES_STORE.decode(pb.StoredFileEntry.encode({ id: "f1", supplier: "NL", retentionUntilMs: 7 }).finish())).toMatchObject({ id: "f1", supplier: "NL" });
  });

  it("keep an operation's items under the operation's id, so one filter takes them all for erasure", () => {
    expect(BUCKETS.some((b) => b.bucket === OPERATION_ITEMS_STORE.bucket)).toBe(true);
    expect(OPERATION_ITEMS_STORE.key("op1", "i1")).toBe("item.op1.i1");
    expect(OPERATION_ITEMS_STORE.operationKeys("op1")).toBe("item.op1.>");
    expect(OPERATION_ITEMS_STORE.decode(pb.StoredOperationItem.encode({ id: "i1", author: "NL", recipients: ["DE", "NL"] }).finish())).toMatchObject({ id: "i1", author: "NL", recipients: ["DE", "NL"] });
  });
});
