// A retention sweep's erasure order, as the records and files services carry it out (their
// `erase-due` endpoint). Its first step crypto-shreds the object (BlindStore.shred, the delete
// marker first) and logs the certificate; its second (`overwriteRevision`) overwrites the erased
// object's stored revision on disk. The service checks, at the last moment, that the object is
// still to be erased: a renewal, a status change or a hold may have come after the sweep looked.
import { AuditAction, type AuditEmitter } from "../audit/mod.js";
import { decodeAs } from "../crypto/mod.js";
import { HUB } from "../domain/mod.js";
import { isLiaisonError, LiaisonError } from "../errors.js";
import { subjects, type EndpointDef } from "../nats/mod.js";
import { logErasure, relogErasure } from "../notices/mod.js";
import { pb } from "../proto/mod.js";
import { ERASE_ATTEMPTS, type BlindStore, type ShredOptions } from "./blind-store.js";

export interface ErasureSteps<T> {
  /** The certificate's object type, also in the audit event id (`erasure.<type>.<id>`). */
  readonly objectType: "record" | "file";
  /** How a refusal names the object ("record", "file entry"). */
  readonly noun: string;
  decode(bytes: Uint8Array): T;
  /** Throws (LIAISON_CONFLICT, LIAISON_ON_HOLD) when the object is not to be erased now. */
  check(stored: T, order: pb.ErasureOrder): void;
  /** Crypto-shreds the object (the service's eraseStored) and returns its certificate. */
  erase(stored: T, order: pb.ErasureOrder, o: ShredOptions & { keepDueEntry: true }): Promise<pb.IErasureCertificate>;
}

/** Carries out one erasure order; returns the certificate (of the first step) for the caller to log. */
export async function carryOutErasureOrder<T>(store: BlindStore, order: pb.ErasureOrder, steps: ErasureSteps<T>): Promise<pb.IErasureCertificate> {
  const id = order.objectId;
  if (Number(order.overwriteRevision) > 0) {
    // The second step: the object is already erased; its stored bytes are overwritten.
    await store.overwrite(id, Number(order.overwriteRevision));
    return { objectType: steps.objectType, objectId: id };
  }
  let got = await store.get(id);
  // If the object changes between the read and the delete marker (an amendment, a renewal, a hold),
  // nothing is erased: it is read and checked again. Not refused as "renewed" (that would drop the
  // sweep's filing): after a few tries the sweep leaves it for the next.
  for (let attempt = 1; got; attempt++) {
    const stored = steps.decode(got.bytes);
    steps.check(stored, order);
    try {
      return await steps.erase(stored, order, { revision: got.revision, replaces: got.replaces, keepDueEntry: true, overwriteLater: "mark" });
    } catch (err) {
      if (!(isLiaisonError(err) && err.code === "LIAISON_CONFLICT")) throw err;
      if (attempt >= ERASE_ATTEMPTS) throw new LiaisonError("LIAISON_UNAVAILABLE", `${steps.noun} ${id} kept changing during its erasure`);
      got = await store.get(id);
    }
  }
  // Gone from view: erased, or an erasure that stopped after its delete marker (a crash, a lost
  // lease). Then its stored revision is still there and the erasure is finished now: data key,
  // certificate (under the same event id: the audit log keeps it once), the overwrite following.
  const pending = await store.overwritePending(id);
  const left = pending ? await store.revision(id, pending) : undefined;
  if (!pending || !left) throw new LiaisonError("LIAISON_NOT_FOUND", `no ${steps.noun} ${id}`);
  return steps.erase(steps.decode(left), order, { revision: pending, keepDueEntry: true, overwriteLater: "resume" });
}

/** The `erase-due` endpoint of a service: carries out the order, logs the erasure certificate and answers it (CertifiedErasure). */
export function erasureEndpoint<T>(service: "records" | "files", store: BlindStore, audit: AuditEmitter, steps: ErasureSteps<T>): EndpointDef {
  return {
    name: "erase-due",
    subject: subjects.api(service, "erase-due"),
    handler: async (msg) => {
      const order = decodeAs((b) => pb.ErasureOrder.decode(b), msg.data, "ErasureOrder");
      // The order is carried out first all the same: a repeated order for an object whose stored
      // revision is overwritten already is refused (LIAISON_NOT_FOUND), as before.
      const cert = await carryOutErasureOrder(store, order, steps);
      if (Number(order.overwriteRevision) > 0) return pb.CertifiedErasure.encode({ certificate: cert }).finish(); // certified in the first step
      // One event id per erased object: an erasure finished after a stop is logged once (the
      // audit log keeps the first event under that id, and its leaf hash). The event's bytes are
      // kept (a side record) before they are sent, so a repeated order (a lost answer, a stop after
      // the certificate) is answered with the certificate and leaf hash of the event the log keeps,
      // not with a new certificate whose event the log drops.
      const eventId = `erasure.${steps.objectType}.${order.objectId}`;
      const logged = await store.getSide(eventId);
      if (logged) return pb.CertifiedErasure.encode(await relogErasure(audit, logged)).finish();
      const certified = await logErasure(audit, {
        id: eventId,
        action: AuditAction.AUDIT_ACTION_ERASE,
        authority: HUB,
        userId: "retention",
        objectType: steps.objectType,
        objectId: order.objectId,
        erasure: cert,
      }, (bytes) => store.putSide(eventId, bytes));
      return pb.CertifiedErasure.encode(certified).finish();
    },
  };
}
