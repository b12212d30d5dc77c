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

/**
 * The table of a whole protobuf enum, its words made from the value names:
 * AUDIT_ACTION_LEGAL_HOLD_SET is "legal-hold-set". UNSPECIFIED has no word.
 */
export function protoEnumTable(e: Readonly<Record<string, string | number>>, prefix: string): EnumTable<string, number> {
  const entries = Object.entries(e)
    .filter((kv): kv is [string, number] => typeof kv[1] === "number" && kv[0] !== `${prefix}UNSPECIFIED`)
    .map(([k, v]) => [k.slice(prefix.length).toLowerCase().replace(/_/g, "-"), v] as const);
  return table(entries);
}

export const AUDIT_ACTIONS = protoEnumTable(pb.AuditAction, "AUDIT_ACTION_");
export const AUDIT_OUTCOMES = protoEnumTable(pb.AuditOutcome, "AUDIT_OUTCOME_");

export const KINDS = table([
  ["request", pb.MessageKind.MESSAGE_KIND_REQUEST],
  ["reply", pb.MessageKind.MESSAGE_KIND_REPLY],
  ["spontaneous", pb.MessageKind.MESSAGE_KIND_SPONTANEOUS],
  ["special-form", pb.MessageKind.MESSAGE_KIND_SPECIAL_FORM],
] as const);

export const LEGAL_BASES = table([
  ["assistance-on-request", pb.LegalBasis.LEGAL_BASIS_ASSISTANCE_ON_REQUEST],
  ["surveillance", pb.LegalBasis.LEGAL_BASIS_SURVEILLANCE],
  ["enquiries", pb.LegalBasis.LEGAL_BASIS_ENQUIRIES],
  ["notification", pb.LegalBasis.LEGAL_BASIS_NOTIFICATION],
] as const);

export const SPONTANEOUS_BASES = table([
  ["surveillance", pb.SpontaneousBasis.SPONTANEOUS_BASIS_SURVEILLANCE],
  ["information", pb.SpontaneousBasis.SPONTANEOUS_BASIS_INFORMATION],
] as const);

export const SPECIAL_FORMS = table([
  ["hot-pursuit", pb.SpecialForm.SPECIAL_FORM_HOT_PURSUIT],
  ["cross-border-surveillance", pb.SpecialForm.SPECIAL_FORM_CROSS_BORDER_SURVEILLANCE],
  ["controlled-delivery", pb.SpecialForm.SPECIAL_FORM_CONTROLLED_DELIVERY],
  ["covert-investigation", pb.SpecialForm.SPECIAL_FORM_COVERT_INVESTIGATION],
  ["joint-special-investigation-team", pb.SpecialForm.SPECIAL_FORM_JOINT_SPECIAL_INVESTIGATION_TEAM],
] as const);

export const HANDLING_CODES = table([
  ["H0", pb.HandlingCode.HANDLING_CODE_H0],
  ["H1", pb.HandlingCode.HANDLING_CODE_H1],
  ["H2", pb.HandlingCode.HANDLING_CODE_H2],
  ["H3", pb.HandlingCode.HANDLING_CODE_H3],
] as const);

/** What each handling code means, shown with every read so the restriction is never missed. */
export const HANDLING_TEXT: Readonly<Record<string, string>> = {
  H0: "Only to be used to prevent and combat crime, within the applicable law.",
  H1: "Not to be disclosed in judicial proceedings without the permission of the supplier.",
  H2: "Not to be disseminated without the permission of the supplier.",
  H3: "Other restrictions: see the supplier's conditions.",
};

export const PRIORITIES = table([
  ["normal", pb.Priority.PRIORITY_NORMAL],
  ["urgent", pb.Priority.PRIORITY_URGENT],
] as const);

export const RECEIPT_KINDS = table([
  ["accepted", pb.ReceiptKind.RECEIPT_KIND_ACCEPTED],
  ["rejected", pb.ReceiptKind.RECEIPT_KIND_REJECTED],
  ["delivered", pb.ReceiptKind.RECEIPT_KIND_DELIVERED],
  ["read", pb.ReceiptKind.RECEIPT_KIND_READ],
  ["answered", pb.ReceiptKind.RECEIPT_KIND_ANSWERED],
] as const);

export const RECORD_CATEGORIES = table([
  ["commodity", pb.RecordCategory.RECORD_CATEGORY_COMMODITY],
  ["means-of-transport", pb.RecordCategory.RECORD_CATEGORY_MEANS_OF_TRANSPORT],
  ["business", pb.RecordCategory.RECORD_CATEGORY_BUSINESS],
  ["person", pb.RecordCategory.RECORD_CATEGORY_PERSON],
  ["fraud-trend", pb.RecordCategory.RECORD_CATEGORY_FRAUD_TREND],
  ["availability-of-expertise", pb.RecordCategory.RECORD_CATEGORY_AVAILABILITY_OF_EXPERTISE],
  ["items-detained-seized-confiscated", pb.RecordCategory.RECORD_CATEGORY_ITEMS_DETAINED_SEIZED_CONFISCATED],
  ["cash-detained-seized-confiscated", pb.RecordCategory.RECORD_CATEGORY_CASH_DETAINED_SEIZED_CONFISCATED],
] as const);

export const RECORD_PURPOSES = table([
  ["sighting-and-reporting", pb.RecordPurpose.RECORD_PURPOSE_SIGHTING_AND_REPORTING],
  ["discreet-surveillance", pb.RecordPurpose.RECORD_PURPOSE_DISCREET_SURVEILLANCE],
  ["specific-check", pb.RecordPurpose.RECORD_PURPOSE_SPECIFIC_CHECK],
  ["strategic-or-operational-analysis", pb.RecordPurpose.RECORD_PURPOSE_STRATEGIC_OR_OPERATIONAL_ANALYSIS],
] as const);

export const IDENTIFIER_TYPES = table([
  ["person-name", pb.IdentifierType.IDENTIFIER_TYPE_PERSON_NAME],
  ["date-of-birth", pb.IdentifierType.IDENTIFIER_TYPE_DATE_OF_BIRTH],
  ["travel-document-number", pb.IdentifierType.IDENTIFIER_TYPE_TRAVEL_DOCUMENT_NUMBER],
  ["company-name", pb.IdentifierType.IDENTIFIER_TYPE_COMPANY_NAME],
  ["vat-number", pb.IdentifierType.IDENTIFIER_TYPE_VAT_NUMBER],
  ["eori-number", pb.IdentifierType.IDENTIFIER_TYPE_EORI_NUMBER],
  ["vehicle-registration", pb.IdentifierType.IDENTIFIER_TYPE_VEHICLE_REGISTRATION],
  ["container-number", pb.IdentifierType.IDENTIFIER_TYPE_CONTAINER_NUMBER],
  ["vessel-imo", pb.IdentifierType.IDENTIFIER_TYPE_VESSEL_IMO],
  ["aircraft-registration", pb.IdentifierType.IDENTIFIER_TYPE_AIRCRAFT_REGISTRATION],
  ["commodity-code", pb.IdentifierType.IDENTIFIER_TYPE_COMMODITY_CODE],
  ["address", pb.IdentifierType.IDENTIFIER_TYPE_ADDRESS],
  ["telephone-number", pb.IdentifierType.IDENTIFIER_TYPE_TELEPHONE_NUMBER],
  ["email-address", pb.IdentifierType.IDENTIFIER_TYPE_EMAIL_ADDRESS],
  ["bank-account", pb.IdentifierType.IDENTIFIER_TYPE_BANK_ACCOUNT],
] as const);

export const NOTICE_KINDS = table([
  ["hit", pb.NoticeKind.NOTICE_KIND_HIT],
  ["review-reminder", pb.NoticeKind.NOTICE_KIND_REVIEW_REMINDER],
  ["erased", pb.NoticeKind.NOTICE_KIND_ERASED],
  ["dormant", pb.NoticeKind.NOTICE_KIND_DORMANT],
  ["suspension-warning", pb.NoticeKind.NOTICE_KIND_SUSPENSION_WARNING],
  ["hit-outcome", pb.NoticeKind.NOTICE_KIND_HIT_OUTCOME],
] as const);

export const OFFENCE_AREAS = table([
  ["drug-trafficking", pb.OffenceArea.OFFENCE_AREA_DRUG_TRAFFICKING],
  ["tobacco-and-alcohol-smuggling", pb.OffenceArea.OFFENCE_AREA_TOBACCO_AND_ALCOHOL_SMUGGLING],
  ["counterfeit-goods", pb.OffenceArea.OFFENCE_AREA_COUNTERFEIT_GOODS],
  ["customs-duty-evasion", pb.OffenceArea.OFFENCE_AREA_CUSTOMS_DUTY_EVASION],
  ["excise-fraud", pb.OffenceArea.OFFENCE_AREA_EXCISE_FRAUD],
  ["vat-fraud", pb.OffenceArea.OFFENCE_AREA_VAT_FRAUD],
  ["money-laundering-and-cash", pb.OffenceArea.OFFENCE_AREA_MONEY_LAUNDERING_AND_CASH],
  ["weapons-and-dual-use-goods", pb.OffenceArea.OFFENCE_AREA_WEAPONS_AND_DUAL_USE_GOODS],
  ["endangered-species", pb.OffenceArea.OFFENCE_AREA_ENDANGERED_SPECIES],
  ["cultural-goods", pb.OffenceArea.OFFENCE_AREA_CULTURAL_GOODS],
  ["other", pb.OffenceArea.OFFENCE_AREA_OTHER],
] as const);

/** FIDE file statuses (Decision 2009/917/JHA Art. 19(1)); "subject-cleared" erases the entry at once. */
export const FILE_STATUSES = table([
  ["ongoing", pb.FileStatus.FILE_STATUS_ONGOING_NO_OFFENCE_ESTABLISHED],
  ["offence-established", pb.FileStatus.FILE_STATUS_OFFENCE_ESTABLISHED_NO_CONVICTION],
  ["conviction-or-penalty", pb.FileStatus.FILE_STATUS_CONVICTION_OR_PENALTY],
  ["subject-cleared", pb.FileStatus.FILE_STATUS_SUBJECT_CLEARED],
] as const);
