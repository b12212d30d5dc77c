// The one registry of Liaison's error codes. Each code has a message, an HTTP status (sent as an
// RFC 9457 problem+json body) and a NATS service error code (sent in Nats-Service-Error-Code).
// docs/errors.md documents every code; a unit test fails on a code it does not list.

export interface ErrorSpec {
  readonly message: string;
  readonly status: number;
  /** NATS micro service error code; the HTTP status, so clients of either transport see one scheme. */
  readonly natsCode: number;
}

function spec(status: number, message: string): ErrorSpec {
  return Object.freeze({ message, status, natsCode: status });
}

export const ERRORS = Object.freeze({
  // Requests in general.
  LIAISON_BAD_REQUEST: spec(400, "The request is malformed"),
  LIAISON_VALIDATION: spec(400, "The request does not match its schema"),
  LIAISON_UNAUTHENTICATED: spec(401, "A valid bearer token is required"),
  LIAISON_FORBIDDEN: spec(403, "Your role does not allow this"),
  LIAISON_TOKEN_EXPIRED: spec(401, "The bearer token has expired; ask for a new one"),
  LIAISON_TOKEN_REVOKED: spec(401, "The bearer token has been revoked"),
  LIAISON_USER_DISABLED: spec(401, "The user has been disabled; no token of theirs is accepted"),
  LIAISON_USERS_UNAVAILABLE: spec(503, "The users file cannot be read, so no token is accepted; retry later"),
  LIAISON_RATE_LIMITED: spec(429, "Too many requests; retry after the time in Retry-After"),
  LIAISON_NOT_FOUND: spec(404, "No such object"),
  LIAISON_CONFLICT: spec(409, "The object changed meanwhile; read it again and retry"),
  LIAISON_PAYLOAD_TOO_LARGE: spec(413, "The body exceeds the size limit"),
  LIAISON_UNSUPPORTED_MEDIA_TYPE: spec(415, "Unsupported content type"),
  LIAISON_BAD_ID: spec(400, "An id is malformed: ids are 1 to 64 letters, digits, - and _"),
  LIAISON_TOO_DEEP: spec(400, "The JSON body is nested deeper than allowed"),
  LIAISON_URI_TOO_LONG: spec(414, "A path parameter is longer than allowed"),
  LIAISON_REQUEST_TIMEOUT: spec(408, "The request was not received in time"),
  LIAISON_HEADERS_TOO_LARGE: spec(431, "The request headers are too large"),
  LIAISON_INTERNAL: spec(500, "Internal error"),
  LIAISON_UNAVAILABLE: spec(503, "A hub service is unavailable; retry later"),
  LIAISON_AUDIT_UNAVAILABLE: spec(503, "The access log cannot be written, so nothing is answered; retry later"),
  LIAISON_SHUTTING_DOWN: spec(503, "This server is shutting down; retry shortly"),
  LIAISON_TIMEOUT: spec(504, "A hub service did not answer in time"),

  // Wire contract and envelopes.
  LIAISON_MALFORMED_PROTOBUF: spec(400, "The bytes are not a valid protobuf message of the expected type"),
  LIAISON_MISSING_FIELD: spec(400, "A required field is missing"),
  LIAISON_OVERSIZED: spec(413, "The message exceeds the size limit"),
  LIAISON_BAD_SIGNATURE: spec(422, "The signature does not verify"),
  LIAISON_UNKNOWN_KEY: spec(422, "The signing or encryption key is not in the registry"),
  LIAISON_KEY_REVOKED: spec(422, "The key has been revoked"),
  LIAISON_KEY_EXPIRED: spec(422, "The key is outside its validity period"),
  LIAISON_FORGED_SENDER: spec(403, "The sender named in the envelope is not the contact point it arrived from"),
  LIAISON_FORGED_EMITTER: spec(403, "The audit event names an emitter or authority other than the one that published it"),
  LIAISON_REGISTRY_TAMPERED: spec(422, "The registry entry is not signed by the registry key, or is older than one already seen"),
  LIAISON_UNKNOWN_CONTACT_POINT: spec(422, "No such contact point"),
  LIAISON_INACTIVE_CONTACT_POINT: spec(422, "The contact point is suspended or inactive"),
  LIAISON_KIND_NOT_ALLOWED: spec(422, "This kind of message is not allowed here"),
  LIAISON_REPLY_BY_PASSED: spec(422, "The reply-by time has already passed"),
  LIAISON_REPLAY: spec(409, "The envelope id was seen before, or its time is outside the accepted window"),
  LIAISON_CLOCK_SKEW: spec(422, "The envelope's creation time is too far in the future"),
  LIAISON_DECRYPT_FAILED: spec(422, "The envelope does not open with this contact point's key"),
  LIAISON_FORBIDDEN_SUBJECT: spec(403, "This identity may not use that NATS subject"),
  LIAISON_DUPLICATE: spec(409, "Already received; nothing was changed"),
  LIAISON_TOO_MANY_ITEMS: spec(413, "The submission carries more envelopes, receipts or receipt references than one submission may"),
  LIAISON_UNPROCESSABLE: spec(422, "The item could not be handled after several attempts and was given up"),
  LIAISON_NOT_ADDRESSED: spec(403, "The receipt is about an envelope that was not routed to its issuer, or not sent by its addressee"),

  // CIS records and FIDE entries.
  LIAISON_NOT_SUPPLIER: spec(403, "Only the supplying contact point may do this"),
  LIAISON_PURPOSE_REQUIRED: spec(400, "A query must state its purpose"),
  LIAISON_UNKNOWN_CATEGORY: spec(400, "Unknown record category"),
  LIAISON_BAD_IDENTIFIER: spec(400, "An identifier is malformed for its type"),
  LIAISON_BAD_DATE: spec(400, "A date is not a valid date"),
  LIAISON_ATTACHMENT_TOO_LARGE: spec(413, "An attachment exceeds the size limit"),
  LIAISON_ON_HOLD: spec(409, "A legal hold is in force"),
  LIAISON_ERASED: spec(410, "The object has been erased"),

  // Joint customs operations: documents, the closed group, recommendations.
  LIAISON_NOT_MEMBER: spec(403, "Only the operation's members (its leaders and participants that are contact points) may do this"),
  LIAISON_NOT_SEALED_TO_MEMBERS: spec(422, "The item is not sealed to exactly the operation's members now"),
  LIAISON_DEADLINE_PASSED: spec(422, "The comment round of this document closed at its deadline"),
  LIAISON_OPERATION_FULL: spec(409, "The operation holds the most items one operation may; nothing was stored"),
  LIAISON_RETENTION_STARTED: spec(409, "The phase this operation's retention runs from has ended: its end may not move later"),

  // Operation, configuration and the supervisor's tools.
  LIAISON_CONFIG_INVALID: spec(500, "The configuration is invalid"),
  LIAISON_PORT_IN_USE: spec(500, "A port the stack needs is already in use"),
  LIAISON_NATS_UNAVAILABLE: spec(503, "No NATS server could be reached or started"),
  LIAISON_AUDIT_TAMPERED: spec(422, "The audit log export does not verify"),
} as const);

export type ErrorCode = keyof typeof ERRORS;

export function isErrorCode(value: string): value is ErrorCode {
  return Object.hasOwn(ERRORS, value);
}

/** An error with a registered reason code. Callers test it with the predicates below. */
export class LiaisonError extends Error {
  override readonly name = "LiaisonError";
  readonly code: ErrorCode;
  readonly status: number;
  readonly natsCode: number;
  /** Safe, non-personal detail for the client (never key material or content). */
  readonly detail: string;

  constructor(code: ErrorCode, detail?: string, options?: { cause?: unknown }) {
    const s = ERRORS[code];
    super(detail ? `${s.message}: ${detail}` : s.message, options);
    this.code = code;
    this.status = s.status;
    this.natsCode = s.natsCode;
    this.detail = detail ?? s.message;
  }
}

export function isLiaisonError(err: unknown): err is LiaisonError {
  return err instanceof LiaisonError;
}

/** A predicate for one code: `const isBadSignature = hasCode("LIAISON_BAD_SIGNATURE")`. */
export function hasCode(code: ErrorCode): (err: unknown) => err is LiaisonError {
  return (err: unknown): err is LiaisonError => err instanceof LiaisonError && err.code === code;
}

export const isBadSignature = hasCode("LIAISON_BAD_SIGNATURE");
export const isReplay = hasCode("LIAISON_REPLAY");
export const isNotFound = hasCode("LIAISON_NOT_FOUND");
export const isMalformedProtobuf = hasCode("LIAISON_MALFORMED_PROTOBUF");
export const isConfigInvalid = hasCode("LIAISON_CONFIG_INVALID");
export const isNotSupplier = hasCode("LIAISON_NOT_SUPPLIER");
export const isBadId = hasCode("LIAISON_BAD_ID");

/** Any error as a registered one: unknown errors become LIAISON_INTERNAL, keeping the cause. */
export function toLiaisonError(err: unknown): LiaisonError {
  if (err instanceof LiaisonError) return err;
  return new LiaisonError("LIAISON_INTERNAL", undefined, { cause: err });
}

/** RFC 9457 problem details for an error. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  code: ErrorCode;
  detail: string;
  instance?: string;
}

export const PROBLEM_TYPE_BASE = "https://liaison.invalid/problems/";

export function toProblem(err: LiaisonError, instance?: string): Problem {
  return {
    type: `${PROBLEM_TYPE_BASE}${err.code}`,
    title: ERRORS[err.code].message,
    status: err.status,
    code: err.code,
    detail: err.detail,
    ...(instance ? { instance } : {}),
  };
}
