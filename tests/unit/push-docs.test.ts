// What docs/push.md tells a back office holds: its signature-checking sample accepts what the
// access point signs and refuses an altered body, another secret and an old timestamp; the retry
// delays grow as it says; a webhook needs its secret file.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { accessPointSchema, loadConfig } from "../../src/config/mod.js";
import { retryDelayMs } from "../../services/access-point/push/push.js";
import { signatureHeader, verifySignature } from "../../services/access-point/push/signature.js";

const root = join(import.meta.dirname, "..", "..");
const dir = mkdtempSync(join(tmpdir(), "liaison-push-docs-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Verify = (secret: string, rawBody: string, header: string, nowMs?: number, toleranceS?: number) => boolean;

async function docSample(): Promise<Verify> {
  const md = readFileSync(join(root, "docs", "push.md"), "utf8");
  const block = /### Verifying the signature[\s\S]*?```js\n([\s\S]*?)```/.exec(md)?.[1];
  if (!block) throw new Error("docs/push.md has no js sample under 'Verifying the signature'");
  const file = join(dir, "verify.mjs");
  writeFileSync(file, block);
  const mod = (await import(pathToFileURL(file).href)) as { verifyLiaisonSignature: Verify };
  return mod.verifyLiaisonSignature;
}

describe("push to the back office, as docs/push.md describes it", () => {
  const secret = "s".repeat(20) + "-a-shared-secret-of-40-chars";
  const body = JSON.stringify({ id: "42", type: "message", at: "2026-12-06T04:31:22.514Z", kind: "request", counterpart: "BE", messageId: "m-1", priority: "urgent" });

  it("has a signature sample that accepts the access point's signature and refuses an altered body, another secret and an old one", async () => {
    const verify = await docSample();
    const now = Date.now();
    const header = signatureHeader(secret, body, now);
    expect(verify(secret, body, header, now)).toBe(true);
    expect(verify(secret, body.replace("urgent", "normal"), header, now)).toBe(false);
    expect(verify(`${secret}!`, body, header, now)).toBe(false);
    expect(verify(secret, body, header, now + 301_000)).toBe(false);
    expect(verify(secret, body, header.replace(/v1=[0-9a-f]{4}/, "v1=0000"), now)).toBe(false);
    expect(verify(secret, body, "t=abc,v1=00", now)).toBe(false);
    // The access point's own verifier agrees with the sample.
    expect(verifySignature(secret, body, header, now)).toBe(true);
    expect(verifySignature(secret, body, header, now - 301_000)).toBe(false);
  });

  it("waits base·2^(n−1), at most the maximum, between half and all of it", () => {
    expect([1, 2, 3, 4].map((n) => retryDelayMs(n, 1_000, 5_000, () => 1))).toEqual([1_000, 2_000, 4_000, 5_000]);
    expect([1, 2, 3, 4].map((n) => retryDelayMs(n, 1_000, 5_000, () => 0))).toEqual([500, 1_000, 2_000, 2_500]);
  });

  it("refuses a webhook without its secret file, and an event type it does not know", () => {
    const base = { LIAISON_CP: "BE", LIAISON_HOME: dir };
    expect(() => loadConfig("access-point", accessPointSchema, { env: { ...base, LIAISON_WEBHOOK_URL: "https://bo.example/hook" } })).toThrow(/webhookSecretFile/);
    expect(() => loadConfig("access-point", accessPointSchema, { env: { ...base, LIAISON_WEBHOOK_URL: "https://bo.example/hook", LIAISON_WEBHOOK_SECRET_FILE: "/s", LIAISON_WEBHOOK_EVENTS: "message,content" } })).toThrow(/webhookEvents/);
    expect(() => loadConfig("access-point", accessPointSchema, { env: { ...base, LIAISON_WEBHOOK_URL: "ftp://bo.example/hook", LIAISON_WEBHOOK_SECRET_FILE: "/s" } })).toThrow(/webhookUrl/);
    const cfg = loadConfig("access-point", accessPointSchema, { env: { ...base, LIAISON_WEBHOOK_URL: "https://bo.example/hook", LIAISON_WEBHOOK_SECRET_FILE: "/s", LIAISON_WEBHOOK_EVENTS: "message,hit", LIAISON_WEBHOOK_RETRY_BASE: "5s" } });
    expect([cfg.webhookEvents, cfg.webhookRetryBase, cfg.webhookMaxAttempts]).toEqual([["message", "hit"], 5_000, 12]);
    expect(loadConfig("access-point", accessPointSchema, { env: base }).webhookEvents).toEqual(["message", "receipt", "notice", "hit"]);
  });
});
