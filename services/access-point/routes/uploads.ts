// Large attachments over HTTP (docs/large-files.md): POST /v1/uploads takes the raw file as a
// stream (application/octet-stream, up to LIAISON_MAX_LARGE_FILE_BYTES) and seals it into the
// recipients' stores; GET /v1/messages/:id/attachments/:name streams an attachment out, a large
// one opened chunk by chunk from this contact point's store. Neither holds a whole file in memory.
import { Readable } from "node:stream";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import type { AuditEmitter } from "../../../src/audit/mod.js";
import { attachmentBytes, attachmentParams, uploadOut, uploadQuery } from "../../../src/api/mod.js";
import { hex, sha256 } from "../../../src/crypto/mod.js";
import { rolesWith } from "../../../src/domain/mod.js";
import { isLiaisonError, LiaisonError } from "../../../src/errors.js";
import { problemResponses } from "../../../src/http/mod.js";
import { pb } from "../../../src/proto/mod.js";
import type { LargeFiles } from "../large-files.js";
import type { Mailbox } from "../mailbox.js";
import { MESSAGE_REFUSALS } from "./messages.js";

export interface UploadRoutesDeps {
  readonly mailbox: Mailbox;
  readonly largeFiles: LargeFiles;
  readonly audit: AuditEmitter;
  readonly uploadTtlMs: number;
  readonly now?: () => number;
}

const errors = problemResponses(...MESSAGE_REFUSALS, "LIAISON_DECRYPT_FAILED", "LIAISON_BAD_REQUEST");

/** The SHA-256 of a file as a Repr-Digest header carries it (RFC 9530). */
const reprDigest = (digest: Uint8Array) => `sha-256=:${Buffer.from(digest).toString("base64")}:`;

/** A file name as a Content-Disposition header carries it (RFC 6266 filename*, RFC 8187). */
const disposition = (name: string) => `attachment; filename*=UTF-8''${encodeURIComponent(name)}`;

export async function uploadRoutes(app: FastifyInstance, d: UploadRoutesDeps): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const now = d.now ?? Date.now;
  // Only in this plugin: the raw body is handed on as the stream it is, never buffered. Fastify's
  // bodyLimit does not apply to a stream handed on; LargeFiles.upload counts against its own limit.
  app.addContentTypeParser("application/octet-stream", (_req, payload, done) => done(null, payload));

  r.post(
    "/v1/uploads",
    {
      schema: {
        summary: "Upload a large attachment as a raw stream (application/octet-stream); name its upload id in the message that sends it",
        tags: ["messages"],
        querystring: uploadQuery,
        response: { 201: uploadOut, ...errors },
      },
      config: { roles: rolesWith("messages.send"), audit: { action: pb.AuditAction.AUDIT_ACTION_SUBMIT, objectType: "upload" } },
    },
    async (req, reply) => {
      if (!req.headers["content-type"]?.startsWith("application/octet-stream")) throw new LiaisonError("LIAISON_VALIDATION", "content-type: send the file as application/octet-stream");
      const length = req.headers["content-length"];
      const body = req.body as AsyncIterable<Uint8Array>;
      const up = await d.largeFiles.upload(body, {
        name: req.query.name,
        mediaType: req.query.mediaType,
        to: req.query.to,
        userId: req.user?.id ?? "anonymous",
        ...(length !== undefined ? { declaredSize: Number(length) } : {}),
      });
      req.audit.objectId = up.id;
      req.audit.details = { size: String(up.size), to: up.to.join(",") };
      return reply.code(201).send({
        uploadId: up.id,
        name: up.name,
        mediaType: up.mediaType,
        size: up.size,
        sha256: hex(up.sha256),
        to: [...up.to],
        expiresAt: new Date(now() + d.uploadTtlMs).toISOString(),
      });
    },
  );

  r.get(
    "/v1/messages/:id/attachments/:name",
    {
      schema: {
        summary: "One attachment of a message, streamed (a large one opened chunk by chunk here, its SHA-256 checked at the end); Repr-Digest gives its SHA-256",
        tags: ["messages"],
        params: attachmentParams,
        response: { 200: attachmentBytes, ...errors },
      },
      config: { roles: rolesWith("messages.read"), audit: { action: pb.AuditAction.AUDIT_ACTION_READ, objectType: "message-attachment", objectParam: "id" } },
    },
    async (req, reply) => {
      const o = await d.mailbox.open(req.params.id);
      const name = req.params.name;
      req.audit.details = { attachment: "large" };
      const small = o.payload.attachments.find((a) => a.name === name);
      if (small) {
        req.audit.details = { attachment: "inline" };
        const content = Buffer.from(small.content ?? new Uint8Array());
        return reply
          .header("content-type", small.mediaType || "application/octet-stream")
          .header("content-disposition", disposition(name))
          .header("repr-digest", reprDigest(sha256(content)))
          .send(content);
      }
      const ref = o.payload.largeAttachments.find((a) => a.name === name);
      if (!ref) throw new LiaisonError("LIAISON_NOT_FOUND", "the message has no attachment of that name");
      if (o.entry.box !== "inbox") throw new LiaisonError("LIAISON_NOT_FOUND", "a large file is kept at the hub for its recipients only; the sender keeps its own copy");
      const chunks = await d.largeFiles.open(ref);
      // A chunk that fails further on is found after the READ was logged and the answer began: the
      // answer breaks off there, and the failure is logged too, with its reason.
      const userId = req.user?.id ?? "anonymous";
      const logged = async function* () {
        try {
          yield* chunks;
        } catch (err) {
          await d.audit
            .emit({
              action: pb.AuditAction.AUDIT_ACTION_READ,
              authority: d.mailbox.cp,
              userId,
              objectType: "message-attachment",
              objectId: o.entry.id,
              outcome: pb.AuditOutcome.AUDIT_OUTCOME_FAILED,
              reasonCode: isLiaisonError(err) ? err.code : "LIAISON_INTERNAL",
              details: { attachment: "large", reason: isLiaisonError(err) ? err.detail : "the read failed" },
            })
            .catch(() => undefined);
          throw err;
        }
      };
      return reply
        .header("content-type", ref.mediaType || "application/octet-stream")
        .header("content-length", String(Number(ref.size ?? 0)))
        .header("content-disposition", disposition(name))
        // The SHA-256 the sealed message gives, for the client to check what it saved (src/cli/transfer.ts).
        .header("repr-digest", reprDigest(ref.sha256 ?? new Uint8Array()))
        .send(Readable.from(logged(), { objectMode: false }));
    },
  );
}
