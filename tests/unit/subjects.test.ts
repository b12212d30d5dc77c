import { describe, expect, it } from "vitest";
import { parseRoutedSubject, subjects, token } from "../../src/nats/mod.js";

describe("subjects", () => {
  it("builds per-contact-point subjects", () => {
    expect(subjects.submit("BE", "urgent")).toBe("liaison.v1.submit.BE.urgent");
    expect(subjects.inboxOf("NL")).toBe("liaison.v1.inbox.NL.*");
  });

  it("refuses tokens that would widen a subject", () => {
    for (const bad of ["B.E", "*", ">", "BE NL", "", "BE\n", "été", "x".repeat(257)]) expect(() => token(bad)).toThrow(expect.objectContaining({ code: "LIAISON_BAD_ID" }));
    expect(() => subjects.inbox("*", "normal")).toThrow(expect.objectContaining({ code: "LIAISON_BAD_ID" }));
  });

  it("reads the contact point and priority back from a routed subject", () => {
    expect(parseRoutedSubject("liaison.v1.submit.OLAF.normal")).toEqual({ cp: "OLAF", prio: "normal" });
    expect(parseRoutedSubject("liaison.v1.submit.BE.fast")).toBeUndefined();
    expect(parseRoutedSubject("liaison.v1.audit.events.BE")).toBeUndefined();
  });
});
