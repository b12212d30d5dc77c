import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jetstream } from "@nats-io/jetstream";
import { headers } from "@nats-io/nats-core";
import { BlindStore, carryOutErasureOrder, ERASE_ATTEMPTS, REPLACES_HEADER, type ErasureSteps } from "../../src/blindstore/mod.js";
import { isLiaisonError, LiaisonError } from "../../src/errors.js";
import { createLogger } from "../../src/log/mod.js";
import { provision } from "../../src/nats/mod.js";
import { pb } from "../../src/proto/mod.js";
import { startTestNats, type TestNats } from "../support/nats.js";
import { filesUnder, readStoreFile } from "../support/store-files.js";

describe("blind store erasure", () => {
  let nats: TestNats;
  beforeAll(async () => {
    nats = await startTestNats({ own: true });
    await provision(await nats.connect(), { contactPoints: [] });
  });
  afterAll(async () => {
    await nats?.stop();
  });

  it("erases the current revision from disk even when told an older one, and followers drop the object", async () => {
    const log = createLogger("test", "silent");
    const nc = await nats.connect();
    const store = await BlindStore.open(nc, "records", "rec", log);
    const follower = await BlindStore.open(await nats.connect(), "records", "rec", log);
    await follower.follow();
    const index = (id: string) => ({ id, supplier: "BE", category: 1, blindIndexes: [randomBytes(32)], indexTypes: ["company-name"] });

    const first = randomBytes(300);
    const second = randomBytes(300);
    const s1 = await store.put("r1", first, index("r1"), 0);
    await store.put("r1", second, index("r1"), s1); // amended after the eraser read revision s1
    const other = randomBytes(300);
    await store.put("r2", other, index("r2"), 0);
    await expect.poll(() => follower.index.size).toBe(2);

    await store.erase("r1", s1);
    expect(await store.get("r1")).toBeUndefined();
    expect(Buffer.from((await store.get("r2"))?.bytes ?? []).equals(other)).toBe(true);
    await expect.poll(() => follower.index.size).toBe(1);

    // Neither revision's bytes are left in any file of the store; the other object's are.
    const files = filesUnder(nats.storeDir as string);
    for (const [name, gone] of [["first", first], ["second", second]] as const) expect(files.filter((f) => readStoreFile(f).includes(gone)), name).toEqual([]);
    expect(files.some((f) => readStoreFile(f).includes(other))).toBe(true);
    store.close();
    follower.close();
  });

  it("marks an object erased only if it is unchanged, overwrites an older revision left behind first, and overwrites the marked one later", async () => {
    const log = createLogger("test", "silent");
    const nc = await nats.connect();
    const store = await BlindStore.open(nc, "records", "rec", log);
    const js = jetstream(nc);
    // Two revisions stored, as when an update could not overwrite the one it replaced (the update
    // names it in a header).
    const older = randomBytes(300);
    const latest = randomBytes(300);
    const olderRev = (await js.publish("$KV.records.rec.r3", older)).seq;
    const h = headers();
    h.set(REPLACES_HEADER, String(olderRev));
    const rev = (await js.publish("$KV.records.rec.r3", latest, { headers: h })).seq;
    expect((await store.get("r3"))?.replaces).toBe(olderRev);
    const onDisk = (b: Uint8Array) => filesUnder(nats.storeDir as string).some((f) => readStoreFile(f).includes(Buffer.from(b)));
    await expect.poll(() => onDisk(older) && onDisk(latest)).toBe(true);

    // Told an earlier revision than the latest: nothing happens.
    const stale = await store.tombstone("r3", rev - 1).catch((e: unknown) => e);
    expect(isLiaisonError(stale) && stale.code).toBe("LIAISON_CONFLICT");
    expect(Buffer.from((await store.get("r3"))?.bytes ?? []).equals(latest)).toBe(true);

    await store.tombstone("r3", rev, (await store.get("r3"))?.replaces);
    expect(await store.get("r3")).toBeUndefined();
    expect(onDisk(older)).toBe(false); // overwritten before the marker could push it out unerased
    expect(onDisk(latest)).toBe(true); // waits for the second step
    expect(await store.overwritePending("r3")).toBe(rev);
    // The second step refuses another object's revision, and an object not marked erased.
    const other = (await js.publish("$KV.records.rec.r4", randomBytes(300))).seq;
    expect(await store.overwrite("r3", other).catch((e: unknown) => isLiaisonError(e) && e.code)).toBe("LIAISON_VALIDATION");
    expect(await store.overwrite("r4", other).catch((e: unknown) => isLiaisonError(e) && e.code)).toBe("LIAISON_CONFLICT");
    expect(await store.overwrite("r3", rev)).toBe(true);
    expect(onDisk(latest)).toBe(false);
    expect(await store.overwrite("r3", rev)).toBe(false); // done already
    store.close();
  });

  it("carries out an erasure order through a concurrent amendment: the marker finds the newer revision, and the order reads, checks and erases again", async () => {
    const log = createLogger("test", "silent");
    const store = await BlindStore.open(await nats.connect(), "records", "rec", log);
    const index = (id: string) => ({ id, supplier: "BE", category: 1, blindIndexes: [randomBytes(32)], indexTypes: ["company-name"] });
    const steps = (o: { amendFirst?: boolean; amendAlways?: boolean; heldAfterAmend?: boolean }) => {
      const seen: Array<{ bytes: string; overwriteLater?: string }> = [];
      let amended = 0;
      let lastAmendment = new Uint8Array();
      const s: ErasureSteps<Uint8Array> = {
        objectType: "record",
        noun: "record",
        decode: (b) => b,
        check: (b) => {
          if (o.heldAfterAmend && amended > 0) throw new LiaisonError("LIAISON_ON_HOLD", "held meanwhile");
          seen.push({ bytes: Buffer.from(b).toString("hex").slice(0, 8) });
        },
        erase: async (b, order, opts) => {
          // An amendment lands between the order's read and its delete marker.
          if ((o.amendFirst && amended === 0) || o.amendAlways) {
            amended++;
            lastAmendment = randomBytes(300);
            await store.put(order.objectId, lastAmendment, index(order.objectId), opts.revision ?? 0);
          }
          const last = seen.at(-1);
          if (last) last.overwriteLater = opts.overwriteLater;
          await store.shred(order.objectId, async () => undefined, opts);
          return { objectType: "record", objectId: order.objectId, overwritePendingRevision: opts.revision ?? 0 };
        },
      };
      return { s, seen, amended: () => amended, lastAmendment: () => lastAmendment };
    };
    const order = (id: string) => pb.ErasureOrder.create({ objectId: id, rule: "cis-review", dueAtMs: Date.now() });

    // Amended once during the erasure: the second attempt erases the amended revision.
    const first = randomBytes(300);
    await store.put("e1", first, index("e1"), 0);
    const once = steps({ amendFirst: true });
    const cert = await carryOutErasureOrder(store, order("e1"), once.s);
    expect(once.amended()).toBe(1);
    expect(once.seen).toHaveLength(2); // read and checked twice
    expect(await store.get("e1")).toBeUndefined();
    expect(await store.overwritePending("e1")).toBe(Number(cert.overwritePendingRevision));

    // Amended at every attempt: given up after ERASE_ATTEMPTS as unavailable (the sweep keeps the
    // filing and tries again), with the latest revision still readable.
    await store.put("e2", randomBytes(300), index("e2"), 0);
    const always = steps({ amendAlways: true });
    const err = await carryOutErasureOrder(store, order("e2"), always.s).catch((e: unknown) => e);
    expect(isLiaisonError(err) && err.code).toBe("LIAISON_UNAVAILABLE");
    expect(always.amended()).toBe(ERASE_ATTEMPTS);
    expect(await store.get("e2")).toBeDefined();

    // Put under a hold while its erasure ran: the second check refuses, nothing erased.
    await store.put("e3", randomBytes(300), index("e3"), 0);
    const held = steps({ amendFirst: true, heldAfterAmend: true });
    const refused = await carryOutErasureOrder(store, order("e3"), held.s).catch((e: unknown) => e);
    expect(isLiaisonError(refused) && refused.code).toBe("LIAISON_ON_HOLD");
    expect(await store.get("e3")).toBeDefined();

    // An order for an erasure that stopped after its marker finishes it ("resume"); one for an
    // object never stored is refused as not found.
    const resumed = steps({});
    await carryOutErasureOrder(store, order("e1"), resumed.s);
    expect(resumed.seen).toHaveLength(0); // not checked again: an erasure begun is finished
    const missing = await carryOutErasureOrder(store, order("never"), resumed.s).catch((e: unknown) => e);
    expect(isLiaisonError(missing) && missing.code).toBe("LIAISON_NOT_FOUND");

    // The second step overwrites the stored revision (the amended one the marker names) on disk.
    const onDisk = (b: Uint8Array) => filesUnder(nats.storeDir as string).some((f) => readStoreFile(f).includes(Buffer.from(b)));
    const rev = Number(cert.overwritePendingRevision);
    expect(Buffer.from((await store.revision("e1", rev)) ?? []).equals(Buffer.from(once.lastAmendment()))).toBe(true);
    await expect.poll(() => onDisk(once.lastAmendment())).toBe(true);
    await carryOutErasureOrder(store, pb.ErasureOrder.create({ objectId: "e1", overwriteRevision: rev }), once.s);
    expect(await store.revision("e1", rev)).toBeUndefined();
    expect(await store.overwrite("e1", rev)).toBe(false); // done already
    expect(onDisk(once.lastAmendment())).toBe(false);
    expect(onDisk(first)).toBe(false); // the revision the amendment replaced was overwritten by it
    store.close();
  });
});
