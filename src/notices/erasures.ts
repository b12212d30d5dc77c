// Erasure certificates for their supplier to keep: the certificate is logged in the audit log, and
// handed back with that event's id and leaf hash (RFC 9162 §2.1.1), so the supplier can check its
// copy against the log; it goes to the supplier as an erasure notice too. A certificate names what
// was erased, when and under which rule; it holds no content (its commitment is a SHA-256 over the
// ciphertext and wrapped key that are gone).
import type { AuditEmitter, AuditInput } from "../audit/mod.js";
import { leafHash } from "../merkle/mod.js";
import { pb } from "../proto/mod.js";

/** Certificates one erasure notice carries at most (a sweep's erasures for one supplier and rule are split). */
export const CERTIFICATES_PER_NOTICE = 100;

/**
 * Logs an erasure's audit event, which carries its certificate, and returns the certificate as its
 * supplier keeps it. The event is completed (id, time, emitter) here, so the bytes hashed are the
 * bytes the emitter sends and the audit log appends as they are. `keep`, when given, stores those
 * bytes before they are sent: an erasure logged under a fixed event id is then answered again with
 * them (relogErasure), as the audit log keeps the first event under an id and drops later ones.
 */
export async function logErasure(
  audit: AuditEmitter,
  event: AuditInput & { erasure: pb.IErasureCertificate },
  keep?: (eventBytes: Uint8Array) => Promise<void>,
): Promise<pb.ICertifiedErasure> {
  const complete = { ...audit.complete(event), action: event.action };
  const bytes = pb.AuditEvent.encode(complete).finish();
  await keep?.(bytes);
  await audit.emit(complete);
  return { certificate: event.erasure, auditEventId: complete.id ?? "", auditLeafHash: leafHash(bytes) };
}

/**
 * An erasure logged before (its event's bytes as logErasure kept them): the same event is sent
 * again, byte for byte (the first attempt may have stopped before sending it; the log keeps one),
 * and its certificate is returned with that event's leaf hash.
 */
export async function relogErasure(audit: AuditEmitter, eventBytes: Uint8Array): Promise<pb.ICertifiedErasure> {
  const event = pb.AuditEvent.decode(eventBytes);
  const again = pb.AuditEvent.encode(audit.complete(event)).finish();
  // The emitter completes nothing that is already set; should it ever differ, nothing is sent.
  if (Buffer.compare(Buffer.from(again), Buffer.from(eventBytes)) !== 0) throw new Error(`the erasure event ${event.id} would not be sent as it was first logged`);
  await audit.emit(event);
  return { certificate: event.erasure ?? {}, auditEventId: event.id, auditLeafHash: leafHash(eventBytes) };
}

/**
 * The erasure notices for one supplier's objects erased under one rule: each carries the
 * certificates of up to CERTIFICATES_PER_NOTICE of them, and their ids for display.
 */
export function erasureNotices(supplier: string, objectType: string, rule: string, certified: readonly pb.ICertifiedErasure[]): pb.INotice[] {
  const notices: pb.INotice[] = [];
  for (let i = 0; i < certified.length; i += CERTIFICATES_PER_NOTICE) {
    const part = certified.slice(i, i + CERTIFICATES_PER_NOTICE);
    const ids = part.map((c) => c.certificate?.objectId ?? "");
    notices.push({
      kind: pb.NoticeKind.NOTICE_KIND_ERASED,
      addressee: supplier,
      objectType,
      objectId: ids.length === 1 ? (ids[0] as string) : "",
      details: { rule, count: String(ids.length), ids: ids.join(",") },
      erasures: part,
    });
  }
  return notices;
}
