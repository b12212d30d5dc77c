// The leaf data of the access log: each AuditEvent of an AuditBatch exactly as the emitter
// serialised it (the bytes of field 1, `pb.AuditEvent.encode(e).finish()`), sliced out of the
// batch without decoding and re-encoding, so what is hashed is what was stored.
import protobuf from "protobufjs/minimal.js";
import { LiaisonError } from "../errors.js";

const EVENTS_FIELD = 1;
const WIRE_LENGTH_DELIMITED = 2;

/** The serialised events of one AUDIT message, in order; throws LIAISON_MALFORMED_PROTOBUF. */
export function splitAuditBatch(batch: Uint8Array): Uint8Array[] {
  const r = protobuf.Reader.create(batch);
  const out: Uint8Array[] = [];
  try {
    while (r.pos < r.len) {
      const tag = r.uint32();
      if (tag >>> 3 === EVENTS_FIELD && (tag & 7) === WIRE_LENGTH_DELIMITED) {
        const len = r.uint32();
        if (r.pos + len > r.len) throw new RangeError("event runs past the end of the batch");
        out.push(batch.subarray(r.pos, r.pos + len));
        r.pos += len;
      } else {
        r.skipType(tag & 7);
      }
    }
  } catch (err) {
    throw new LiaisonError("LIAISON_MALFORMED_PROTOBUF", "an AUDIT message is not an AuditBatch", { cause: err });
  }
  return out;
}
