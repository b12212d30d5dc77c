// The API contracts in src/api: one rule for times the hub has not set, error responses derived
// from the codes a route answers with, and the audit log's words for its protobuf enums.
import { describe, expect, it } from "vitest";
import { AUDIT_ACTIONS, AUDIT_OUTCOMES, attachmentIn, iso, isoOrNull, isoRequired, messageIn, recordIn } from "../../src/api/mod.js";
import { ERRORS } from "../../src/errors.js";
import { problemResponses, problemSchema } from "../../src/http/mod.js";
import { pb } from "../../src/proto/mod.js";

const long = (n: number) => ({ toNumber: () => n, valueOf: () => n });

describe("API times", () => {
  it("gives no time, never 1970, for a time the hub has not set", () => {
    for (const unset of [0, null, undefined, long(0)]) expect(iso(unset)).toBeUndefined();
    expect(isoOrNull(0)).toBeNull();
    expect(isoRequired(0)).toBe("1970-01-01T00:00:00.000Z");
  });

  it("writes a set time as ISO 8601 UTC, from a number or a Long", () => {
    expect(iso(1_767_225_600_000)).toBe("2026-01-01T00:00:00.000Z");
    expect(iso(long(1_767_225_600_000))).toBe("2026-01-01T00:00:00.000Z");
    expect(isoOrNull(1_767_225_600_000)).toBe("2026-01-01T00:00:00.000Z");
    expect(isoRequired(1_767_225_600_000)).toBe("2026-01-01T00:00:00.000Z");
  });
});

describe("problemResponses", () => {
  it("declares a problem+json response for the HTTP status of each code a route answers with, once per status", () => {
    const r = problemResponses("LIAISON_VALIDATION", "LIAISON_BAD_DATE", "LIAISON_NOT_SUPPLIER", "LIAISON_ERASED", "LIAISON_TIMEOUT");
    expect(Object.keys(r).map(Number).sort()).toEqual([400, 403, 410, 504]);
    for (const s of Object.values(r)) expect(s).toBe(problemSchema);
    expect(ERRORS.LIAISON_ERASED.status).toBe(410);
  });
});

describe("attachments", () => {
  const att = (mediaType: string) => ({ name: "a.txt", mediaType, contentBase64: "YQ==" });
  it("refuses an empty media type in a message and in a record alike, and defaults a missing one", () => {
    expect(attachmentIn.safeParse(att("")).success).toBe(false);
    expect(attachmentIn.parse({ name: "a.txt", contentBase64: "YQ==" }).mediaType).toBe("application/octet-stream");
    const message = { kind: "spontaneous", to: ["NL"], subject: "s", body: "b", attachments: [att("")] };
    const record = { category: "person", purpose: "specific-check", identifiers: [{ type: "person-name", value: "A B" }], attachments: [att("")] };
    expect(messageIn.safeParse(message).success).toBe(false);
    expect(recordIn.safeParse(record).success).toBe(false);
    expect(recordIn.safeParse({ ...record, attachments: [att("text/plain")] }).success).toBe(true);
  });
});

describe("audit enum words", () => {
  it("names every audit action and outcome in kebab case, both ways, and has no word for UNSPECIFIED", () => {
    expect(AUDIT_ACTIONS.toApi(pb.AuditAction.AUDIT_ACTION_LEGAL_HOLD_SET)).toBe("legal-hold-set");
    expect(AUDIT_ACTIONS.toProto("legal-hold-set")).toBe(pb.AuditAction.AUDIT_ACTION_LEGAL_HOLD_SET);
    expect(AUDIT_ACTIONS.toApi(pb.AuditAction.AUDIT_ACTION_UNSPECIFIED)).toBeUndefined();
    expect(AUDIT_ACTIONS.keys).not.toContain("unspecified");
    const actions = Object.entries(pb.AuditAction).filter(([k, v]) => typeof v === "number" && k !== "AUDIT_ACTION_UNSPECIFIED");
    expect(AUDIT_ACTIONS.keys).toHaveLength(actions.length);
    for (const [, v] of actions) expect(AUDIT_ACTIONS.toProto(AUDIT_ACTIONS.toApi(v as number) ?? "")).toBe(v);
    expect(AUDIT_OUTCOMES.toApi(pb.AuditOutcome.AUDIT_OUTCOME_SUCCESS)).toBe("success");
  });
});
