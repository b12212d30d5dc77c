// The HTTP APIs' contracts, one module per API: zod schemas (requests, responses, the OpenAPI
// documents) and their z.infer types, which the routes, the CLI and the tests all use.
// Shared: times, ids, attachments, handling codes, identifiers
export { iso, isoRequired, isoTime, cpCode, objectId, caseRef, idParams, hitParams, caseParams, attachmentIn, handlingIn, handlingOut, handlingView, identifierIn, identifierOut, erasedOut, eraseQuery, identifiersToProto, identifierView, type EpochMs, type AttachmentIn, type HandlingOut, type IdentifierIn, type IdentifierOut, type ErasedOut } from "./common.js";
// The tables between the APIs' words and the protobuf enums
export { table, words, protoEnumTable, AUDIT_ACTIONS, AUDIT_OUTCOMES, KINDS, LEGAL_BASES, SPONTANEOUS_BASES, SPECIAL_FORMS, HANDLING_CODES, HANDLING_TEXT, PRIORITIES, RECEIPT_KINDS, RECORD_CATEGORIES, RECORD_PURPOSES, IDENTIFIER_TYPES, NOTICE_KINDS, OFFENCE_AREAS, FILE_STATUSES, type EnumTable } from "./enums.js";
// /v1/messages, /v1/cases (access point)
export { messageIn, replyIn, uploadId, uploadQuery, uploadOut, attachmentParams, attachmentBytes, submitted, recipientStatus, receiptOut, headerOut, messageOut, messageListQuery, messageSearchQuery, LIST_ORDERS, messageListOut, threadOut, type MessageIn, type ReplyIn, type UploadQuery, type UploadOut, type Submitted, type RecipientStatus, type ReceiptOut, type HeaderOut, type MessageOut, type MessageListQuery, type MessageSearchQuery, type ListOrder, type MessageListOut, type ThreadOut } from "./messages.js";
// /v1/records, /v1/hits, /v1/notices (access point)
export { recordIn, amendIn, renewIn, holdIn, outcomeIn, recordOut, recordSubmitted, recordQueryIn, recordQueryOut, outcomeOut, noticesQuery, noticeOut, noticesOut, erasureCertificateOut, erasureCertificateView, erasedView, recordErasedOut, type ErasureCertificateOut, type RecordErasedOut, type RecordIn, type AmendIn, type RecordOut, type RecordSubmitted, type RecordQueryOut, type OutcomeOut, type NoticeOut, type NoticesOut } from "./records.js";
// /v1/files (access point)
export { fileIn, fileRegistered, fileOut, hitOut, fileQueryIn, fileQueryOut, fileStatusIn, fileStatusOut, fileErasedOut, hitRequestIn, hitRequestOut, type FileErasedOut, type FileIn, type FileRegistered, type FileOut, type HitOut, type FileQueryOut, type FileStatusOut, type HitRequestOut } from "./files.js";
// Legal holds; /v1/holds (console)
export { holdOut, holdView, HOLD_OBJECTS, supervisorHoldParams, supervisorHoldIn, supervisorHoldOut, type HoldObjects, type HoldOut, type SupervisorHoldIn, type SupervisorHoldOut } from "./holds.js";
// /v1/audit/* (console)
export { eventOut, pageOut, accessOut, userOut, eventsQuery, accessParams, accessQuery, userParams, userQuery, headJson, headFileOut, keyOut, inclusionQuery, inclusionOut, consistencyQuery, consistencyOut, exportQuery, verificationOut, type EventOut, type PageOut, type AccessOut, type UserOut, type HeadFileOut, type KeyOut, type VerificationOut } from "./audit.js";
// /v1/usage, /v1/compliance (console)
export { OPERATION_USAGE_MAX_YEARS, operationUsageQuery, operationUsageOut, consoleCalendarOut, type OperationUsageOut, type ConsoleCalendarOut } from "./usage.js";
export { isoOrNull, usageQuery, USAGE_COUNTS, monthOut, activityOut, usageOut, dormantOut, throughputOut, healthOut, complianceOut, type UsageCount, type MonthOut, type ActivityOut, type UsageOut, type DormantOut, type ThroughputOut, type ComplianceOut } from "./usage.js";
// /v1/users (access point: its administrator)
export { userId, validFor, userParamsIn, userIn, tokenIn, userOut as userSummaryOut, usersOut, issuedOut, disabledOut, type UserIn, type UserOut as UserSummaryOut, type UsersOut, type IssuedOut } from "./users.js";
// /v1/operations, /v1/calendar (access point)
export { day, partyCode, placeCode, commodityCode, phaseIn, objectiveIn, routeIn, operationIn, operationPatch, operationOut, overlapOut, operationViewOut, calendarQuery, calendarOut, type OperationIn, type OperationPatch, type OperationOut, type OverlapOut, type OperationViewOut, type CalendarOut } from "./operations.js";
// /v1/events, /v1/webhooks/deliveries (access point): what is pushed to the back office
export { PUSH_EVENT_TYPES, pushEventOut, deliveryAttemptOut, deliveryOut, deliveriesQuery, deliveriesOut, deliveryParams, DELIVERY_STATES, type PushEventType, type PushEventOut, type DeliveryOut, type DeliveriesOut } from "./events.js";
// /v1/operations/:id/{documents,group,tally,recommendations}, /v1/recommendations (access point): inside a joint operation
export {
  docParams,
  warningBody,
  feedbackBody,
  seizureBody,
  resultBody,
  noteBody,
  FEEDBACK_OUTCOMES,
  TEMPLATE_BODIES,
  groupPostIn,
  groupMessageOut,
  groupOut,
  documentIn,
  versionIn,
  commentIn,
  documentOut,
  documentsOut,
  commentOut,
  versionOut,
  documentDetailOut,
  tallyOut,
  recommendationIn,
  recommendationPatch,
  recommendationsQuery,
  recommendationOut,
  recommendationsOut,
  unreadableItem,
  type WarningBody,
  type SeizureBody,
  type ResultBody,
  type GroupPostIn,
  type GroupMessageOut,
  type GroupOut,
  type DocumentIn,
  type VersionIn,
  type CommentIn,
  type DocumentOut,
  type DocumentsOut,
  type DocumentDetailOut,
  type TallyOut,
  type RecommendationIn,
  type RecommendationPatch,
  type RecommendationOut,
  type RecommendationsOut,
  type UnreadableItem,
} from "./operation-items.js";
