// The HTTP APIs speak kebab-case words; the wire contract speaks protobuf enums. This is the one
// kind of table between them, for the access point's words and the audit log's alike.
import { pb } from "../proto/mod.js";

export interface EnumTable<K extends string, V extends number> {
  /** The API's words, in order (for z.enum). */
  readonly keys: [K, ...K[]];
  readonly toProto: (k: K) => V;
  /** undefined for a value the API has no word for (UNSPECIFIED, or one newer than this code). */
  readonly toApi: (v: number) => K | undefined;
}

export function table<K extends string, V extends number>(entries: ReadonlyArray<readonly [K, V]>): EnumTable<K, V> {
  const toProto = new Map<string, V>(entries);
  const toApi = new Map<number, K>(entries.map(([k, v]) => [v, k]));
  return {
    keys: entries.map(([k]) => k) as [K, ...K[]],
    toProto: (k: K): V => toProto.get(k) as V,
    toApi: (v: number): K | undefined => toApi.get(v),
  };
}

const upperSnake = (word: string) => word.toUpperCase().replace(/-/g, "_");

/**
 * The table of the API's words for a protobuf enum whose value names spell them:
 * words(pb.Priority, "PRIORITY_", ["normal", "urgent"]) pairs "normal" with PRIORITY_NORMAL.
 * A word with no such value fails at load, so a renamed proto value cannot go unnoticed.
 */
export function words<const K extends string>(e: Readonly<Record<string, string | number>>, prefix: string, keys: readonly K[]): EnumTable<K, number> {
  return table(
    keys.map((k) => {
      const v = e[`${prefix}${upperSnake(k)}`];
      if (typeof v !== "number") throw new Error(`${prefix}${upperSnake(k)} is not a value of the protobuf enum`);
      return [k, v] as const;
    }),
  );
}

/** The table of a whole protobuf enum, every value but UNSPECIFIED: AUDIT_ACTION_LEGAL_HOLD_SET is "legal-hold-set". */
export function protoEnumTable(e: Readonly<Record<string, string | number>>, prefix: string): EnumTable<string, number> {
  const names = Object.entries(e).filter(([k, v]) => typeof v === "number" && k !== `${prefix}UNSPECIFIED`);
  return words(e, prefix, names.map(([k]) => k.slice(prefix.length).toLowerCase().replace(/_/g, "-")));
}

export const AUDIT_ACTIONS = protoEnumTable(pb.AuditAction, "AUDIT_ACTION_");
export const AUDIT_OUTCOMES = protoEnumTable(pb.AuditOutcome, "AUDIT_OUTCOME_");

export const KINDS = words(pb.MessageKind, "MESSAGE_KIND_", ["request", "reply", "spontaneous", "special-form"]);

export const LEGAL_BASES = words(pb.LegalBasis, "LEGAL_BASIS_", ["assistance-on-request", "surveillance", "enquiries", "notification"]);

export const SPONTANEOUS_BASES = words(pb.SpontaneousBasis, "SPONTANEOUS_BASIS_", ["surveillance", "information"]);

export const SPECIAL_FORMS = words(pb.SpecialForm, "SPECIAL_FORM_", ["hot-pursuit", "cross-border-surveillance", "controlled-delivery", "covert-investigation", "joint-special-investigation-team"]);

export const HANDLING_CODES = words(pb.HandlingCode, "HANDLING_CODE_", ["H0", "H1", "H2", "H3"]);

/** What each handling code means, shown with every read so the restriction is never missed. */
export const HANDLING_TEXT: Readonly<Record<string, string>> = {
  H0: "Only to be used to prevent and combat crime, within the applicable law.",
  H1: "Not to be disclosed in judicial proceedings without the permission of the supplier.",
  H2: "Not to be disseminated without the permission of the supplier.",
  H3: "Other restrictions: see the supplier's conditions.",
};

export const PRIORITIES = words(pb.Priority, "PRIORITY_", ["normal", "urgent"]);

export const RECEIPT_KINDS = words(pb.ReceiptKind, "RECEIPT_KIND_", ["accepted", "rejected", "delivered", "read", "answered"]);

export const RECORD_CATEGORIES = words(pb.RecordCategory, "RECORD_CATEGORY_", ["commodity", "means-of-transport", "business", "person", "fraud-trend", "availability-of-expertise", "items-detained-seized-confiscated", "cash-detained-seized-confiscated"]);

export const RECORD_PURPOSES = words(pb.RecordPurpose, "RECORD_PURPOSE_", ["sighting-and-reporting", "discreet-surveillance", "specific-check", "strategic-or-operational-analysis"]);

export const IDENTIFIER_TYPES = words(pb.IdentifierType, "IDENTIFIER_TYPE_", ["person-name", "date-of-birth", "travel-document-number", "company-name", "vat-number", "eori-number", "vehicle-registration", "container-number", "vessel-imo", "aircraft-registration", "commodity-code", "address", "telephone-number", "email-address", "bank-account"]);

export const NOTICE_KINDS = words(pb.NoticeKind, "NOTICE_KIND_", ["hit", "review-reminder", "erased", "dormant", "suspension-warning", "hit-outcome", "overlap"]);

export const OFFENCE_AREAS = words(pb.OffenceArea, "OFFENCE_AREA_", ["drug-trafficking", "tobacco-and-alcohol-smuggling", "counterfeit-goods", "customs-duty-evasion", "excise-fraud", "vat-fraud", "money-laundering-and-cash", "weapons-and-dual-use-goods", "endangered-species", "cultural-goods", "other"]);

/** FIDE file statuses (Decision 2009/917/JHA Art. 19(1)); "subject-cleared" erases the entry at once. */
export const FILE_STATUSES = table([
  ["ongoing", pb.FileStatus.FILE_STATUS_ONGOING_NO_OFFENCE_ESTABLISHED],
  ["offence-established", pb.FileStatus.FILE_STATUS_OFFENCE_ESTABLISHED_NO_CONVICTION],
  ["conviction-or-penalty", pb.FileStatus.FILE_STATUS_CONVICTION_OR_PENALTY],
  ["subject-cleared", pb.FileStatus.FILE_STATUS_SUBJECT_CLEARED],
] as const);
