// Issue #17, "Keys and users": `liaison keys init --force` threw the old encryption key away, so
// older inbox messages no longer opened. A rotation keeps what came before working: BE's keys are
// rotated while a message to BE is stored and one signed by BE waits in DE's inbox; BE still opens
// the first, DE still verifies the second, and what is sent to BE afterwards is sealed to its new
// key. A key the hub's administrator revokes is refused at every member within seconds.
import { existsSync, readFileSync, rmSync } from "node:fs";
import { DeliverPolicy, jetstream } from "@nats-io/jetstream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isLiaisonError } from "../../src/errors.js";
import { AuditEmitter } from "../../src/audit/mod.js";
import { BatchSigner, Ed25519Signer, readKeyFile, readSecretFile, Sealer, type KeyPair } from "../../src/crypto/mod.js";
import { subjects } from "../../src/nats/mod.js";
import { pb } from "../../src/proto/mod.js";
import { describeEntry, readRegistryEntries, REGISTRY_CHANGED_SUBJECT, revokeContactPointKey, rotateContactPointKeys } from "../../src/registry/mod.js";
import { startTestHub, until, type TestAccessPoint, type TestHub } from "../support/hub.js";

const request = (to: string[], body: string) => ({ kind: "request", to, legalBasis: "enquiries", subject: `Subject ${body}`, body });

async function send(ap: TestAccessPoint, to: string[], body: string): Promise<string> {
  const res = await ap.app.inject({ method: "POST", url: "/v1/messages", headers: { authorization: `Bearer ${ap.token}` }, payload: request(to, body) });
  expect(res.statusCode).toBe(202);
  return (res.json() as { id: string }).id;
}

describe("key rotation and revocation", () => {
  let hub: TestHub;
  let be: TestAccessPoint;
  let nl: TestAccessPoint;

  beforeAll(async () => {
    hub = await startTestHub({ cps: ["BE", "NL", "DE"] });
    await hub.startExchange();
    [be, nl] = await Promise.all([hub.startAp("BE"), hub.startAp("NL")]);
  });
  afterAll(async () => {
    await hub?.stop();
  });

  /** The envelope with that id as the hub routed it into `cp`'s inbox. */
  async function routedEnvelope(cp: string, id: string): Promise<pb.SealedContent> {
    let found: pb.SealedContent | undefined;
    await until(async () => {
      const c = await jetstream(hub.admin).consumers.get("INBOX", { filter_subjects: [subjects.inbox(cp, "normal")], deliver_policy: DeliverPolicy.All });
      const iter = await c.fetch({ max_messages: 100, expires: 1_000 });
      for await (const m of iter) {
        const env = pb.InboxItem.decode(m.data).envelope;
        if (!env?.sealed) continue;
        const sealed = pb.SealedContent.decode(env.sealed);
        if (pb.EnvelopeHeader.decode(sealed.header).id === id) found = sealed;
      }
      return found !== undefined;
    }, `envelope ${id} in ${cp}'s inbox`);
    return found as pb.SealedContent;
  }

  /** Resolves on the next registry notice the exchange publishes (access points refresh on it). */
  function nextRegistryNotice(): Promise<void> {
    return new Promise((resolve) => {
      const sub = hub.admin.subscribe(REGISTRY_CHANGED_SUBJECT, { max: 1, callback: () => resolve() });
      void sub.closed;
    });
  }

  it("keeps older messages opening and older signatures verifying, and seals newer messages to the new key", async () => {
    const keyFile = hub.secrets.contactPoints.find((c) => c.cp === "BE")?.keyFile ?? "";
    const before = readKeyFile(keyFile);

    // Before the rotation: NL → BE (stored at BE), BE → DE (waiting in DE's inbox: DE is offline).
    const toBe = await send(nl, ["BE"], "before the rotation");
    await until(() => be.mailbox.has(toBe), "NL's message at BE");
    const toDe = await send(be, ["DE"], "signed with the old key");
    expect((await routedEnvelope("DE", toDe)).header).toBeDefined();

    // BE's access point keeps running through the rotation.
    const notice = nextRegistryNotice();
    const audit = new AuditEmitter(hub.admin, "test");
    const { keys, encryptionFromMs } = await rotateContactPointKeys({ registry: await hub.registry(), audit, by: "test-admin", keyFile, activateAfterMs: 2_000 });
    audit.close();
    const newEnc = keys.encryption[0] as KeyPair;
    expect(keys.signing.keyId).not.toBe(before.signing.keyId);
    expect(newEnc.keyId).not.toBe(before.encryption[0]?.keyId);
    // The key file keeps the old encryption key and stays readable only by its owner.
    expect(keys.encryption.map((k) => k.keyId)).toEqual([newEnc.keyId, before.encryption[0]?.keyId]);
    expect(() => readSecretFile(keyFile)).not.toThrow();

    // The registry shows the new signing key active and the old one retired; the new encryption
    // key becomes valid a moment later, the old one stays in use until then.
    const rowsAt = async (at: number) => {
      const entry = (await readRegistryEntries(hub.admin, hub.registryTrust)).entries.find((e) => e.code === "BE");
      return describeEntry(entry ?? {}, at, 30)
        .keys.map((r) => [r.keyId, r.status])
        .sort();
    };
    expect(await rowsAt(Date.now())).toEqual(
      [
        [before.signing.keyId, "retired"],
        [keys.signing.keyId, "active"],
        [before.encryption[0]?.keyId, "active"],
        [newEnc.keyId, "not-yet-valid"],
      ].sort(),
    );
    expect(await rowsAt(encryptionFromMs)).toEqual(
      [
        [before.signing.keyId, "retired"],
        [keys.signing.keyId, "active"],
        [before.encryption[0]?.keyId, "retired"],
        [newEnc.keyId, "active"],
      ].sort(),
    );

    // NL has the new entry: until the new key is valid it still seals to the old one, then to the new.
    await notice;
    await new Promise((r) => setTimeout(r, 300));
    expect(Date.now()).toBeLessThan(encryptionFromMs);
    const during = await send(nl, ["BE"], "during the rotation");
    expect((await routedEnvelope("BE", during)).keys.filter((k) => k.recipient === "BE").map((k) => k.keyId)).toEqual([before.encryption[0]?.keyId]);
    await new Promise((r) => setTimeout(r, encryptionFromMs - Date.now() + 50));
    const after = await send(nl, ["BE"], "after the rotation");
    expect((await routedEnvelope("BE", after)).keys.filter((k) => k.recipient === "BE").map((k) => k.keyId)).toEqual([newEnc.keyId]);

    // The running BE opens all three: it read the new key from its key file.
    await until(() => be.mailbox.has(after) && be.mailbox.has(during), "NL's later messages at BE");
    expect((await be.mailbox.open(toBe)).payload.body).toBe("before the rotation");
    expect((await be.mailbox.open(during)).payload.body).toBe("during the rotation");
    expect((await be.mailbox.open(after)).payload.body).toBe("after the rotation");

    // DE, offline until now, verifies what BE signed before the rotation.
    const de = await hub.startAp("DE");
    await until(() => de.mailbox.has(toDe), "BE's message signed before the rotation, at DE");
    expect((await de.mailbox.open(toDe)).entry.header.senderKeyId).toBe(before.signing.keyId);

    // Restarted, BE signs with its new key, and still opens what came before.
    await be.stop();
    be = await hub.startAp("BE");
    expect((await be.mailbox.open(toBe)).payload.body).toBe("before the rotation");
    const next = await send(be, ["DE"], "signed with the new key");
    await until(() => de.mailbox.has(next), "BE's message signed after the rotation, at DE");
    expect(de.mailbox.get(next).header.senderKeyId).toBe(keys.signing.keyId);
    expect((await de.mailbox.open(next)).payload.body).toBe("signed with the new key");

    const events = await hub.auditEvents();
    expect(events.some((e) => e.action === pb.AuditAction.AUDIT_ACTION_KEY_CHANGE && e.objectId === "BE" && e.details?.change === "rotated")).toBe(true);
  });

  it("refuses at a member, within seconds, a message signed with a key the administrator revoked, and logs the revocation", async () => {
    const de = await hub.startAp("DE");
    const nlKey = hub.keys("NL").signing;
    const audit = new AuditEmitter(hub.admin, "test");
    await revokeContactPointKey({ registry: await hub.registry(), audit, by: "test-admin", code: "NL", keyId: nlKey.keyId, reason: "test: compromised" });
    audit.close();
    // DE's operators see it revoked in their access point's registry, within seconds.
    const started = Date.now();
    await until(async () => {
      const res = await de.app.inject({ method: "GET", url: "/v1/registry", headers: { authorization: `Bearer ${de.token}` } });
      const nl = (res.json() as { contactPoints: Array<{ code: string; keys: Array<{ keyId: string; status: string; revocationReason?: string }> }> }).contactPoints.find((c) => c.code === "NL");
      const k = nl?.keys.find((x) => x.keyId === nlKey.keyId);
      return k?.status === "revoked" && k.revocationReason === "test: compromised";
    }, "NL's key shown revoked at DE", 10_000);
    expect(Date.now() - started).toBeLessThan(10_000);
    const entry = (await readRegistryEntries(hub.admin, hub.registryTrust)).entries.find((e) => e.code === "NL");
    const row = describeEntry(entry ?? {}, Date.now(), 30).keys.find((k) => k.keyId === nlKey.keyId);
    expect(row?.status).toBe("revoked");
    expect(row?.revocationReason).toBe("test: compromised");

    // A message "from NL" signed with the revoked key, put straight into DE's inbox (past the
    // exchange, which refuses it too): DE's own registry view refuses it.
    const deKey = hub.keys("DE").encryption[0] as KeyPair;
    const header: pb.IEnvelopeHeader = { id: `revoked-${Date.now()}`, sender: "NL", recipients: ["DE"], kind: pb.MessageKind.MESSAGE_KIND_REQUEST, createdAtMs: Date.now(), priority: pb.Priority.PRIORITY_NORMAL, caseRef: "R", senderKeyId: nlKey.keyId };
    const sealed = new Sealer().seal(header, pb.Payload.encode({ subject: "s", body: "b" }).finish(), [{ cp: "DE", keyId: deKey.keyId, publicKey: deKey.publicKey }]);
    const [signature] = new BatchSigner(new Ed25519Signer(nlKey)).signMany([{ type: "envelope", bytes: sealed }]);
    await until(async () => {
      await jetstream(hub.admin).publish(subjects.inbox("DE", "normal"), pb.InboxItem.encode({ envelope: { sealed, signature: signature ?? null } }).finish());
      await new Promise((r) => setTimeout(r, 200));
      return (await hub.auditEvents()).some((e) => e.authority === "DE" && e.action === pb.AuditAction.AUDIT_ACTION_REFUSAL && e.reasonCode === "LIAISON_KEY_REVOKED");
    }, "DE to refuse a message signed with NL's revoked key", 10_000);
    expect(de.mailbox.has(header.id ?? "")).toBe(false);
    const events = await hub.auditEvents();
    const revocation = events.find((e) => e.action === pb.AuditAction.AUDIT_ACTION_KEY_CHANGE && e.objectId === "NL" && e.details?.change === "revoked");
    expect(revocation?.userId).toBe("test-admin");
    expect(revocation?.details?.reason).toBe("test: compromised");
  });
  it("refuses a new message signed with the old signing key once the rotation's grace period is over, and still takes in one the hub accepted before", async () => {
    const keyFile = hub.secrets.contactPoints.find((c) => c.cp === "BE")?.keyFile ?? "";
    const oldKeyId = readKeyFile(keyFile).signing.keyId;
    // NL is offline: what BE signed before the rotation waits in its inbox past the grace period.
    await nl.stop();
    const early = await send(be, ["NL"], "signed before the grace period ended");
    expect(pb.EnvelopeHeader.decode((await routedEnvelope("NL", early)).header).senderKeyId).toBe(oldKeyId);

    const audit = new AuditEmitter(hub.admin, "test");
    const { signingUntilMs } = await rotateContactPointKeys({ registry: await hub.registry(), audit, by: "test-admin", keyFile, activateAfterMs: 500, graceMs: 2_000 });
    audit.close();
    const entry = (await readRegistryEntries(hub.admin, hub.registryTrust)).entries.find((e) => e.code === "BE");
    expect(Number(entry?.keys.find((k) => k.keyId === oldKeyId)?.notAfterMs)).toBe(signingUntilMs);
    expect(describeEntry(entry ?? {}, signingUntilMs, 30).keys.find((k) => k.keyId === oldKeyId)?.status).toBe("expired");

    // BE's access point, not restarted, still signs with the old key: refused after the grace period.
    await new Promise((r) => setTimeout(r, signingUntilMs - Date.now() + 200));
    const late = await send(be, ["NL"], "signed after the grace period");
    await until(
      async () => (await hub.auditEvents()).some((e) => e.action === pb.AuditAction.AUDIT_ACTION_REFUSAL && e.reasonCode === "LIAISON_KEY_EXPIRED" && e.objectId === late),
      "the exchange to refuse a message signed with the expired key",
      10_000,
    );

    // NL, back after the grace period, takes in and opens what the hub accepted before it ended.
    nl = await hub.startAp("NL");
    await until(() => nl.mailbox.has(early), "the message signed before the grace period ended, at NL");
    expect((await nl.mailbox.open(early)).payload.body).toBe("signed before the grace period ended");
    expect(nl.mailbox.has(late)).toBe(false);
    expect((await hub.auditEvents()).some((e) => e.authority === "NL" && e.action === pb.AuditAction.AUDIT_ACTION_REFUSAL && e.reasonCode === "LIAISON_KEY_EXPIRED")).toBe(false);
  });

  it("keeps the new private keys when the registry write fails, and completes the rotation when the write landed but its answer was lost", async () => {
    const keyFile = hub.secrets.contactPoints.find((c) => c.cp === "DE")?.keyFile ?? "";
    const pending = `${keyFile}.rotating`;
    const before = readFileSync(keyFile, "utf8");
    const registered = async () => (await readRegistryEntries(hub.admin, hub.registryTrust)).entries.find((e) => e.code === "DE")?.keys.map((k) => k.keyId) ?? [];
    const audit = new AuditEmitter(hub.admin, "test");

    // The write never reached the registry: the key file is as it was, the new keys stay pending.
    const refusing = await hub.registry();
    refusing.addKeys = () => Promise.reject(new Error("test: no answer from the registry"));
    const refused = await rotateContactPointKeys({ registry: refusing, audit, by: "test-admin", keyFile }).catch((err: unknown) => err);
    expect(isLiaisonError(refused) && refused.code).toBe("LIAISON_UNAVAILABLE");
    expect(String((refused as Error).message)).toContain(pending);
    expect(readFileSync(keyFile, "utf8")).toBe(before);
    const kept = readKeyFile(pending);
    expect(kept.signing.keyId).not.toBe(readKeyFile(keyFile).signing.keyId);
    expect(await registered()).not.toContain(kept.signing.keyId);
    rmSync(pending);

    // The write landed, its answer was lost: the registry lists the new keys, so the key file gets them.
    const lossy = await hub.registry();
    const addKeys = lossy.addKeys.bind(lossy);
    lossy.addKeys = async (...args) => {
      await addKeys(...args);
      throw new Error("test: the answer was lost");
    };
    const { keys } = await rotateContactPointKeys({ registry: lossy, audit, by: "test-admin", keyFile });
    audit.close();
    expect(existsSync(pending)).toBe(false);
    const now = readKeyFile(keyFile);
    expect(now.signing.keyId).toBe(keys.signing.keyId);
    expect(await registered()).toEqual(expect.arrayContaining([keys.signing.keyId, keys.encryption[0]?.keyId]));
    expect(now.encryption.map((k) => k.keyId)).toContain(keys.encryption[0]?.keyId);
  });
});
