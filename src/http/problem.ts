// Every HTTP error leaves as RFC 9457 application/problem+json carrying a registered code:
// schema failures name the bad fields (a malformed path parameter is a bad id), malformed JSON and
// oversized bodies get their own codes, and any other error fastify or a plugin raises with an
// HTTP status gets the registered code for that status.
import { STATUS_CODES } from "node:http";
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from "fastify-type-provider-zod";
import { z } from "zod";
import { LiaisonError, toLiaisonError, toProblem, ERRORS, type ErrorCode } from "../errors.js";

export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    code: z.enum(Object.keys(ERRORS) as [ErrorCode, ...ErrorCode[]]),
    detail: z.string(),
    instance: z.string().optional(),
  })
  .meta({ id: "Problem", description: "RFC 9457 problem details with Liaison's reason code" });

/**
 * The error responses of a route, for its schema and the OpenAPI document: one problem+json entry
 * for the HTTP status of each error code the route can answer with (src/errors.ts has the status).
 */
export function problemResponses(...codes: readonly ErrorCode[]): Record<number, typeof problemSchema> {
  return Object.fromEntries(codes.map((c) => [ERRORS[c].status, problemSchema]));
}

/**
 * The registered code for an HTTP status that fastify or a plugin gives an error of its own
 * (FST_ERR_*, or any error with a statusCode). A status not listed maps to LIAISON_BAD_REQUEST
 * (4xx) or LIAISON_INTERNAL (5xx): every problem carries a registered code.
 */
export const CODE_BY_STATUS: Readonly<Partial<Record<number, ErrorCode>>> = {
  400: "LIAISON_BAD_REQUEST",
  404: "LIAISON_NOT_FOUND",
  408: "LIAISON_REQUEST_TIMEOUT",
  413: "LIAISON_PAYLOAD_TOO_LARGE",
  414: "LIAISON_URI_TOO_LONG",
  415: "LIAISON_UNSUPPORTED_MEDIA_TYPE",
  429: "LIAISON_RATE_LIMITED",
  431: "LIAISON_HEADERS_TOO_LARGE",
  503: "LIAISON_UNAVAILABLE",
  504: "LIAISON_TIMEOUT",
};

const codeForStatus = (status: number): ErrorCode => CODE_BY_STATUS[status] ?? (status < 500 ? "LIAISON_BAD_REQUEST" : "LIAISON_INTERNAL");

/** Maps anything a route or fastify throws to a registered error. */
export function httpErrorOf(err: unknown): LiaisonError {
  if (err instanceof LiaisonError) return err;
  if (hasZodFastifySchemaValidationErrors(err)) {
    const where = err.validation.map((v) => `${err.validationContext ?? "body"}${v.instancePath || ""}: ${v.message}`).join("; ");
    // Path parameters are ids (and references): one that does not match its pattern is a bad id.
    return new LiaisonError(err.validationContext === "params" ? "LIAISON_BAD_ID" : "LIAISON_VALIDATION", where, { cause: err });
  }
  const fe = err as FastifyError;
  switch (fe?.code) {
    case "FST_ERR_CTP_INVALID_JSON_BODY":
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
    case "FST_ERR_CTP_BODY_TOO_LARGE_JSON":
      return new LiaisonError("LIAISON_BAD_REQUEST", "the body is not valid JSON", { cause: err });
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return new LiaisonError("LIAISON_PAYLOAD_TOO_LARGE", undefined, { cause: err });
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return new LiaisonError("LIAISON_UNSUPPORTED_MEDIA_TYPE", "send application/json", { cause: err });
    case "FST_ERR_VALIDATION":
      return new LiaisonError(fe.validationContext === "params" ? "LIAISON_BAD_ID" : "LIAISON_VALIDATION", fe.message, { cause: err });
    case "FST_ERR_MAX_PARAM_LENGTH":
      return new LiaisonError("LIAISON_URI_TOO_LONG", undefined, { cause: err });
    case "FST_ERR_BAD_URL":
    case "FST_ERR_INVALID_URL":
      return new LiaisonError("LIAISON_BAD_REQUEST", "the URL is malformed", { cause: err });
  }
  if (err instanceof SyntaxError) return new LiaisonError("LIAISON_BAD_REQUEST", "the body is not valid JSON", { cause: err });
  if (isResponseSerializationError(err)) return new LiaisonError("LIAISON_INTERNAL", "response did not match its schema", { cause: err });
  // Anything else fastify or a plugin raised with an HTTP status (FST_ERR_* and plugins' errors).
  const status = Number(fe?.statusCode);
  if (Number.isInteger(status) && status >= 400 && status < 600 && status !== 500) {
    const code = codeForStatus(status);
    return new LiaisonError(code, code === "LIAISON_INTERNAL" ? undefined : STATUS_CODES[status], { cause: err });
  }
  return toLiaisonError(err);
}

/**
 * The raw HTTP response for a request Node's parser refused before fastify saw it (a malformed
 * request line, headers too large, a request not received in time): a problem like any other.
 */
export function clientErrorProblem(err: Error): string {
  const code = (err as NodeJS.ErrnoException).code;
  const le =
    code === "HPE_HEADER_OVERFLOW"
      ? new LiaisonError("LIAISON_HEADERS_TOO_LARGE")
      : code === "ERR_HTTP_REQUEST_TIMEOUT"
        ? new LiaisonError("LIAISON_REQUEST_TIMEOUT")
        : new LiaisonError("LIAISON_BAD_REQUEST", "the request is not valid HTTP");
  const body = JSON.stringify(toProblem(le));
  return `HTTP/1.1 ${le.status} ${STATUS_CODES[le.status] ?? ""}\r\nContent-Type: application/problem+json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
}

export function sendProblem(reply: FastifyReply, req: FastifyRequest, err: LiaisonError): FastifyReply {
  return reply.code(err.status).type("application/problem+json").send(toProblem(err, req.url.split("?")[0]));
}

export function installProblemHandlers(app: FastifyInstance): void {
  app.setErrorHandler((err, req, reply) => {
    const le = httpErrorOf(err);
    if (le.code === "LIAISON_INTERNAL") req.log.error({ err }, "request failed");
    setRequestError(req, le);
    return sendProblem(reply, req, le);
  });
  app.setNotFoundHandler((req, reply) => sendProblem(reply, req, new LiaisonError("LIAISON_NOT_FOUND", `no route ${req.method} ${req.url.split("?")[0]}`)));
}

/** The error a finished request failed with, if any (for audit outcomes). */
export function requestError(req: FastifyRequest): LiaisonError | undefined {
  return (req as FastifyRequest & { liaisonError?: LiaisonError }).liaisonError;
}

/** Records the error a request ends with when it is set outside the error handler (audit hook). */
export function setRequestError(req: FastifyRequest, err: LiaisonError): void {
  (req as FastifyRequest & { liaisonError?: LiaisonError }).liaisonError = err;
}
