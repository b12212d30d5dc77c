// The supervisor's erasure compliance report and the tree-head verification status: the latest
// signed head, whether its signature verifies under the audit key, and whether it is consistent
// with the previous head this console saw (an RFC 9162 consistency proof, checked here).
import type { NatsConnection } from "@nats-io/nats-core";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { complianceOut, isoOrNull, verificationOut, type ComplianceOut, type VerificationOut } from "../../../src/api/mod.js";
import { AuditClient, auditKeyId, verifyTreeHead, type SignedTreeHead } from "../../../src/audit/mod.js";
import { b64u, decodeAs } from "../../../src/crypto/mod.js";
import { rolesWith } from "../../../src/domain/mod.js";
import { problemResponses } from "../../../src/http/mod.js";
import { verifyConsistency } from "../../../src/merkle/mod.js";
import { requestService, subjects } from "../../../src/nats/mod.js";
import { pb } from "../../../src/proto/mod.js";

const SUPERVISOR = rolesWith("audit.read");
const errors = problemResponses("LIAISON_UNAUTHENTICATED", "LIAISON_FORBIDDEN", "LIAISON_UNAVAILABLE", "LIAISON_TIMEOUT");

export async function complianceRoutes(app: FastifyInstance, deps: { nc: NatsConnection; client?: AuditClient }): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const client = deps.client ?? new AuditClient(deps.nc);
  let previous: SignedTreeHead | undefined;
  let lastVerifiedAt: string | null = null;

  r.get(
    "/v1/compliance",
    {
      schema: { summary: "The erasure compliance report (overdue must be 0)", tags: ["supervisor"], response: { 200: complianceOut, ...errors } },
      config: { roles: SUPERVISOR, audit: { action: pb.AuditAction.AUDIT_ACTION_READ, objectType: "compliance-report" } },
    },
    async (): Promise<ComplianceOut> => {
      const bytes = await requestService(deps.nc, subjects.api("retention", "report"), new Uint8Array(), 30_000);
      const rep = decodeAs((b) => pb.ComplianceReport.decode(b), bytes, "ComplianceReport");
      return {
        generatedAt: isoOrNull(rep.generatedAtMs),
        overdueCount: Number(rep.overdueCount),
        overdue: rep.overdue.map((d) => ({ kind: d.kind ?? "", objectId: d.objectId ?? "", supplier: d.supplier ?? "", dueAt: isoOrNull(d.dueAtMs), stage: d.stage ?? "" })),
        erasures: rep.erasures.map((e) => ({ day: e.day ?? "", rule: e.rule ?? "", supplier: e.supplier ?? "", count: Number(e.count) })),
        reviews: rep.reviews.map((v) => ({ contactPoint: v.contactPoint ?? "", month: v.month ?? "", due: Number(v.due ?? 0), renewed: Number(v.renewed ?? 0), lapsed: Number(v.lapsed ?? 0) })),
        holds: rep.holds.map((h) => ({ objectType: h.objectType ?? "", objectId: h.objectId ?? "", setBy: h.setBy ?? "", reason: h.reason ?? "", setAt: isoOrNull(h.setAtMs), until: isoOrNull(h.untilMs) })),
        lastSweepAt: isoOrNull(rep.lastSweepAtMs),
        kekEpoch: rep.kekEpoch,
        kekCreatedAt: isoOrNull(rep.kekCreatedAtMs),
        erasedTotal: Number(rep.erasedTotal),
      };
    },
  );

  r.get(
    "/v1/audit/verification",
    {
      schema: {
        summary: "Tree-head verification: signature, key id, consistency with the previous head seen",
        tags: ["supervisor"],
        response: {
          200: verificationOut,
          ...errors,
        },
      },
      config: { roles: SUPERVISOR, audit: { action: pb.AuditAction.AUDIT_ACTION_READ, objectType: "audit-head" } },
    },
    async () => {
      const [{ head }, key] = await Promise.all([client.head(), client.key()]);
      const signatureValid = head.treeSize === 0 ? true : verifyTreeHead(key.publicKey, head);
      let consistent: boolean | null = null;
      if (previous && previous.treeSize > 0 && head.treeSize >= previous.treeSize) {
        if (head.treeSize === previous.treeSize) consistent = b64u(head.rootHash) === b64u(previous.rootHash);
        else {
          const proof = await client.consistency(previous.treeSize, head.treeSize);
          consistent = verifyConsistency(previous.treeSize, head.treeSize, previous.rootHash, head.rootHash, proof.path);
        }
      } else if (previous && head.treeSize < previous.treeSize) consistent = false; // the log shrank
      const out: VerificationOut = {
        treeSize: head.treeSize,
        rootHash: b64u(head.rootHash),
        timestamp: isoOrNull(head.timestampMs),
        keyId: head.keyId,
        signatureValid,
        keyIdMatches: head.treeSize === 0 || head.keyId === auditKeyId(key.publicKey),
        consistentWithPrevious: consistent,
        previousTreeSize: previous?.treeSize ?? null,
        verifiedAt: new Date().toISOString(),
        previousVerifiedAt: lastVerifiedAt,
      };
      if (signatureValid && consistent !== false) {
        previous = head;
        lastVerifiedAt = out.verifiedAt;
      }
      return out;
    },
  );
}
