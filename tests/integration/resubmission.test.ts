// A sender's status reconciles with what was routed (issue #15): after nats-server was killed and the
// stack restarted, BE's resubmission of unconfirmed sends was refused as a replay, and two messages
// NL held showed "rejected" at BE. The exchange answers a resubmission of an envelope it already
// routed as accepted, and a recipient's own receipt outweighs a rejection at the sender.
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BatchSigner, Ed25519Signer, inboxItemOfEnvelope } from "../../src/crypto/mod.js";
import { HUB } from "../../src/domain/mod.js";
import { subjects } from "../../src/nats/mod.js";
import { pb } from "../../src/proto/mod.js";
import { startTestHub, until, type TestAccessPoint, type TestHub } from "../support/hub.js";

async function send(ap: TestAccessPoint, body: string): Promise<string> {
  const res = await ap.app.inject({
    method: "POST",
    url: "/v1/messages",
    headers: { authorization: `Bearer ${ap.token}` },
    payload: { kind: "request", to: ["NL"], legalBasis: "enquiries", subject: `Subject ${body}`, body },
  });
  expect(res.statusCode).toBe(202);
  return (res.json() as { id: string }).id;
}

/** The envelope BE submitted, as it sits in SUBMIT (the exchange has not taken it yet). */
async function submitted(hub: TestHub, id: string): Promise<Uint8Array> {
  const m = await (await jetstreamManager(hub.admin)).streams.getMessage("SUBMIT", { last_by_subj: subjects.submit("BE", "normal") });
  if (!m) throw new Error("nothing in SUBMIT");
  const env = pb.SubmitItem.decode(m.data).envelopes?.envelopes?.[0];
  if (!env) throw new Error("no envelope in SUBMIT");
  const sealed = pb.SealedContent.decode(pb.Envelope.decode(env).sealed);
  expect(pb.EnvelopeHeader.decode(sealed.header).id).toBe(id);
  return env;
}

async function copiesAt(hub: TestHub, cp: string): Promise<number> {
  const jsm = await jetstreamManager(hub.admin);
  const s = subjects.inbox(cp, "normal");
  return (await jsm.streams.info("INBOX", { subjects_filter: s })).state.subjects?.[s] ?? 0;
}

const signed = (keys: ReturnType<TestHub["keys"]>, receipt: pb.IReceipt): pb.ISignedReceipt => {
  const bytes = pb.Receipt.encode(receipt).finish();
  const [signature] = new BatchSigner(new Ed25519Signer(keys.signing)).signMany([{ type: "receipt", bytes }]);
  return { receipt: bytes, signature: signature ?? null };
};

describe("a sender's status after a lost confirmation", () => {
  let hub: TestHub;
  let be: TestAccessPoint;

  beforeAll(async () => {
    hub = await startTestHub({ cps: ["BE", "NL"] });
    // The access point reads the registry from the exchange as it starts; then the exchange is down.
    const exchange = await hub.startExchange();
    be = await hub.startAp("BE");
    await exchange.close();
  });
  afterAll(async () => {
    await hub?.stop();
  });

  it("answers the exchange's second look at an envelope it already routed as accepted, and NL holds one copy", async () => {
    const id = await send(be, "routed before the crash");
    const env = await submitted(hub, id);
    // The exchange routed it to NL, then the server was killed before its acceptance was written,
    // and its consumer's record of the delivery went with it: the submission comes again as new.
    await jetstream(hub.admin).publish(subjects.inbox("NL", "normal"), inboxItemOfEnvelope(env), { msgID: `${id}.NL` });
    expect(await copiesAt(hub, "NL")).toBe(1);

    await hub.startExchange();
    await until(() => be.mailbox.get(id).receipts.some((r) => r.issuer === HUB), "the hub's answer at BE");
    expect(be.mailbox.get(id).receipts.map((r) => pb.ReceiptKind[r.kind])).toEqual(["RECEIPT_KIND_ACCEPTED"]);
    expect(be.mailbox.get(id).recipients.get("NL")?.state).toBe("accepted");

    const nl = await hub.startAp("NL");
    await until(() => nl.mailbox.has(id), "NL to receive it");
    await until(() => be.mailbox.get(id).recipients.get("NL")?.state === "delivered", "BE to see it delivered");
    expect(be.mailbox.status(be.mailbox.get(id)).status).toBe("delivered");
    expect(await copiesAt(hub, "NL")).toBe(1);
    const events = await hub.auditEvents();
    expect(events.filter((e) => e.objectId === id && e.action === pb.AuditAction.AUDIT_ACTION_REFUSAL)).toEqual([]);
  });
});

describe("a recipient's receipt at the sender", () => {
  let hub: TestHub;

  beforeAll(async () => {
    hub = await startTestHub({ cps: ["BE", "NL"] });
  });
  afterAll(async () => {
    await hub?.stop();
  });

  it("shows a message its recipient confirms holding as delivered even after a rejection, and still after a restart", async () => {
    // No exchange once BE is up: the test writes what an exchange routed into BE's inbox itself.
    const exchange = await hub.startExchange();
    let be = await hub.startAp("BE");
    await exchange.close();
    const id = await send(be, "rejected, yet delivered");
    const jsm = await jetstreamManager(hub.admin);
    // The exchange took it long ago (this store's rejection and receipt came from an older hub).
    const stored = await jsm.streams.getMessage("SUBMIT", { last_by_subj: subjects.submit("BE", "normal") });
    expect(stored).not.toBeNull();
    await jsm.streams.deleteMessage("SUBMIT", stored?.seq ?? 0);
    // What an exchange before this fix sent BE: a rejection of its resubmission as a replay, then
    // NL's delivery receipt for the copy routed the first time.
    const rejection = signed(hub.hubKeys(), {
      id: `${id}.rejected.1.0`,
      kind: pb.ReceiptKind.RECEIPT_KIND_REJECTED,
      envelopeIds: [id],
      issuer: HUB,
      addressee: "BE",
      reasonCode: "LIAISON_REPLAY",
      reason: `envelope ${id} was routed before`,
      atMs: Date.now(),
    });
    const js = jetstream(hub.admin);
    await js.publish(subjects.inbox("BE", "normal"), pb.InboxItem.encode({ receipts: { receipts: [rejection] } }).finish());
    await until(() => be.mailbox.get(id).recipients.get("NL")?.state === "rejected", "the rejection at BE");
    const delivered = signed(hub.keys("NL"), { id: `${id}.delivered.NL`, kind: pb.ReceiptKind.RECEIPT_KIND_DELIVERED, envelopeIds: [id], issuer: "NL", recipient: "NL", addressee: "BE", atMs: Date.now() });
    await js.publish(subjects.inbox("BE", "normal"), pb.InboxItem.encode({ receipts: { receipts: [delivered] } }).finish());
    await until(() => be.mailbox.get(id).receipts.length === 2, "NL's receipt at BE");
    expect(be.mailbox.get(id).recipients.get("NL")?.state).toBe("delivered");
    expect(be.mailbox.status(be.mailbox.get(id)).status).toBe("delivered");

    // The same from BE's own store (what the access points that already hold such rejections see).
    await be.stop();
    await hub.startExchange();
    be = await hub.startAp("BE");
    expect(be.mailbox.status(be.mailbox.get(id)).status).toBe("delivered");
  });
});
