import { describe, expect, it } from "vitest";
import { checkSend, REPLY_BY_SKEW_MS } from "../../src/domain/mod.js";
import { pb } from "../../src/proto/mod.js";

const K = pb.MessageKind;
const NOW = Date.UTC(2026, 11, 6, 12);
const text = { subject: "s", body: "b" };
const request = { ...text, request: { legalBasis: pb.LegalBasis.LEGAL_BASIS_ENQUIRIES } };
const form = (f: pb.SpecialForm, location = "") => ({ ...text, specialForm: { form: f, location } });

describe("what a message must say for its kind (checkSend)", () => {
  it("lets a well-formed message of each kind go", () => {
    expect(checkSend({ kind: K.MESSAGE_KIND_REQUEST, payload: request, replyByMs: NOW + 1 }, NOW)).toBeUndefined();
    expect(checkSend({ kind: K.MESSAGE_KIND_REPLY, payload: { ...text, reply: { declined: true } } }, NOW)).toBeUndefined();
    expect(checkSend({ kind: K.MESSAGE_KIND_SPONTANEOUS, payload: { ...text, spontaneous: { basis: pb.SpontaneousBasis.SPONTANEOUS_BASIS_INFORMATION } } }, NOW)).toBeUndefined();
    expect(checkSend({ kind: K.MESSAGE_KIND_SPECIAL_FORM, payload: form(pb.SpecialForm.SPECIAL_FORM_HOT_PURSUIT, "E40") }, NOW)).toBeUndefined();
    for (const f of [pb.SpecialForm.SPECIAL_FORM_CONTROLLED_DELIVERY, pb.SpecialForm.SPECIAL_FORM_COVERT_INVESTIGATION, pb.SpecialForm.SPECIAL_FORM_JOINT_SPECIAL_INVESTIGATION_TEAM]) {
      expect(checkSend({ kind: K.MESSAGE_KIND_SPECIAL_FORM, payload: form(f) }, NOW)).toBeUndefined();
    }
  });

  it("wants a location for hot pursuit and cross-border surveillance only", () => {
    for (const f of [pb.SpecialForm.SPECIAL_FORM_HOT_PURSUIT, pb.SpecialForm.SPECIAL_FORM_CROSS_BORDER_SURVEILLANCE]) {
      expect(checkSend({ kind: K.MESSAGE_KIND_SPECIAL_FORM, payload: form(f, " \t") }, NOW)?.code).toBe("LIAISON_MISSING_FIELD");
    }
    expect(checkSend({ kind: K.MESSAGE_KIND_SPECIAL_FORM, payload: text }, NOW)?.code).toBe("LIAISON_MISSING_FIELD");
    expect(checkSend({ kind: K.MESSAGE_KIND_REQUEST, payload: text }, NOW)?.code).toBe("LIAISON_MISSING_FIELD");
  });

  it("takes a reply-by time only on a request, and only up to the clock skew in the past", () => {
    expect(checkSend({ kind: K.MESSAGE_KIND_REQUEST, payload: request, replyByMs: NOW - REPLY_BY_SKEW_MS }, NOW)).toBeUndefined();
    expect(checkSend({ kind: K.MESSAGE_KIND_REQUEST, payload: request, replyByMs: NOW - REPLY_BY_SKEW_MS - 1 }, NOW)?.code).toBe("LIAISON_REPLY_BY_PASSED");
    expect(checkSend({ kind: K.MESSAGE_KIND_REPLY, payload: text, replyByMs: NOW + 1 }, NOW)?.code).toBe("LIAISON_KIND_NOT_ALLOWED");
    expect(checkSend({ kind: K.MESSAGE_KIND_SPONTANEOUS, payload: text, replyByMs: NOW + 1 }, NOW)?.code).toBe("LIAISON_KIND_NOT_ALLOWED");
    expect(checkSend({ kind: K.MESSAGE_KIND_SPECIAL_FORM, payload: form(pb.SpecialForm.SPECIAL_FORM_COVERT_INVESTIGATION), replyByMs: NOW + 1 }, NOW)?.code).toBe("LIAISON_KIND_NOT_ALLOWED");
  });

  it("refuses a detail of another kind", () => {
    expect(checkSend({ kind: K.MESSAGE_KIND_SPONTANEOUS, payload: { ...request } }, NOW)).toEqual({ code: "LIAISON_KIND_NOT_ALLOWED", detail: "spontaneous information carries no legal basis" });
    expect(checkSend({ kind: K.MESSAGE_KIND_REPLY, payload: form(pb.SpecialForm.SPECIAL_FORM_HOT_PURSUIT, "E40") }, NOW)?.detail).toBe("a reply carries no special form");
    expect(checkSend({ kind: K.MESSAGE_KIND_REQUEST, payload: { ...request, reply: { declined: true } } }, NOW)?.code).toBe("LIAISON_KIND_NOT_ALLOWED");
  });
});
