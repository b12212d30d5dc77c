// How a person's name is matched blind (docs/records.md, "How names match"): the variant writings a
// name is also indexed under (the ICAO Doc 9303 Part 3 §6 transliterations, surname particles
// written together or apart, apostrophes dropped), its surname alone, and how strong a match is
// from the kinds of reference that matched. Every form becomes a blind reference; none is kept in clear.
import { pb } from "../proto/mod.js";
import { foldText, indexForms, normaliseDate, normalisePersonName } from "./identifiers.js";

/**
 * The kinds of blind reference of a person's name. Each is also the domain its references are
 * HMAC'd under (src/crypto/blind-index.ts), so a variant never equals an exact form; the first two
 * are the kinds indexed before variants existed.
 */
export const NAME_REF = {
  exact: "IDENTIFIER_TYPE_PERSON_NAME",
  exactWithDob: "PERSON_NAME_DATE_OF_BIRTH",
  variant: "PERSON_NAME_VARIANT",
  variantWithDob: "PERSON_NAME_VARIANT_DATE_OF_BIRTH",
  /** A name that has a date of birth: lets a query tell a conflicting date from an absent one. */
  hasDob: "PERSON_NAME_HAS_DATE_OF_BIRTH",
  surname: "PERSON_SURNAME",
} as const;

/** ICAO Doc 9303 Part 3 §6: the letters written two ways without diacritics (ü as UE or U). */
const ICAO_EXPANDED: Readonly<Record<string, string>> = { ä: "ae", ö: "oe", ü: "ue", å: "aa", ø: "oe" };
const ICAO_LETTERS = /[äöüåø]/g;
/** ’ ʼ ‘ ` ´ and the ASCII apostrophe: O'Brien, D’Angelo. */
const APOSTROPHES = /['’ʼ‘`´]/g;

/**
 * Surname particles written together or apart ("van der Berg" = "Vanderberg", "O Brien" =
 * "OBrien"): Dutch, Flemish and Afrikaans, German, French, Italian, Spanish and Portuguese,
 * Scandinavian, Irish and Scottish. "d" and "l" are what is left of d'/l' once the apostrophe is a
 * space.
 */
export const NAME_PARTICLES: ReadonlySet<string> = new Set([
  "van", "vander", "vanden", "der", "den", "de", "ter", "ten", "te", "von", "vom", "zu", "zum", "zur",
  "du", "des", "le", "la", "les", "d", "l", "di", "da", "dal", "dalla", "del", "della", "delle", "dei", "degli", "lo",
  "dos", "das", "do", "af", "av", "o", "mac", "mc",
]);

/** No name is indexed under more variant writings than this (a bound on a record's references). */
export const MAX_NAME_VARIANTS = 32;
/** Per-word choices of an ICAO writing are tried up to this many combinations, then only all-or-none. */
const MAX_SPELLINGS = 16;

const sorted = (words: readonly string[]) => [...words].sort().join(" ");

/** The folded words of a name written with the ICAO letters as plain letters (ü → u) or expanded (ü → ue), word by word. */
function spellings(raw: string): string[][] {
  const lower = raw.toLowerCase().normalize("NFC");
  const plain = foldText(lower).split(" ").filter(Boolean);
  const expanded = foldText(lower.replace(ICAO_LETTERS, (c) => ICAO_EXPANDED[c] ?? c)).split(" ").filter(Boolean);
  // Expanding letters into letters keeps the word boundaries, so the two line up word by word.
  if (plain.length !== expanded.length) return [plain, expanded];
  const differ = plain.flatMap((w, i) => (w === expanded[i] ? [] : [i]));
  if (2 ** differ.length > MAX_SPELLINGS) return [plain, expanded];
  const out: string[][] = [];
  for (let mask = 0; mask < 2 ** differ.length; mask++) {
    out.push(plain.map((w, i) => (differ.includes(i) && mask & (1 << differ.indexOf(i)) ? (expanded[i] as string) : w)));
  }
  return out;
}

/** Runs of particles joined to the word after them ("jan van der berg" → "jan vanderberg"). */
function joinParticles(words: readonly string[]): string[] {
  const out: string[] = [];
  let run = "";
  for (const w of words) {
    if (NAME_PARTICLES.has(w)) run += w;
    else {
      out.push(run + w);
      run = "";
    }
  }
  if (run) out.push(run);
  return out;
}

/**
 * Every normalised writing of a person's name: its exact form (normalisePersonName) first, then
 * its variants (each ICAO alternative, particles joined, apostrophes dropped, and their
 * combinations), at most MAX_NAME_VARIANTS of them. Throws IdentifierError as normalisePersonName.
 */
export function personNameForms(value: string): string[] {
  const exact = normalisePersonName(value);
  const forms = new Set([exact]);
  for (const raw of new Set([value, value.replace(APOSTROPHES, "")])) {
    for (const words of spellings(raw)) {
      if (words.length === 0) continue;
      forms.add(sorted(words));
      forms.add(sorted(joinParticles(words)));
      if (forms.size > MAX_NAME_VARIANTS) return [...forms].slice(0, MAX_NAME_VARIANTS + 1);
    }
  }
  return [...forms];
}

/** A word with no lower-case letter ("MÜLLER", "J."). */
const noLowerCase = (word: string): boolean => word === word.toUpperCase();
/** A word written in capitals ("MÜLLER", "O'BRIEN"): two letters or more (not an initial), none lower-case. */
const inCapitals = (word: string): boolean => noLowerCase(word) && (word.match(/\p{L}/gu)?.length ?? 0) >= 2;

/**
 * The writings a name's surname may have. The surname is
 * - the part before a comma ("MÜLLER, Hans");
 * - with no comma, in a name written partly in capitals, the words in capitals with the particles
 *   before them ("MÜLLER Hans", "Jan van der BERG"): the usual way to mark a surname;
 * - in a name written all in capitals ("MULLER HANS", as passports and customs systems write it,
 *   the surname first, though people often write it last), both the first and the last word, each
 *   with its particles;
 * - in a name written otherwise ("Maria Fernandez Garcia"), the last word with its particles
 *   ("Jan van der Berg"): a given name alone ("Maria") does not find it.
 * A one-word name is its own surname and needs none. Limits: a compound surname written without a
 * comma or capitals ("Maria Fernandez Garcia") is found by its last word only, and in a name all in
 * capitals a given name alone can match (as a surname only, which answers a stub only).
 */
export function surnameForms(value: string): string[] {
  const comma = value.indexOf(",");
  const candidates: string[] = [];
  if (comma >= 0) candidates.push(value.slice(0, comma));
  else {
    const tokens = value.split(/\s+/).filter((t) => foldText(t) !== "");
    const particle = (t: string) => NAME_PARTICLES.has(foldText(t));
    /** The word at `i` with the particles written before it. */
    const withParticles = (i: number): [number, number] => {
      let from = i;
      while (from > 0 && particle(tokens[from - 1] as string)) from--;
      return [from, i + 1];
    };
    const capitals = tokens.map((t) => !particle(t) && inCapitals(t));
    const words = tokens.map((t) => !particle(t));
    if (tokens.length < 2) {
      // its exact form is its surname
    } else if (capitals.some(Boolean) && tokens.some((t, i) => words[i] && !noLowerCase(t))) {
      const first = capitals.indexOf(true);
      let last = first;
      while (last + 1 < tokens.length && (capitals[last + 1] || (particle(tokens[last + 1] as string) && capitals.slice(last + 2).some(Boolean)))) last++;
      candidates.push(tokens.slice(withParticles(first)[0], last + 1).join(" "));
    } else {
      const lastWord = tokens.length - 1;
      if (tokens.every(noLowerCase)) {
        let first = 0;
        while (first < lastWord && particle(tokens[first] as string)) first++;
        if (first < lastWord) candidates.push(tokens.slice(0, first + 1).join(" "));
      }
      const [from] = withParticles(lastWord);
      if (from > 0) candidates.push(tokens.slice(from).join(" "));
    }
  }
  const out = new Set<string>();
  for (const c of candidates) if (foldText(c) !== "") for (const f of personNameForms(c)) out.add(f);
  return [...out];
}

/**
 * How many surname-only matches a query answers at most (as stubs): a surname alone, or a given
 * name taken for one, can match many people; the answer says how many more there were.
 */
export const MAX_SURNAME_ONLY_MATCHES = 20;

/**
 * Whether a match is answered with a stub only (hit, strength, supplier, category; no content): a
 * surname-only match on another supplier's record or entry. The querying member asks the supplier
 * quoting the hit, or queries again with a date of birth or another identifier.
 */
export const answeredAsStub = (strength: pb.MatchStrength | null | undefined, own: boolean): boolean => !own && strength === pb.MatchStrength.MATCH_STRENGTH_SURNAME_ONLY;

/**
 * A query's found objects (id and matched labels, in lookup order) split into those answered in
 * full and those answered as stubs (answeredAsStub, as `isStub` judges each), the stubs cut at
 * MAX_SURNAME_ONLY_MATCHES; `leftOut` counts the stubs cut.
 */
export function splitStubs<T extends readonly [string, Set<string>]>(found: readonly T[], isStub: (id: string, labels: Set<string>) => { stub: boolean }): { full: T[]; stubs: T[]; leftOut: number } {
  const full: T[] = [];
  const stubs: T[] = [];
  for (const f of found) (isStub(f[0], f[1]).stub ? stubs : full).push(f);
  return { full, stubs: stubs.slice(0, MAX_SURNAME_ONLY_MATCHES), leftOut: Math.max(0, stubs.length - MAX_SURNAME_ONLY_MATCHES) };
}

export type IndexForm = { type: string; form: string };
export type QueryForm = IndexForm & { kind: string };

/**
 * What a record or file entry is indexed under: indexForms (the exact form, and the name|date
 * pair), and for a person's name its variants, its surname, and, when it has a date of birth, the
 * variants with the date and a has-date marker of each writing (the marker says only that the
 * date exists, so a query can tell a conflicting date from a missing one).
 */
export function recordIndexForms(id: pb.IIdentifier, where = "identifier"): IndexForm[] {
  const out = indexForms(id, where);
  if (id.type !== pb.IdentifierType.IDENTIFIER_TYPE_PERSON_NAME) return out;
  const [exact, ...variants] = personNameForms(id.value ?? "");
  const dob = id.dateOfBirth ? normaliseDate(id.dateOfBirth) : undefined;
  for (const v of variants) out.push({ type: NAME_REF.variant, form: v });
  for (const s of surnameForms(id.value ?? "")) out.push({ type: NAME_REF.surname, form: s });
  if (dob) {
    for (const v of variants) out.push({ type: NAME_REF.variantWithDob, form: `${v}|${dob}` });
    for (const f of [exact as string, ...variants]) out.push({ type: NAME_REF.hasDob, form: f });
  }
  return out;
}

/** The order a query's references are looked up in: a bounded lookup keeps the strongest kinds. */
const LOOKUP_ORDER = [NAME_REF.exactWithDob, NAME_REF.exact, NAME_REF.variantWithDob, NAME_REF.variant, NAME_REF.hasDob, NAME_REF.surname] as string[];
const lookupRank = (kind: string): number => {
  const i = LOOKUP_ORDER.indexOf(kind);
  return i < 0 ? 0 : i;
};

/**
 * What a query looks up for one identifier, each reference with the kind of match it shows. Each
 * writing of a queried name is looked up as an exact form, as a variant, as a surname and for the
 * has-date marker, so a variant on either side matches; only the query's exact form against the
 * record's exact form is an exact match.
 */
export function queryIndexForms(id: pb.IIdentifier, where = "identifier"): QueryForm[] {
  const exactForms = indexForms(id, where);
  if (id.type !== pb.IdentifierType.IDENTIFIER_TYPE_PERSON_NAME) return exactForms.map((f) => ({ ...f, kind: f.type }));
  const forms = personNameForms(id.value ?? "");
  const dob = id.dateOfBirth ? normaliseDate(id.dateOfBirth) : undefined;
  const out: QueryForm[] = [];
  forms.forEach((f, i) => {
    const exact = i === 0;
    out.push({ type: NAME_REF.exact, form: f, kind: exact ? NAME_REF.exact : NAME_REF.variant });
    out.push({ type: NAME_REF.variant, form: f, kind: NAME_REF.variant });
    out.push({ type: NAME_REF.hasDob, form: f, kind: NAME_REF.hasDob });
    out.push({ type: NAME_REF.surname, form: f, kind: NAME_REF.surname });
    if (dob) {
      out.push({ type: NAME_REF.exactWithDob, form: `${f}|${dob}`, kind: exact ? NAME_REF.exactWithDob : NAME_REF.variantWithDob });
      out.push({ type: NAME_REF.variantWithDob, form: `${f}|${dob}`, kind: NAME_REF.variantWithDob });
    }
  });
  return out;
}

/**
 * A query's blind references, in lookup order (strongest kinds first), each labelled with its
 * identifier and kind (queryLabel) so assessMatch can read what a found object matched on.
 * `where` names the list in a refusal ("identifiers", "subjects"); `ref` is the blind indexer.
 */
export function queryReferences(identifiers: readonly pb.IIdentifier[], where: string, ref: (type: string, form: string) => Uint8Array): Array<{ ref: Uint8Array; type: string }> {
  const forms = identifiers.flatMap((id, i) => queryIndexForms(id, `${where}[${i}]`).map((f) => ({ ...f, i })));
  forms.sort((a, b) => lookupRank(a.kind) - lookupRank(b.kind));
  return forms.map((f) => ({ ref: ref(f.type, f.form), type: queryLabel(f.i, f.kind) }));
}

const S = pb.MatchStrength;

/**
 * How strongly one queried identifier matched, from the kinds of its references that matched.
 * `recordHasDob`: the record's matching name has a date of birth (its has-date marker matched, or
 * see recordHasDateOfBirth for records indexed before the marker existed).
 */
export function identifierMatchStrength(kinds: ReadonlySet<string>, o: { isPersonName: boolean; queryHasDob: boolean; recordHasDob: boolean }): pb.MatchStrength {
  if (kinds.size === 0) return S.MATCH_STRENGTH_UNSPECIFIED;
  if (!o.isPersonName) return S.MATCH_STRENGTH_EXACT;
  const exactName = kinds.has(NAME_REF.exact);
  if (!exactName && !kinds.has(NAME_REF.variant)) return kinds.has(NAME_REF.surname) ? S.MATCH_STRENGTH_SURNAME_ONLY : S.MATCH_STRENGTH_UNSPECIFIED;
  if (o.queryHasDob && o.recordHasDob) {
    if (exactName && kinds.has(NAME_REF.exactWithDob)) return S.MATCH_STRENGTH_EXACT;
    if (kinds.has(NAME_REF.exactWithDob) || kinds.has(NAME_REF.variantWithDob)) return S.MATCH_STRENGTH_FOLDED;
    return S.MATCH_STRENGTH_CONFLICTING_DATE_OF_BIRTH;
  }
  if (o.queryHasDob || o.recordHasDob) return S.MATCH_STRENGTH_NAME_WITHOUT_DATE_OF_BIRTH;
  return exactName ? S.MATCH_STRENGTH_EXACT : S.MATCH_STRENGTH_FOLDED;
}

/**
 * Whether the record's matching name has a date of birth. A record indexed before has-date markers
 * existed has none, and its index entry's types say only that some name of it has a pair; that is
 * taken as the answer for it (exact for a record with one name, the usual case).
 */
export function recordHasDateOfBirth(kinds: ReadonlySet<string>, recordTypes: readonly string[]): boolean {
  if (kinds.has(NAME_REF.hasDob)) return true;
  return !recordTypes.includes(NAME_REF.hasDob) && recordTypes.includes(NAME_REF.exactWithDob);
}

/** The strongest of several (UNSPECIFIED, no match, is the weakest). */
export function strongest(strengths: Iterable<pb.MatchStrength>): pb.MatchStrength {
  let best: pb.MatchStrength = S.MATCH_STRENGTH_UNSPECIFIED;
  for (const s of strengths) if (s !== S.MATCH_STRENGTH_UNSPECIFIED && (best === S.MATCH_STRENGTH_UNSPECIFIED || s < best)) best = s;
  return best;
}

/** The label a query's reference is looked up under: which queried identifier, and what kind of match. */
export const queryLabel = (identifier: number, kind: string): string => `${identifier}:${kind}`;

/**
 * A found record's strength and `matched_on`, from the labels (queryLabel) its references matched,
 * the queried identifiers, and the types of the record's own index entry: the strongest over the
 * queried identifiers, except that a conflicting date of birth on any of them is always told.
 */
export function assessMatch(labels: Iterable<string>, query: readonly pb.IIdentifier[], recordTypes: readonly string[]): { strength: pb.MatchStrength; matchedOn: string[] } {
  const byIdentifier = new Map<number, Set<string>>();
  for (const label of labels) {
    const at = label.indexOf(":");
    const i = Number(label.slice(0, at));
    const kinds = byIdentifier.get(i) ?? new Set<string>();
    kinds.add(label.slice(at + 1));
    byIdentifier.set(i, kinds);
  }
  const strengths = [...byIdentifier].map(([i, kinds]) =>
    identifierMatchStrength(kinds, {
      isPersonName: query[i]?.type === pb.IdentifierType.IDENTIFIER_TYPE_PERSON_NAME,
      queryHasDob: Boolean(query[i]?.dateOfBirth),
      recordHasDob: recordHasDateOfBirth(kinds, recordTypes),
    }),
  );
  // A conflicting date of birth is a warning the operator must see, even next to a stronger match
  // (a document number that agrees while the date does not is what to look at).
  const strength = strengths.includes(S.MATCH_STRENGTH_CONFLICTING_DATE_OF_BIRTH) ? S.MATCH_STRENGTH_CONFLICTING_DATE_OF_BIRTH : strongest(strengths);
  return { strength, matchedOn: shownKinds([...byIdentifier.values()].flatMap((k) => [...k])) };
}

/** The kinds shown as `matched_on`: every kind that matched except the has-date marker (not a match of its own). */
export const shownKinds = (kinds: Iterable<string>): string[] => [...new Set([...kinds].filter((k) => k !== NAME_REF.hasDob))];

export const MATCH_STRENGTH_NAMES = ["exact", "folded", "name-without-date-of-birth", "conflicting-date-of-birth", "surname-only", "unspecified"] as const;
export type MatchStrengthName = (typeof MATCH_STRENGTH_NAMES)[number];
const STRENGTH_NAME: Readonly<Record<number, MatchStrengthName>> = {
  [S.MATCH_STRENGTH_EXACT]: "exact",
  [S.MATCH_STRENGTH_FOLDED]: "folded",
  [S.MATCH_STRENGTH_NAME_WITHOUT_DATE_OF_BIRTH]: "name-without-date-of-birth",
  [S.MATCH_STRENGTH_CONFLICTING_DATE_OF_BIRTH]: "conflicting-date-of-birth",
  [S.MATCH_STRENGTH_SURNAME_ONLY]: "surname-only",
};

/** A strength as the API, the CLI and the audit log write it ("exact", "name-without-date-of-birth"). */
export const matchStrengthName = (s: pb.MatchStrength | null | undefined): MatchStrengthName => STRENGTH_NAME[s ?? 0] ?? "unspecified";
