// The audit service's request handlers (src/audit/api.ts): heads, RFC 9162 inclusion and
// consistency proofs, supervisor queries and export pages. Protobuf in and out; bad requests get
// registered error codes. Everything is answered from committed leaves only.
import { AUDIT_API, auditOperation, EXPORT_PAGE_LEAVES, MAX_QUERY_LIMIT, auditKeyId, frontierOf, rangeNeighbours, treeHeadToProto, type AuditOp, type AuditReplyInput, type AuditRequest, type SignedTreeHead } from "../../src/audit/mod.js";
import { decodeMessage, type Ed25519Signer } from "../../src/crypto/mod.js";
import { LiaisonError } from "../../src/errors.js";
import { HASH_SIZE } from "../../src/merkle/mod.js";
import type { EndpointDef } from "../../src/nats/mod.js";
import { pb } from "../../src/proto/mod.js";
import type { AuditEngine } from "./engine.js";
import type { EventStore } from "./event-store.js";
import type { HeadIssuer } from "./heads.js";

/** Most event bytes one export page carries (NATS payloads are at most 8 MiB). */
const MAX_PAGE_BYTES = 6 * 1024 * 1024;
const DEFAULT_QUERY_LIMIT = 100;

export interface HandlerDeps {
  readonly engine: AuditEngine;
  readonly heads: HeadIssuer;
  readonly events: EventStore;
  readonly signer: Ed25519Signer;
}

const count = (v: number | null | undefined) => Number(v ?? 0);

export function auditEndpoints(d: HandlerDeps): EndpointDef[] {
  const { engine, heads, events } = d;

  // The head a request names: the latest (0) or a committed size; waits briefly for a lagging replica.
  const headFor = async (size: number): Promise<SignedTreeHead> => {
    if (size === 0) {
      const latest = heads.latest() ?? (await heads.sign());
      await engine.waitForSize(latest.treeSize, 5_000).catch(() => {
        throw new LiaisonError("LIAISON_UNAVAILABLE", `this replica has not caught up with tree size ${latest.treeSize}`);
      });
      return latest;
    }
    if (size > engine.stableSize) throw new LiaisonError("LIAISON_NOT_FOUND", `the log has ${engine.stableSize} leaves, not ${size}`);
    return heads.forSize(size);
  };

  const handlers: { readonly [K in AuditOp]: (req: AuditRequest<K>) => Promise<AuditReplyInput<K>> } = {
    head: async (req) => {
      const head = await headFor(count(req.treeSize));
      const frontier = req.withFrontier ? frontierOf(engine.state.tree, head.treeSize) : [];
      return { head: treeHeadToProto(head), frontier };
    },
    signHead: async () => ({ head: treeHeadToProto(await heads.sign()) }),
    inclusion: async (req) => {
      const size = (await headFor(count(req.treeSize))).treeSize;
      const index = count(req.leafIndex);
      if (index >= size) throw new LiaisonError("LIAISON_NOT_FOUND", `leaf ${index} is not in the tree of ${size} leaves`);
      return { leafIndex: index, treeSize: size, auditPath: engine.state.tree.inclusion(index, size) };
    },
    consistency: async (req) => {
      const second = (await headFor(count(req.secondSize))).treeSize;
      const first = count(req.firstSize);
      if (first > second) throw new LiaisonError("LIAISON_BAD_REQUEST", `first size ${first} exceeds second size ${second}`);
      return { firstSize: first, secondSize: second, path: engine.state.tree.consistency(first, second) };
    },
    query: async (q) => {
      const limit = Math.min(q.limit || DEFAULT_QUERY_LIMIT, MAX_QUERY_LIMIT);
      const state = engine.state;
      const size = engine.stableSize;
      const answer = state.index.query(q, size, limit);
      const records: pb.IAuditRecord[] = [];
      for (const leaf of answer.leaves) {
        const bytes = await events.event(state.seqs.data[leaf] as number, state.positions.data[leaf] as number);
        if (bytes) records.push({ leafIndex: leaf, event: pb.AuditEvent.decode(bytes) });
      }
      return { records, more: answer.more, treeSize: size };
    },
    export: async (req) => {
      const from = count(req.fromIndex);
      const start = count(req.start);
      // Only the first page carries the head; later pages name its size (any replica may answer them).
      const head = start === from ? await headFor(count(req.treeSize)) : undefined;
      const size = head?.treeSize ?? count(req.treeSize);
      if (!head) {
        await engine.waitForSize(size, 5_000).catch(() => {
          throw new LiaisonError("LIAISON_UNAVAILABLE", `this replica has not caught up with tree size ${size}`);
        });
      }
      const to = count(req.toIndex) || size;
      if (!(from <= to && to <= size) || !(from <= start && (start < to || start === from))) {
        throw new LiaisonError("LIAISON_BAD_REQUEST", `range [${from}, ${to}) from ${start} does not fit the tree of ${size} leaves`);
      }
      const state = engine.state;
      const limit = Math.min(req.limit || EXPORT_PAGE_LEAVES, 4 * EXPORT_PAGE_LEAVES);
      const page: pb.IAuditExportPage = { fromIndex: from, toIndex: to, start, events: [], expired: [] };
      let bytes = 0;
      let leaf = start;
      for (; leaf < to && leaf - start < limit && bytes < MAX_PAGE_BYTES; leaf++) {
        const e = await events.event(state.seqs.data[leaf] as number, state.positions.data[leaf] as number);
        page.events?.push(e ?? new Uint8Array(0));
        if (!e) page.expired?.push(leaf);
        bytes += (e?.length ?? 0) + HASH_SIZE;
      }
      page.leafHashes = state.tree.leafRange(start, leaf);
      if (head) {
        const { left, right } = rangeNeighbours(state.tree, from, to, size);
        page.head = treeHeadToProto(head);
        page.left = left;
        page.right = right;
        page.consistency = (req.consistencyFrom ?? [])
          .map(Number)
          .filter((f) => f <= size)
          .map((f) => ({ firstSize: f, secondSize: size, path: state.tree.consistency(f, size) }));
      }
      return page;
    },
    key: async () => ({ keyId: auditKeyId(d.signer.publicKey), publicKey: d.signer.publicKey, algorithm: "Ed25519" }),
  };

  // Each endpoint decodes its operation's request (an Empty one is not read) and encodes its reply.
  const endpoint = <K extends AuditOp>(op: K): EndpointDef => {
    const types = auditOperation(op);
    const handler = handlers[op] as (req: AuditRequest<K>) => Promise<AuditReplyInput<K>>;
    return {
      name: types.name,
      subject: types.subject,
      handler: async (m) => {
        const req = types.request ? decodeMessage(types.request, m.data) : (null as AuditRequest<K>);
        return types.reply.encode(await handler(req)).finish();
      },
    };
  };
  return (Object.keys(AUDIT_API) as AuditOp[]).map(endpoint);
}
