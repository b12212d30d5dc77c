// What a CIS or FIDE query does with what its blind index found: reads every match at once, then
// stores each hit, sends each supplier its hit notice and logs the query and its hits, all at once.
// No answer goes back before every part is stored.
import { LiaisonError } from "../errors.js";
import { pb } from "../proto/mod.js";
import type { NoticePublisher } from "./publisher.js";

/** A match the index found, as read. */
export interface Match<T> {
  readonly id: string;
  /** The identifier types it matched on. */
  readonly types: Set<string>;
  readonly value: T;
}

/**
 * Reads every match of a query in parallel, in the index's order. A match erased since the index
 * found it (not found, or its data key gone) is left out; any other failure fails the query.
 */
export async function readMatches<T>(found: ReadonlyArray<readonly [string, Set<string>]>, read: (id: string) => Promise<T>): Promise<Array<Match<T>>> {
  const all = await Promise.all(
    found.map(async ([id, types]): Promise<Match<T> | undefined> => {
      try {
        return { id, types, value: await read(id) };
      } catch (err) {
        if (err instanceof LiaisonError && (err.code === "LIAISON_NOT_FOUND" || err.code === "LIAISON_ERASED")) return undefined;
        throw err;
      }
    }),
  );
  return all.filter((m): m is Match<T> => m !== undefined);
}

/**
 * Stores each hit (so the querying contact point can report its outcome), notifies each supplier,
 * and waits for `logged` (the query's and hits' audit events) at the same time.
 */
export async function settleHits(
  store: { putSide(key: string, bytes: Uint8Array): Promise<void> },
  notices: NoticePublisher,
  hits: readonly pb.IStoredHit[],
  logged: ReadonlyArray<Promise<void>>,
): Promise<void> {
  await Promise.all([
    ...hits.map((h) => store.putSide(`hit.${h.hitId}`, pb.StoredHit.encode(h).finish())),
    ...hits.map((h) =>
      notices.send({
        kind: pb.NoticeKind.NOTICE_KIND_HIT,
        addressee: h.supplier ?? "",
        objectType: h.objectType ?? "",
        objectId: h.objectId ?? "",
        matchedBy: h.matchedBy ?? "",
        purpose: h.purpose ?? "",
        details: { hitId: h.hitId ?? "" },
      }),
    ),
    ...logged,
  ]);
}
