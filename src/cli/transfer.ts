// Large attachments from the CLI (docs/large-files.md): a file streamed to POST /v1/uploads, and an
// attachment streamed from GET /v1/messages/{id}/attachments/{name} into a file, neither read into
// memory whole, with a progress line on stderr (bytes of total, rate).
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream, statSync } from "node:fs";
import { rename, rm } from "node:fs/promises";
import { basename } from "node:path";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import type { UploadOut } from "../api/mod.js";
import { ERRORS, LiaisonError, isErrorCode } from "../errors.js";
import type { Target } from "./client.js";

/** Files above this go through the upload endpoint; smaller ones travel inline in the message. */
export const INLINE_ATTACHMENT_MAX_BYTES = 1024 * 1024;

export type Progress = (done: number, total: number) => void;

const MiB = 1024 * 1024;

/** A progress line on stderr, rewritten in place at most every 200 ms, ended with a newline. */
export function progressLine(label: string, out: NodeJS.WritableStream = process.stderr): Progress {
  const started = Date.now();
  let last = 0;
  return (done, total) => {
    const now = Date.now();
    if (done < total && now - last < 200) return;
    last = now;
    const secs = Math.max((now - started) / 1000, 0.001);
    out.write(`\r${label}: ${(done / MiB).toFixed(1)} of ${(total / MiB).toFixed(1)} MiB, ${(done / MiB / secs).toFixed(1)} MiB/s${done >= total ? "\n" : ""}`);
  };
}

/** Passes bytes on, counting them for the progress line and the caller. */
function counter(total: number, progress?: Progress): { stream: Transform; done: () => number } {
  let done = 0;
  const stream = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      done += chunk.length;
      progress?.(done, total);
      cb(null, chunk);
    },
  });
  return { stream, done: () => done };
}

async function problem(res: Response): Promise<LiaisonError> {
  const p = (await res.json().catch(() => undefined)) as { code?: string; detail?: string } | undefined;
  const code = p?.code && isErrorCode(p.code) ? p.code : "LIAISON_INTERNAL";
  return new LiaisonError(code, p?.detail ?? `${res.status} ${ERRORS[code].message}`);
}

/** Streams a file to the access point for these recipients: its upload, to name in the message. */
export async function uploadFile(t: Target, file: string, to: readonly string[], progress?: Progress): Promise<UploadOut> {
  const size = statSync(file).size;
  const q = new URLSearchParams({ name: basename(file), to: to.join(",") });
  const body = Readable.toWeb(createReadStream(file).pipe(counter(size, progress).stream)) as ReadableStream<Uint8Array>;
  let res: Response;
  try {
    res = await fetch(new URL(`/v1/uploads?${q}`, t.url), {
      method: "POST",
      headers: { authorization: `Bearer ${t.token}`, "content-type": "application/octet-stream", "content-length": String(size) },
      body,
      duplex: "half",
    } as RequestInit);
  } catch (err) {
    throw new LiaisonError("LIAISON_UNAVAILABLE", `cannot upload ${file} to ${t.url}`, { cause: err });
  }
  if (!res.ok) throw await problem(res);
  return (await res.json()) as UploadOut;
}

/** The SHA-256 a `Repr-Digest` header (RFC 9530) gives, `sha-256=:<base64>:`, as hex. */
export function reprDigestSha256(header: string | null): string | undefined {
  const m = /(?:^|,)\s*sha-256=:([A-Za-z0-9+/]+={0,2}):/.exec(header ?? "");
  const digest = m ? Buffer.from(m[1]!, "base64") : undefined;
  return digest?.length === 32 ? digest.toString("hex") : undefined;
}

/**
 * Streams one attachment of a message into `file`, written beside it first and renamed only when
 * the whole file came and its SHA-256 is the one the access point's `Repr-Digest` header says: an
 * answer broken off (a chunk that did not open at the access point), or bytes that are not the
 * file, leave no file.
 */
export async function downloadAttachment(t: Target, id: string, name: string, file: string, progress?: Progress): Promise<number> {
  const res = await fetch(new URL(`/v1/messages/${encodeURIComponent(id)}/attachments/${encodeURIComponent(name)}`, t.url), { headers: { authorization: `Bearer ${t.token}` } });
  if (!res.ok || !res.body) throw await problem(res);
  const want = reprDigestSha256(res.headers.get("repr-digest"));
  if (!want) {
    await res.body.cancel();
    throw new LiaisonError("LIAISON_DECRYPT_FAILED", `${name}: the access point did not say the file's SHA-256 (Repr-Digest); nothing saved`);
  }
  const total = Number(res.headers.get("content-length") ?? 0);
  const part = `${file}.part`;
  const count = counter(total, progress);
  const done = count.done;
  const hash = createHash("sha256");
  const hashing = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      cb(null, chunk);
    },
  });
  try {
    await pipeline(Readable.fromWeb(res.body as WebReadableStream<Uint8Array>), count.stream, hashing, createWriteStream(part));
    if (total && done() !== total) throw new LiaisonError("LIAISON_DECRYPT_FAILED", `${name}: ${done()} of ${total} bytes came`);
    if (hash.digest("hex") !== want) throw new LiaisonError("LIAISON_DECRYPT_FAILED", `${name}: the bytes that came do not have the file's SHA-256; nothing saved`);
  } catch (err) {
    await rm(part, { force: true });
    throw err instanceof LiaisonError ? err : new LiaisonError("LIAISON_DECRYPT_FAILED", `${name}: the transfer broke off (${done()} of ${total} bytes); nothing saved`, { cause: err });
  }
  await rename(part, file);
  return done();
}
