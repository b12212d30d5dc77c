// Defence in depth behind the accounts (issue #13): a registry entry is trusted only if the
// registry key signed it. The outside tester put a rogue signing key into NL's entry, after which
// DE and FR accepted messages "from NL". Here whoever can write the bucket (the hole the accounts
// close, or a mistake behind them) writes NL's entry unsigned, signed by another key, altered, and
// rolled back; every reader — the exchange, the data services, the access points — refuses each,
// keeps NL's real entry, and the refusal is in the access log.
import { jetstream } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BatchSigner, Ed25519Signer, generateSigningKey, Sealer, type KeyPair } from "../../src/crypto/mod.js";
import { subjects } from "../../src/nats/mod.js";
import { pb } from "../../src/proto/mod.js";
import { publicKeyEntry, registryKey, signEntry } from "../../src/registry/mod.js";
import { startTestHub, until, type TestAccessPoint, type TestHub } from "../support/hub.js";

describe("signed registry entries", () => {
  let hub: TestHub;
  let de: TestAccessPoint;
  let exchange: Awaited<ReturnType<TestHub["startExchange"]>>;
  const rogue = generateSigningKey("NL");
  const withRogueKey = (cp: pb.IContactPoint | undefined) =>
    pb.ContactPoint.create({ ...cp, keys: [...(cp?.keys ?? []), publicKeyEntry(rogue, Date.now() - 1_000)], version: Number(cp?.version ?? 0) + 1 });

  beforeAll(async () => {
    hub = await startTestHub({ cps: ["BE", "NL", "DE"] });
    exchange = await hub.startExchange();
    await hub.startRecords();
    de = await hub.startAp("DE");
  });
  afterAll(async () => {
    await hub?.stop();
  });

  /** An envelope "from NL" to DE, signed with the rogue key. */
  function rogueEnvelope(): { id: string; item: pb.IInboxItem & pb.ISubmitItem } {
    const deKey = hub.keys("DE").encryption[0] as KeyPair;
    const header: pb.IEnvelopeHeader = {
      id: `rogue-${Math.random().toString(36).slice(2)}`,
      sender: "NL",
      recipients: ["DE"],
      kind: pb.MessageKind.MESSAGE_KIND_REQUEST,
      createdAtMs: Date.now(),
      priority: pb.Priority.PRIORITY_NORMAL,
      caseRef: "ROGUE",
      senderKeyId: rogue.keyId,
    };
    const sealed = new Sealer().seal(header, pb.Payload.encode({ subject: "s", body: "from a rogue key" }).finish(), [{ cp: "DE", keyId: deKey.keyId, publicKey: deKey.publicKey }]);
    const [signature] = new BatchSigner(new Ed25519Signer(rogue)).signMany([{ type: "envelope", bytes: sealed }]);
    return { id: header.id ?? "", item: { envelope: { sealed, signature: signature ?? null } } };
  }

  /** The rogue envelope, submitted on NL's own subject with NL's own credentials. */
  async function submitAsNlWithRogueKey(): Promise<string> {
    const { id, item } = rogueEnvelope();
    await jetstream(await hub.connectAs("NL")).publish(subjects.submit("NL", "normal"), pb.SubmitItem.encode(item).finish(), { msgID: id });
    return id;
  }

  async function refusalOf(objectId: string, reason: string): Promise<pb.IAuditEvent> {
    let ev: pb.IAuditEvent | undefined;
    await until(async () => {
      ev = (await hub.auditEvents()).find((e) => e.action === pb.AuditAction.AUDIT_ACTION_REFUSAL && e.objectId === objectId && e.reasonCode === reason);
      return ev !== undefined;
    }, `a ${reason} refusal of ${objectId}`);
    return ev as pb.IAuditEvent;
  }

  it("refuses NL's entry with a rogue key in it, unsigned or signed by another key, at the hub's readers, and logs it", async () => {
    const kv = await new Kvm(hub.admin).open("registry");
    const real = await (await hub.registry()).read("NL");
    expect(real?.unsigned).toBe(false);

    // Unsigned, as the registry was before entries were signed.
    await kv.put(registryKey("NL"), pb.ContactPoint.encode(withRogueKey(real?.cp)).finish());
    const refusal = await refusalOf("NL", "LIAISON_REGISTRY_TAMPERED");
    expect(refusal.objectType).toBe("registry-entry");
    const id1 = await submitAsNlWithRogueKey();
    expect((await refusalOf(id1, "LIAISON_UNKNOWN_KEY")).authority).toBe("NL");

    // Signed, but by a key that is not the registry's.
    await kv.put(registryKey("NL"), signEntry(withRogueKey(real?.cp), generateSigningKey("REGISTRY")));
    const id2 = await submitAsNlWithRogueKey();
    expect((await refusalOf(id2, "LIAISON_UNKNOWN_KEY")).authority).toBe("NL");
    // Both hub readers refused it: the exchange and the records service (each its own watch).
    const services = new Set((await hub.auditEvents()).filter((e) => e.reasonCode === "LIAISON_REGISTRY_TAMPERED" && e.objectId === "NL").map((e) => e.service));
    expect(services).toEqual(new Set(["exchange", "records"]));

    // The administrator's next signed write puts things right.
    await (await hub.registry()).upsert({ code: "NL", name: real?.cp.name ?? "NL", active: true, keys: [] });
  });

  it("has an access point refuse a rogue entry even from the hub's own registry endpoint, and a message signed with its key", async () => {
    const real = await (await hub.registry()).read("NL");
    // Every genuine entry but NL's, as the bucket holds them.
    const kv = await new Kvm(hub.admin).open("registry");
    const entries: pb.ISignedContactPoint[] = [];
    for await (const k of await kv.keys()) {
      const e = await kv.get(k);
      if (e?.value && k !== registryKey("NL")) entries.push(pb.SignedContactPoint.decode(e.value));
    }
    // A compromised registry endpoint: NL's entry with the rogue key, signed by some other key.
    await exchange.close();
    const rogueEndpoint = hub.admin.subscribe(subjects.api("registry", "list"), {
      callback: (_err, m) => void m.respond(pb.RegistrySnapshot.encode({ entries: [...entries, pb.SignedContactPoint.decode(signEntry(withRogueKey(real?.cp), generateSigningKey("REGISTRY")))] }).finish()),
    });
    try {
      hub.admin.publish(subjects.live("registry"));
      const refused = await refusalOf("NL", "LIAISON_REGISTRY_TAMPERED");
      await until(async () => (await hub.auditEvents()).some((e) => e.reasonCode === "LIAISON_REGISTRY_TAMPERED" && e.authority === "DE"), "DE's own refusal of NL's entry");
      expect(refused.objectType).toBe("registry-entry");
      // A message "from NL" signed with the rogue key, put straight into DE's inbox: DE refuses it.
      const { id, item } = rogueEnvelope();
      await jetstream(hub.admin).publish(subjects.inbox("DE", "normal"), pb.InboxItem.encode(item).finish());
      await until(async () => (await hub.auditEvents()).some((e) => e.authority === "DE" && e.action === pb.AuditAction.AUDIT_ACTION_REFUSAL && e.reasonCode === "LIAISON_UNKNOWN_KEY"), "DE to refuse the rogue message");
      expect(de.mailbox.has(id)).toBe(false);
    } finally {
      rogueEndpoint.unsubscribe();
      exchange = await hub.startExchange();
    }
  });

  it("refuses an altered signed entry and a signed entry of another code", async () => {
    const kv = await new Kvm(hub.admin).open("registry");
    const good = await kv.get(registryKey("NL"));
    const signed = pb.SignedContactPoint.decode(good?.value ?? new Uint8Array());
    const entry = pb.ContactPoint.decode(signed.entry);
    entry.active = false;
    const altered = pb.SignedContactPoint.encode({ ...signed, entry: pb.ContactPoint.encode(entry).finish() }).finish();
    const before = (await hub.auditEvents()).filter((e) => e.reasonCode === "LIAISON_REGISTRY_TAMPERED").length;
    await kv.put(registryKey("NL"), altered);
    await until(async () => (await hub.auditEvents()).filter((e) => e.reasonCode === "LIAISON_REGISTRY_TAMPERED").length > before, "the altered entry's refusal");
    // BE's entry, signed by the registry, stored as NL's.
    const be = await kv.get(registryKey("BE"));
    const count = (await hub.auditEvents()).filter((e) => e.reasonCode === "LIAISON_REGISTRY_TAMPERED").length;
    await kv.put(registryKey("NL"), be?.value ?? new Uint8Array());
    await until(async () => (await hub.auditEvents()).filter((e) => e.reasonCode === "LIAISON_REGISTRY_TAMPERED").length > count, "the misplaced entry's refusal");
    // Messages from the real NL still go through: its entry was kept.
    await (await hub.registry()).upsert({ code: "NL", name: "NL", active: true, keys: [] });
  });

  it("refuses an older signed entry replayed over a newer one (a revocation rolled back)", async () => {
    const registry = await hub.registry();
    const kv = await new Kvm(hub.admin).open("registry");
    const beforeRevocation = (await kv.get(registryKey("BE")))?.value ?? new Uint8Array();
    const beKey = hub.keys("BE").signing;
    await registry.revokeKey("BE", beKey.keyId, "test: compromised");
    try {
      await kv.put(registryKey("BE"), beforeRevocation);
      const ev = await refusalOf("BE", "LIAISON_REGISTRY_TAMPERED");
      expect(ev.details?.reason).toMatch(/older than version/);
      // The exchange still holds BE's key as revoked: a message signed with it is refused as such.
      const deKey = hub.keys("DE").encryption[0] as KeyPair;
      const header: pb.IEnvelopeHeader = { id: `revoked-${Date.now()}`, sender: "BE", recipients: ["DE"], kind: pb.MessageKind.MESSAGE_KIND_REQUEST, createdAtMs: Date.now(), priority: pb.Priority.PRIORITY_NORMAL, caseRef: "R", senderKeyId: beKey.keyId };
      const sealed = new Sealer().seal(header, pb.Payload.encode({ subject: "s", body: "b" }).finish(), [{ cp: "DE", keyId: deKey.keyId, publicKey: deKey.publicKey }]);
      const [signature] = new BatchSigner(new Ed25519Signer(beKey)).signMany([{ type: "envelope", bytes: sealed }]);
      await jetstream(await hub.connectAs("BE")).publish(subjects.submit("BE", "normal"), pb.SubmitItem.encode({ envelope: { sealed, signature: signature ?? null } }).finish(), { msgID: header.id ?? "" });
      expect((await refusalOf(header.id ?? "", "LIAISON_KEY_REVOKED")).authority).toBe("BE");
    } finally {
      await registry.modify("BE", (cp) => {
        for (const k of cp.keys) {
          k.revokedAtMs = 0;
          k.revocationReason = "";
        }
      });
    }
  });
});
