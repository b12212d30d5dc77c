// Every HTTP error leaves as RFC 9457 application/problem+json carrying a registered code:
// schema failures name the bad fields, malformed JSON and oversized bodies get their own codes.
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

/** Maps anything a route or fastify throws to a registered error. */
export function httpErrorOf(err: unknown): LiaisonError {
  if (err instanceof LiaisonError) return err;
  if (hasZodFastifySchemaValidationErrors(err)) {
    const where = err.validation.map((v) => `${err.validationContext ?? "body"}${v.instancePath || ""}: ${v.message}`).join("; ");
    return new LiaisonError("LIAISON_VALIDATION", where, { cause: err });
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
      return new LiaisonError("LIAISON_VALIDATION", fe.message, { cause: err });
  }
  if (err instanceof SyntaxError) return new LiaisonError("LIAISON_BAD_REQUEST", "the body is not valid JSON", { cause: err });
  if (isResponseSerializationError(err)) return new LiaisonError("LIAISON_INTERNAL", "response did not match its schema", { cause: err });
  return toLiaisonError(err);
}

export function sendProblem(reply: FastifyReply, req: FastifyRequest, err: LiaisonError): FastifyReply {
  return reply.code(err.status).type("application/problem+json").send(toProblem(err, req.url.split("?")[0]));
}

export function installProblemHandlers(app: FastifyInstance): void {
  app.setErrorHandler((err, req, reply) => {
    const le = httpErrorOf(err);
    if (le.code === "LIAISON_INTERNAL") req.log.error({ err }, "request failed");
    (req as FastifyRequest & { liaisonError?: LiaisonError }).liaisonError = le;
    return sendProblem(reply, req, le);
  });
  app.setNotFoundHandler((req, reply) => sendProblem(reply, req, new LiaisonError("LIAISON_NOT_FOUND", `no route ${req.method} ${req.url.split("?")[0]}`)));
}

/** The error a finished request failed with, if any (for audit outcomes). */
export function requestError(req: FastifyRequest): LiaisonError | undefined {
  return (req as FastifyRequest & { liaisonError?: LiaisonError }).liaisonError;
}
