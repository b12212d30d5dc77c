// Inside a joint customs operation: its documents with comment rounds, its closed group, its live
// tally and its recommendations (/v1/operations/:id/{documents,group,tally,recommendations},
// /v1/recommendations). This access point seals each item to the operation's members now and signs
// it; it opens and checks what the hub serves it, and computes the figures from the seizure
// reports and results it opened (src/domain/jco-items.ts): the hub sees none of the content.
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import {
  commentIn,
  docParams,
  documentDetailOut,
  documentIn,
  documentsOut,
  groupMessageOut,
  groupOut,
  groupPostIn,
  idParams,
  isoRequired,
  recommendationIn,
  recommendationOut,
  recommendationPatch,
  recommendationsOut,
  recommendationsQuery,
  tallyOut,
  TEMPLATE_BODIES,
  versionIn,
  type DocumentOut,
  type GroupMessageOut,
  type RecommendationOut,
  type TallyOut,
  type UnreadableItem,
} from "../../../src/api/mod.js";
import { DOCUMENT_KINDS, GROUP_TEMPLATES, missingComments, openDays, operationMembers, RECOMMENDATION_STATES, tally, type OperationResult, type SeizureReport } from "../../../src/domain/mod.js";
import { LiaisonError, type ErrorCode } from "../../../src/errors.js";
import type { HubClient, OperationItemSealer } from "../../../src/hub-rpc/mod.js";
import { problemResponses } from "../../../src/http/mod.js";
import { pb } from "../../../src/proto/mod.js";
import type { RegistryView } from "../../../src/registry/mod.js";
import { hubRoutes } from "./hub-routes.js";

export interface OperationItemRoutesDeps {
  readonly hub: HubClient;
  readonly sealer: OperationItemSealer;
  readonly registry: () => RegistryView;
  readonly now: () => number;
}

const errors = problemResponses(
  "LIAISON_VALIDATION",
  "LIAISON_UNAUTHENTICATED",
  "LIAISON_FORBIDDEN",
  "LIAISON_NOT_MEMBER",
  "LIAISON_NOT_FOUND",
  "LIAISON_CONFLICT",
  "LIAISON_NOT_SEALED_TO_MEMBERS",
  "LIAISON_BAD_SIGNATURE",
  "LIAISON_ERASED",
  "LIAISON_UNAVAILABLE",
);

const isoOrNull = (ms: unknown): string | null => (Number(ms ?? 0) > 0 ? isoRequired(Number(ms)) : null);
const classificationOf = (m: pb.IOperationItemMeta | null | undefined) => (m?.classification ? m.classification : null);
const word = <K extends string>(words: readonly K[], w: string | null | undefined, fallback: K): K => ((words as readonly string[]).includes(w ?? "") ? (w as K) : fallback);

/** An item from the hub with every field (defaults where absent). */
const full = (i: pb.IStoredOperationItem) => pb.StoredOperationItem.create(i);

/** An item as this access point opened it; a group message's body is its template's fields as checked. */
interface Opened {
  readonly item: pb.StoredOperationItem;
  readonly content: pb.OperationItemContent;
  readonly body?: Record<string, unknown>;
}

/** A group message's body, parsed and checked against its template's fields (TEMPLATE_BODIES); throws LIAISON_VALIDATION. */
function checkedBody(item: pb.StoredOperationItem, bodyJson: string): Record<string, unknown> {
  const template = item.meta?.template ?? "";
  const schema = Object.hasOwn(TEMPLATE_BODIES, template) ? TEMPLATE_BODIES[template as keyof typeof TEMPLATE_BODIES] : undefined;
  if (!schema) throw new LiaisonError("LIAISON_VALIDATION", `message ${item.id}: no template ${template}`);
  let body: unknown;
  try {
    body = JSON.parse(bodyJson || "{}");
  } catch {
    throw new LiaisonError("LIAISON_VALIDATION", `message ${item.id}: its body is not JSON`);
  }
  if (!schema.safeParse(body).success) throw new LiaisonError("LIAISON_VALIDATION", `message ${item.id}: its body does not match the ${template} template`);
  return body as Record<string, unknown>;
}

/**
 * An item from the hub, its author's signature checked, its content opened with this member's key
 * and, for a group message, its body checked; or, when any of that fails, the item as unreadable
 * with the reason's code (never its bytes), so one bad item does not hide the others.
 */
const openWith = (sealer: OperationItemSealer) => (i: pb.IStoredOperationItem): Opened | UnreadableItem => {
  const item = full(i);
  try {
    const content = sealer.open(item);
    return item.meta?.kind === "message" ? { item, content, body: checkedBody(item, content.bodyJson) } : { item, content };
  } catch (err) {
    return { id: item.id, author: item.author, kind: item.meta?.kind ?? "", unreadable: true, reason: err instanceof LiaisonError ? err.code : "LIAISON_DECRYPT_FAILED" };
  }
};
const isOpened = (o: Opened | UnreadableItem): o is Opened => !("unreadable" in o);
const isUnreadable = (o: Opened | UnreadableItem): o is UnreadableItem => "unreadable" in o;

export async function operationItemRoutes(app: FastifyInstance, d: OperationItemRoutesDeps): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { call, audit } = hubRoutes(d.hub, "operations", "operation", { read: "jco.read", write: "jco.write" });
  const openItem = openWith(d.sealer);

  /**
   * The items of an operation sealed to this member (every page the hub serves), opened and
   * checked one by one, those that are not as unreadable, and its members now.
   */
  async function load(user: string, operationId: string): Promise<{ opened: Opened[]; unreadable: UnreadableItem[]; members: string[] }> {
    const all: Array<Opened | UnreadableItem> = [];
    let after = "";
    let members: string[] = [];
    do {
      const res = await call("items", user, { operationId, after });
      all.push(...res.items.map((i) => openItem(i)));
      members = res.members;
      after = res.next;
    } while (after);
    return { opened: all.filter(isOpened), unreadable: all.filter(isUnreadable), members };
  }

  /** Every recommendation the hub serves this member (every page), and the names of their operations. */
  async function allRecommendations(user: string, operationId: string, openOnly: boolean): Promise<{ items: pb.IStoredOperationItem[]; operationNames: Record<string, string> }> {
    const items: pb.IStoredOperationItem[] = [];
    const operationNames: Record<string, string> = {};
    let after = "";
    do {
      const res = await call("recommendations", user, { operationId, openOnly, after });
      items.push(...res.items);
      Object.assign(operationNames, res.operationNames);
      after = res.next;
    } while (after);
    return { items, operationNames };
  }

  /** The unreadable items of these kinds, and their count in the request's audit event. */
  function unreadableOf(req: { audit: { details?: Record<string, string> } }, list: readonly UnreadableItem[], kinds: readonly string[]): UnreadableItem[] {
    const out = list.filter((u) => kinds.includes(u.kind));
    if (out.length > 0) req.audit.details = { ...req.audit.details, unreadable: String(out.length), reasons: [...new Set(out.map((u) => u.reason))].sort().join(",") };
    return out;
  }

  /** Seals `content` with `meta` to the operation's members now, posts it, and answers the stored item. */
  async function postItem(user: string, meta: pb.IOperationItemMeta, content: pb.IOperationItemContent): Promise<pb.StoredOperationItem> {
    const view = await call("get", user, { operationId: meta.operationId ?? "" });
    const c = view.operation?.content ?? {};
    const members = operationMembers({ leaders: c.leaders ?? [], participants: c.participants ?? [] }, d.registry().active());
    const { envelope } = await d.sealer.seal(meta, content, members);
    return full(await call("post", user, { meta, envelope }));
  }

  const markingMeta = (b: { classification?: string | undefined; handlingCodes: string[] }) => ({ classification: b.classification ?? "", handlingCodes: b.handlingCodes });
  const deadlineMs = (s: string | undefined) => (s ? Date.parse(s) : 0);

  function message(o: Opened): GroupMessageOut {
    const m = o.item.meta ?? {};
    const body = o.body ?? {};
    return {
      id: o.item.id,
      sender: o.item.author,
      sentAt: isoRequired(o.item.createdAtMs),
      template: word(GROUP_TEMPLATES, m.template, "note"),
      classification: classificationOf(m),
      handlingCodes: m.handlingCodes ?? [],
      inReplyTo: m.inReplyTo ? m.inReplyTo : null,
      body,
    };
  }

  /** The tally from the seizure reports and results this member opened, the objectives evaluated against it. */
  function figures(operationId: string, items: readonly Opened[], objectiveList: readonly pb.IOperationObjective[], unreadable: readonly UnreadableItem[]): TallyOut {
    const reports: SeizureReport[] = [];
    const results: OperationResult[] = [];
    for (const o of items) {
      const m = o.item.meta;
      if (m?.kind !== "message" || (m.template !== "seizure" && m.template !== "result")) continue;
      const body = o.body;
      if (m.template === "seizure") {
        const s = TEMPLATE_BODIES.seizure.safeParse(body);
        if (s.success) reports.push({ participant: o.item.author, commodity: s.data.commodity, quantity: s.data.quantity, riskProfile: s.data.riskProfile });
      } else {
        const x = TEMPLATE_BODIES.result.safeParse(body);
        if (x.success) results.push({ kind: x.data.kind, amount: x.data.amount });
      }
    }
    const objectives = objectiveList.map((o) => ({ description: o.description ?? "", metric: o.metric ?? "", target: Number(o.target ?? 0) }));
    return { operationId, asOf: new Date(d.now()).toISOString(), ...tally(reports, results, objectives), unreadable: unreadable.filter((u) => u.kind === "message") };
  }

  // ------------------------------------------------------------------ documents

  /** Each document (its versions, oldest first) with the comments on each version. */
  function documents(opened: readonly Opened[]) {
    const docs = new Map<string, Opened[]>();
    for (const o of opened) {
      if (o.item.meta?.kind !== "document") continue;
      const id = o.item.meta.documentId || o.item.id;
      docs.set(id, [...(docs.get(id) ?? []), o]);
    }
    const comments = opened.filter((o) => o.item.meta?.kind === "comment");
    return [...docs.entries()].map(([id, versions]) => {
      versions.sort((a, b) => (a.item.meta?.version ?? 0) - (b.item.meta?.version ?? 0));
      const last = versions[versions.length - 1] as Opened;
      const onLast = comments.filter((c) => c.item.meta?.documentId === id && c.item.meta.version === last.item.meta?.version);
      return { id, versions, last, onLast };
    });
  }

  /** One document of the list, or LIAISON_NOT_FOUND. */
  function findDocument(list: ReturnType<typeof documents>, docId: string): ReturnType<typeof documents>[number] {
    const doc = list.find((x) => x.id === docId);
    if (!doc) throw new LiaisonError("LIAISON_NOT_FOUND", `no document ${docId} in this operation`);
    return doc;
  }

  function documentRow(doc: ReturnType<typeof documents>[number]): DocumentOut {
    const { id, last, onLast } = doc;
    const m = last.item.meta ?? {};
    return {
      id,
      kind: word(DOCUMENT_KINDS, m.documentKind, "business-case"),
      title: last.content.title,
      version: m.version ?? 1,
      author: last.item.author,
      classification: classificationOf(m),
      handlingCodes: m.handlingCodes ?? [],
      commentDeadline: isoOrNull(m.commentDeadlineMs),
      adoptedAt: isoOrNull(last.item.adoptedAtMs),
      comments: onLast.length,
      // Against the members it was sealed to: those that were asked to comment.
      missing: Number(last.item.adoptedAtMs) > 0 ? [] : missingComments(last.item.recipients, last.item.author, onLast.map((c) => c.item.author)),
    };
  }

  r.get(
    "/v1/operations/:id/documents",
    { schema: { summary: "The operation's documents: latest version, marking, comment deadline, adoption, who has not commented", tags: ["jco"], params: idParams, response: { 200: documentsOut, ...errors } }, config: audit(pb.AuditAction.AUDIT_ACTION_READ, "operation-documents") },
    async (req) => {
      const { opened, unreadable } = await load(req.user?.id ?? "", req.params.id);
      return { documents: documents(opened).map(documentRow), unreadable: unreadableOf(req, unreadable, ["document", "comment"]) };
    },
  );

  r.get(
    "/v1/operations/:id/documents/:docId",
    { schema: { summary: "A document opened: its versions, its text and the comments on its latest version", tags: ["jco"], params: docParams, response: { 200: documentDetailOut, ...errors } }, config: audit(pb.AuditAction.AUDIT_ACTION_READ, "operation-document", "docId") },
    async (req) => {
      const user = req.user?.id ?? "";
      const { opened: items, unreadable } = await load(user, req.params.id);
      const doc = findDocument(documents(items), req.params.docId);
      const row = documentRow(doc);
      const statistics = row.kind === "final-report" ? figures(req.params.id, items, (await call("get", user, { operationId: req.params.id })).operation?.content?.objectives ?? [], unreadable) : null;
      return {
        ...row,
        statistics,
        text: doc.last.content.text,
        versions: doc.versions.map((v) => ({
          id: v.item.id,
          version: v.item.meta?.version ?? 1,
          author: v.item.author,
          createdAt: isoRequired(v.item.createdAtMs),
          title: v.content.title,
          text: v.content.text,
          classification: classificationOf(v.item.meta),
          handlingCodes: v.item.meta?.handlingCodes ?? [],
          commentDeadline: isoOrNull(v.item.meta?.commentDeadlineMs),
          adoptedAt: isoOrNull(v.item.adoptedAtMs),
          adoptedBy: v.item.adoptedBy ? v.item.adoptedBy : null,
        })),
        commentsOnVersion: doc.onLast.map((c) => ({
          id: c.item.id,
          author: c.item.author,
          createdAt: isoRequired(c.item.createdAtMs),
          version: c.item.meta?.version ?? 1,
          text: c.content.text,
          classification: classificationOf(c.item.meta),
          handlingCodes: c.item.meta?.handlingCodes ?? [],
        })),
      };
    },
  );

  r.post(
    "/v1/operations/:id/documents",
    { schema: { summary: "Write a document (version 1), sealed to the operation's members, with an optional comment deadline", tags: ["jco"], params: idParams, body: documentIn, response: { 201: documentsOut.shape.documents.element, ...errors } }, config: audit(pb.AuditAction.AUDIT_ACTION_SUBMIT, "operation-document", undefined) },
    async (req, reply) => {
      const b = req.body;
      const meta = { operationId: req.params.id, kind: "document", documentKind: b.kind, version: 1, commentDeadlineMs: deadlineMs(b.commentDeadline), ...markingMeta(b) };
      const item = await postItem(req.user?.id ?? "", meta, { title: b.title, text: b.text });
      req.audit.objectId = item.id;
      return reply.code(201).send(documentRow({ id: item.id, versions: [], last: { item, content: pb.OperationItemContent.create({ title: b.title, text: b.text }) }, onLast: [] }));
    },
  );

  r.post(
    "/v1/operations/:id/documents/:docId/versions",
    { schema: { summary: "A new version of a document (its author or a leader), opening a new comment round", tags: ["jco"], params: docParams, body: versionIn, response: { 201: documentsOut.shape.documents.element, ...errors } }, config: audit(pb.AuditAction.AUDIT_ACTION_SUBMIT, "operation-document", "docId") },
    async (req, reply) => {
      const user = req.user?.id ?? "";
      const doc = findDocument(documents((await load(user, req.params.id)).opened), req.params.docId);
      const b = req.body;
      const title = b.title ?? doc.last.content.title;
      const meta = { operationId: req.params.id, kind: "document", documentId: doc.id, documentKind: doc.last.item.meta?.documentKind ?? "", version: (doc.last.item.meta?.version ?? 1) + 1, commentDeadlineMs: deadlineMs(b.commentDeadline), ...markingMeta(b) };
      const item = await postItem(user, meta, { title, text: b.text });
      return reply.code(201).send(documentRow({ id: doc.id, versions: [], last: { item, content: pb.OperationItemContent.create({ title, text: b.text }) }, onLast: [] }));
    },
  );

  r.post(
    "/v1/operations/:id/documents/:docId/comments",
    { schema: { summary: "Comment on a document's version (the latest by default) before its deadline", tags: ["jco"], params: docParams, body: commentIn, response: { 201: documentDetailOut.shape.commentsOnVersion.element, ...errors } }, config: audit(pb.AuditAction.AUDIT_ACTION_SUBMIT, "operation-comment", "docId") },
    async (req, reply) => {
      const user = req.user?.id ?? "";
      const doc = findDocument(documents((await load(user, req.params.id)).opened), req.params.docId);
      const version = req.body.version ?? doc.last.item.meta?.version ?? 1;
      const item = await postItem(user, { operationId: req.params.id, kind: "comment", documentId: doc.id, version, ...markingMeta(req.body) }, { text: req.body.text });
      return reply.code(201).send({ id: item.id, author: item.author, createdAt: isoRequired(item.createdAtMs), version, text: req.body.text, classification: classificationOf(item.meta), handlingCodes: item.meta?.handlingCodes ?? [] });
    },
  );

  r.post(
    "/v1/operations/:id/documents/:docId/adopt",
    { schema: { summary: "Adopt a document's latest version (a leader): the comment round ends", tags: ["jco"], params: docParams, response: { 200: documentsOut.shape.documents.element, ...errors } }, config: audit(pb.AuditAction.AUDIT_ACTION_AMEND, "operation-document", "docId") },
    async (req) => {
      const user = req.user?.id ?? "";
      await call("adopt", user, { operationId: req.params.id, documentId: req.params.docId });
      const doc = findDocument(documents((await load(user, req.params.id)).opened), req.params.docId);
      return documentRow(doc);
    },
  );

  // ------------------------------------------------------------------ the group

  r.get(
    "/v1/operations/:id/group",
    { schema: { summary: "The operation's group messages sealed to this member, oldest first, each with its marking", tags: ["jco"], params: idParams, response: { 200: groupOut, ...errors } }, config: audit(pb.AuditAction.AUDIT_ACTION_READ, "operation-group") },
    async (req) => {
      const { opened, unreadable } = await load(req.user?.id ?? "", req.params.id);
      return { messages: opened.filter((o) => o.item.meta?.kind === "message").map(message), unreadable: unreadableOf(req, unreadable, ["message"]) };
    },
  );

  r.post(
    "/v1/operations/:id/group",
    { schema: { summary: "Send a message to the operation's group (warning, feedback, seizure report, result, note), sealed to its members now", tags: ["jco"], params: idParams, body: groupPostIn, response: { 201: groupMessageOut, ...errors } }, config: audit(pb.AuditAction.AUDIT_ACTION_SUBMIT, "operation-group") },
    async (req, reply) => {
      const b = req.body;
      const meta = { operationId: req.params.id, kind: "message", template: b.template, inReplyTo: b.inReplyTo ?? "", ...markingMeta(b) };
      const item = await postItem(req.user?.id ?? "", meta, { bodyJson: JSON.stringify(b.body) });
      return reply.code(201).send(message({ item, content: pb.OperationItemContent.create({ bodyJson: JSON.stringify(b.body) }), body: b.body }));
    },
  );

  r.get(
    "/v1/operations/:id/tally",
    { schema: { summary: "The live tally: seizures by participant, commodity and risk profile, later results, objectives evaluated (computed here from the opened reports)", tags: ["jco"], params: idParams, response: { 200: tallyOut, ...errors } }, config: audit(pb.AuditAction.AUDIT_ACTION_READ, "operation-tally") },
    async (req) => {
      const user = req.user?.id ?? "";
      const [{ opened: items, unreadable }, view] = await Promise.all([load(user, req.params.id), call("get", user, { operationId: req.params.id })]);
      unreadableOf(req, unreadable, ["message"]);
      return figures(req.params.id, items, view.operation?.content?.objectives ?? [], unreadable);
    },
  );

  // ------------------------------------------------------------------ recommendations

  function recommendation(o: Opened, names: Record<string, string>): RecommendationOut {
    const state = word(RECOMMENDATION_STATES, o.item.state, "open");
    return {
      id: o.item.id,
      operationId: o.item.meta?.operationId ?? "",
      operationName: names[o.item.meta?.operationId ?? ""] ?? "",
      text: o.content.text,
      owner: o.item.owner,
      state,
      classification: classificationOf(o.item.meta),
      handlingCodes: o.item.meta?.handlingCodes ?? [],
      openedAt: isoRequired(o.item.createdAtMs),
      updatedAt: isoRequired(o.item.updatedAtMs),
      openDays: openDays(Number(o.item.createdAtMs), state, Number(o.item.updatedAtMs), d.now()),
    };
  }

  r.post(
    "/v1/operations/:id/recommendations",
    { schema: { summary: "Record a recommendation of the operation (a leader), with its owner; it starts open", tags: ["jco"], params: idParams, body: recommendationIn, response: { 201: recommendationOut, ...errors } }, config: audit(pb.AuditAction.AUDIT_ACTION_SUBMIT, "operation-recommendation", undefined) },
    async (req, reply) => {
      const b = req.body;
      const user = req.user?.id ?? "";
      const item = await postItem(user, { operationId: req.params.id, kind: "recommendation", owner: b.owner, ...markingMeta(b) }, { text: b.text });
      req.audit.objectId = item.id;
      const view = await call("get", user, { operationId: req.params.id });
      return reply.code(201).send(recommendation({ item, content: pb.OperationItemContent.create({ text: b.text }) }, { [req.params.id]: view.operation?.content?.name ?? "" }));
    },
  );

  r.get(
    "/v1/recommendations",
    { schema: { summary: "The monitoring view: recommendations of the operations this member takes part in, with their owner, state and days open", tags: ["jco"], querystring: recommendationsQuery, response: { 200: recommendationsOut, ...errors } }, config: audit(pb.AuditAction.AUDIT_ACTION_READ, "operation-recommendations", undefined) },
    async (req) => {
      const res = await allRecommendations(req.user?.id ?? "", req.query.operation ?? "", req.query.state === "open");
      req.audit.objectId = req.query.operation ?? "all";
      const all = res.items.map((i) => openItem(i));
      const list = all.filter(isOpened).map((o) => recommendation(o, res.operationNames));
      return { recommendations: list.sort((a, b) => b.openDays - a.openDays || a.openedAt.localeCompare(b.openedAt)), unreadable: unreadableOf(req, all.filter(isUnreadable), ["recommendation"]) };
    },
  );

  r.patch(
    "/v1/recommendations/:id",
    { schema: { summary: "Change a recommendation's state or owner (a leader; its owner may change its state)", tags: ["jco"], params: idParams, body: recommendationPatch, response: { 200: recommendationOut, ...errors } }, config: audit(pb.AuditAction.AUDIT_ACTION_AMEND, "operation-recommendation") },
    async (req) => {
      const user = req.user?.id ?? "";
      const all = await allRecommendations(user, "", false);
      const found = all.items.find((i) => i.id === req.params.id);
      if (!found) throw new LiaisonError("LIAISON_NOT_FOUND", `no recommendation ${req.params.id}`);
      const item = await call("track", user, { operationId: found.meta?.operationId ?? "", recommendationId: req.params.id, state: req.body.state ?? "", owner: req.body.owner ?? "" });
      const opened = openItem(item);
      if (!isOpened(opened)) throw new LiaisonError(opened.reason as ErrorCode, `recommendation ${req.params.id} does not open here`);
      return recommendation(opened, all.operationNames);
    },
  );
}
