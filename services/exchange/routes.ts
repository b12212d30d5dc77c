// The exchange's record of every envelope it routed (KV bucket "routes", owned by the exchange):
// who sent it, to whom, and a digest of its bytes. Receipts are checked against it — only a
// recipient may say it received, read or answered an envelope, and only to the envelope's sender —
// and a second submission of an envelope already routed is recognised as the same envelope (a
// resubmission after a lost confirmation is answered as accepted, not refused as a replay).
import { z } from "zod";
import { hex, sha256 } from "../../src/crypto/mod.js";
import { LiaisonError } from "../../src/errors.js";
import { token, type JsPublisher } from "../../src/nats/mod.js";

export const ROUTES_BUCKET = "routes";

const RouteSchema = z.object({
  sender: z.string(),
  recipients: z.array(z.string()),
  /** SHA-256 of the envelope's bytes, hex. */
  digest: z.string(),
});
export type RouteRecord = z.infer<typeof RouteSchema>;

const subjectOf = (envelopeId: string) => `$KV.${ROUTES_BUCKET}.${token(envelopeId)}`;

export function routeRecord(sender: string, recipients: readonly string[], envelope: Uint8Array): RouteRecord {
  return { sender, recipients: [...recipients], digest: hex(sha256(envelope)) };
}

/** The message id of a route's write: the same envelope written again is a duplicate, another under its id is not. */
export const routeMsgId = (envelopeId: string, r: RouteRecord) => `route.${token(envelopeId)}.${r.digest}`;

/** What writing a route found: none before (new), the same envelope, or another under the same id. */
export type RouteWrite = "new" | "same" | "different";

export class Routes {
  constructor(private readonly pub: JsPublisher) {}

  /**
   * Records a route unless one exists (create only: a record is never overwritten, so a later
   * envelope reusing an id cannot rewrite who may issue receipts about the first).
   */
  async record(envelopeId: string, r: RouteRecord): Promise<RouteWrite> {
    try {
      // Under a message id naming this envelope's bytes: a write whose answer was lost (the
      // stream's leader died with it) is tried again in its place, as the copies are, instead of
      // failing its submission, which would be redelivered behind later ones (out of order).
      const ack = await this.pub.publish(subjectOf(envelopeId), new TextEncoder().encode(JSON.stringify(r)), {
        expectStream: `KV_${ROUTES_BUCKET}`,
        expectLastSubjectSequence: 0,
        msgID: routeMsgId(envelopeId, r),
      });
      return ack.duplicate ? "same" : "new";
    } catch (err) {
      if (!(err instanceof LiaisonError) || err.code !== "LIAISON_CONFLICT") throw err;
      const existing = await this.get(envelopeId);
      return existing && existing.digest === r.digest && existing.sender === r.sender ? "same" : "different";
    }
  }

  /** The route of an envelope, or null when the exchange never routed it (or the record expired). */
  async get(envelopeId: string): Promise<RouteRecord | null> {
    const m = await this.pub.kvGet(ROUTES_BUCKET, token(envelopeId));
    if (!m) return null;
    let value: unknown;
    try {
      value = JSON.parse(new TextDecoder().decode(m.data));
    } catch {
      return null;
    }
    const parsed = RouteSchema.safeParse(value);
    return parsed.success ? parsed.data : null;
  }
}
