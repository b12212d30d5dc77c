// A contact point's inbox as its operators use it (issue #17): urgent first by default, arrival
// order on request, filters on priority, kind, counterpart, legal basis, dates, status and case,
// and a search over its own messages' words that opens nothing for a user (no read receipt) and
// leaves the words out of the audit log. Through the access point's HTTP API, real hub and peers.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pb } from "../../src/proto/mod.js";
import { startTestHub, until, type TestAccessPoint, type TestHub } from "../support/hub.js";

interface Sent {
  readonly id: string;
  readonly from: string;
  readonly to: string[];
  readonly kind: string;
  readonly priority: string;
  readonly legalBasis?: string;
  readonly caseRef: string;
}

type Page = { items: Array<{ id: string; priority: string; kind: string; from: string; to: string[]; overdue: boolean; status: string; createdAt: string }>; nextCursor?: string };

describe("an operator's inbox: urgent first, filters and search", () => {
  let hub: TestHub;
  let be: TestAccessPoint;
  let nl: TestAccessPoint;
  let de: TestAccessPoint;
  const sent: Sent[] = [];
  const aps = () => ({ BE: be, NL: nl, DE: de }) as Record<string, TestAccessPoint>;

  async function send(ap: TestAccessPoint, msg: Record<string, unknown>): Promise<Sent> {
    const payload: Record<string, unknown> & { kind: string; to: string[]; priority?: string; legalBasis?: string } = { kind: "request", to: ["NL"], subject: "Subject", body: "body", ...msg };
    if (payload.kind === "request" && !payload.legalBasis) payload.legalBasis = "enquiries";
    const res = await ap.app.inject({ method: "POST", url: "/v1/messages", headers: { authorization: `Bearer ${ap.token}` }, payload });
    expect(res.statusCode, res.body).toBe(202);
    const { id, caseRef } = res.json() as { id: string; caseRef: string };
    const s: Sent = {
      id,
      from: ap.mailbox.cp,
      to: payload.to,
      kind: payload.kind,
      // A special form is always urgent (src/domain/message-kinds.ts).
      priority: payload.kind === "special-form" ? "urgent" : (payload.priority ?? "normal"),
      ...(payload.legalBasis ? { legalBasis: payload.legalBasis } : {}),
      caseRef,
    };
    sent.push(s);
    return s;
  }

  async function delivered(list: readonly Sent[]): Promise<void> {
    await until(() => list.every((s) => s.to.every((cp) => aps()[cp]?.mailbox.has(s.id))), `${list.length} delivered`);
  }

  async function list(ap: TestAccessPoint, query: Record<string, string> = {}, path = "/v1/messages"): Promise<{ status: number; body: Page & { code?: string } }> {
    const res = await ap.app.inject({ method: "GET", url: `${path}?${new URLSearchParams(query)}`, headers: { authorization: `Bearer ${ap.token}` } });
    return { status: res.statusCode, body: res.json() as Page & { code?: string } };
  }

  async function ids(ap: TestAccessPoint, query: Record<string, string> = {}, path?: string): Promise<string[]> {
    const res = await list(ap, { limit: "200", ...query }, path);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.nextCursor).toBeUndefined();
    return res.body.items.map((i) => i.id);
  }

  /** Every page, following the cursor. */
  async function allPages(ap: TestAccessPoint, query: Record<string, string>, between?: () => Promise<void>): Promise<string[]> {
    const out: string[] = [];
    let cursor: string | undefined;
    let first = true;
    do {
      const res = await list(ap, { ...query, ...(cursor ? { cursor } : {}) });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      out.push(...res.body.items.map((i) => i.id));
      cursor = res.body.nextCursor;
      if (first && between) await between();
      first = false;
    } while (cursor);
    return out;
  }

  const inboxOf = (cp: string) => sent.filter((s) => s.to.includes(cp));
  const idsOf = (l: readonly Sent[]) => l.map((s) => s.id);

  beforeAll(async () => {
    hub = await startTestHub({ cps: ["BE", "NL", "DE"] });
    await hub.startExchange();
    [be, nl, de] = await Promise.all([hub.startAp("BE"), hub.startAp("NL"), hub.startAp("DE")]);
  });
  afterAll(async () => {
    await hub?.stop();
  });

  let urgent: Sent[] = [];
  let overdue: Sent[] = [];

  it("shows five urgent requests above fifteen overdue normal ones that arrived after them", async () => {
    // The urgent ones came first: in arrival order (newest first) the fifteen would bury them.
    for (let i = 0; i < 5; i++) urgent.push(await send(be, { priority: "urgent", subject: `Urgent ${i}` }));
    await delivered(urgent);
    const replyBy = new Date(Date.now() + 2_000).toISOString();
    for (let i = 0; i < 15; i++) overdue.push(await send(be, { replyBy, subject: `Normal ${i}` }));
    await delivered(overdue);
    await until(async () => (await list(nl, { status: "overdue" })).body.items.length === 15, "the fifteen to be overdue at NL");

    const view = await list(nl);
    expect(view.status).toBe(200);
    const items = view.body.items;
    expect(items).toHaveLength(20);
    // Urgent first, each group newest arrival first.
    expect(items.slice(0, 5).map((i) => i.id)).toEqual(idsOf(urgent).reverse());
    expect(items.slice(0, 5).every((i) => i.priority === "urgent")).toBe(true);
    expect(items.slice(5).map((i) => i.id)).toEqual(idsOf(overdue).reverse());
    expect(items.slice(5).every((i) => i.overdue && i.priority === "normal")).toBe(true);
    urgent = [...urgent].reverse();
    overdue = [...overdue].reverse();
  });

  it("keeps arrival order (newest first, whatever the priority) for systems that page by it", async () => {
    const arrival = await allPages(nl, { order: "arrival", limit: "6" });
    expect(arrival).toEqual([...idsOf(overdue), ...idsOf(urgent)]);
  });

  it("pages urgent-first completely; an urgent message arriving meanwhile is not in that pass and heads the next listing", async () => {
    let late: Sent | undefined;
    // The first page (limit 7) ends in the normal ones: the late urgent one arrives before the second.
    const seen = await allPages(nl, { limit: "7" }, async () => {
      late = await send(be, { priority: "urgent", subject: "Late urgent" });
      await delivered([late]);
    });
    expect(seen).toEqual([...idsOf(urgent), ...idsOf(overdue)]);
    expect(new Set(seen).size).toBe(20);
    expect(seen).not.toContain(late?.id);
    const fresh = await ids(nl);
    expect(fresh[0]).toBe(late?.id);
    expect(fresh.slice(1)).toEqual(seen);
  });

  it("refuses a cursor of the other order instead of paging from a wrong place", async () => {
    const arrivalCursor = (await list(nl, { order: "arrival", limit: "2" })).body.nextCursor ?? "";
    const priorityCursor = (await list(nl, { limit: "2" })).body.nextCursor ?? "";
    expect(arrivalCursor).toMatch(/^\d+$/);
    expect(priorityCursor).toMatch(/^1\.\d+$/);
    const wrong = await list(nl, { cursor: arrivalCursor });
    expect(wrong.status).toBe(400);
    expect(wrong.body.code).toBe("LIAISON_VALIDATION");
    expect((await list(nl, { order: "arrival", cursor: priorityCursor })).status).toBe(400);
  });

  it("documents the order, the filters and the search in the OpenAPI document, from the same schemas", async () => {
    type Op = { parameters?: Array<{ name: string; in: string; description?: string }> };
    const doc = (await nl.app.inject({ method: "GET", url: "/docs/json" })).json() as { paths: Record<string, { get?: Op }> };
    const params = (path: string) => (doc.paths[path]?.get?.parameters ?? []).filter((p) => p.in === "query").map((p) => p.name);
    const filters = ["box", "order", "status", "caseRef", "priority", "kind", "counterpart", "legalBasis", "from", "to", "cursor", "limit"];
    expect(params("/v1/messages").sort()).toEqual([...filters].sort());
    expect(params("/v1/messages/search").sort()).toEqual([...filters, "q"].sort());
    const order = doc.paths["/v1/messages"]?.get?.parameters?.find((p) => p.name === "order");
    expect(order?.description).toMatch(/urgent first/);
  });

  describe("filters", () => {
    let before = "";
    let batch: Sent[] = [];

    beforeAll(async () => {
      await new Promise((r) => setTimeout(r, 5));
      before = new Date().toISOString();
      await new Promise((r) => setTimeout(r, 5));
      batch = [
        await send(de, { kind: "spontaneous", spontaneousBasis: "information", subject: "DE spontaneous" }),
        await send(de, { legalBasis: "surveillance", priority: "urgent", subject: "DE urgent surveillance" }),
        await send(de, { legalBasis: "notification", subject: "DE notification" }),
        await send(be, { legalBasis: "surveillance", subject: "BE surveillance" }),
        await send(be, { to: ["DE"], legalBasis: "notification", subject: "BE to DE" }),
        await send(be, { kind: "special-form", specialForm: { form: "hot-pursuit", location: "E19" }, subject: "BE hot pursuit" }),
      ];
      await delivered(batch);
    });

    const expectSet = (got: string[], want: readonly Sent[]) => {
      expect(want.length).toBeGreaterThan(0);
      expect(new Set(got)).toEqual(new Set(idsOf(want)));
      expect(got).toHaveLength(want.length);
    };

    it("by priority", async () => {
      expectSet(await ids(nl, { priority: "urgent" }), inboxOf("NL").filter((s) => s.priority === "urgent"));
      expectSet(await ids(nl, { priority: "normal" }), inboxOf("NL").filter((s) => s.priority === "normal"));
    });

    it("by kind", async () => {
      expectSet(await ids(nl, { kind: "spontaneous" }), inboxOf("NL").filter((s) => s.kind === "spontaneous"));
      expectSet(await ids(nl, { kind: "special-form" }), inboxOf("NL").filter((s) => s.kind === "special-form"));
      expectSet(await ids(nl, { kind: "request" }), inboxOf("NL").filter((s) => s.kind === "request"));
    });

    it("by counterpart: the sender of what came in, a recipient of what went out", async () => {
      expectSet(await ids(nl, { counterpart: "DE" }), inboxOf("NL").filter((s) => s.from === "DE"));
      expectSet(await ids(nl, { counterpart: "BE" }), inboxOf("NL").filter((s) => s.from === "BE"));
      expect(await ids(nl, { counterpart: "NL" })).toEqual([]);
      expectSet(await ids(be, { box: "sent", counterpart: "DE" }), sent.filter((s) => s.from === "BE" && s.to.includes("DE")));
      expectSet(await ids(be, { box: "sent", counterpart: "NL" }), sent.filter((s) => s.from === "BE" && s.to.includes("NL")));
    });

    it("by legal basis, which is inside the sealed content, without reading anything for a user", async () => {
      expectSet(await ids(nl, { legalBasis: "surveillance" }), inboxOf("NL").filter((s) => s.legalBasis === "surveillance"));
      expectSet(await ids(nl, { legalBasis: "notification" }), inboxOf("NL").filter((s) => s.legalBasis === "notification"));
      expectSet(await ids(be, { box: "sent", legalBasis: "notification" }), sent.filter((s) => s.from === "BE" && s.legalBasis === "notification"));
      // Opened to index, not read: still new at NL, and no read receipt reached the senders.
      for (const s of inboxOf("NL")) expect(nl.mailbox.get(s.id).readAtMs).toBeUndefined();
      const de1 = batch[1] as Sent;
      expect(de.mailbox.status(de.mailbox.get(de1.id)).status).toBe("delivered");
    });

    it("by date range on createdAt, both ends inclusive", async () => {
      expectSet(await ids(nl, { from: before }), batch.filter((s) => s.to.includes("NL")));
      expectSet(await ids(nl, { to: before }), inboxOf("NL").filter((s) => !batch.includes(s)));
      const firstAt = (await list(nl, { from: before, limit: "200" })).body.items.find((i) => i.id === batch[0]?.id)?.createdAt ?? "";
      expect(firstAt).not.toBe("");
      expect(await ids(nl, { from: firstAt, to: firstAt })).toEqual([batch[0]?.id]);
    });

    it("by status, box and case, as before, and several filters together", async () => {
      expectSet(await ids(nl, { status: "overdue" }), overdue);
      expectSet(await ids(nl, { caseRef: (batch[3] as Sent).caseRef }), [batch[3] as Sent]);
      expectSet(await ids(de, { box: "sent" }), sent.filter((s) => s.from === "DE"));
      expectSet(await ids(nl, { kind: "request", priority: "urgent", counterpart: "DE" }), [batch[1] as Sent]);
      expectSet(await ids(nl, { kind: "request", legalBasis: "surveillance", counterpart: "BE", from: before }), [batch[3] as Sent]);
    });
  });

  describe("search", () => {
    let hit: Sent;
    let other: Sent;
    beforeAll(async () => {
      hit = await send(be, { subject: "Container MSCU1234566 at Antwerpen", body: "Driver MÜLLER, Hans; undeclared tobacco in the second row." });
      other = await send(be, { subject: "Another container", body: "Cigars, declared." });
      await delivered([hit, other]);
    });

    it("finds one's own messages by every word of the query, folded, in subject and body", async () => {
      expect(await ids(nl, { q: "muller TOBACCO" }, "/v1/messages/search")).toEqual([hit.id]);
      expect(await ids(nl, { q: "mscu1234566" }, "/v1/messages/search")).toEqual([hit.id]);
      expect(new Set(await ids(nl, { q: "Container" }, "/v1/messages/search"))).toEqual(new Set([hit.id, other.id]));
      expect(await ids(nl, { q: "müller cigars" }, "/v1/messages/search")).toEqual([]);
      // With the list's filters: nothing from DE says that.
      expect(await ids(nl, { q: "tobacco", counterpart: "DE" }, "/v1/messages/search")).toEqual([]);
      // The sender's own sent copy is searchable at its access point, and a contact point not addressed finds nothing.
      expect(await ids(be, { q: "tobacco", box: "sent" }, "/v1/messages/search")).toEqual([hit.id]);
      expect(await ids(de, { q: "tobacco" }, "/v1/messages/search")).toEqual([]);
    });

    it("reads nothing for a user: no read receipt goes to the sender", async () => {
      expect(nl.mailbox.get(hit.id).readAtMs).toBeUndefined();
      expect(nl.mailbox.status(nl.mailbox.get(hit.id)).status).toBe("new");
      await until(() => be.mailbox.status(be.mailbox.get(hit.id)).status === "delivered", "BE to see it delivered");
      await new Promise((r) => setTimeout(r, 500));
      expect(be.mailbox.status(be.mailbox.get(hit.id)).status).toBe("delivered");
    });

    it("logs a search as a query with what it found, never its words", async () => {
      const words = "antwerpen undeclared";
      expect(await ids(nl, { q: words }, "/v1/messages/search")).toEqual([hit.id]);
      let found: pb.IAuditEvent | undefined;
      await until(async () => {
        found = (await hub.auditEvents()).find((e) => e.authority === "NL" && e.action === pb.AuditAction.AUDIT_ACTION_QUERY && e.objectType === "message-search" && e.matched?.includes(hit.id));
        return found !== undefined;
      }, "the search's audit event");
      expect(found?.details?.words).toBe("2");
      const logged = JSON.stringify(found).toLowerCase();
      for (const w of words.split(" ")) expect(logged).not.toContain(w);
      // Nor is anything logged as read for it.
      const reads = (await hub.auditEvents()).filter((e) => e.authority === "NL" && e.action === pb.AuditAction.AUDIT_ACTION_READ && e.objectType === "message");
      expect(reads.map((e) => e.objectId)).not.toContain(hit.id);
    });

    it("refuses an empty query, and a query sent to the list, which would otherwise list everything", async () => {
      expect((await list(nl, { q: "" }, "/v1/messages/search")).status).toBe(400);
      const misplaced = await list(nl, { q: "tobacco" });
      expect(misplaced.status).toBe(400);
      expect(misplaced.body.code).toBe("LIAISON_VALIDATION");
    });

    it("finds the same after a restart, whose index starts empty and is rebuilt under a new key, still without a read", async () => {
      await nl.stop();
      nl = await hub.startAp("NL");
      expect(await ids(nl, { q: "muller tobacco" }, "/v1/messages/search")).toEqual([hit.id]);
      expect(new Set(await ids(nl, { legalBasis: "enquiries", q: "container" }, "/v1/messages/search"))).toEqual(new Set([hit.id, other.id]));
      expect(nl.mailbox.get(hit.id).readAtMs).toBeUndefined();
      expect(nl.mailbox.status(nl.mailbox.get(hit.id)).status).toBe("new");
    });
  });
});
