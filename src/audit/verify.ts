// The supervisor's offline check of an access-log export (RFC 9162 §2.1 hashing, §2.1.4
// consistency): every leaf line is hashed as written, the tree is rebuilt to the signed root, the
// head's Ed25519 signature is checked, and the head is checked against an earlier head the
// supervisor kept. Only the export and the audit public key are trusted. Any edit, deletion,
// insertion, reordering or truncation of leaves, or a forked head, is a fault naming the first
// leaf index at which the export departs from the log the hub signed.
//
// How a fault is placed: the export carries the hub's stored leaf hashes beside the events. When
// those rebuild the signed root they are authentic, and comparing them position by position with
// the hashes of the lines as written gives the exact first bad index. When they do not (someone
// changed them too), the events are tried against the root instead; when neither rebuilds it,
// the fault is still reported, but its index is marked as not authenticated.
import { fromB64u } from "../crypto/mod.js";
import { HASH_SIZE, verifyConsistency } from "../merkle/mod.js";
import { MissingNodeError, flatTreeHash, frontierRanges, hashChildren, nodeHashFrom, outerNodes, rootFrom, splitPoint, type TreeParts } from "./compact-range.js";
import type { ScannedExport } from "./export-format.js";
import { BLOCK_LEAVES, computeLeafHashes, type ComputedLeaves } from "./leaf-hashes.js";
import { auditKeyId, treeHeadFromJson, verifyTreeHead, type SignedTreeHead } from "./tree-head.js";

export type FaultKind =
  /** A line or the header is not what the format says. */
  | "malformed"
  /** The head is not signed by the given key. */
  | "bad-signature"
  | "wrong-key"
  /** A leaf's content differs from what the hub hashed. */
  | "altered"
  /** A leaf is missing and the ones after it moved up. */
  | "deleted"
  /** A line that is not a leaf of the log sits at this index. */
  | "inserted"
  /** The leaf at this index is a leaf from elsewhere in the range. */
  | "reordered"
  /** The export ends before the range it declares. */
  | "truncated"
  /** An expired leaf, or a leaf line without content, where content was expected. */
  | "missing-content"
  /** The stored leaf hashes were changed (the events themselves rebuild the signed root). */
  | "leaf-hashes-altered"
  /** The leaves do not rebuild the signed root and the fault could not be placed. */
  | "root-mismatch"
  /** The head is not an extension of the supervisor's earlier head. */
  | "forked"
  /** The head is smaller than the supervisor's earlier head. */
  | "rolled-back"
  /** Consistency with the earlier head could not be checked from this export. */
  | "no-consistency-proof"
  /** The supervisor's earlier head does not verify under the key. */
  | "trusted-head-invalid";

export interface Fault {
  readonly kind: FaultKind;
  /** The first leaf index concerned, when the fault concerns leaves. */
  readonly index?: number;
  /** The range the fault is known to lie in, when it could not be narrowed to one leaf. */
  readonly range?: readonly [number, number];
  /** The line of the export, when one line is at fault. */
  readonly line?: number;
  /** False when the index comes from data that did not itself verify. */
  readonly authenticated?: boolean;
  readonly message: string;
}

/** What the supervisor kept from before: a head file (head and frontier) or an earlier export. */
export interface TrustedReference {
  readonly head: SignedTreeHead;
  readonly frontier?: readonly Uint8Array[];
  /** Verified leaf hashes of an earlier export: leaves [from, from + count). */
  readonly leaves?: { readonly from: number; readonly flat: Uint8Array; readonly count: number };
}

export interface VerifyOptions {
  /** The audit log's Ed25519 public key. */
  readonly publicKey: Uint8Array;
  readonly trusted?: TrustedReference;
  /** Accept leaves whose events aged out of the log (their stored hashes must still verify). */
  readonly allowExpired?: boolean;
  /** Leaf hashes computed elsewhere (worker threads); computed here when absent. */
  readonly computed?: ComputedLeaves;
}

export interface VerifyResult {
  readonly ok: boolean;
  /** Every fault found, by index (faults without an index first). */
  readonly faults: readonly Fault[];
  /** The fault at the lowest leaf index, or the first fault when none has an index. */
  readonly firstBad: Fault | undefined;
  readonly head: SignedTreeHead | undefined;
  readonly from: number;
  readonly to: number;
  /** Leaf lines read. */
  readonly leaves: number;
  readonly expired: number;
  /** The trusted head's size, when consistency with it was shown. */
  readonly consistentWith?: number;
  /** The range's leaf hashes once they verified (a later run can use them as its trusted reference). */
  readonly leafHashes?: Uint8Array;
}

const hashAt = (flat: Uint8Array, k: number) => flat.subarray(k * HASH_SIZE, (k + 1) * HASH_SIZE);

function sameHash(a: Uint8Array, ak: number, b: Uint8Array, bk: number): boolean {
  return Buffer.compare(hashAt(a, ak), hashAt(b, bk)) === 0;
}

// A 48-bit prefix is plenty to tell the leaves of one export apart for classifying a fault.
const prefixKey = (flat: Uint8Array, k: number) => Buffer.from(flat.buffer, flat.byteOffset + k * HASH_SIZE, 6).readUIntBE(0, 6);

/** The root of [from, to) leaves with given leaf hashes, completed by the header's neighbours. */
function partsFor(from: number, to: number, flat: Uint8Array, outer: ReadonlyMap<string, Uint8Array>, blocks?: ReadonlyMap<number, Uint8Array>): TreeParts {
  const inner = (lo: number, hi: number): Uint8Array => {
    const block = blocks?.get(lo / BLOCK_LEAVES);
    if (hi - lo === BLOCK_LEAVES && lo % BLOCK_LEAVES === 0 && block) return block;
    if (hi - lo > BLOCK_LEAVES && blocks) {
      const k = splitPoint(hi - lo);
      return hashChildren(inner(lo, lo + k), inner(lo + k, hi));
    }
    return flatTreeHash(flat, lo - from, hi - lo);
  };
  return { from, to, inner, outer };
}

export function verifyExport(scanned: ScannedExport, opts: VerifyOptions): VerifyResult {
  const faults: Fault[] = scanned.problems.map((p) => ({ kind: "malformed" as const, line: p.line, message: `line ${p.line}: ${p.message}` }));
  const h = scanned.header;
  const base = { from: h?.from ?? 0, to: h?.to ?? 0, leaves: scanned.lines };
  const done = (extra: Partial<VerifyResult> = {}): VerifyResult => {
    const sorted = [...faults].sort((a, b) => (a.index ?? -1) - (b.index ?? -1));
    const indexed = sorted.filter((f) => f.index !== undefined);
    return { ok: faults.length === 0, faults: sorted, firstBad: indexed[0] ?? sorted[0], head: undefined, expired: 0, ...base, ...extra };
  };
  if (!h) return done();

  const head = treeHeadFromJson(h.head);
  const N = head.treeSize;
  const { from, to } = h;
  if (!(from <= to && to <= N) || head.rootHash.length !== HASH_SIZE) {
    faults.push({ kind: "malformed", line: 1, message: `the header's range [${from}, ${to}) does not fit a tree of ${N} leaves, or its root is not 32 bytes` });
    return done({ head });
  }
  if (head.keyId !== auditKeyId(opts.publicKey)) {
    faults.push({ kind: "wrong-key", message: `the head names key ${head.keyId}, but the key given is ${auditKeyId(opts.publicKey)}` });
  } else if (!verifyTreeHead(opts.publicKey, head)) {
    faults.push({ kind: "bad-signature", message: `the signature on the tree head (size ${N}) does not verify` });
  }
  const outer = outerNodes(N, from, to, h.left.map(fromB64u), h.right.map(fromB64u));
  if (!outer) faults.push({ kind: "malformed", line: 1, message: "the header's left/right subtree hashes do not fit the range" });

  const n = to - from;
  const lines = scanned.lines;
  const computed = opts.computed ?? computeLeafHashes(scanned);
  const stated = scanned.stated;
  const statedOk = stated.count === n;
  if (!statedOk) faults.push({ kind: "malformed", message: `the leaf hash lines cover ${stated.count} of the ${n} leaves` });

  let expired = 0;
  for (let k = 0; k < Math.min(lines, n); k++) {
    if (!scanned.expired[k]) continue;
    expired++;
    if (!opts.allowExpired || !statedOk) {
      faults.push({ kind: "missing-content", index: from + k, line: scanned.lineNo[k], message: `leaf ${from + k} has no event (expired); use --allow-expired to accept aged-out events` });
    }
  }
  // The leaf hashes to build the tree from: the lines' own, with the stored hash standing in for
  // an expired event.
  const merged = new Uint8Array(Math.max(lines, 0) * HASH_SIZE);
  merged.set(computed.flat.subarray(0, lines * HASH_SIZE));
  if (statedOk) for (let k = 0; k < Math.min(lines, n); k++) if (scanned.expired[k]) merged.set(hashAt(stated.flat, k), k * HASH_SIZE);

  const indexFieldsOk = () => {
    for (let k = 0; k < lines; k++) if (scanned.indexField[k] !== from + k) return false;
    return true;
  };
  const rootOf = (flat: Uint8Array, blocks?: ReadonlyMap<number, Uint8Array>): Uint8Array | undefined => {
    if (!outer) return undefined;
    try {
      return rootFrom(partsFor(from, to, flat, outer, blocks), N);
    } catch (err) {
      if (err instanceof MissingNodeError) return undefined;
      throw err;
    }
  };
  const isRoot = (r: Uint8Array | undefined) => r !== undefined && Buffer.compare(r, head.rootHash) === 0;

  let authentic: Uint8Array | undefined;
  const agree = lines === n && indexFieldsOk() && (!statedOk || Buffer.compare(merged.subarray(0, n * HASH_SIZE), stated.flat) === 0);
  if (agree) {
    // The usual case: one tree build, with the workers' block roots.
    if (isRoot(rootOf(merged, expired === 0 ? computed.blockRoots : undefined))) authentic = merged;
    else faults.push({ kind: "root-mismatch", message: "the leaves and their stored hashes agree, but they do not rebuild the signed root (both were changed, or the header's subtree hashes were)" });
  } else if (statedOk && isRoot(rootOf(stated.flat))) {
    authentic = stated.flat;
    const f = placeFault(scanned, merged, stated.flat, from, n, true);
    if (f) faults.push(f);
  } else if (lines === n && indexFieldsOk() && isRoot(rootOf(merged))) {
    authentic = merged;
    let k = 0;
    while (k < n && statedOk && sameHash(merged, k, stated.flat, k)) k++;
    faults.push({ kind: "leaf-hashes-altered", index: from + k, message: `the stored leaf hash of leaf ${from + k} was changed (the events themselves rebuild the signed root)` });
  } else {
    faults.push({ kind: "root-mismatch", message: "neither the leaves nor their stored hashes rebuild the signed root" });
    const f = statedOk ? placeFault(scanned, merged, stated.flat, from, n, false) : placeByIndexField(scanned, from, n);
    if (f) faults.push(f);
  }

  // Leaves that did not verify can still be placed against a kept export the supervisor trusts.
  const kept = opts.trusted?.leaves;
  if (!authentic && kept && kept.from <= from && kept.from + kept.count > from) {
    const overlap = Math.min(n, kept.from + kept.count - from);
    const reference = kept.flat.subarray((from - kept.from) * HASH_SIZE, (from - kept.from + overlap) * HASH_SIZE);
    const f = placeFault(scanned, merged, reference, from, overlap, true);
    if (f && f.index !== undefined && f.index < from + overlap && !(f.kind === "inserted" && f.index >= from + overlap)) {
      for (let i = faults.length - 1; i >= 0; i--) if (faults[i]?.authenticated === false) faults.splice(i, 1);
      faults.push({ ...f, message: `${f.message} (placed against the trusted export)` });
    }
  }

  let consistentWith: number | undefined;
  if (opts.trusted) consistentWith = checkTrusted(opts.trusted, { opts, head, from, to, outer, leaves: authentic ?? (statedOk ? stated.flat : merged), authentic: authentic !== undefined, header: h, faults });

  return done({ head, expired, ...(consistentWith !== undefined ? { consistentWith } : {}), ...(authentic && faults.length === 0 ? { leafHashes: authentic.slice(0, n * HASH_SIZE) } : {}) });
}

/** The first position where the lines depart from the reference hashes, and what happened there. */
function placeFault(scanned: ScannedExport, lineHashes: Uint8Array, reference: Uint8Array, from: number, n: number, authenticated: boolean): Fault | undefined {
  const lines = scanned.lines;
  const note = authenticated ? "" : " (not authenticated: the stored leaf hashes do not verify either)";
  const at = (k: number) => ({ index: from + k, ...(k < lines ? { line: scanned.lineNo[k] } : {}), ...(authenticated ? {} : { authenticated: false }) });
  let refIndex: Map<number, number> | undefined;
  const whereInReference = (k: number): number => {
    if (!refIndex) {
      refIndex = new Map();
      for (let j = 0; j < n; j++) refIndex.set(prefixKey(reference, j), j);
    }
    const j = refIndex.get(prefixKey(lineHashes, k));
    return j !== undefined && sameHash(lineHashes, k, reference, j) ? j : -1;
  };
  for (let k = 0; k < Math.max(lines, n); k++) {
    if (k >= n) return { kind: "inserted", ...at(k), message: `line ${scanned.lineNo[k]} is a leaf beyond the exported range (index ${from + k})${note}` };
    if (k >= lines) return { kind: "truncated", ...at(k), message: `the export ends after ${lines} of ${n} leaves: leaves ${from + k}..${from + n - 1} are missing${note}` };
    if (scanned.expired[k]) continue;
    const sameLeaf = sameHash(lineHashes, k, reference, k);
    if (sameLeaf && scanned.indexField[k] === from + k) continue;
    if (sameLeaf) return { kind: "altered", ...at(k), message: `the line of leaf ${from + k} says it is leaf ${scanned.indexField[k]}${note}` };
    const j = whereInReference(k);
    if (j === -1) {
      const nextIsThis = k + 1 < lines && sameHash(lineHashes, k + 1, reference, k);
      return nextIsThis
        ? { kind: "inserted", ...at(k), message: `a line that is not a leaf of the log was inserted before leaf ${from + k}${note}` }
        : { kind: "altered", ...at(k), message: `leaf ${from + k} was altered: its content does not hash to the leaf the hub logged${note}` };
    }
    if (j < k) return { kind: "inserted", ...at(k), message: `leaf ${from + j} appears again at index ${from + k}${note}` };
    // A later leaf sits here: a second copy of it was inserted, the leaves were reordered (leaf k
    // turns up further on), or leaf k was deleted.
    let copies = 0;
    for (let m = k; m < lines && copies < 2; m++) if (sameHash(lineHashes, m, reference, j)) copies++;
    if (copies > 1) return { kind: "inserted", ...at(k), message: `a copy of leaf ${from + j} was inserted at index ${from + k}${note}` };
    let seenLater = false;
    for (let m = k + 1; m < lines && !seenLater; m++) seenLater = sameHash(lineHashes, m, reference, k);
    return seenLater
      ? { kind: "reordered", ...at(k), message: `leaf ${from + j} was moved to index ${from + k} (leaf ${from + k} appears later)${note}` }
      : { kind: "deleted", ...at(k), message: `leaf ${from + k} was deleted (leaf ${from + j} follows leaf ${from + k - 1} directly)${note}` };
  }
  return undefined;
}

/** Without any hashes to compare with, the index fields still say where lines went missing or moved. */
function placeByIndexField(scanned: ScannedExport, from: number, n: number): Fault | undefined {
  for (let k = 0; k < Math.max(scanned.lines, n); k++) {
    if (k >= scanned.lines) return { kind: "truncated", index: from + k, authenticated: false, message: `the export ends after ${scanned.lines} of ${n} leaves` };
    const i = scanned.indexField[k] as number;
    if (i !== from + k) {
      const kind: FaultKind = k >= n ? "inserted" : i > from + k ? "deleted" : "inserted";
      return { kind, index: from + k, line: scanned.lineNo[k], authenticated: false, message: `line ${scanned.lineNo[k]} says leaf ${i} where leaf ${from + k} belongs (not authenticated)` };
    }
  }
  return undefined;
}

interface TrustedContext {
  readonly opts: VerifyOptions;
  readonly head: SignedTreeHead;
  readonly from: number;
  readonly to: number;
  readonly outer: ReadonlyMap<string, Uint8Array> | undefined;
  readonly leaves: Uint8Array;
  readonly authentic: boolean;
  readonly header: NonNullable<ScannedExport["header"]>;
  readonly faults: Fault[];
}

/** Checks the export's head against the supervisor's earlier one; returns its size when consistent. */
function checkTrusted(t: TrustedReference, c: TrustedContext): number | undefined {
  const M = t.head.treeSize;
  const N = c.head.treeSize;
  if (!verifyTreeHead(c.opts.publicKey, t.head)) {
    c.faults.push({ kind: "trusted-head-invalid", message: `the trusted head (size ${M}) does not verify under the key given` });
    return undefined;
  }
  if (M > N) {
    c.faults.push({
      kind: "rolled-back",
      index: N,
      message: `the export's head has ${N} leaves but the hub signed ${M} before: leaves ${N}..${M - 1} are gone (or this export predates the trusted head)`,
    });
    return undefined;
  }
  const parts = c.outer ? partsFor(c.from, c.to, c.leaves, c.outer) : undefined;
  const nodeOf = (lo: number, hi: number): Uint8Array | undefined => {
    if (!parts) return undefined;
    try {
      return nodeHashFrom(parts, lo, hi);
    } catch (err) {
      if (err instanceof MissingNodeError) return undefined;
      throw err;
    }
  };
  let consistent: boolean | undefined;
  if (M === N) consistent = Buffer.compare(t.head.rootHash, c.head.rootHash) === 0;
  else {
    const rootM = c.authentic && M >= 1 ? nodeOf(0, M) : undefined;
    if (rootM) consistent = Buffer.compare(rootM, t.head.rootHash) === 0;
    else {
      const proof = c.header.consistency.find((p) => p.firstSize === M && p.secondSize === N);
      if (proof) consistent = verifyConsistency(M, N, t.head.rootHash, c.head.rootHash, proof.path.map(fromB64u));
      else if (M === 0) consistent = true;
    }
  }
  if (consistent === undefined) {
    c.faults.push({ kind: "no-consistency-proof", message: `cannot show the head (size ${N}) extends the trusted head (size ${M}): the export starts after leaf ${M} and carries no consistency proof from size ${M}; export again from 0 or with the trusted head` });
    return undefined;
  }
  if (consistent) return M;

  // A fork: find where the two logs part.
  if (t.leaves && c.authentic) {
    const lo = Math.max(c.from, t.leaves.from);
    const hi = Math.min(c.to, t.leaves.from + t.leaves.count, M);
    for (let i = lo; i < hi; i++) {
      if (!sameHash(c.leaves, i - c.from, t.leaves.flat, i - t.leaves.from)) {
        c.faults.push({ kind: "forked", index: i, message: `the log forked: leaf ${i} differs from the one in the trusted export (head size ${M})` });
        return undefined;
      }
    }
  }
  const frontier = t.frontier ?? [];
  const ranges = frontierRanges(M);
  let folded: Uint8Array | undefined;
  if (frontier.length === ranges.length && frontier.length > 0) {
    folded = frontier[frontier.length - 1] as Uint8Array;
    for (let i = frontier.length - 2; i >= 0; i--) folded = hashChildren(frontier[i] as Uint8Array, folded);
  }
  if (folded && Buffer.compare(folded, t.head.rootHash) === 0 && c.authentic) {
    for (let i = 0; i < ranges.length; i++) {
      const [lo, hi] = ranges[i] as readonly [number, number];
      const ours = nodeOf(lo, hi);
      if (!ours) break;
      if (Buffer.compare(ours, frontier[i] as Uint8Array) !== 0) {
        const exact = hi - lo === 1;
        c.faults.push({
          kind: "forked",
          index: lo,
          ...(exact ? {} : { range: [lo, hi] as const }),
          message: exact
            ? `the log forked: leaf ${lo} differs from the trusted head (size ${M})`
            : `the log forked within leaves ${lo}..${hi - 1}: that subtree differs from the trusted head's (size ${M}); verify against a kept export to name the leaf`,
        });
        return undefined;
      }
    }
  }
  c.faults.push({ kind: "forked", message: `the head (size ${N}, root differs) is not an extension of the trusted head (size ${M})` });
  return undefined;
}
