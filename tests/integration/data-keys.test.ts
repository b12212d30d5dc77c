import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jetstream } from "@nats-io/jetstream";
import { KekRing, newId } from "../../src/crypto/mod.js";
import { isLiaisonError } from "../../src/errors.js";
import { DataKeyStore, keyIdFor, keyLocation, wrapDataKey } from "../../src/keystore/mod.js";
import { provision } from "../../src/nats/mod.js";
import { pb } from "../../src/proto/mod.js";
import { prepareStackSecrets } from "../../src/stack/secrets.js";
import { startTestNats, type TestNats } from "../support/nats.js";

describe("data keys read beside their object", () => {
  let nats: TestNats;
  let home: string;
  let kek: KekRing;
  let keys: DataKeyStore;
  beforeAll(async () => {
    nats = await startTestNats({ own: true });
    const nc = await nats.connect();
    await provision(nc, { contactPoints: [] });
    home = mkdtempSync(join(tmpdir(), "liaison-data-keys-"));
    kek = new KekRing(prepareStackSecrets(home, []).hubSecretsFile);
    keys = await DataKeyStore.open(nc, kek);
  });
  afterAll(async () => {
    keys?.close();
    await nats?.stop();
    rmSync(home, { recursive: true, force: true });
  });

  it("stores a new key under the id that follows from its object's, and a read started before the object's gives that key", async () => {
    const objectId = newId();
    const created = await keys.create(objectId);
    expect(created.keyId).toBe(keyIdFor(objectId));
    const early = keys.prefetch(objectId);
    expect(early?.keyId).toBe(created.keyId);
    expect(Buffer.from(await keys.load(created.keyId, objectId, early)).equals(Buffer.from(created.key))).toBe(true);
  });

  it("still reads a key stored under a random id before key ids followed from object ids", async () => {
    const objectId = newId();
    const legacyId = newId(); // as newKeyId() made them: a random id in RECORD_KEYS
    const key = randomBytes(32);
    const at = keyLocation(legacyId);
    expect(at.stream).toBe("RECORD_KEYS");
    await jetstream(await nats.connect()).publish(at.subject, pb.WrappedDataKey.encode(wrapDataKey(kek.current(), legacyId, objectId, key)).finish());
    const early = keys.prefetch(objectId); // looks where a new key would be, finds nothing
    expect(Buffer.from(await keys.load(legacyId, objectId, early)).equals(key)).toBe(true);
    // The read ahead found nothing and is not used: its failure is not thrown for the legacy key.
    const r = await early?.result;
    expect(r && "error" in r && isLiaisonError(r.error) && r.error.code).toBe("LIAISON_ERASED");
  });

  it("refuses an erased key whether or not it was read ahead, and reads nothing ahead for what is not an object id", async () => {
    const objectId = newId();
    const created = await keys.create(objectId);
    await keys.erase(created.keyId);
    const code = (p: Promise<unknown>) => p.then(() => "loaded", (err: unknown) => (isLiaisonError(err) ? err.code : String(err)));
    expect(await code(keys.load(created.keyId, objectId, keys.prefetch(objectId)))).toBe("LIAISON_ERASED");
    expect(await code(keys.load(created.keyId, objectId))).toBe("LIAISON_ERASED");
    expect(keys.prefetch("no.such>id")).toBeUndefined();
    expect(keys.prefetch("")).toBeUndefined();
  });

  it("refuses a key read ahead for one object when asked for another's", async () => {
    const a = newId();
    const b = newId();
    const ka = await keys.create(a);
    // Object b claims a's key: the key names its object, so this is refused, read ahead or not.
    const code = (p: Promise<unknown>) => p.then(() => "loaded", (err: unknown) => (isLiaisonError(err) ? err.code : String(err)));
    expect(await code(keys.load(ka.keyId, b, keys.prefetch(b)))).toBe("LIAISON_INTERNAL");
    expect(await code(keys.load(ka.keyId, b, keys.prefetch(a)))).toBe("LIAISON_INTERNAL");
  });
});
