// The blind-index references a hub data service (records: the CIS; files: the FIDE index) stores
// for an item's identifiers and looks up for a query. A malformed identifier is refused with the
// code the domain gives it (src/domain/identifiers.ts), as a LiaisonError the caller answers with.
import type { BlindIndexer } from "../crypto/mod.js";
import { IdentifierError, queryReferences, recordIndexForms } from "../domain/mod.js";
import { LiaisonError } from "../errors.js";
import type { pb } from "../proto/mod.js";

export interface BlindRef {
  readonly ref: Uint8Array;
  readonly type: string;
}

function refused(err: unknown): never {
  if (err instanceof IdentifierError) throw new LiaisonError(err.refusal.code, err.refusal.detail);
  throw err;
}

/** The references an item is stored under: each identifier's, with its name variants; `field` names the identifiers in a refusal. */
export function indexRefs(blind: BlindIndexer, identifiers: readonly pb.IIdentifier[], field: string): BlindRef[] {
  try {
    return identifiers.flatMap((id, i) => recordIndexForms(id, `${field}[${i}]`).map((f) => ({ ref: blind.ref(f.type, f.form), type: f.type })));
  } catch (err) {
    return refused(err);
  }
}

/** What a query looks up, strongest kinds first (src/domain/matching.ts). */
export function queryRefs(blind: BlindIndexer, identifiers: readonly pb.IIdentifier[], field: string): BlindRef[] {
  try {
    return queryReferences(identifiers, field, (type, form) => blind.ref(type, form));
  } catch (err) {
    return refused(err);
  }
}
