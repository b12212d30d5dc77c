// The signature on a webhook: HMAC-SHA256 over "<unix seconds>.<body>" with the shared secret, sent
// as `Liaison-Signature: t=<unix seconds>,v1=<hex>` (the scheme Stripe's webhooks use), so the back
// office can check that the body came from its access point and refuse an old one replayed.
import { createHmac, timingSafeEqual } from "node:crypto";

export const SIGNATURE_HEADER = "liaison-signature";
/** How old a signature the verifier accepts by default. */
export const SIGNATURE_TOLERANCE_S = 300;

export function signatureHeader(secret: string, body: string, atMs: number): string {
  const t = Math.floor(atMs / 1000);
  return `t=${t},v1=${createHmac("sha256", secret).update(`${t}.${body}`).digest("hex")}`;
}

/** Whether a header signs this body with this secret, within the tolerance of `nowMs`. */
export function verifySignature(secret: string, body: string, header: string, nowMs: number, toleranceS = SIGNATURE_TOLERANCE_S): boolean {
  const parts = new Map(header.split(",").map((p) => [p.slice(0, p.indexOf("=")).trim(), p.slice(p.indexOf("=") + 1).trim()] as const));
  const t = Number(parts.get("t"));
  const v1 = parts.get("v1") ?? "";
  if (!Number.isInteger(t) || Math.abs(nowMs / 1000 - t) > toleranceS || !/^[0-9a-f]{64}$/.test(v1)) return false;
  const want = createHmac("sha256", secret).update(`${t}.${body}`).digest();
  return timingSafeEqual(want, Buffer.from(v1, "hex"));
}
