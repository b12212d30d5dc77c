// The access point's API speaks kebab-case words; the wire contract speaks protobuf enums. This is
// the one table between them.
import { pb } from "../../src/proto/mod.js";

function table<K extends string, V extends number>(entries: ReadonlyArray<readonly [K, V]>) {
  const toProto = new Map<string, V>(entries);
  const toApi = new Map<number, K>(entries.map(([k, v]) => [v, k]));
  return {
    keys: entries.map(([k]) => k) as [K, ...K[]],
    toProto: (k: K): V => toProto.get(k) as V,
    toApi: (v: number): K | undefined => toApi.get(v),
  };
}

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
