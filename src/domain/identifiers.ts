// How identifiers are normalised before they are blind-indexed (Decision 2009/917/JHA Art. 3 and
// 24–26): the hub stores only HMACs of these forms, and a query normalises the same way, so
// "MÜLLER, Hans" and "muller hans" match. Malformed identifiers are refused at the door
// (ISO 6346 container check digits, IMO check digits, IBAN mod-97, real calendar dates).
import { pb } from "../proto/mod.js";

export type IdentifierRefusal = { code: "LIAISON_BAD_IDENTIFIER" | "LIAISON_BAD_DATE"; detail: string };

export class IdentifierError extends Error {
  override readonly name = "IdentifierError";
  constructor(readonly refusal: IdentifierRefusal) {
    super(refusal.detail);
  }
}

const T = pb.IdentifierType;
// Details never quote the value: a refusal is logged (the audit log keeps it for years), and an
// identifier may be written nowhere in clear. The caller says which identifier it was (indexForms).
const bad = (detail: string): never => {
  throw new IdentifierError({ code: "LIAISON_BAD_IDENTIFIER", detail: `the value ${detail}` });
};

/** Letters NFKD does not decompose into a base letter plus a mark. */
const TRANSLITERATE: Readonly<Record<string, string>> = { ß: "ss", æ: "ae", œ: "oe", ø: "o", ł: "l", đ: "d", ð: "d", þ: "th", ı: "i", ĳ: "ij" };

/** Case, diacritics, punctuation and spacing folded away. */
export function foldText(s: string): string {
  return s
    .toLowerCase()
    .replace(/[ßæœøłđðþıĳ]/g, (c) => TRANSLITERATE[c] ?? c)
    .normalize("NFKD")
    .replace(/\p{M}/gu, "")
    .replace(/[^\p{L}\p{N}]+/gu, " ")
    .trim()
    .replace(/\s+/g, " ");
}

/** A person's name: folded, and word order ignored ("MÜLLER, Hans" = "Hans Müller"). */
export function normalisePersonName(s: string): string {
  const words = foldText(s).split(" ").filter(Boolean);
  if (words.length === 0) bad("has no letters (a person's name)");
  return words.sort().join(" ");
}

const LEGAL_FORMS = new Set(["bv", "nv", "gmbh", "ag", "sa", "sarl", "sas", "srl", "spa", "ltd", "limited", "plc", "llc", "inc", "oy", "ab", "as", "aps", "kg", "ohg", "se", "sro", "sp", "zoo", "kft", "doo", "ou", "uab", "sia", "eood", "ood", "bvba", "vof", "cv"]);

/** A company's name: folded, common legal-form words dropped ("Acme B.V." = "ACME"). */
export function normaliseCompanyName(s: string): string {
  // Dots go first, so "B.V." and "S.A." fold to the legal-form words "bv" and "sa".
  const words = foldText(s.replace(/\./g, "")).split(" ").filter((w) => w && !LEGAL_FORMS.has(w));
  if (words.length === 0) bad("has no letters (a company name)");
  return words.join(" ");
}

/** A calendar date in several common writings → YYYY-MM-DD; refuses 2026-02-30. */
export function normaliseDate(s: string): string {
  const t = s.trim();
  let y: number, m: number, d: number;
  let match: RegExpExecArray | null;
  if ((match = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(t))) [y, m, d] = [Number(match[1]), Number(match[2]), Number(match[3])];
  else if ((match = /^(\d{1,2})[./-](\d{1,2})[./-](\d{4})$/.exec(t))) [d, m, y] = [Number(match[1]), Number(match[2]), Number(match[3])];
  else if ((match = /^(\d{4})(\d{2})(\d{2})$/.exec(t))) [y, m, d] = [Number(match[1]), Number(match[2]), Number(match[3])];
  else throw new IdentifierError({ code: "LIAISON_BAD_DATE", detail: "the value is not a date (use YYYY-MM-DD)" });
  const date = new Date(Date.UTC(y, m - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d || y < 1900) {
    throw new IdentifierError({ code: "LIAISON_BAD_DATE", detail: "the value is not a real calendar date" });
  }
  return date.toISOString().slice(0, 10);
}

const alnum = (s: string) => s.toUpperCase().replace(/[^A-Z0-9]/g, "");

/** ISO 6346: owner code (3 letters), category (U, J or Z), 6 digits, check digit. */
export function normaliseContainerNumber(s: string): string {
  const c = alnum(s);
  if (!/^[A-Z]{3}[UJZ]\d{7}$/.test(c)) bad("is not an ISO 6346 container number (e.g. MSCU1234566)");
  const value = (ch: string) => {
    if (/\d/.test(ch)) return Number(ch);
    // Letters count from 10, skipping multiples of 11.
    let v = 10;
    for (let code = 65; code < ch.charCodeAt(0); code++) {
      v++;
      if (v % 11 === 0) v++;
    }
    return v;
  };
  const sum = [...c.slice(0, 10)].reduce((acc, ch, i) => acc + value(ch) * 2 ** i, 0);
  if ((sum % 11) % 10 !== Number(c[10])) bad("fails the ISO 6346 check digit");
  return c;
}

/** IMO ship identification number: 7 digits, the last a check digit. */
export function normaliseImo(s: string): string {
  const c = alnum(s).replace(/^IMO/, "");
  if (!/^\d{7}$/.test(c)) bad("is not an IMO number (7 digits)");
  const sum = [...c.slice(0, 6)].reduce((acc, ch, i) => acc + Number(ch) * (7 - i), 0);
  if (sum % 10 !== Number(c[6])) bad("fails the IMO check digit");
  return c;
}

/** IBAN (ISO 13616) with its mod-97 check; other account numbers as plain alphanumerics. */
export function normaliseBankAccount(s: string): string {
  const c = alnum(s);
  if (c.length < 8) bad("is too short for an account number");
  if (/^[A-Z]{2}\d{2}/.test(c)) {
    const moved = c.slice(4) + c.slice(0, 4);
    const digits = moved.replace(/[A-Z]/g, (ch) => String(ch.charCodeAt(0) - 55));
    let rem = 0;
    for (const ch of digits) rem = (rem * 10 + Number(ch)) % 97;
    if (rem !== 1) bad("fails the IBAN check");
  }
  return c;
}

/** Normalises one identifier value for its type; throws IdentifierError when it is malformed. */
export function normaliseIdentifier(type: pb.IdentifierType, value: string): string {
  if (typeof value !== "string" || value.trim() === "") bad("is empty");
  if (value.length > 500) bad("is longer than 500 characters");
  switch (type) {
    case T.IDENTIFIER_TYPE_PERSON_NAME:
      return normalisePersonName(value);
    case T.IDENTIFIER_TYPE_DATE_OF_BIRTH:
      return normaliseDate(value);
    case T.IDENTIFIER_TYPE_COMPANY_NAME:
      return normaliseCompanyName(value);
    case T.IDENTIFIER_TYPE_TRAVEL_DOCUMENT_NUMBER: {
      const c = alnum(value);
      if (!/^[A-Z0-9]{5,20}$/.test(c)) bad("is not a travel document number (5 to 20 letters and digits)");
      return c;
    }
    case T.IDENTIFIER_TYPE_VAT_NUMBER: {
      const c = alnum(value);
      if (!/^[A-Z]{2}[A-Z0-9]{2,13}$/.test(c)) bad("is not a VAT number (country prefix and 2–13 characters)");
      return c;
    }
    case T.IDENTIFIER_TYPE_EORI_NUMBER: {
      const c = alnum(value);
      if (!/^[A-Z]{2}[A-Z0-9]{1,15}$/.test(c)) bad("is not an EORI number");
      return c;
    }
    case T.IDENTIFIER_TYPE_VEHICLE_REGISTRATION:
    case T.IDENTIFIER_TYPE_AIRCRAFT_REGISTRATION: {
      const c = alnum(value);
      if (!/^[A-Z0-9]{2,12}$/.test(c)) bad("is not a registration mark");
      return c;
    }
    case T.IDENTIFIER_TYPE_CONTAINER_NUMBER:
      return normaliseContainerNumber(value);
    case T.IDENTIFIER_TYPE_VESSEL_IMO:
      return normaliseImo(value);
    case T.IDENTIFIER_TYPE_COMMODITY_CODE: {
      const c = value.replace(/[\s.]/g, "");
      if (!/^\d{6}(\d{2}){0,2}$/.test(c)) bad("is not an HS/CN/TARIC code (6, 8 or 10 digits)");
      return c;
    }
    case T.IDENTIFIER_TYPE_TELEPHONE_NUMBER: {
      const c = value.replace(/[^\d+]/g, "").replace(/^00/, "+");
      if (!/^\+?\d{6,15}$/.test(c)) bad("is not a telephone number");
      return c;
    }
    case T.IDENTIFIER_TYPE_EMAIL_ADDRESS: {
      const c = value.trim().toLowerCase();
      if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(c)) bad("is not an e-mail address");
      return c;
    }
    case T.IDENTIFIER_TYPE_BANK_ACCOUNT:
      return normaliseBankAccount(value);
    case T.IDENTIFIER_TYPE_ADDRESS:
      return foldText(value);
    default:
      return bad("is of an unknown identifier type");
  }
}

/**
 * The exact index keys of an identifier: its own, and for a person's name with a date of birth,
 * the pair too (a name alone matches names; a name with a date of birth matches more precisely).
 * A name's variant writings and surname are added by recordIndexForms (src/domain/matching.ts).
 */
export function indexForms(id: pb.IIdentifier, where = "identifier"): Array<{ type: string; form: string }> {
  const type = id.type ?? T.IDENTIFIER_TYPE_UNSPECIFIED;
  const typeName = T[type] ?? String(type);
  // A refusal names the identifier by where it was and its type, never by its value.
  const named = <R>(part: string, fn: () => R): R => {
    try {
      return fn();
    } catch (err) {
      if (err instanceof IdentifierError) throw new IdentifierError({ code: err.refusal.code, detail: `${where} (${typeName})${part}: ${err.refusal.detail}` });
      throw err;
    }
  };
  const form = named("", () => normaliseIdentifier(type, id.value ?? ""));
  const out = [{ type: typeName, form }];
  if (type === T.IDENTIFIER_TYPE_PERSON_NAME && id.dateOfBirth) {
    const dob = named(", date of birth", () => normaliseDate(id.dateOfBirth ?? ""));
    out.push({ type: "PERSON_NAME_DATE_OF_BIRTH", form: `${form}|${dob}` });
  }
  return out;
}
