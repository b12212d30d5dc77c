// What one submission (one SUBMIT message) may carry, and how big the hub's own batches get. A
// submission over a limit is refused whole, with one refusal: the work and the log a submission
// causes stay proportional to what a contact point legitimately sends in one burst.

/** Envelopes in one submission: an access point submits at most this many at once. */
export const MAX_SUBMIT_ENVELOPES = 256;
/** Receipts in one submission. */
export const MAX_SUBMIT_RECEIPTS = 256;
/** Envelope ids named by all the receipts of one submission (each becomes an audit event). */
export const MAX_SUBMIT_RECEIPT_REFS = 4_096;
/**
 * Bytes of one message the hub writes in batches (receipt batches, audit batches): well under the
 * server's max_payload (8 MiB), so a batch is never refused for its size, however many it holds.
 */
export const MAX_HUB_BATCH_BYTES = 1024 * 1024;
/** Characters of a refusal's detail kept in receipts and the log (details may echo input). */
export const MAX_DETAIL_CHARS = 300;

/** Envelope and receipt ids: what newId() makes, and short safe names; never a subject's separator. */
const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export function isWellFormedId(id: string): boolean {
  return ID_PATTERN.test(id);
}

/** A detail cut to MAX_DETAIL_CHARS. */
export function briefDetail(detail: string): string {
  return detail.length <= MAX_DETAIL_CHARS ? detail : `${detail.slice(0, MAX_DETAIL_CHARS - 1)}…`;
}

/** Splits `items` into runs of at most `size`. */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
