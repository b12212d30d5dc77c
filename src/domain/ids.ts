// What an object id looks like (a message, record, FIDE entry, hit, notice): ids this system hands
// out are UUIDv7 strings, and an id is used as one NATS subject token and one KV key token, so it
// may hold nothing that changes a subject's meaning (no ".", "*", ">", space or control character).
// Every id from outside is checked against this pattern before it is used.
import { LiaisonError } from "../errors.js";

export const OBJECT_ID_MAX = 64;
export const OBJECT_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export const isObjectId = (value: string): boolean => OBJECT_ID_PATTERN.test(value);

/** The id, if it is one; otherwise a LIAISON_BAD_ID refusal naming the field (never the value). */
export function requireObjectId(value: string, field: string): string {
  if (!isObjectId(value)) throw new LiaisonError("LIAISON_BAD_ID", `${field} is not an id (1 to ${OBJECT_ID_MAX} letters, digits, - and _)`);
  return value;
}
