// The CLI's download (src/cli/transfer.ts) keeps a file only when its bytes have the SHA-256 the
// access point's Repr-Digest header says: against a real HTTP server answering whole bodies, one
// with the right digest, one with another file's, one with none.
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { downloadAttachment, reprDigestSha256 } from "../../src/cli/transfer.js";

const body = Buffer.alloc(300_000, 7);
const digestOf = (b: Buffer) => `sha-256=:${createHash("sha256").update(b).digest("base64")}:`;

describe("liaison read --save: the SHA-256 checked", () => {
  let server: Server;
  let url: string;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "liaison-cli-transfer-"));
    server = createServer((req, res) => {
      const digest = req.url?.includes("right") ? digestOf(body) : req.url?.includes("wrong") ? digestOf(Buffer.alloc(300_000, 8)) : undefined;
      res.writeHead(200, { "content-type": "application/octet-stream", "content-length": String(body.length), ...(digest ? { "repr-digest": digest } : {}) });
      res.end(body);
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  it("saves a file whose bytes have the SHA-256 the access point says", async () => {
    const file = join(dir, "right.bin");
    expect(await downloadAttachment({ url, token: "t" }, "m1", "right", file)).toBe(body.length);
    expect(readFileSync(file).equals(body)).toBe(true);
  });

  it("refuses a whole body with another SHA-256, or none said: no file, no .part", async () => {
    for (const name of ["wrong", "none"]) {
      const file = join(dir, `${name}.bin`);
      await expect(downloadAttachment({ url, token: "t" }, "m1", name, file), name).rejects.toMatchObject({ code: "LIAISON_DECRYPT_FAILED", message: expect.stringMatching(/SHA-256/) });
      expect(existsSync(file), name).toBe(false);
      expect(existsSync(`${file}.part`), name).toBe(false);
    }
  });

  it("reads the sha-256 of a Repr-Digest header among others, and nothing else", () => {
    const hex = createHash("sha256").update(body).digest("hex");
    expect(reprDigestSha256(digestOf(body))).toBe(hex);
    expect(reprDigestSha256(`sha-512=:AAAA:, ${digestOf(body)}`)).toBe(hex);
    expect(reprDigestSha256("sha-256=:AAAA:")).toBeUndefined();
    expect(reprDigestSha256(null)).toBeUndefined();
  });
});
