import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jetstream } from "@nats-io/jetstream";
import { headers } from "@nats-io/nats-core";
import { BlindStore, REPLACES_HEADER } from "../../src/blindstore/mod.js";
import { isLiaisonError } from "../../src/errors.js";
import { createLogger } from "../../src/log/mod.js";
import { provision } from "../../src/nats/mod.js";
import { startTestNats, type TestNats } from "../support/nats.js";

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? filesUnder(join(dir, d.name)) : [join(dir, d.name)]));
}

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
    for (const [name, gone] of [["first", first], ["second", second]] as const) expect(files.filter((f) => readFileSync(f).includes(gone)), name).toEqual([]);
    expect(files.some((f) => readFileSync(f).includes(other))).toBe(true);
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
    const onDisk = (b: Uint8Array) => filesUnder(nats.storeDir as string).some((f) => readFileSync(f).includes(Buffer.from(b)));
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
});
