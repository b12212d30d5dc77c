// Defence in depth behind the accounts (issue #13): the audit service appends an event only if it
// names the emitter that published it (the subject's last token, which only that emitter's NATS
// user may publish on), and a contact point only for itself. The outside tester forged events
// under the authorities NL and SUPERVISOR, and pre-claimed the exchange's predictable event ids so
// that the real events were dropped as duplicates. Both are refused here, and the refusal logged.
import { jetstream } from "@nats-io/jetstream";
import { headers } from "@nats-io/nats-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuditAction, AuditEmitter } from "../../src/audit/mod.js";
import { subjects } from "../../src/nats/mod.js";
import { pb } from "../../src/proto/mod.js";
import type { RunningAuditService } from "../../services/audit/service.js";
import { startTestHub, until, type TestHub } from "../support/hub.js";

describe("audit events are accepted only from the emitter they name", () => {
  let hub: TestHub;
  let audit: RunningAuditService;

  beforeAll(async () => {
    hub = await startTestHub({ cps: ["BE", "NL"] });
    audit = await hub.startAudit();
  });
  afterAll(async () => {
    await hub?.stop();
  });

  /** How many leaves of the audit tree are events about this object. */
  const inTree = (objectId: string) => audit.engine.state.index.query({ objectType: "message", objectId }, audit.engine.state.size, 100).leaves.length;

  async function publishAsBe(events: pb.IAuditEvent[], msgID?: string): Promise<void> {
    const h = headers();
    if (msgID) h.set("Nats-Msg-Id", msgID);
    await jetstream(await hub.connectAs("BE")).publish(subjects.auditEvents("BE"), pb.AuditBatch.encode({ events }).finish(), { headers: h });
  }

  it("refuses BE's events that name another emitter or another authority, and logs each refusal", async () => {
    const before = audit.engine.state.stats.forged;
    await publishAsBe([
      { id: "forged-1", action: AuditAction.AUDIT_ACTION_ROUTE, authority: "BE", service: "exchange", objectType: "message", objectId: "m-forged-1", atMs: Date.now() },
      { id: "forged-2", action: AuditAction.AUDIT_ACTION_EXPORT, authority: "SUPERVISOR", service: "BE", objectType: "audit-log", objectId: "m-forged-2", atMs: Date.now() },
      { id: "forged-3", action: AuditAction.AUDIT_ACTION_READ, authority: "NL", service: "BE", objectType: "message", objectId: "m-forged-3", atMs: Date.now() },
      { id: "honest-1", action: AuditAction.AUDIT_ACTION_READ, authority: "BE", service: "BE", objectType: "message", objectId: "m-honest-1", atMs: Date.now() },
    ]);
    await until(() => audit.engine.state.stats.forged === before + 3, "three forged events refused");
    let refusals: pb.IAuditEvent[] = [];
    await until(async () => {
      refusals = (await hub.auditEvents()).filter((e) => e.reasonCode === "LIAISON_FORGED_EMITTER");
      return refusals.length >= 3;
    }, "the refusals logged");
    expect(refusals.every((e) => e.service === "audit" && e.userId === "emitter:BE" && e.action === AuditAction.AUDIT_ACTION_REFUSAL)).toBe(true);
    expect(refusals.map((e) => e.details?.reason).sort()).toEqual([
      'names authority "NL", published by BE',
      'names authority "SUPERVISOR", published by BE',
      'names emitter "exchange", published by BE',
    ]);
    // Only the honest event is in the tree; the forged ones are not findable there.
    await until(() => inTree("m-honest-1") === 1, "the honest event in the tree");
    for (const id of ["m-forged-1", "m-forged-2", "m-forged-3"]) expect(inTree(id)).toBe(0);
  });

  it("lets no member pre-claim a hub service's event: neither its id nor its JetStream message id suppresses the real one", async () => {
    const envelopeId = `e-${Date.now()}`;
    // BE logs an event of its own under the id the exchange will use, with the message id the
    // exchange's emitter used to derive from it.
    await publishAsBe([{ id: `route.${envelopeId}`, action: AuditAction.AUDIT_ACTION_READ, authority: "BE", service: "BE", objectType: "message", objectId: `be-${envelopeId}`, atMs: Date.now() }], `exchange.route.${envelopeId}.1`);
    // The real event, by the exchange.
    const exchange = new AuditEmitter(await hub.connectHub("exchange"), "exchange");
    await exchange.emit({ id: `route.${envelopeId}`, action: AuditAction.AUDIT_ACTION_ROUTE, authority: "BE", userId: "exchange", objectType: "message", objectId: envelopeId });
    await exchange.flush();
    exchange.close();
    await until(() => inTree(envelopeId) === 1, "the exchange's ROUTE event in the tree");
    expect(inTree(`be-${envelopeId}`)).toBe(1);
    // A retry by the exchange under the same id is still appended once.
    const again = new AuditEmitter(await hub.connectHub("exchange"), "exchange");
    await again.emit({ id: `route.${envelopeId}`, action: AuditAction.AUDIT_ACTION_ROUTE, authority: "BE", userId: "exchange", objectType: "message", objectId: envelopeId });
    await again.flush();
    again.close();
    const size = audit.engine.state.size;
    await until(() => audit.engine.backlog === 0 && audit.engine.stableSize >= size, "the retry handled");
    expect(inTree(envelopeId)).toBe(1);
  });

  it("stores a burst of large events in AUDIT messages that stay under the server's max_payload", async () => {
    const exchange = new AuditEmitter(await hub.connectHub("exchange"), "exchange");
    const tag = `big-${Date.now()}`;
    // 300 events of ~60 kB: 18 MB, more than twice max_payload, in one burst.
    const emits = Array.from({ length: 300 }, (_, i) =>
      exchange.emit({ id: `${tag}-${i}`, action: AuditAction.AUDIT_ACTION_REFUSAL, authority: "HUB", objectType: "message", objectId: `${tag}-${i}`, details: { reason: "r".repeat(60_000) } }),
    );
    await Promise.all(emits);
    exchange.close();
    const stored = (await hub.auditEvents()).filter((e) => e.objectId?.startsWith(tag));
    expect(stored).toHaveLength(300);
  });

  it("stores every event a server emitted before it stops, when its emitter ends", async () => {
    const exchange = new AuditEmitter(await hub.connectHub("exchange"), "exchange");
    const tag = `last-${Date.now()}`;
    // Emitted without waiting, as a request still in flight at shutdown does.
    const emits = Array.from({ length: 5 }, (_, i) => exchange.emit({ id: `${tag}-${i}`, action: AuditAction.AUDIT_ACTION_ROUTE, authority: "BE", userId: "exchange", objectType: "message", objectId: `${tag}-${i}` }));
    await exchange.end();
    await Promise.all(emits);
    const stored = (await hub.auditEvents()).filter((e) => e.objectId?.startsWith(tag));
    expect(stored).toHaveLength(5);
  });
});
