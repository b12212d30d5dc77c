// Rules with no I/O: contact points, retention periods, categories, permissions, receipt status.
export { addPeriod, formatPeriod, parsePeriod, type Period } from "./period.js";
export { CP_CODE_PATTERN, HUB, isContactPointCode } from "./contact-point.js";
export { OBJECT_ID_MAX, OBJECT_ID_PATTERN, isObjectId, requireObjectId } from "./ids.js";
export {
  keyState,
  keyStatus,
  daysUntilExpiry,
  DEFAULT_KEY_EXPIRY_WARNING_DAYS,
  DEFAULT_KEY_ACTIVATION_DELAY_MS,
  DEFAULT_KEY_FILE_RELOAD_INTERVAL_MS,
  type KeyState, type KeyStatus, type KeyValidity } from "./keys.js";
export {
  MAX_SUBMIT_ENVELOPES,
  MAX_SUBMIT_RECEIPTS,
  MAX_SUBMIT_RECEIPT_REFS,
  MAX_HUB_BATCH_BYTES,
  MAX_DETAIL_CHARS,
  isWellFormedId,
  briefDetail,
  chunk,
} from "./submission-limits.js";
export { checkKind, effectivePriority, isMemberState, MAX_RECIPIENTS, type KindRefusal } from "./message-kinds.js";
export { checkSend, FORMS_WITH_LOCATION, REPLY_BY_SKEW_MS, type SendRefusal } from "./send-rules.js";
export {
  foldText,
  normaliseIdentifier,
  normalisePersonName,
  normaliseCompanyName,
  normaliseDate,
  normaliseContainerNumber,
  normaliseImo,
  normaliseBankAccount,
  indexForms,
  IdentifierError,
  type IdentifierRefusal,
} from "./identifiers.js";
export {
  NAME_REF,
  NAME_PARTICLES,
  MAX_NAME_VARIANTS,
  MATCH_STRENGTH_NAMES,
  personNameForms,
  surnameForms,
  recordIndexForms,
  queryIndexForms,
  queryLabel,
  queryReferences,
  assessMatch,
  identifierMatchStrength,
  recordHasDateOfBirth,
  strongest,
  shownKinds,
  matchStrengthName,
  type IndexForm,
  type QueryForm,
  type MatchStrengthName,
} from "./matching.js";
export {
  RETENTION_RULES,
  DEFAULT_REMINDER_DAYS,
  DAY_MS,
  recordReviewDue,
  reviewPeriodFor,
  reminderTimes,
  nextRecordEvent,
  fileRetention,
  holdInForce,
  MESSAGE_KEEP_AFTER_DELIVERY,
  MESSAGE_KEEP_UNDELIVERED,
  AUDIT_KEEP,
  type RetentionRule,
  type RetentionSettings,
  type FileDates,
  type RecordStage,
  type Hold,
} from "./retention-rules.js";
export {
  addHistograms,
  DEFAULT_DORMANCY,
  dormancy,
  histogramQuantile,
  monthOf,
  REPLY_TIME_BOUNDS_S,
  replyTimeBucket,
  type DormancyPolicy,
  type DormancyState,
} from "./usage-rules.js";
export { advances, isHubReceipt, isOwnRead, messageStatus, receiptIssuer, receiptState, RECIPIENT_STATE_RANK, sentStatus, type MessageStatusInput, type RecipientState } from "./receipt-status.js";
export { PUSH_EVENT_TYPES, type PushEventType } from "./push-events.js";
