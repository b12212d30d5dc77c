// One member cannot make an operation's views unreadable for the others: an item it signed and
// sealed correctly but whose body is not JSON, does not match its template, or carries a key that
// does not open for one member is listed as unreadable (with its reason, never its bytes) and
// left out of the figures; the rest is served. The hub caps an item's envelope and the items of
// one operation, storing nothing past them, and pages its `items` reply, which the access point
// follows to the end.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DocumentOut, GroupMessageOut, OperationIn, RecommendationOut, TallyOut, UnreadableItem } from "../../src/api/mod.js";
import { BatchSigner, Ed25519Signer, newId, Sealer, type RecipientKey } from "../../src/crypto/mod.js";
import { MAX_ITEM_ENVELOPE_BYTES } from "../../src/domain/mod.js";
import { itemCaseRef } from "../../src/hub-rpc/mod.js";
import { pb } from "../../src/proto/mod.js";
import { followRegistry } from "../../src/registry/mod.js";
import { quiet, startTestHub, until, type TestAccessPoint, type TestHub } from "../support/hub.js";
import { api } from "../support/operator.js";

const MAX_ITEMS = 8;
const op: OperationIn = {
  name: "Hermes II",
  kind: "full-scale-jco",
  leaders: ["DE"],
  participants: ["NL"],
  observers: [],
  objectives: [{ description: "seizures in the operation", metric: "seizures", target: 2 }],
  riskAreas: ["money-laundering-and-cash"],
  commodityCodes: [],
  routes: [],
  legalBasis: "Naples II Convention, Art. 28",
  phases: [{ kind: "operational", start: "2027-03-01", end: "2027-03-07" }],
  status: "running",
};
const members = ["DE", "NL"];
const seizure = { commodity: "cash", quantity: { amount: 50_000, unit: "EUR" }, place: "DEFRA", riskProfile: "RP-CASH-02" };

describe("an operation's items that do not open or check, and the hub's caps", () => {
  let hub: TestHub;
  let de: TestAccessPoint;
  let nl: TestAccessPoint;
  let registry: Awaited<ReturnType<typeof followRegistry>>;
  let opId = "";

  beforeAll(async () => {
    hub = await startTestHub({ cps: ["DE", "NL"] });
    await hub.startExchange();
    // Small pages, so a handful of items spans several; few items, so the cap is reached quickly.
    await hub.startOperations({ itemLimits: { itemsPerOperation: MAX_ITEMS, pageBytes: 2_500 } });
    [de, nl] = await Promise.all([hub.startAp("DE"), hub.startAp("NL")]);
    registry = await followRegistry(nl.nc, quiet, { trust: hub.registryTrust });
    const res = await api(de, "POST", "/v1/operations", op);
    expect(res.status).toBe(201);
    opId = (res.body.operation as Record<string, unknown>).id as string;
  }, 120_000);
  afterAll(async () => {
    registry?.stop();
    await hub?.stop();
  });

  /** NL's item, signed by NL and sealed to `keys` (each member's key from the registry unless replaced). */
  async function sealByNl(meta: pb.IOperationItemMeta, content: pb.IOperationItemContent, keys?: RecipientKey[]): Promise<Uint8Array> {
    const nlKeys = hub.keys("NL");
    const header = pb.EnvelopeHeader.create({
      id: newId(),
      sender: "NL",
      recipients: members,
      kind: pb.MessageKind.MESSAGE_KIND_OPERATION_ITEM,
      createdAtMs: Date.now(),
      priority: pb.Priority.PRIORITY_NORMAL,
      senderKeyId: nlKeys.signing.keyId,
      caseRef: itemCaseRef(meta),
    });
    const sealed = new Sealer().seal(header, pb.OperationItemContent.encode(content).finish(), keys ?? members.map((m) => registry.view().encryptionKey(m)));
    const signature = await new BatchSigner(new Ed25519Signer(nlKeys.signing)).sign("envelope", sealed);
    return pb.Envelope.encode({ sealed, signature }).finish();
  }
  const post = (meta: pb.IOperationItemMeta, envelope: Uint8Array) => nl.hub.call("operations", "post", "nl-operator", { meta, envelope });
  const count = async () => (await api<{ messages: GroupMessageOut[]; unreadable: UnreadableItem[] }>(nl, "GET", `/v1/operations/${opId}/group`)).body;

  const bad: Array<{ id: string; reason: string }> = [];

  it("serves the group, the tally and the documents when a member posts items that do not open or check, listing those as unreadable", async () => {
    expect((await api(de, "POST", `/v1/operations/${opId}/group`, { template: "seizure", body: seizure })).status).toBe(201);
    const message = (template: string) => ({ operationId: opId, kind: "message", template });
    // Signed and sealed to the members as the hub demands, so the hub stores them.
    const notJson = await post(message("note"), await sealByNl(message("note"), { bodyJson: "{" }));
    const offTemplate = await post(message("seizure"), await sealByNl(message("seizure"), { bodyJson: JSON.stringify({ ...seizure, quantity: { amount: -5, unit: "EUR" } }) }));
    // DE's wrapped key made with NL's own public key: only DE cannot open it.
    const nlKey = registry.view().encryptionKey("NL");
    const garbled = await post(message("note"), await sealByNl(message("note"), { bodyJson: JSON.stringify({ text: "only NL reads this" }) }, [{ ...registry.view().encryptionKey("DE"), publicKey: nlKey.publicKey }, nlKey]));
    bad.push({ id: notJson.id ?? "", reason: "LIAISON_VALIDATION" }, { id: offTemplate.id ?? "", reason: "LIAISON_VALIDATION" }, { id: garbled.id ?? "", reason: "LIAISON_DECRYPT_FAILED" });

    const group = await api<{ messages: GroupMessageOut[]; unreadable: UnreadableItem[] }>(de, "GET", `/v1/operations/${opId}/group`);
    expect(group.status).toBe(200);
    expect(group.body.messages.map((m) => [m.sender, m.template, m.body])).toEqual([["DE", "seizure", seizure]]);
    expect(group.body.unreadable).toEqual(bad.map((b) => ({ id: b.id, author: "NL", kind: "message", unreadable: true, reason: b.reason })));
    // Nothing of an unreadable item travels: not its body, not its bytes.
    expect(JSON.stringify(group.body)).not.toContain("only NL reads this");
    // NL opens the one sealed properly to it.
    const nlGroup = await count();
    expect(nlGroup.messages.map((m) => m.id)).toContain(garbled.id);
    expect(nlGroup.unreadable.map((u) => u.id)).toEqual([notJson.id, offTemplate.id]);

    const tally = await api<TallyOut>(de, "GET", `/v1/operations/${opId}/tally`);
    expect(tally.status).toBe(200);
    expect(tally.body.seizures).toBe(1);
    expect(tally.body.byParticipant).toEqual([{ key: "DE", seizures: 1, quantities: [{ unit: "EUR", amount: 50_000 }] }]);
    expect(tally.body.unreadable.map((u) => u.id)).toEqual(bad.map((b) => b.id));
    const docs = await api<{ documents: DocumentOut[]; unreadable: UnreadableItem[] }>(de, "GET", `/v1/operations/${opId}/documents`);
    expect(docs.status).toBe(200);
    expect(docs.body).toEqual({ documents: [], unreadable: [] });
    // The access point's audit event of the read counts them, with their codes.
    let events: pb.IAuditEvent[] = [];
    await until(async () => {
      events = (await hub.auditEvents()).filter((e) => e.service === "DE" && e.objectType === "operation-group" && e.action === pb.AuditAction.AUDIT_ACTION_READ);
      return events.length > 0;
    }, "DE's read of the group in the audit log");
    expect(events[0]?.details).toMatchObject({ unreadable: "3", reasons: "LIAISON_DECRYPT_FAILED,LIAISON_VALIDATION" });
  });

  it("pages the hub's items reply within its byte budget, and the access point follows every page", async () => {
    const pages: pb.IOperationItemList[] = [];
    let after = "";
    do {
      const page = await de.hub.call("operations", "items", "de-operator", { operationId: opId, after });
      pages.push(page);
      after = page.next ?? "";
    } while (after && pages.length < 20);
    expect(pages.length).toBeGreaterThan(1);
    for (const p of pages) {
      const sizes = (p.items ?? []).map((i) => pb.StoredOperationItem.encode(i).finish().length);
      expect(sizes.length).toBeGreaterThan(0);
      // Within the budget, unless one item alone is over it.
      if (sizes.length > 1) expect(sizes.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(2_500);
    }
    const ids = pages.flatMap((p) => (p.items ?? []).map((i) => i.id));
    expect(new Set(ids).size).toBe(4);
    const group = await api<{ messages: GroupMessageOut[]; unreadable: UnreadableItem[] }>(de, "GET", `/v1/operations/${opId}/group`);
    expect([...group.body.messages.map((m) => m.id), ...group.body.unreadable.map((u) => u.id)].sort()).toEqual([...ids].sort());
  });

  it("refuses an item whose envelope is over the cap, and any item past the operation's cap, storing nothing", async () => {
    const meta = { operationId: opId, kind: "message", template: "note" };
    const huge = await sealByNl(meta, { bodyJson: JSON.stringify({ text: "x".repeat(MAX_ITEM_ENVELOPE_BYTES) }) });
    expect(huge.length).toBeGreaterThan(MAX_ITEM_ENVELOPE_BYTES);
    expect(await post(meta, huge).catch((e: unknown) => e)).toMatchObject({ code: "LIAISON_OVERSIZED" });
    const before = (await count()).messages.length + (await count()).unreadable.length;
    expect(before).toBe(4);
    for (let i = before; i < MAX_ITEMS; i++) expect((await api(nl, "POST", `/v1/operations/${opId}/group`, { template: "note", body: { text: `note ${i}` } })).status).toBe(201);
    const full = await api(nl, "POST", `/v1/operations/${opId}/group`, { template: "note", body: { text: "one too many" } });
    expect(full.status).toBe(409);
    expect(full.body.code).toBe("LIAISON_OPERATION_FULL");
    const after = await count();
    expect(after.messages.length + after.unreadable.length).toBe(MAX_ITEMS);
    expect(after.messages.some((m) => JSON.stringify(m.body).includes("one too many"))).toBe(false);
  });

  it("pages the recommendations too, and the monitoring view and a change follow every page", async () => {
    const res = await api(de, "POST", "/v1/operations", { ...op, name: "Hermes III" });
    expect(res.status).toBe(201);
    const id = (res.body.operation as Record<string, unknown>).id as string;
    const recorded: string[] = [];
    for (const owner of ["DE", "NL", "NL"]) {
      const r = await api<RecommendationOut>(de, "POST", `/v1/operations/${id}/recommendations`, { text: `follow up ${recorded.length}: ${"check the couriers. ".repeat(80)}`, owner });
      expect(r.status).toBe(201);
      recorded.push(r.body.id);
    }
    const first = await de.hub.call("operations", "recommendations", "de-operator", { operationId: id, openOnly: false, after: "" });
    expect(first.next).not.toBe("");
    expect(first.items?.length).toBeLessThan(3);
    const view = await api<{ recommendations: RecommendationOut[] }>(nl, "GET", `/v1/recommendations?state=all&operation=${id}`);
    expect(view.status).toBe(200);
    expect(view.body.recommendations.map((r) => r.id).sort()).toEqual([...recorded].sort());
    expect(view.body.recommendations.every((r) => r.operationName === "Hermes III")).toBe(true);
    const last = recorded.at(-1) ?? "";
    const changed = await api<RecommendationOut>(de, "PATCH", `/v1/recommendations/${last}`, { state: "done" });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ id: last, state: "done", operationName: "Hermes III" });
  });
});
