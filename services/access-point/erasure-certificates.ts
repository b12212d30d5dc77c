// An erasure certificate as the access point shows it to its supplier (in the erase answer and in
// erasure notices): what was erased, when, under which rule, and the audit event to check it
// against (its id, and its leaf hash as an audit export writes hashes: base64url). No content.
import { z } from "zod";
import type { pb } from "../../src/proto/mod.js";

export const erasureCertificateOut = z
  .object({
    objectType: z.string(),
    objectId: z.string(),
    supplier: z.string(),
    rule: z.string().describe("the retention rule applied (docs/retention.md)"),
    dueAt: z.string(),
    erasedAt: z.string(),
    contentCommitment: z.string().describe("SHA-256 over the erased ciphertext and wrapped data key (base64url)"),
    auditEventId: z.string(),
    auditLeafHash: z.string().describe("SHA-256(0x00 ‖ the audit event's bytes): its leaf in the audit log (base64url)"),
  })
  .meta({ id: "ErasureCertificate" });
export type ErasureCertificateOut = z.infer<typeof erasureCertificateOut>;

const iso = (ms: number | null | undefined) => new Date(Number(ms ?? 0)).toISOString();
const b64u = (b: Uint8Array | null | undefined) => Buffer.from(b ?? new Uint8Array()).toString("base64url");

export function erasureCertificateView(c: pb.ICertifiedErasure): ErasureCertificateOut {
  const cert = c.certificate ?? {};
  return {
    objectType: cert.objectType ?? "",
    objectId: cert.objectId ?? "",
    supplier: cert.supplier ?? "",
    rule: cert.rule ?? "",
    dueAt: iso(cert.dueAtMs),
    erasedAt: iso(cert.erasedAtMs),
    contentCommitment: b64u(cert.contentCommitment),
    auditEventId: c.auditEventId ?? "",
    auditLeafHash: b64u(c.auditLeafHash),
  };
}
