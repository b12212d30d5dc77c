// /v1/audit/*: the supervisory authority's view of the access log (Reg. 2018/1862 Art. 12 fields),
// answered by the audit service over NATS. Searches by object, contact point, user, action and
// time; "who accessed record X"; "what did user U access"; signed tree heads, RFC 9162 proofs, the
// audit public key, and exports as JSON Lines for the offline verifier (`liaison audit verify`).
// Supervisor role only; every read is itself an audit event (authority from the console's hook).
import { Readable } from "node:stream";
import type { NatsConnection } from "@nats-io/nats-core";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import {
  accessOut,
  accessParams,
  accessQuery,
  AUDIT_ACTIONS,
  AUDIT_OUTCOMES,
  consistencyOut,
  consistencyQuery,
  eventsQuery,
  exportQuery,
  headFileOut,
  inclusionOut,
  inclusionQuery,
  iso,
  isoRequired,
  keyOut,
  pageOut,
  userOut,
  userParams,
  userQuery,
  type EventOut,
  type HeadFileOut,
} from "../../../src/api/mod.js";
import {
  AuditClient,
  EXPORT_MEDIA_TYPE,
  MAX_QUERY_LIMIT,
  HEAD_FILE_TYPE,
  EXPORT_VERSION,
  exportChunks,
  treeHeadToJson,
  type AuditEmitter,
  type SignedTreeHead,
} from "../../../src/audit/mod.js";
import { b64u } from "../../../src/crypto/mod.js";
import { rolesWith } from "../../../src/domain/mod.js";
import { problemResponses } from "../../../src/http/mod.js";
import { pb } from "../../../src/proto/mod.js";

export interface AuditRoutesDeps {
  readonly nc: NatsConnection;
  /** The console's emitter (the routes declare their events; the console's audit hook sends them). */
  readonly audit: AuditEmitter;
  /** Defaults to a client on `nc`. */
  readonly client?: AuditClient;
}

const ACTION_WORD = (v: number) => AUDIT_ACTIONS.toApi(v) ?? "unspecified";
const OUTCOME_WORD = (v: number) => AUDIT_OUTCOMES.toApi(v) ?? "unspecified";

const headFileOf = (head: SignedTreeHead, frontier: readonly Uint8Array[]): HeadFileOut => ({
  type: HEAD_FILE_TYPE as typeof HEAD_FILE_TYPE,
  version: EXPORT_VERSION as typeof EXPORT_VERSION,
  head: treeHeadToJson(head),
  frontier: frontier.map(b64u),
  savedAt: new Date().toISOString(),
});

const errors = problemResponses("LIAISON_VALIDATION", "LIAISON_UNAUTHENTICATED", "LIAISON_FORBIDDEN", "LIAISON_NOT_FOUND", "LIAISON_UNAVAILABLE", "LIAISON_TIMEOUT");
const SUPERVISOR = rolesWith("audit.read");

function eventView(r: pb.IAuditRecord): EventOut {
  const e = r.event ?? {};
  const er = e.erasure;
  return {
    index: Number(r.leafIndex ?? 0),
    id: e.id ?? "",
    at: isoRequired(e.atMs),
    authority: e.authority ?? "",
    userId: e.userId ?? "",
    action: ACTION_WORD(Number(e.action ?? 0)),
    objectType: e.objectType ?? "",
    objectId: e.objectId ?? "",
    searchRefs: e.searchRefs ?? [],
    purpose: e.purpose ?? "",
    outcome: OUTCOME_WORD(Number(e.outcome ?? 0)),
    ...(e.reasonCode ? { reasonCode: e.reasonCode } : {}),
    service: e.service ?? "",
    matched: e.matched ?? [],
    details: { ...(e.details ?? {}) },
    ...(er
      ? {
          erasure: {
            objectType: er.objectType ?? "",
            objectId: er.objectId ?? "",
            supplier: er.supplier ?? "",
            rule: er.rule ?? "",
            ...(er.dueAtMs ? { dueAt: iso(er.dueAtMs) } : {}),
            ...(er.erasedAtMs ? { erasedAt: iso(er.erasedAtMs) } : {}),
            contentCommitment: b64u(er.contentCommitment ?? new Uint8Array(0)),
          },
        }
      : {}),
  };
}

type Paging = { from?: string | undefined; to?: string | undefined; limit: number; cursor?: string | undefined; order: "asc" | "desc"; action?: string | undefined; outcome?: string | undefined };

/**
 * The audit service's index has no outcome column, so an outcome filter is applied here: pages of
 * the other filters' matches are read until the page is full, the log is exhausted, or this many
 * pages were read (then the answer is short and its cursor resumes where the reading stopped).
 */
const OUTCOME_SCAN_PAGES = 20;

function queryOf(filters: pb.IAuditQuery, p: Paging): pb.IAuditQuery {
  return {
    ...filters,
    actions: p.action ? p.action.split(",").map((a) => AUDIT_ACTIONS.toProto(a.trim())) : [],
    fromMs: p.from ? Date.parse(p.from) : 0,
    toMs: p.to ? Date.parse(p.to) : 0,
    limit: p.limit,
    ...(p.cursor !== undefined ? { afterSet: true, afterIndex: Number(p.cursor) } : {}),
    descending: p.order === "desc",
  };
}

/** What a search asked for, as audit-event details (the supervisor's own access is logged too). */
function searchDetails(q: pb.IAuditQuery, count: number): Record<string, string> {
  const d: Record<string, string> = { count: String(count) };
  for (const k of ["objectType", "objectId", "authority", "userId"] as const) if (q[k]) d[k] = String(q[k]);
  if (q.actions?.length) d.actions = q.actions.map((a) => ACTION_WORD(Number(a))).join(",");
  if (q.fromMs) d.from = isoRequired(q.fromMs);
  if (q.toMs) d.to = isoRequired(q.toMs);
  return d;
}

export async function auditRoutes(app: FastifyInstance, deps: AuditRoutesDeps): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const client = deps.client ?? new AuditClient(deps.nc);
  const readAudit = (objectType: string) => ({ roles: SUPERVISOR, audit: { action: pb.AuditAction.AUDIT_ACTION_READ, objectType } });

  const search = async (req: FastifyRequest, filters: pb.IAuditQuery, p: Paging) => {
    const q = queryOf(filters, p);
    const wanted = p.outcome ? new Set(p.outcome.split(",").map((o) => o.trim())) : undefined;
    const page = wanted ? await scanByOutcome(q, wanted, p.limit) : await client.query(q).then((res) => ({ treeSize: Number(res.treeSize), events: res.records.map(eventView), more: res.more, cursor: undefined }));
    const { events } = page;
    req.audit.details = { ...searchDetails(q, events.length), ...(p.outcome ? { outcome: p.outcome } : {}) };
    req.audit.matched = events.slice(0, 50).map((e) => `audit:${e.index}`);
    const cursor = page.cursor ?? events.at(-1)?.index;
    return { treeSize: page.treeSize, events, ...(page.more && cursor !== undefined ? { nextCursor: String(cursor) } : {}) };
  };

  /** Up to `limit` events of `q` whose outcome is wanted; `cursor` is the last leaf read when more may follow. */
  const scanByOutcome = async (q: pb.IAuditQuery, wanted: ReadonlySet<string>, limit: number) => {
    const events: EventOut[] = [];
    let treeSize: number | undefined;
    let at = q.afterSet ? Number(q.afterIndex) : undefined;
    for (let i = 0; i < OUTCOME_SCAN_PAGES; i++) {
      const res = await client.query({ ...q, limit: MAX_QUERY_LIMIT, ...(at !== undefined ? { afterSet: true, afterIndex: at } : {}) });
      treeSize ??= Number(res.treeSize);
      const read = res.records.map(eventView);
      for (const [k, e] of read.entries()) {
        at = e.index;
        if (!wanted.has(e.outcome)) continue;
        events.push(e);
        if (events.length === limit) return { treeSize, events, more: res.more || k < read.length - 1, cursor: at };
      }
      if (!res.more) return { treeSize, events, more: false, cursor: at };
    }
    return { treeSize: treeSize ?? 0, events, more: true, cursor: at };
  };

  r.get(
    "/v1/audit/events",
    {
      schema: { summary: "Search the access log by object, contact point, user, action and time", tags: ["audit"], querystring: eventsQuery, response: { 200: pageOut, ...errors } },
      config: readAudit("audit-log"),
    },
    async (req) => {
      const q = req.query;
      return search(req, { objectType: q.objectType ?? "", objectId: q.objectId ?? "", authority: q.authority ?? "", userId: q.userId ?? "" }, q);
    },
  );

  r.get(
    "/v1/audit/access/:objectType/:objectId",
    {
      schema: { summary: "Who accessed this object", tags: ["audit"], params: accessParams, querystring: accessQuery, response: { 200: accessOut, ...errors } },
      config: readAudit("audit-log"),
    },
    async (req) => {
      const { objectType, objectId } = req.params;
      req.audit.objectId = `${objectType}/${objectId}`;
      const page = await search(req, { objectType, objectId, authority: req.query.authority ?? "" }, req.query);
      const who = new Map<string, { authority: string; userId: string; count: number; first: string; last: string }>();
      for (const e of page.events) {
        const k = `${e.authority}\u0000${e.userId}`;
        const w = who.get(k) ?? { authority: e.authority, userId: e.userId, count: 0, first: e.at, last: e.at };
        w.count++;
        if (e.at < w.first) w.first = e.at;
        if (e.at > w.last) w.last = e.at;
        who.set(k, w);
      }
      return { ...page, accessors: [...who.values()] };
    },
  );

  r.get(
    "/v1/audit/users/:userId",
    {
      schema: { summary: "What this user accessed", tags: ["audit"], params: userParams, querystring: userQuery, response: { 200: userOut, ...errors } },
      config: { ...readAudit("audit-log"), audit: { action: pb.AuditAction.AUDIT_ACTION_READ, objectType: "audit-log", objectParam: "userId" } },
    },
    async (req) => {
      const page = await search(req, { userId: req.params.userId, authority: req.query.authority ?? "" }, req.query);
      const objects = new Map<string, { objectType: string; objectId: string; count: number; last: string }>();
      for (const e of page.events) {
        const k = `${e.objectType}\u0000${e.objectId}`;
        const o = objects.get(k) ?? { objectType: e.objectType, objectId: e.objectId, count: 0, last: e.at };
        o.count++;
        if (e.at > o.last) o.last = e.at;
        objects.set(k, o);
      }
      return { ...page, objects: [...objects.values()] };
    },
  );

  const headFile = async (head: SignedTreeHead) => {
    const { frontier } = await client.head(head.treeSize, true);
    return headFileOf(head, frontier);
  };

  r.get(
    "/v1/audit/head",
    {
      schema: { summary: "The latest signed tree head, with its frontier (keep it as a trusted head)", tags: ["audit"], response: { 200: headFileOut, ...errors } },
      config: readAudit("audit-head"),
    },
    async (req) => {
      const { head, frontier } = await client.head(0, true);
      req.audit.objectId = String(head.treeSize);
      return headFileOf(head, frontier);
    },
  );

  r.post(
    "/v1/audit/head",
    {
      schema: { summary: "Have the audit service sign a tree head now", tags: ["audit"], response: { 200: headFileOut, ...errors } },
      config: readAudit("audit-head"),
    },
    async (req) => {
      const head = await client.signHead();
      req.audit.objectId = String(head.treeSize);
      req.audit.details = { signed: "on-demand" };
      return headFile(head);
    },
  );

  r.get(
    "/v1/audit/key",
    {
      schema: { summary: "The audit log's public key, for the offline verifier", tags: ["audit"], response: { 200: keyOut, ...errors } },
      config: readAudit("audit-key"),
    },
    async (req) => {
      const k = await client.key();
      req.audit.objectId = k.keyId;
      return { keyId: k.keyId, algorithm: "Ed25519" as const, publicKey: b64u(k.publicKey) };
    },
  );

  r.get(
    "/v1/audit/proofs/inclusion",
    {
      schema: { summary: "RFC 9162 inclusion proof of a leaf in a signed tree", tags: ["audit"], querystring: inclusionQuery, response: { 200: inclusionOut, ...errors } },
      config: readAudit("audit-proof"),
    },
    async (req) => {
      const p = await client.inclusion(req.query.index, req.query.size ?? 0);
      const { head } = await client.head(Number(p.treeSize));
      req.audit.objectId = `inclusion/${req.query.index}`;
      return { leafIndex: Number(p.leafIndex), treeSize: Number(p.treeSize), auditPath: p.auditPath.map(b64u), head: treeHeadToJson(head) };
    },
  );

  r.get(
    "/v1/audit/proofs/consistency",
    {
      schema: { summary: "RFC 9162 consistency proof between two tree sizes", tags: ["audit"], querystring: consistencyQuery, response: { 200: consistencyOut, ...errors } },
      config: readAudit("audit-proof"),
    },
    async (req) => {
      const p = await client.consistency(req.query.first, req.query.second ?? 0);
      const { head } = await client.head(Number(p.secondSize));
      req.audit.objectId = `consistency/${p.firstSize}/${p.secondSize}`;
      return { firstSize: Number(p.firstSize), secondSize: Number(p.secondSize), path: p.path.map(b64u), head: treeHeadToJson(head) };
    },
  );

  r.get(
    "/v1/audit/export",
    {
      schema: {
        summary: "Export a range of the log as JSON Lines with the signed head and proofs (verify with `liaison audit verify`)",
        tags: ["audit"],
        querystring: exportQuery,
        produces: [EXPORT_MEDIA_TYPE],
        response: { 200: z.string().describe("application/x-ndjson: a header line, then per page a leaves line and one line per leaf"), ...errors },
      },
      config: { roles: SUPERVISOR, audit: { action: pb.AuditAction.AUDIT_ACTION_EXPORT, objectType: "audit-log" } },
    },
    async (req, reply) => {
      const q = req.query;
      const since = q.since ? q.since.split(",").map(Number) : [];
      const chunks = exportChunks((p) => client.exportPage(p), { ...(q.from !== undefined ? { from: q.from } : {}), ...(q.to !== undefined ? { to: q.to } : {}), consistencyFrom: since });
      // Fetch the first page before answering, so a bad range is a problem+json, not a broken stream.
      const first = await chunks.next();
      const header = first.done ? "" : first.value;
      const range = /"from":(\d+),"to":(\d+)/.exec(header);
      req.audit.objectId = range ? `${range[1]}-${range[2]}` : "";
      req.audit.details = { from: range?.[1] ?? "", to: range?.[2] ?? "", ...(since.length ? { since: since.join(",") } : {}) };
      const body = Readable.from(
        (async function* () {
          yield header;
          yield* chunks;
        })(),
      );
      return reply.type(EXPORT_MEDIA_TYPE).header("content-disposition", 'attachment; filename="liaison-audit-export.jsonl"').send(body as unknown as string); // a stream bypasses the serializer; the schema documents the lines
    },
  );
}
