import { describe, expect, it } from "vitest";
import { answeredAsStub, assessMatch, IdentifierError, MAX_SURNAME_ONLY_MATCHES, matchStrengthName, NAME_REF, queryIndexForms, queryLabel, queryReferences, recordIndexForms, strongest } from "../../src/domain/mod.js";
import { pb } from "../../src/proto/mod.js";

const T = pb.IdentifierType;
const name = (value: string, dateOfBirth = ""): pb.IIdentifier => ({ type: T.IDENTIFIER_TYPE_PERSON_NAME, value, dateOfBirth });

/** What the blind index does, on forms instead of their HMACs: the query's labels whose (type, form) the record holds. */
function match(record: readonly pb.IIdentifier[], query: readonly pb.IIdentifier[], recordForms = record.flatMap((id) => recordIndexForms(id))) {
  const held = new Set(recordForms.map((f) => `${f.type}|${f.form}`));
  const labels = query.flatMap((id, i) => queryIndexForms(id).filter((f) => held.has(`${f.type}|${f.form}`)).map((f) => queryLabel(i, f.kind)));
  const { strength, matchedOn } = assessMatch(labels, query, recordForms.map((f) => f.type));
  return { strength: matchStrengthName(strength), matchedOn: matchedOn.sort() };
}
const strength = (record: pb.IIdentifier[], query: pb.IIdentifier[]) => match(record, query).strength;

describe("how strong a match is", () => {
  it("is exact when the name and, where both give one, the date of birth agree as written", () => {
    expect(match([name("MÜLLER, Hans", "1971-04-02")], [name("muller hans", "02.04.1971")])).toEqual({ strength: "exact", matchedOn: ["IDENTIFIER_TYPE_PERSON_NAME", "PERSON_NAME_DATE_OF_BIRTH"] });
    expect(strength([name("MÜLLER, Hans")], [name("Hans Muller")])).toBe("exact");
    expect(strength([{ type: T.IDENTIFIER_TYPE_CONTAINER_NUMBER, value: "CSQU3054383" }], [{ type: T.IDENTIFIER_TYPE_CONTAINER_NUMBER, value: "csqu 305438-3" }])).toBe("exact");
  });

  it("is folded when the name agrees only in a variant writing", () => {
    expect(match([name("MÜLLER, Hans", "1971-04-02")], [name("MUELLER HANS", "1971-04-02")])).toEqual({ strength: "folded", matchedOn: ["PERSON_NAME_VARIANT", "PERSON_NAME_VARIANT_DATE_OF_BIRTH"] });
    expect(strength([name("Mueller, Hans", "1971-04-02")], [name("Müller Hans", "1971-04-02")])).toBe("folded");
    expect(strength([name("O'Brien, Seán")], [name("OBRIEN SEAN")])).toBe("folded");
    expect(strength([name("van der Berg, Jan")], [name("VANDERBERG JAN")])).toBe("folded");
  });

  it("says when only one side gives a date of birth", () => {
    expect(strength([name("MÜLLER, Hans", "1971-04-02")], [name("Hans Müller")])).toBe("name-without-date-of-birth");
    expect(strength([name("MÜLLER, Hans")], [name("Hans Müller", "1971-04-02")])).toBe("name-without-date-of-birth");
    expect(strength([name("MÜLLER, Hans")], [name("MUELLER HANS", "1971-04-02")])).toBe("name-without-date-of-birth");
  });

  it("says when both give a date of birth and the dates differ", () => {
    expect(match([name("MÜLLER, Hans", "1971-04-02")], [name("Hans Müller", "1980-01-01")])).toEqual({ strength: "conflicting-date-of-birth", matchedOn: ["IDENTIFIER_TYPE_PERSON_NAME", "PERSON_NAME_VARIANT"] });
    expect(strength([name("MÜLLER, Hans", "1971-04-02")], [name("MUELLER HANS", "1980-01-01")])).toBe("conflicting-date-of-birth");
    // The date of another person of the same record does not count for this one.
    expect(strength([name("MÜLLER, Hans"), name("Peeters, Jan", "1971-04-02")], [name("Hans Müller", "1980-01-01")])).toBe("name-without-date-of-birth");
  });

  it("is surname only when the query is the record's surname alone", () => {
    expect(match([name("MÜLLER, Hans", "1971-04-02")], [name("Müller")])).toEqual({ strength: "surname-only", matchedOn: ["PERSON_SURNAME"] });
    expect(strength([name("MÜLLER, Hans", "1971-04-02")], [name("Mueller", "1971-04-02")])).toBe("surname-only");
    expect(strength([name("Hans Müller")], [name("MÜLLER")])).toBe("surname-only");
    expect(match([name("MÜLLER, Hans")], [name("Hans")]).strength).toBe("unspecified");
  });

  it("takes a given name for a surname only where the order is unknown (a name all in capitals)", () => {
    // Written as people write: the last word is the surname; a given name alone finds nothing.
    expect(strength([name("Maria Fernandez Garcia")], [name("Maria")])).toBe("unspecified");
    expect(strength([name("Hans Müller")], [name("HANS")])).toBe("unspecified");
    expect(strength([name("Maria Fernandez Garcia")], [name("GARCIA")])).toBe("surname-only");
    expect(strength([name("Jan van der Berg")], [name("Vanderberg")])).toBe("surname-only");
    // Words in capitals amid others are the surname, wherever they stand.
    expect(strength([name("FERNANDEZ GARCIA Maria")], [name("Fernandez Garcia")])).toBe("surname-only");
    expect(strength([name("FERNANDEZ GARCIA Maria")], [name("Maria")])).toBe("unspecified");
    expect(strength([name("Jan van der BERG")], [name("VAN DER BERG")])).toBe("surname-only");
    expect(strength([name("Jan van der BERG")], [name("Jan")])).toBe("unspecified");
    // An initial is not a word in capitals.
    expect(strength([name("Hans J. Müller")], [name("Müller")])).toBe("surname-only");
    expect(strength([name("Hans J. Müller")], [name("J")])).toBe("unspecified");
    // All in capitals (a passport's order, surname first, or a person's): the first and the last word.
    expect(strength([name("MULLER HANS")], [name("Müller")])).toBe("surname-only");
    expect(strength([name("MULLER HANS")], [name("Hans")])).toBe("surname-only");
    expect(strength([name("VAN DER BERG JAN")], [name("Vanderberg")])).toBe("surname-only");
  });

  it("answers a surname-only match on another supplier's record as a stub, at most MAX_SURNAME_ONLY_MATCHES of them", () => {
    const S = pb.MatchStrength;
    expect(answeredAsStub(S.MATCH_STRENGTH_SURNAME_ONLY, false)).toBe(true);
    expect(answeredAsStub(S.MATCH_STRENGTH_SURNAME_ONLY, true)).toBe(false);
    for (const s of [S.MATCH_STRENGTH_EXACT, S.MATCH_STRENGTH_FOLDED, S.MATCH_STRENGTH_NAME_WITHOUT_DATE_OF_BIRTH, S.MATCH_STRENGTH_CONFLICTING_DATE_OF_BIRTH]) expect(answeredAsStub(s, false)).toBe(false);
    expect(MAX_SURNAME_ONLY_MATCHES).toBe(20);
  });

  it("takes the strongest over the queried identifiers, but always tells a conflicting date of birth", () => {
    const record = [name("MÜLLER, Hans", "1971-04-02"), { type: T.IDENTIFIER_TYPE_TRAVEL_DOCUMENT_NUMBER, value: "XK4471009" }];
    const document = { type: T.IDENTIFIER_TYPE_TRAVEL_DOCUMENT_NUMBER, value: "xk 4471 009" };
    expect(strength(record, [name("Hans Müller"), document])).toBe("exact");
    expect(strength(record, [name("Müller"), name("MUELLER HANS")])).toBe("name-without-date-of-birth");
    expect(match(record, [name("Hans Müller", "1980-01-01"), document])).toEqual({
      strength: "conflicting-date-of-birth",
      matchedOn: ["IDENTIFIER_TYPE_PERSON_NAME", "IDENTIFIER_TYPE_TRAVEL_DOCUMENT_NUMBER", "PERSON_NAME_VARIANT"],
    });
    const S = pb.MatchStrength;
    expect(strongest([S.MATCH_STRENGTH_SURNAME_ONLY, S.MATCH_STRENGTH_UNSPECIFIED, S.MATCH_STRENGTH_FOLDED])).toBe(S.MATCH_STRENGTH_FOLDED);
    expect(strongest([])).toBe(S.MATCH_STRENGTH_UNSPECIFIED);
  });

  it("reads a record indexed before has-date markers as having the date its pair shows", () => {
    const old = (id: pb.IIdentifier) => recordIndexForms(id).filter((f) => f.type === NAME_REF.exact || f.type === NAME_REF.exactWithDob);
    const withDob = name("MÜLLER, Hans", "1971-04-02");
    expect(match([withDob], [name("Hans Müller", "1980-01-01")], old(withDob)).strength).toBe("conflicting-date-of-birth");
    expect(match([withDob], [name("Hans Müller", "1971-04-02")], old(withDob)).strength).toBe("exact");
    const without = name("MÜLLER, Hans");
    expect(match([without], [name("Hans Müller", "1980-01-01")], old(without)).strength).toBe("name-without-date-of-birth");
    // Variants are not there: MUELLER finds it only once it is indexed again.
    expect(match([withDob], [name("MUELLER HANS")], old(withDob)).strength).toBe("unspecified");
  });

  it("looks up the strongest kinds first, so a bounded lookup keeps them", () => {
    const refs = queryReferences([name("Müller", "1971-04-02"), { type: T.IDENTIFIER_TYPE_VAT_NUMBER, value: "BE0123456789" }], "identifiers", (type, form) => new TextEncoder().encode(`${type}|${form}`));
    const kinds = refs.map((r) => r.type.slice(r.type.indexOf(":") + 1));
    const rank = (k: string) => kinds.indexOf(k);
    expect(rank(NAME_REF.exactWithDob)).toBe(0);
    expect(rank(NAME_REF.exactWithDob)).toBeLessThan(rank(NAME_REF.variant));
    expect(rank("IDENTIFIER_TYPE_VAT_NUMBER")).toBeLessThan(rank(NAME_REF.variant));
    expect(kinds.at(-1)).toBe(NAME_REF.surname);
    expect(refs.map((r) => r.type)).toContain(queryLabel(1, "IDENTIFIER_TYPE_VAT_NUMBER"));
    // A malformed identifier is refused by its place in the list, never by its value.
    expect(() => queryReferences([name("Müller", "1971-02-30")], "subjects", () => new Uint8Array())).toThrow(IdentifierError);
    try {
      queryReferences([name("Müller", "1971-02-30")], "subjects", () => new Uint8Array());
    } catch (err) {
      expect((err as IdentifierError).refusal.detail).toMatch(/^subjects\[0\] \(IDENTIFIER_TYPE_PERSON_NAME\), date of birth: /);
      expect((err as IdentifierError).refusal.detail).not.toMatch(/M[üu]ller/i);
    }
  });

  it("is written for people in kebab case", () => {
    expect(matchStrengthName(pb.MatchStrength.MATCH_STRENGTH_NAME_WITHOUT_DATE_OF_BIRTH)).toBe("name-without-date-of-birth");
    expect(matchStrengthName(undefined)).toBe("unspecified");
  });
});
