// Writes an export (export-format.ts) from the audit service's pages: the header from the first
// page, then each page as a `leaves` line and its leaf lines. Pages are fetched one at a time, so
// an export of any size streams in bounded memory.
import { b64u } from "../crypto/mod.js";
import { LiaisonError } from "../errors.js";
import type { pb } from "../proto/mod.js";
import { EXPORT_PAGE_LEAVES } from "./api.js";
import { eventLine, expiredLine, headerLine, leavesLine } from "./export-format.js";
import { treeHeadFromProto, treeHeadToJson } from "./tree-head.js";

export type FetchExportPage = (req: pb.IAuditExportRequest) => Promise<pb.AuditExportPage>;

export interface ExportRange {
  /** First leaf (default 0). */
  readonly from?: number;
  /** One past the last leaf (default: the head's size). */
  readonly to?: number;
  /** Earlier tree sizes to include consistency proofs from. */
  readonly consistencyFrom?: readonly number[];
  readonly pageLeaves?: number;
  readonly now?: () => Date;
}

/** The text of one page: its leaves line and one line per leaf. */
export function pageText(page: pb.AuditExportPage): string {
  const start = Number(page.start);
  const expired = new Set(page.expired.map(Number));
  const parts = [leavesLine(start, page.leafHashes)];
  page.events.forEach((e, k) => parts.push(expired.has(start + k) ? expiredLine(start + k) : eventLine(start + k, e)));
  return parts.join("");
}

/** The export as a sequence of text chunks (the header, then one chunk per page). */
export async function* exportChunks(fetchPage: FetchExportPage, range: ExportRange = {}): AsyncGenerator<string> {
  const limit = range.pageLeaves ?? EXPORT_PAGE_LEAVES;
  const from = range.from ?? 0;
  let page = await fetchPage({ treeSize: 0, fromIndex: from, toIndex: range.to ?? 0, start: from, limit, consistencyFrom: [...(range.consistencyFrom ?? [])] });
  if (!page.head) throw new LiaisonError("LIAISON_INTERNAL", "the first export page carries no tree head");
  const head = treeHeadFromProto(page.head);
  const to = Number(page.toIndex);
  if (Number(page.fromIndex) !== from) throw new LiaisonError("LIAISON_INTERNAL", "the first export page starts elsewhere than asked");
  yield headerLine({
    from,
    to,
    head: treeHeadToJson(head),
    left: page.left.map(b64u),
    right: page.right.map(b64u),
    consistency: page.consistency.map((c) => ({ firstSize: Number(c.firstSize), secondSize: Number(c.secondSize), path: (c.path ?? []).map(b64u) })),
    exportedAt: (range.now ?? (() => new Date()))().toISOString(),
  });
  for (;;) {
    if (page.events.length > 0) yield pageText(page);
    const next = Number(page.start) + page.events.length;
    if (next >= to) return;
    if (page.events.length === 0) throw new LiaisonError("LIAISON_INTERNAL", `the audit service returned an empty export page at leaf ${next}`);
    page = await fetchPage({ treeSize: head.treeSize, fromIndex: from, toIndex: to, start: next, limit });
  }
}
