// Retention of joint customs operations (issue #18 item 5), on a real hub with an injected clock:
// the retention sweep erases an operation's sealed items two years after its final report phase
// and its calendar entry five years after, each once, with a certificate logged in the audit log
// and an erasure notice to every member of the operation; what is not due yet stays.
import { DeliverPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { Kvm, type KV } from "@nats-io/kv";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { splitAuditBatch } from "../../src/audit/mod.js";
import type { OperationIn } from "../../src/api/mod.js";
import { leafHash } from "../../src/merkle/mod.js";
import { requestService, subjects } from "../../src/nats/mod.js";
import { pb } from "../../src/proto/mod.js";
import type { RunningOperations } from "../../services/operations/service.js";
import type { RunningRetention } from "../../services/retention/service.js";
import { OperationItemSealer } from "../../src/hub-rpc/mod.js";
import { followRegistry } from "../../src/registry/mod.js";
import { quiet, startTestHub, until, type TestAccessPoint, type TestHub } from "../support/hub.js";

/** The operation `ap` enters, by its id. */
async function enter(ap: TestAccessPoint, op: OperationIn): Promise<string> {
  const res = await ap.app.inject({ method: "POST", url: "/v1/operations", headers: { authorization: `Bearer ${ap.token}` }, payload: op });
  expect(res.statusCode, res.body).toBe(201);
  return (res.json() as { operation: { id: string } }).operation.id;
}

/** Led by DE with NL and BE (OLAF observes): its final report phase ends 2027-05-31. */
const athena: OperationIn = {
  name: "Athena V", kind: "full-scale-jco", leaders: ["DE"], participants: ["NL", "BE"], observers: ["OLAF"], status: "planned",
  riskAreas: ["money-laundering-and-cash"], commodityCodes: [], routes: [], legalBasis: "Naples II Convention, Art. 28",
  objectives: [{ description: "cash couriers at the external border", metric: "cash seizures", target: 20 }],
  phases: [
    { kind: "operational", start: "2027-03-01", end: "2027-03-07" },
    { kind: "final-report", start: "2027-04-07", end: "2027-05-31" },
  ],
};

/** An operation with no final report phase: its last phase's end counts. */
const later: OperationIn = { ...athena, name: "Hermes III", participants: ["NL"], phases: [{ kind: "operational", start: "2028-09-01", end: "2028-09-10" }] };

const at = (iso: string) => Date.parse(iso);

describe("retention of joint customs operations", () => {
  let hub: TestHub;
  let de: TestAccessPoint;
  let nl: TestAccessPoint;
  let be: TestAccessPoint;
  let fr: TestAccessPoint;
  let retention: RunningRetention;
  let ops: RunningOperations;
  let items: KV;
  let offset = 0;
  const now = () => Date.now() + offset;
  let athenaId = "";
  let laterId = "";

  beforeAll(async () => {
    hub = await startTestHub({ cps: ["DE", "NL", "BE", "FR"] });
    await hub.startExchange();
    ops = await hub.startOperations({ now });
    retention = await hub.startRetention({ now });
    [de, nl, be, fr] = await Promise.all([hub.startAp("DE"), hub.startAp("NL"), hub.startAp("BE"), hub.startAp("FR")]);
    // The items' bucket, as the items store keeps it (created here when not provisioned yet).
    const jsm = await jetstreamManager(hub.admin);
    const exists = await jsm.streams.info("KV_operation-items").then(
      () => true,
      () => false,
    );
    items = exists ? await new Kvm(hub.admin).open("operation-items") : await new Kvm(hub.admin).create("operation-items", { history: 1 });
  });
  afterAll(async () => {
    await hub?.stop();
  });

  /** Every audit event with this id, as the audit log holds them. */
  async function logged(id: string): Promise<Array<{ bytes: Uint8Array; event: pb.AuditEvent }>> {
    const info = await (await jetstreamManager(hub.admin)).streams.info("AUDIT");
    const c = await jetstream(hub.admin).consumers.get("AUDIT", { deliver_policy: DeliverPolicy.All });
    const found: Array<{ bytes: Uint8Array; event: pb.AuditEvent }> = [];
    const iter = await c.consume();
    for await (const m of iter) {
      for (const bytes of splitAuditBatch(m.data)) {
        const event = pb.AuditEvent.decode(bytes);
        if (event.id === id) found.push({ bytes: new Uint8Array(bytes), event });
      }
      if (m.info.pending === 0 || m.seq >= info.state.last_seq) break;
    }
    await iter.close();
    return found;
  }

  const erasedNotices = (ap: TestAccessPoint, objectType: string, id: string) =>
    ap.mailbox.notices().filter((n) => n.notice.kind === pb.NoticeKind.NOTICE_KIND_ERASED && n.notice.objectType === objectType && n.notice.erasures.some((c) => c.certificate?.objectId === id));

  const itemKeys = async (id: string) => {
    const out: string[] = [];
    for await (const k of await items.keys(`item.${id}.*`)) out.push(k);
    return out;
  };
  const entry = async (id: string) => {
    const e = await (await new Kvm(hub.admin).open("operations")).get(`op.${id}`);
    return e && e.operation === "PUT" ? pb.StoredOperation.decode(e.value) : undefined;
  };

  it("keeps everything while nothing is due", async () => {
    athenaId = await enter(de, athena);
    laterId = await enter(de, later);
    for (const [id, n] of [[athenaId, 3], [laterId, 2]] as const) for (let i = 0; i < n; i++) await items.put(`item.${id}.i${i}`, new TextEncoder().encode(`sealed-${i}`));
    // A day before Athena V's items fall due (2 years after 2027-05-31, the final report's last day).
    offset = at("2029-05-31T12:00:00Z") - Date.now();
    const r = await retention.run();
    expect(r.erased).toBe(0);
    expect(await itemKeys(athenaId)).toHaveLength(3);
    expect(await entry(athenaId)).toBeDefined();
  });

  it("erases Athena V's items two years after its final report, certified once, and tells every member", async () => {
    offset = at("2029-06-01T00:30:00Z") - Date.now();
    const r = await retention.run();
    expect(r.erased).toBe(1);
    expect(await itemKeys(athenaId)).toEqual([]);
    // Not Hermes III's (its last phase ends 2028-09-10: due 2030-09-11), and not Athena V's entry.
    expect(await itemKeys(laterId)).toHaveLength(2);
    expect(await entry(athenaId)).toMatchObject({ id: athenaId });

    const events = await logged(`erasure.operation-items.${athenaId}`);
    expect(events).toHaveLength(1);
    const cert = events[0]?.event.erasure;
    expect(events[0]?.event).toMatchObject({ action: pb.AuditAction.AUDIT_ACTION_ERASE, objectType: "operation-items", objectId: athenaId, details: { items: "3" } });
    expect({ rule: cert?.rule, supplier: cert?.supplier, dueAt: new Date(Number(cert?.dueAtMs)).toISOString() }).toEqual({ rule: "operation-items", supplier: "DE", dueAt: "2029-06-01T00:00:00.000Z" });

    // Every member (its leader and participants) gets the certificate; FR, outside it, does not.
    for (const ap of [de, nl, be]) {
      await until(() => erasedNotices(ap, "operation-items", athenaId).length > 0, `the erasure notice at ${ap.cp}`);
      const c = erasedNotices(ap, "operation-items", athenaId)[0]?.notice.erasures[0];
      expect(c?.auditEventId).toBe(`erasure.operation-items.${athenaId}`);
      expect(Buffer.from(c?.auditLeafHash ?? []).toString("hex")).toBe(Buffer.from(leafHash(events[0]?.bytes ?? new Uint8Array())).toString("hex"));
    }
    expect(erasedNotices(fr, "operation-items", athenaId)).toEqual([]);
  });

  it("erases nothing twice: a second sweep finds nothing due, and an order repeated is answered with the same certificate", async () => {
    const r = await retention.run();
    expect(r.erased).toBe(0);
    const order = pb.ErasureOrder.encode({ objectId: athenaId, rule: "operation-items", dueAtMs: at("2029-06-01T00:00:00Z") }).finish();
    const again = pb.CertifiedErasure.decode(await requestService(hub.admin, subjects.api("operations", "erase-due"), order));
    // The repeated order sends the same event again, byte for byte: the audit log keeps one leaf.
    const events = await logged(`erasure.operation-items.${athenaId}`);
    expect(new Set(events.map((e) => Buffer.from(e.bytes).toString("hex"))).size).toBe(1);
    expect(Buffer.from(again.auditLeafHash).toString("hex")).toBe(Buffer.from(leafHash(events[0]?.bytes ?? new Uint8Array())).toString("hex"));
  });

  // The access points' hub calls carry today's time, which the hub (years ahead here) refuses as
  // stale: these call the operations service's handlers as its RPC server does, on its clock.
  const asCalled = <Q>(cp: string, request: Q) => ({ cp, userId: `${cp.toLowerCase()}-operator`, request, requestId: `test-${Math.random()}` });

  it("takes no item into an operation whose items were erased, so nothing outlives their erasure", async () => {
    // NL's item, sealed and signed as its access point does, to the members now.
    const registry = await followRegistry(nl.nc, quiet, { trust: hub.registryTrust });
    const meta = { operationId: athenaId, kind: "message", template: "note" };
    const { envelope } = await new OperationItemSealer(hub.keys("NL"), registry.view).seal(meta, { bodyJson: JSON.stringify({ text: "posted after the erasure" }) }, ["BE", "DE", "NL"]);
    registry.stop();
    const err = await ops.items.post(asCalled("NL", pb.OperationItemPost.create({ meta, envelope }))).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "LIAISON_ERASED" });
    expect(await itemKeys(athenaId)).toEqual([]);
  });

  it("lets no leader postpone the erasure: once the final report phase has ended, its end may not move later", async () => {
    const phase = (kind: pb.PhaseKind, start: string, end: string) => ({ kind, start, end });
    const { OPERATIONAL, FINAL } = { OPERATIONAL: pb.PhaseKind.PHASE_KIND_OPERATIONAL, FINAL: pb.PhaseKind.PHASE_KIND_FINAL_REPORT };
    const update = (id: string, content: pb.IOperationContent, fields: string[]) => ops.handlers.update(asCalled("DE", pb.OperationUpdate.create({ operationId: id, content, fields })));
    const before = await entry(athenaId);
    const moved = await update(athenaId, { phases: [phase(OPERATIONAL, "2027-03-01", "2027-03-07"), phase(FINAL, "2031-01-07", "2031-05-31")] }, ["phases"]).catch((e: unknown) => e);
    expect(moved).toMatchObject({ code: "LIAISON_RETENTION_STARTED" });
    // Nor by adding a final report phase to an operation whose last phase has ended.
    const added = await update(laterId, { phases: [phase(OPERATIONAL, "2028-09-01", "2028-09-10"), phase(FINAL, "2031-01-07", "2031-06-30")] }, ["phases"]).catch((e: unknown) => e);
    expect(added).toMatchObject({ code: "LIAISON_RETENTION_STARTED" });
    expect((await entry(athenaId))?.content?.phases).toEqual(before?.content?.phases);
    // Other changes are still made, and the final report's end may move earlier.
    expect((await update(athenaId, { name: "Athena V (closed)" }, ["name"])).operation?.content?.name).toBe("Athena V (closed)");
    const earlier = await update(athenaId, { phases: [phase(OPERATIONAL, "2027-03-01", "2027-03-07"), phase(FINAL, "2027-04-07", "2027-05-30")] }, ["phases"]);
    expect(earlier.operation?.content?.phases?.at(-1)?.end).toBe("2027-05-30");
  });

  it("refuses an order for what is not due, and one under an unknown rule, and erases nothing", async () => {
    const early = pb.ErasureOrder.encode({ objectId: laterId, rule: "operation-items", dueAtMs: 0 }).finish();
    await expect(requestService(hub.admin, subjects.api("operations", "erase-due"), early)).rejects.toMatchObject({ code: "LIAISON_CONFLICT" });
    const entryEarly = pb.ErasureOrder.encode({ objectId: athenaId, rule: "operation-entry", dueAtMs: 0 }).finish();
    await expect(requestService(hub.admin, subjects.api("operations", "erase-due"), entryEarly)).rejects.toMatchObject({ code: "LIAISON_CONFLICT" });
    const unknown = pb.ErasureOrder.encode({ objectId: laterId, rule: "cis-review", dueAtMs: 0 }).finish();
    await expect(requestService(hub.admin, subjects.api("operations", "erase-due"), unknown)).rejects.toMatchObject({ code: "LIAISON_VALIDATION" });
    expect(await itemKeys(laterId)).toHaveLength(2);
    expect(await entry(athenaId)).toBeDefined();
  });

  it("skips nothing due: after years without a sweep, Hermes III's items and Athena V's entry go in one sweep", async () => {
    // 2032-06-01: Athena V's entry is due (5 years after its final report); Hermes III's items are long due.
    offset = at("2032-06-02T00:00:00Z") - Date.now();
    const r = await retention.run();
    expect(r.erased).toBe(2);
    expect(await entry(athenaId)).toBeUndefined();
    expect(await itemKeys(laterId)).toEqual([]);
    expect(await entry(laterId)).toBeDefined();
    const entryEvents = await logged(`erasure.operation-entry.${athenaId}`);
    expect(entryEvents).toHaveLength(1);
    expect(entryEvents[0]?.event.erasure).toMatchObject({ objectType: "operation-entry", rule: "operation-entry", supplier: "DE" });
    expect(await logged(`erasure.operation-items.${laterId}`)).toHaveLength(1);
    for (const ap of [de, nl, be]) await until(() => erasedNotices(ap, "operation-entry", athenaId).length > 0, `the entry's erasure notice at ${ap.cp}`);
    await until(() => erasedNotices(nl, "operation-items", laterId).length > 0, "Hermes III's erasure notice at NL");
    expect(erasedNotices(be, "operation-items", laterId)).toEqual([]);
    // And nothing again.
    expect((await retention.run()).erased).toBe(0);
    expect(await logged(`erasure.operation-entry.${athenaId}`)).toHaveLength(1);
  });
});
