import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BatchSigner, Ed25519Signer, Sealer, type KeyPair } from "../../src/crypto/mod.js";
import { subjects } from "../../src/nats/mod.js";
import { pb } from "../../src/proto/mod.js";
import { startTestHub, until, type TestAccessPoint, type TestHub } from "../support/hub.js";

const request = (to: string[], body: string, extra: Record<string, unknown> = {}) => ({
  kind: "request",
  to,
  legalBasis: "enquiries",
  subject: `Subject ${body}`,
  body,
  ...extra,
});

async function send(ap: TestAccessPoint, payload: unknown) {
  return ap.app.inject({ method: "POST", url: "/v1/messages", headers: { authorization: `Bearer ${ap.token}` }, payload: payload as object });
}

async function get(ap: TestAccessPoint, url: string) {
  const res = await ap.app.inject({ method: "GET", url, headers: { authorization: `Bearer ${ap.token}` } });
  return { status: res.statusCode, body: res.json() as Record<string, unknown> };
}

async function inboxCount(hub: TestHub, cp: string): Promise<number> {
  const jsm = await jetstreamManager(hub.admin);
  let n = 0;
  for (const p of ["urgent", "normal"] as const) n += (await jsm.streams.info("INBOX", { subjects_filter: subjects.inbox(cp, p) })).state.subjects?.[subjects.inbox(cp, p)] ?? 0;
  return n;
}

describe("mutual-assistance exchange through the hub", () => {
  let hub: TestHub;
  let be: TestAccessPoint;
  let nl: TestAccessPoint;
  let de: TestAccessPoint;

  beforeAll(async () => {
    hub = await startTestHub({ cps: ["BE", "NL", "DE"] });
    await hub.startExchange();
    [be, nl, de] = await Promise.all([hub.startAp("BE"), hub.startAp("NL"), hub.startAp("DE")]);
  });
  afterAll(async () => {
    await hub?.stop();
  });

  it("delivers a request, opens it only at the recipient, and reports accepted, delivered, read and answered", async () => {
    const res = await send(be, request(["NL"], "check container MSCU1234566", { replyBy: new Date(Date.now() + 86_400_000).toISOString(), handling: { codes: ["H1"] } }));
    expect(res.statusCode).toBe(202);
    const { id } = res.json() as { id: string };
    await until(() => nl.mailbox.entries().some((e) => e.id === id), "delivery to NL");
    await until(() => be.mailbox.status(be.mailbox.get(id)).status === "delivered", "BE to see it delivered");

    const read = await get(nl, `/v1/messages/${id}`);
    expect(read.status).toBe(200);
    expect(read.body.body).toBe("check container MSCU1234566");
    expect(read.body.legalBasis).toBe("enquiries");
    expect(read.body.handling).toEqual({ codes: [{ code: "H1", meaning: expect.stringContaining("judicial proceedings") }] });
    expect((await get(de, `/v1/messages/${id}`)).status).toBe(404);
    await until(() => be.mailbox.status(be.mailbox.get(id)).status === "read", "BE to see it read");

    const reply = await nl.app.inject({ method: "POST", url: `/v1/messages/${id}/reply`, headers: { authorization: `Bearer ${nl.token}` }, payload: { body: "nothing found" } });
    expect(reply.statusCode).toBe(202);
    const replyId = (reply.json() as { id: string }).id;
    await until(() => be.mailbox.status(be.mailbox.get(id)).status === "answered", "BE to see it answered");
    await until(() => be.mailbox.entries().some((e) => e.id === replyId), "the reply at BE");

    const sent = await get(be, `/v1/messages/${id}`);
    expect((sent.body.receipts as Array<{ kind: string }>).map((r) => r.kind)).toEqual(["accepted", "delivered", "read", "answered"]);
    const caseRef = sent.body.caseRef as string;
    const thread = await get(be, `/v1/cases/${caseRef}`);
    expect((thread.body.messages as Array<{ kind: string; body: string }>).map((m) => [m.kind, m.body])).toEqual([
      ["request", "check container MSCU1234566"],
      ["reply", "nothing found"],
    ]);
    const events = await hub.auditEvents();
    const reads = events.filter((e) => e.action === pb.AuditAction.AUDIT_ACTION_READ && e.objectId === id);
    expect(reads.map((e) => e.authority)).toEqual(expect.arrayContaining(["NL", "BE"]));
    expect(events.some((e) => e.action === pb.AuditAction.AUDIT_ACTION_ROUTE && e.objectId === id)).toBe(true);
  });

  it('sends to every active contact point with to: ["*"]', async () => {
    const res = await send(be, request(["*"], "to everyone"));
    const { id } = res.json() as { id: string };
    await until(() => nl.mailbox.entries().some((e) => e.id === id) && de.mailbox.entries().some((e) => e.id === id), "delivery to NL and DE");
    expect(be.mailbox.get(id).header.recipients).toEqual(["DE", "NL"]);
  });

  it("pages through a burst of messages that were stored together, missing none", async () => {
    const caseRef = `PAGE-${Date.now()}`;
    const sent = await Promise.all(Array.from({ length: 70 }, (_, i) => send(be, request(["NL"], `page ${i}`, { caseRef }))));
    const ids = new Set(sent.map((r) => (r.json() as { id: string }).id));
    await until(() => [...ids].every((id) => nl.mailbox.has(id)), "all 70 at NL");
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await get(nl, `/v1/messages?box=inbox&caseRef=${caseRef}&limit=25${cursor ? `&cursor=${cursor}` : ""}`);
      seen.push(...(page.body.items as Array<{ id: string }>).map((i) => i.id));
      cursor = page.body.nextCursor as string | undefined;
    } while (cursor);
    expect(seen.length).toBe(70);
    expect(new Set(seen)).toEqual(ids);
  });

  it("refuses bad HTTP input with a reason code and submits nothing", async () => {
    const before = await inboxCount(hub, "NL");
    const bad = await be.app.inject({ method: "POST", url: "/v1/messages", headers: { authorization: `Bearer ${be.token}`, "content-type": "application/json" }, payload: "{not json" });
    expect(bad.statusCode).toBe(400);
    expect(bad.headers["content-type"]).toContain("application/problem+json");
    expect(bad.json()).toMatchObject({ code: "LIAISON_BAD_REQUEST" });

    const missing = await send(be, { kind: "request", to: ["NL"], body: "no subject, no legal basis" });
    expect(missing.statusCode).toBe(400);
    expect(missing.json()).toMatchObject({ code: "LIAISON_VALIDATION" });
    expect((missing.json() as { detail: string }).detail).toMatch(/subject/);

    const unknown = await send(be, request(["XX"], "to nobody"));
    expect(unknown.statusCode).toBe(422);
    expect(unknown.json()).toMatchObject({ code: "LIAISON_UNKNOWN_CONTACT_POINT" });

    const huge = await send(be, request(["NL"], "x".repeat(7 * 1024 * 1024)));
    expect(huge.statusCode).toBe(413);
    expect(huge.json()).toMatchObject({ code: "LIAISON_PAYLOAD_TOO_LARGE" });

    const noToken = await be.app.inject({ method: "GET", url: "/v1/messages" });
    expect(noToken.statusCode).toBe(401);
    expect(noToken.json()).toMatchObject({ code: "LIAISON_UNAUTHENTICATED" });

    expect(await inboxCount(hub, "NL")).toBe(before);
    const events = await hub.auditEvents();
    expect(events.some((e) => e.action === pb.AuditAction.AUDIT_ACTION_SUBMIT && e.reasonCode === "LIAISON_UNKNOWN_CONTACT_POINT")).toBe(true);
    expect(events.some((e) => e.action === pb.AuditAction.AUDIT_ACTION_REFUSAL && e.reasonCode === "LIAISON_UNAUTHENTICATED")).toBe(true);
  });

  describe("bad submissions on the wire", () => {
    let bnc: Awaited<ReturnType<TestHub["connectAs"]>>;
    let keys: ReturnType<TestHub["keys"]>;
    const signer = () => new BatchSigner(new Ed25519Signer(keys.signing));
    const submit = (bytes: Uint8Array, msgID: string) => jetstream(bnc).publish(subjects.submit("BE", "normal"), bytes, { msgID });

    function envelope(over: Partial<pb.IEnvelopeHeader> = {}): { id: string; item: pb.ISubmitItem } {
      const nlKey = hub.keys("NL").encryption[0] as KeyPair;
      const header: pb.IEnvelopeHeader = {
        id: `wire-${Math.random().toString(36).slice(2)}`,
        sender: "BE",
        recipients: ["NL"],
        kind: pb.MessageKind.MESSAGE_KIND_REQUEST,
        createdAtMs: Date.now(),
        priority: pb.Priority.PRIORITY_NORMAL,
        caseRef: "WIRE",
        senderKeyId: keys.signing.keyId,
        ...over,
      };
      const sealed = new Sealer().seal(header, pb.Payload.encode({ subject: "s", body: "b" }).finish(), [{ cp: "NL", keyId: nlKey.keyId, publicKey: nlKey.publicKey }]);
      const [signature] = signer().signMany([{ type: "envelope", bytes: sealed }]);
      return { id: header.id ?? "", item: { envelope: { sealed, signature: signature ?? null } } };
    }

    async function refusal(objectId: string) {
      let ev: pb.IAuditEvent | undefined;
      await until(async () => {
        ev = (await hub.auditEvents()).find((e) => e.action === pb.AuditAction.AUDIT_ACTION_REFUSAL && e.objectId === objectId);
        return ev !== undefined;
      }, `a refusal of ${objectId} in the audit log`);
      return ev as pb.IAuditEvent;
    }

    beforeAll(async () => {
      bnc = await hub.connectAs("BE");
      keys = hub.keys("BE");
    });

    it("refuses a wrong signature, a forged sender, a replay and malformed protobuf, logging each and routing none", async () => {
      const before = await inboxCount(hub, "NL");

      const tampered = envelope();
      const sig = tampered.item.envelope?.signature as pb.IBatchSignature;
      const sigBytes = sig.signature as Uint8Array;
      sigBytes[5] = (sigBytes[5] ?? 0) ^ 0x40;
      await submit(pb.SubmitItem.encode(tampered.item).finish(), tampered.id);
      expect((await refusal(tampered.id)).reasonCode).toBe("LIAISON_BAD_SIGNATURE");

      const forged = envelope({ sender: "NL" });
      await submit(pb.SubmitItem.encode(forged.item).finish(), forged.id);
      expect((await refusal(forged.id)).reasonCode).toBe("LIAISON_FORGED_SENDER");

      const original = envelope();
      const bytes = pb.SubmitItem.encode(original.item).finish();
      await submit(bytes, original.id);
      await until(async () => (await inboxCount(hub, "NL")) === before + 1, "the original to be routed");
      // The same id again inside the dedupe window: JetStream itself drops it and says so.
      expect((await submit(bytes, original.id)).duplicate).toBe(true);
      // The same envelope under another message id (a resubmission after a lost confirmation):
      // nothing is routed twice, and it is not refused. Another envelope under the same id is.
      await submit(bytes, `${original.id}-again`);
      const reused = envelope({ id: original.id, caseRef: "OTHER" });
      await submit(pb.SubmitItem.encode(reused.item).finish(), `${original.id}-reused`);
      expect((await refusal(original.id)).reasonCode).toBe("LIAISON_REPLAY");
      expect((await hub.auditEvents()).filter((e) => e.action === pb.AuditAction.AUDIT_ACTION_REFUSAL && e.objectId === original.id)).toHaveLength(1);

      const old = envelope({ createdAtMs: Date.now() - 60 * 60_000 });
      await submit(pb.SubmitItem.encode(old.item).finish(), old.id);
      expect((await refusal(old.id)).reasonCode).toBe("LIAISON_REPLAY");

      await submit(new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0x01, 0x02]), "garbage-1");
      expect((await refusal("garbage-1")).reasonCode).toBe("LIAISON_MALFORMED_PROTOBUF");

      expect(await inboxCount(hub, "NL")).toBe(before + 1);
      const jsm = await jetstreamManager(hub.admin);
      const submitState = await jsm.streams.info("SUBMIT");
      await until(async () => (await jsm.streams.info("SUBMIT")).state.messages === 0, "SUBMIT to drain");
      expect(submitState.config.retention).toBe("workqueue");
    });

    it("refuses an envelope whose id or in-reply-to id is not an id, logging it without the bad id and routing nothing", async () => {
      const before = await inboxCount(hub, "NL");
      const badIds = (await hub.auditEvents()).filter((e) => e.reasonCode === "LIAISON_BAD_ID").length;
      const dotted = envelope({ id: "liaison.v1.>" });
      await submit(pb.SubmitItem.encode(dotted.item).finish(), "bad-id-1");
      const spaced = envelope({ inReplyTo: "not an id" });
      await submit(pb.SubmitItem.encode(spaced.item).finish(), "bad-id-2");
      let refusals: pb.IAuditEvent[] = [];
      await until(async () => {
        refusals = (await hub.auditEvents()).filter((e) => e.action === pb.AuditAction.AUDIT_ACTION_REFUSAL && e.reasonCode === "LIAISON_BAD_ID");
        return refusals.length >= badIds + 2;
      }, "two LIAISON_BAD_ID refusals in the audit log");
      expect(refusals.some((e) => e.objectId === "liaison.v1.>" || e.objectId === "not an id")).toBe(false);
      expect(await inboxCount(hub, "NL")).toBe(before);
    });

    it("refuses a submission carrying too many envelopes at once, logs it once, and lets a legitimate message behind it through in seconds", async () => {
      const jsm = await jetstreamManager(hub.admin);
      const before = (await hub.auditEvents()).length;
      // 80,000 tiny envelopes in one 3.4 MB submission, published on BE's own submit subject.
      const junk = pb.Envelope.encode({ sealed: new Uint8Array(40) }).finish();
      const bulk = pb.SubmitItem.encode({ envelopes: { envelopes: Array.from({ length: 80_000 }, () => junk) } }).finish();
      expect(bulk.length).toBeGreaterThan(3_000_000);
      const bulkId = `bulk-${Date.now()}`;
      await submit(bulk, bulkId);
      const sentAt = Date.now();
      const legit = envelope();
      await submit(pb.SubmitItem.encode(legit.item).finish(), legit.id);
      await until(() => nl.mailbox.has(legit.id), "the legitimate message at NL", 30_000);
      expect(Date.now() - sentAt).toBeLessThan(5_000);

      expect((await refusal(bulkId)).reasonCode).toBe("LIAISON_TOO_MANY_ITEMS");
      await until(async () => (await jsm.streams.info("SUBMIT")).state.messages === 0, "SUBMIT to drain (nothing redelivered)", 10_000);
      // Time for any redelivery to show up in the log.
      await new Promise((r) => setTimeout(r, 2_000));
      const added = (await hub.auditEvents()).slice(before).filter((e) => e.service === "exchange" && e.objectId !== legit.id);
      expect(added.filter((e) => e.objectId === bulkId)).toHaveLength(1);
      expect(added.length).toBeLessThanOrEqual(2);
    });

    it("refuses a receipt submission carrying too many receipts or naming too many envelopes, logging each once", async () => {
      const before = (await hub.auditEvents()).length;
      const receipt = pb.Receipt.encode({ id: "r", kind: pb.ReceiptKind.RECEIPT_KIND_DELIVERED, envelopeIds: ["x"], issuer: "BE", recipient: "BE", addressee: "NL" }).finish();
      const many = pb.SubmitItem.encode({ receipts: { receipts: Array.from({ length: 50_000 }, () => ({ receipt })) } }).finish();
      const bulkId = `rcpt-bulk-${Date.now()}`;
      await submit(many, bulkId);
      expect((await refusal(bulkId)).reasonCode).toBe("LIAISON_TOO_MANY_ITEMS");
      await new Promise((r) => setTimeout(r, 1_000));
      // One receipt naming more envelopes than one submission may (each would be an audit event).
      const wide = pb.Receipt.encode({ id: "w", kind: pb.ReceiptKind.RECEIPT_KIND_DELIVERED, envelopeIds: Array.from({ length: 20_000 }, (_, i) => `e${i}`), issuer: "BE", recipient: "BE", addressee: "NL" }).finish();
      const wideId = `rcpt-wide-${Date.now()}`;
      await submit(pb.SubmitItem.encode({ receipts: { receipts: [{ receipt: wide }] } }).finish(), wideId);
      expect((await refusal(wideId)).reasonCode).toBe("LIAISON_TOO_MANY_ITEMS");
      await new Promise((r) => setTimeout(r, 1_000));
      const added = (await hub.auditEvents()).slice(before).filter((e) => e.service === "exchange");
      expect(added.map((e) => e.objectId).sort()).toEqual([bulkId, wideId].sort());
    });

    it("refuses an envelope signed with a revoked key", async () => {
      const registry = await hub.registry();
      const e = envelope();
      await registry.revokeKey("BE", keys.signing.keyId, "test: key compromised");
      try {
        // The exchange learns of the revocation through its registry watch.
        await new Promise((r) => setTimeout(r, 300));
        await submit(pb.SubmitItem.encode(e.item).finish(), e.id);
        expect((await refusal(e.id)).reasonCode).toBe("LIAISON_KEY_REVOKED");
      } finally {
        await registry.modify("BE", (cp) => {
          for (const k of cp.keys) {
            k.revokedAtMs = 0;
            k.revocationReason = "";
          }
        });
        await new Promise((r) => setTimeout(r, 300));
      }
    });
  });

  it("refuses receipts about an envelope not routed to their issuer, or addressed to someone other than its sender, routing none", async () => {
    const id = ((await send(be, request(["NL"], "for NL only"))).json() as { id: string }).id;
    await until(() => be.mailbox.status(be.mailbox.get(id)).status === "delivered", "delivery to NL");
    const receiptAs = async (cp: string, r: pb.IReceipt) => {
      const bytes = pb.Receipt.encode(r).finish();
      const [signature] = new BatchSigner(new Ed25519Signer(hub.keys(cp).signing)).signMany([{ type: "receipt", bytes }]);
      const nc = await hub.connectAs(cp);
      await jetstream(nc).publish(subjects.submit(cp, "normal"), pb.SubmitItem.encode({ receipts: { receipts: [{ receipt: bytes, signature: signature ?? null }] } }).finish(), { msgID: `forged-${r.id}` });
    };
    const beInbox = await inboxCount(hub, "BE");
    const deInbox = await inboxCount(hub, "DE");
    const base = { kind: pb.ReceiptKind.RECEIPT_KIND_ANSWERED, atMs: Date.now() };
    // DE never received it, yet says it answered it.
    await receiptAs("DE", { ...base, id: `${id}.answered.DE`, envelopeIds: [id], issuer: "DE", recipient: "DE", addressee: "BE" });
    // NL received it from BE, but tells DE about it.
    await receiptAs("NL", { ...base, id: `${id}.answered.NL.x`, envelopeIds: [id], issuer: "NL", recipient: "NL", addressee: "DE" });
    // An envelope nobody routed.
    await receiptAs("NL", { ...base, kind: pb.ReceiptKind.RECEIPT_KIND_DELIVERED, id: "never-routed.delivered.NL", envelopeIds: ["never-routed"], issuer: "NL", recipient: "NL", addressee: "BE" });

    let refusals: pb.IAuditEvent[] = [];
    await until(async () => {
      refusals = (await hub.auditEvents()).filter((e) => e.action === pb.AuditAction.AUDIT_ACTION_REFUSAL && e.objectType === "receipt" && [`${id}.answered.DE`, `${id}.answered.NL.x`, "never-routed.delivered.NL"].includes(e.objectId ?? ""));
      return refusals.length === 3;
    }, "three receipt refusals logged");
    expect(refusals.map((e) => e.reasonCode)).toEqual(["LIAISON_NOT_ADDRESSED", "LIAISON_NOT_ADDRESSED", "LIAISON_NOT_ADDRESSED"]);
    const events = await hub.auditEvents();
    expect(events.filter((e) => e.action === pb.AuditAction.AUDIT_ACTION_RECEIPT && e.objectId === id && e.authority !== "NL")).toEqual([]);
    expect(events.filter((e) => e.objectId === "never-routed" && e.action !== pb.AuditAction.AUDIT_ACTION_REFUSAL)).toEqual([]);
    // Nothing routed: BE and DE received no receipt from it.
    expect(await inboxCount(hub, "BE")).toBe(beInbox);
    expect(await inboxCount(hub, "DE")).toBe(deInbox);
    expect(be.mailbox.status(be.mailbox.get(id)).status).toBe("delivered");
  });

  it("keeps BE's credentials away from NL's inbox, NL's submit subject and every hub stream", async () => {
    const bnc = await hub.connectAs("BE");
    // BE's JetStream API is its own account's: the hub's streams and NL's store do not exist there.
    const jsm = await jetstreamManager(bnc);
    expect(await jsm.streams.names().next()).toEqual(["AP_BE", "AP_BE_PUSH"]);
    for (const stream of ["INBOX", "SUBMIT", "AUDIT", "KV_registry", "AP_NL"]) {
      await expect(jsm.streams.info(stream)).rejects.toThrow(/stream not found/i);
      await expect(jsm.streams.delete(stream)).rejects.toThrow(/stream not found/i);
    }
    // The hub's JetStream, as BE imports it, answers for BE's two inbox consumers and nothing else.
    const hubJs = jetstream(bnc, { apiPrefix: subjects.hubJsApi });
    expect((await (await hubJs.consumers.get("INBOX", "inbox-BE-normal")).info()).name).toBe("inbox-BE-normal");
    // nats.js reports the missing import (no responders) as JetStream not being enabled.
    await expect(hubJs.consumers.get("INBOX", "inbox-NL-normal")).rejects.toThrow(/not enabled|no responders/i);
    await expect(jetstream(bnc).publish(subjects.submit("NL", "normal"), new Uint8Array([1]))).rejects.toThrow();
    // A subscription to NL's inbox subject in BE's account hears nothing the hub routes to NL.
    const heard: string[] = [];
    const sub = bnc.subscribe(subjects.inbox("NL", "normal"), { callback: (_e, m) => void heard.push(m.subject) });
    await bnc.flush();
    const id = ((await send(be, request(["NL"], "not for BE's eyes"))).json() as { id: string }).id;
    await until(() => nl.mailbox.entries().some((e) => e.id === id), "NL to receive");
    sub.unsubscribe();
    expect(heard).toEqual([]);
  });

  it("gives a contact point that was offline everything that arrived meanwhile, in order", async () => {
    await nl.stop();
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) ids.push(((await send(be, request(["NL"], `offline ${i}`))).json() as { id: string }).id);
    const back = await hub.startAp("NL");
    await until(() => ids.every((id) => back.mailbox.entries().some((e) => e.id === id)), "NL to catch up");
    const arrived = [...back.mailbox.entries()].filter((e) => ids.includes(e.id)).sort((a, b) => a.seq - b.seq).map((e) => e.id);
    expect(arrived).toEqual(ids);
    nl = back;
  });

  it("delivers an urgent special-form notification ahead of a backlog of normal traffic", async () => {
    await de.stop();
    const backlog = new Set<string>();
    for (let i = 0; i < 200; i++) backlog.add(((await send(be, request(["DE"], `backlog ${i}`))).json() as { id: string }).id);
    const urgent = await send(be, { kind: "special-form", to: ["DE"], specialForm: { form: "hot-pursuit", location: "E40 Aachen" }, subject: "Hot pursuit", body: "crossing now" });
    const urgentId = (urgent.json() as { id: string }).id;
    backlog.add(urgentId);
    const back = await hub.startAp("DE");
    const arrived = () => back.mailbox.entries().filter((e) => backlog.has(e.id));
    await until(() => arrived().length === backlog.size, "DE to take its backlog");
    // The store sequence is the order of delivery.
    const order = arrived().sort((a, b) => a.seq - b.seq).map((e) => e.id);
    expect(order.indexOf(urgentId)).toBeLessThan(64);
    expect(back.mailbox.get(urgentId).header.priority).toBe(pb.Priority.PRIORITY_URGENT);
    de = back;
  });
});
