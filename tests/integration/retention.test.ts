import { jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readHubSecrets, utf8, xchachaDecrypt } from "../../src/crypto/mod.js";
import { DAY_MS } from "../../src/domain/mod.js";
import { BlindStore } from "../../src/blindstore/mod.js";
import { RECORDS_STORE } from "../../src/hub-data/mod.js";
import { keyLocation } from "../../src/keystore/mod.js";
import { KEY_SHARDS, keyShardStream, requestService, subjects } from "../../src/nats/mod.js";
import { DueIndex } from "../../src/retention/mod.js";
import { pb } from "../../src/proto/mod.js";
import { quiet, startTestHub, until, type TestAccessPoint, type TestHub } from "../support/hub.js";
import { filesUnder, readStoreFile } from "../support/store-files.js";

type Json = Record<string, unknown>;

async function api(ap: TestAccessPoint, method: "GET" | "POST" | "DELETE", url: string, payload?: unknown) {
  const res = await ap.app.inject({ method, url, headers: { authorization: `Bearer ${ap.token}` }, ...(payload !== undefined ? { payload: payload as object } : {}) });
  return { status: res.statusCode, body: res.json() as Json };
}

const record = (name: string, freeText = "routine") => ({
  category: "business",
  purpose: "sighting-and-reporting",
  identifiers: [{ type: "company-name", value: name }],
  freeText,
});

/** A clock the test moves: real time plus an offset. */
function clock() {
  let offset = 0;
  return { now: () => Date.now() + offset, advance: (ms: number) => (offset += ms), set: (atMs: number) => (offset = atMs - Date.now()) };
}

async function storedRecord(hub: TestHub, id: string): Promise<{ record: pb.StoredRecord; raw: Uint8Array; revision: number } | undefined> {
  const kv = await new Kvm(hub.admin).open(RECORDS_STORE.bucket);
  const e = await kv.get(RECORDS_STORE.key(id));
  return e && e.operation === "PUT" ? { record: RECORDS_STORE.decode(e.value), raw: e.value, revision: e.revision } : undefined;
}

async function wrappedKey(hub: TestHub, keyId: string): Promise<Uint8Array | undefined> {
  const jsm = await jetstreamManager(hub.admin);
  const at = keyLocation(keyId);
  const m = await jsm.streams.getMessage(at.stream, { last_by_subj: at.subject }).catch(() => null);
  return m?.data;
}

describe("retention and erasure", () => {
  describe("with a 10-second review period", () => {
    let hub: TestHub;
    let be: TestAccessPoint;
    beforeAll(async () => {
      hub = await startTestHub({ cps: ["BE", "NL"] });
      await hub.startExchange();
      await hub.startRecords({ reviewPeriod: "10s" });
      be = await hub.startAp("BE");
    });
    afterAll(async () => {
      await hub?.stop();
    });

    it("erases an unrenewed record in the first sweep after its review date, everywhere, and keeps renewed and held ones", async () => {
      const marker = `LAPSED-RECORD-${Math.random().toString(36).slice(2)}`;
      const t0 = Date.now();
      const lapsed = (await api(be, "POST", "/v1/records", record("Lapsing Trading", marker))).body.id as string;
      const renewed = (await api(be, "POST", "/v1/records", record("Renewed Trading"))).body.id as string;
      const held = (await api(be, "POST", "/v1/records", record("Held Trading"))).body.id as string;
      const before = await storedRecord(hub, lapsed);
      const key = await wrappedKey(hub, before?.record.dataKeyId ?? "");
      expect(key && before).toBeTruthy();

      await new Promise((r) => setTimeout(r, 1_200));
      const beforeRenewal = (await storedRecord(hub, renewed))?.record;
      expect((await api(be, "POST", `/v1/records/${renewed}/renew`, { reason: "still under investigation" })).status).toBe(200);
      expect((await api(be, "POST", `/v1/records/${held}/hold`, { reason: "court order 2026/114" })).status).toBe(200);

      const c = clock();
      const retention = await hub.startRetention({ now: c.now });
      c.set(t0 + 9_000);
      const early = await retention.run();
      expect(early.erased ?? 0).toBe(0);
      c.set(t0 + 10_900); // past the lapsed one's review date, before the renewed one's
      const result = await retention.run();
      expect(result.ran).toBe(true);
      expect(result.erased).toBe(1);
      expect(result.overwritten).toBe(1);
      expect(result.held).toBe(1);

      expect((await api(be, "GET", `/v1/records/${lapsed}`)).status).toBe(404);
      expect((await api(be, "GET", `/v1/records/${renewed}`)).status).toBe(200);
      expect((await api(be, "GET", `/v1/records/${held}`)).status).toBe(200);

      const cert = (await hub.auditEvents()).find((e) => e.action === pb.AuditAction.AUDIT_ACTION_ERASE && e.objectId === lapsed && e.service === "records")?.erasure;
      expect(cert).toMatchObject({ rule: "cis-review", supplier: "BE", objectType: "record", dueAtMs: Number(before?.record.reviewDueMs) });
      expect(cert?.contentCommitment?.length).toBe(32);
      // The certificate names the stored revision the sweep then overwrote on disk (checked below).
      expect(Number(cert?.overwritePendingRevision)).toBe(before?.revision);
      await until(() => be.mailbox.notices().some((n) => n.notice.kind === pb.NoticeKind.NOTICE_KIND_ERASED && (n.notice.details.ids ?? "").split(",").includes(lapsed)), "the erasure notice at BE");

      // Neither the content (ciphertext), nor the wrapped data key, nor the plaintext is on disk.
      const files = filesUnder(hub.nats.storeDir as string);
      const needles = [Buffer.from(marker), Buffer.from(before?.record.ciphertext ?? []), Buffer.from(key ?? [])];
      for (const needle of needles) expect(files.filter((f) => readStoreFile(f).includes(needle))).toEqual([]);

      const report = await retention.report();
      expect(Number(report.overdueCount)).toBe(0);
      expect(report.holds?.map((h) => h.objectId)).toContain(held);
      expect(report.erasures?.find((e) => e.rule === "cis-review" && e.supplier === "BE")?.count).toBeGreaterThanOrEqual(1);
      expect(report.reviews?.find((r) => r.contactPoint === "BE")?.lapsed).toBeGreaterThanOrEqual(1);

      // A filing the renewal could not remove (it is left when its hour holds thousands of items),
      // a day past its time, is neither reported overdue nor acted on: the sweep finds the record
      // renewed and drops it.
      const leftBehind = { kind: "record", id: renewed, dueAtMs: c.now() - DAY_MS, meta: { supplier: "BE", stage: "review", reviewDueMs: String(beforeRenewal?.reviewDueMs) } };
      await hub.admin.request(subjects.dueHour(String(Math.floor(c.now() / 3_600_000))), new TextEncoder().encode(JSON.stringify(leftBehind)));
      expect(Number((await retention.report()).overdueCount)).toBe(0);
      const again = await retention.run();
      expect(again).toMatchObject({ erased: 0, stale: 1 });
      expect((await api(be, "GET", `/v1/records/${renewed}`)).status).toBe(200);
      await retention.close();
    });

    // Where a sweep can stop inside an erasure: right after the delete marker (data key still
    // there, nothing certified), or after the certificate (stored revision not yet overwritten).
    it.each([
      ["right after its delete marker", "marker"],
      ["after its certificate, before the overwrite", "certificate"],
    ] as const)("finishes an erasure in the next sweep when a sweep stopped %s", async (_, stop) => {
      const marker = `HALF-ERASED-${Math.random().toString(36).slice(2)}`;
      const id = (await api(be, "POST", "/v1/records", record("Halfway Trading", marker))).body.id as string;
      const got = await storedRecord(hub, id);
      const stored = got?.record as pb.StoredRecord;
      const ciphertext = Buffer.from(stored.ciphertext);
      const onDisk = () => filesUnder(hub.nats.storeDir as string).filter((f) => readStoreFile(f).includes(ciphertext));
      await until(() => onDisk().length > 0, "the record's ciphertext in the store");

      if (stop === "marker") {
        const store = await BlindStore.open(hub.admin, RECORDS_STORE.bucket, RECORDS_STORE.prefix, quiet);
        await store.tombstone(id, got?.revision ?? 0);
        store.close();
        expect(await wrappedKey(hub, stored.dataKeyId)).toBeDefined();
      } else {
        const order = pb.ErasureOrder.encode({ objectId: id, rule: "cis-review", dueAtMs: Number(stored.reviewDueMs) }).finish();
        const cert = pb.CertifiedErasure.decode(await requestService(hub.admin, subjects.api("records", "erase-due"), order)).certificate as pb.ErasureCertificate;
        expect(Number(cert.overwritePendingRevision)).toBe(got?.revision);
        expect(await wrappedKey(hub, stored.dataKeyId)).toBeUndefined();
      }
      expect((await api(be, "GET", `/v1/records/${id}`)).status).toBe(404);
      expect(onDisk().length).toBeGreaterThan(0);

      // Left like that past the grace period, it shows in the compliance report as an overdue overwrite.
      const c = clock();
      c.set(Number(stored.reviewDueMs) + 10 * 60_000);
      const retention = await hub.startRetention({ now: c.now });
      const before = await retention.report();
      expect(before.overdue?.filter((o) => o.objectId === id)).toEqual([expect.objectContaining({ kind: "record", stage: "overwrite" })]);

      const result = await retention.run();
      expect(result.erased).toBeGreaterThanOrEqual(1);
      expect(result.overwritten).toBeGreaterThanOrEqual(1);
      expect(await wrappedKey(hub, stored.dataKeyId)).toBeUndefined();
      expect(onDisk()).toEqual([]);
      expect(filesUnder(hub.nats.storeDir as string).filter((f) => readStoreFile(f).includes(Buffer.from(marker)))).toEqual([]);
      expect((await retention.report()).overdue?.filter((o) => o.objectId === id)).toEqual([]);
      const due = await DueIndex.open(hub.admin);
      const filings = (await Promise.all([...(await due.hours()).entries()].map(([h, n]) => due.bucket(h, n)))).flat();
      expect(filings.filter((f) => f.id === id)).toEqual([]);
      due.close();
      // One certificate: an erasure finished after a stop logs it under the same event id, which
      // the audit log appends once.
      const certs = (await hub.auditEvents()).filter((e) => e.action === pb.AuditAction.AUDIT_ACTION_ERASE && e.objectId === id);
      expect(certs.length).toBeGreaterThanOrEqual(1);
      expect(new Set(certs.map((e) => e.id))).toEqual(new Set([`erasure.record.${id}`]));
      expect(certs[0]?.erasure).toMatchObject({ rule: "cis-review", supplier: "BE", objectType: "record" });
      await retention.close();
    });

    it("sweeps an hour page by page, and leaves no swept filing in the index", async () => {
      const ids = await Promise.all(Array.from({ length: 8 }, (_, i) => api(be, "POST", "/v1/records", record(`Paged Trading ${i}`)).then((r) => r.body.id as string)));
      // One in the middle of the hour's filings under a hold: handled (filed again), not erased.
      const held = ids[3] as string;
      expect((await api(be, "POST", `/v1/records/${held}/hold`, { reason: "court order 2026/200" })).status).toBe(200);
      // And one due a moment after the sweep's time, filed after them (most likely in the same
      // hour): the removal of the swept filings must not take its filing along.
      await new Promise((r) => setTimeout(r, 1_500));
      const late = (await api(be, "POST", "/v1/records", record("Paged Late Trading"))).body.id as string;
      const dueTimes = await Promise.all(ids.map(async (id) => Number((await storedRecord(hub, id))?.record.reviewDueMs)));
      const c = clock();
      c.set(Math.max(...dueTimes) + 200);
      expect(Number((await storedRecord(hub, late))?.record.reviewDueMs)).toBeGreaterThan(c.now() + 1_000);
      const retention = await hub.startRetention({ now: c.now, pageSize: 3 });
      const result = await retention.run();
      expect(result.erased).toBeGreaterThanOrEqual(7);
      expect(result.overwritten).toBe(result.erased);
      for (const id of ids) expect((await api(be, "GET", `/v1/records/${id}`)).status).toBe(id === held ? 200 : 404);
      expect((await api(be, "GET", `/v1/records/${late}`)).status).toBe(200);
      // No filing of an erased record is left in any hour; the held one is filed once, for later.
      const due = await DueIndex.open(hub.admin);
      const filings = (await Promise.all([...(await due.hours()).entries()].map(([h, n]) => due.bucket(h, n)))).flat();
      expect(filings.filter((f) => ids.includes(f.id) && f.id !== held)).toEqual([]);
      expect(filings.filter((f) => f.id === held).map((f) => f.dueAtMs > c.now())).toEqual([true]);
      expect(filings.filter((f) => f.id === late)).toHaveLength(1);
      // Its turn comes in a later sweep.
      c.set(Number((await storedRecord(hub, late))?.record.reviewDueMs) + 100);
      expect((await retention.run()).erased).toBeGreaterThanOrEqual(1);
      expect((await api(be, "GET", `/v1/records/${late}`)).status).toBe(404);
      due.close();
      await retention.close();
    });

    it("still sweeps a filing written in the earlier layout, a subject per item", async () => {
      const t0 = Date.now();
      const id = (await api(be, "POST", "/v1/records", record("Legacy Filing Trading"))).body.id as string;
      // Take the record's filing out of its hour and write it back the way the earlier layout did.
      const due = await DueIndex.open(hub.admin);
      let legacySubject = "";
      for (const hour of (await due.hours()).keys()) {
        for (const item of await due.bucket(hour)) {
          if (item.id !== id) continue;
          await due.done(item.seq);
          const { seq: _seq, ...filing } = item;
          legacySubject = `${subjects.dueAll.slice(0, -1)}${hour}.record.${id}`;
          await hub.admin.request(legacySubject, new TextEncoder().encode(JSON.stringify(filing)));
        }
      }
      due.close();
      expect(legacySubject).not.toBe("");

      const c = clock();
      const retention = await hub.startRetention({ now: c.now });
      c.set(t0 + 11_000);
      await retention.run();
      expect((await api(be, "GET", `/v1/records/${id}`)).status).toBe(404);
      const jsm = await jetstreamManager(hub.admin);
      expect((await jsm.streams.info("DUE", { subjects_filter: legacySubject })).state.subjects ?? {}).toEqual({});
      await retention.close();
    });

    it("never lets two replicas erase the same record twice or skip one", async () => {
      const t0 = Date.now();
      const ids = await Promise.all(Array.from({ length: 20 }, (_, i) => api(be, "POST", "/v1/records", record(`Replica Test ${i}`)).then((r) => r.body.id as string)));
      const c = clock();
      const [a, b] = await Promise.all([hub.startRetention({ now: c.now }), hub.startRetention({ now: c.now })]);
      c.set(t0 + 11_000);
      for (let round = 0; round < 10; round++) {
        await Promise.all([a.run(), b.run()]);
        const left = await Promise.all(ids.map((id) => storedRecord(hub, id)));
        if (left.every((r) => r === undefined)) break;
        c.advance(200_000); // let the lease of the replica that swept lapse
      }
      const certs = (await hub.auditEvents()).filter((e) => e.action === pb.AuditAction.AUDIT_ACTION_ERASE && e.service === "records" && ids.includes(e.objectId ?? ""));
      expect(certs.map((e) => e.objectId).sort()).toEqual([...ids].sort());
      await Promise.all([a.close(), b.close()]);
    });

    it("makes a backup of the key stream useless for an erased record after the key-encryption key rotates", async () => {
      const gone = (await api(be, "POST", "/v1/records", record("Backup Victim"))).body.id as string;
      const kept = (await api(be, "POST", "/v1/records", record("Survivor Trading"))).body.id as string;
      // More survivors, whose keys land in more than one shard (all in one: odds of 1 in 4^11).
      const more = await Promise.all(Array.from({ length: 11 }, (_, i) => api(be, "POST", "/v1/records", record(`Survivor ${i} Trading`)).then((r) => r.body.id as string)));
      const stored = (await storedRecord(hub, gone))?.record as pb.StoredRecord;
      const backup = pb.WrappedDataKey.decode((await wrappedKey(hub, stored.dataKeyId)) as Uint8Array);
      const unwrapWithCurrentKeys = () => {
        const kek = readHubSecrets(hub.secrets.hubSecretsFile).keks.find((k) => k.epoch === backup.kekEpoch);
        if (!kek) throw new Error(`KEK epoch ${backup.kekEpoch} no longer exists`);
        return xchachaDecrypt(kek.key, backup.nonce, backup.wrapped, utf8(`liaison.v1.data-key\0${backup.keyId}\0${backup.objectId}\0${backup.kekEpoch}`));
      };
      expect(unwrapWithCurrentKeys().length).toBe(32); // the backup still opens today

      expect((await api(be, "DELETE", `/v1/records/${gone}`)).status).toBe(200);
      const retention = await hub.startRetention();
      const rotation = await retention.rotate();
      expect(rotation?.destroyedEpochs).toContain(backup.kekEpoch);
      expect(rotation?.rewrapped).toBeGreaterThanOrEqual(1);

      expect(unwrapWithCurrentKeys).toThrow(/no longer exists/);
      // Every data key left, in every shard, is wrapped under the new KEK; the keys of this hub's
      // records are spread over more than one shard.
      const jsm = await jetstreamManager(hub.admin);
      const epochsByShard = await Promise.all(
        Array.from({ length: KEY_SHARDS }, async (_, k) => {
          const { first_seq, last_seq } = (await jsm.streams.info(keyShardStream(k))).state;
          const epochs: number[] = [];
          for (let seq = first_seq; seq <= last_seq && last_seq > 0; seq++) {
            const m = await jsm.streams.getMessage(keyShardStream(k), { seq });
            if (m) epochs.push(pb.WrappedDataKey.decode(m.data).kekEpoch);
          }
          return epochs;
        }),
      );
      expect(epochsByShard.filter((e) => e.length > 0).length).toBeGreaterThan(1);
      expect(new Set(epochsByShard.flat())).toEqual(new Set([rotation?.epoch]));
      // A record that was not erased is still readable under the new KEK.
      const read = await api(be, "GET", `/v1/records/${kept}`);
      expect(read.status).toBe(200);
      expect((read.body.identifiers as Json[])[0]?.value).toBe("Survivor Trading");
      for (const [i, id] of more.entries()) expect(((await api(be, "GET", `/v1/records/${id}`)).body.identifiers as Json[])[0]?.value).toBe(`Survivor ${i} Trading`);
      expect((await hub.auditEvents()).some((e) => e.action === pb.AuditAction.AUDIT_ACTION_KEY_CHANGE && e.objectType === "key-encryption-key")).toBe(true);
    });
  });

  describe("with the default 12-month review period", () => {
    let hub: TestHub;
    let be: TestAccessPoint;
    let nl: TestAccessPoint;
    beforeAll(async () => {
      hub = await startTestHub({ cps: ["BE", "NL", "DE"] });
      await hub.startExchange();
      await hub.startRecords({ reviewPeriod: "40d" });
      [be, nl] = await Promise.all([hub.startAp("BE"), hub.startAp("NL")]);
    });
    afterAll(async () => {
      await hub?.stop();
    });

    it("reminds the supplier 30, 7 and 1 days before the review date, then erases", async () => {
      const t0 = Date.now();
      const id = (await api(be, "POST", "/v1/records", record("Reminded Trading"))).body.id as string;
      const c = clock();
      const retention = await hub.startRetention({ now: c.now });
      const reminders = () => be.mailbox.notices().filter((n) => n.notice.kind === pb.NoticeKind.NOTICE_KIND_REVIEW_REMINDER && n.notice.objectId === id).map((n) => n.notice.details.daysLeft);
      for (const [day, expected] of [
        [10.1, ["30"]],
        [33.1, ["30", "7"]],
        [39.1, ["30", "7", "1"]],
      ] as const) {
        c.set(t0 + day * DAY_MS);
        await retention.run();
        await until(() => reminders().length === expected.length, `${expected.length} reminders`);
        expect(reminders().sort()).toEqual([...expected].sort());
      }
      expect((await api(be, "GET", `/v1/records/${id}`)).status).toBe(200);
      c.set(t0 + 40.01 * DAY_MS);
      expect((await retention.run()).erased).toBe(1);
      expect((await api(be, "GET", `/v1/records/${id}`)).status).toBe(404);
      await retention.close();
    });

    it("deletes hub copies of delivered messages after 30 days and keeps undelivered ones", async () => {
      const send = async (to: string) =>
        ((await be.app.inject({ method: "POST", url: "/v1/messages", headers: { authorization: `Bearer ${be.token}` }, payload: { kind: "spontaneous", to: [to], subject: "s", body: "b" } })).json() as { id: string }).id;
      const delivered = await send("NL");
      const undelivered = await send("DE"); // DE's access point is not running
      await until(() => nl.mailbox.has(delivered), "delivery to NL");
      const jsm = await jetstreamManager(hub.admin);
      await until(async () => (await jsm.consumers.info("INBOX", "inbox-NL-normal")).num_ack_pending === 0, "NL to acknowledge");
      const inboxCount = async (cp: string) => (await jsm.streams.info("INBOX", { subjects_filter: `liaison.v1.inbox.${cp}.>` })).state.subjects?.[`liaison.v1.inbox.${cp}.normal`] ?? 0;
      expect(await inboxCount("NL")).toBeGreaterThan(0);
      const deBefore = await inboxCount("DE");

      const c = clock();
      const retention = await hub.startRetention({ now: c.now });
      c.advance(29 * DAY_MS);
      expect((await retention.run()).messageCopiesDeleted ?? 0).toBe(0);
      c.advance(2 * DAY_MS);
      expect(Number((await retention.run()).messageCopiesDeleted)).toBeGreaterThan(0);
      expect(await inboxCount("NL")).toBe(0);
      expect(await inboxCount("DE")).toBe(deBefore);
      const cert = (await hub.auditEvents()).find((e) => e.objectType === "hub-message-copy" && e.objectId === delivered)?.erasure;
      expect(cert).toMatchObject({ rule: "message-delivered", supplier: "BE" });
      void undelivered;
    });
  });

  describe("with reminders set to 14 and 2 days (LIAISON_REMINDER_DAYS=14,2)", () => {
    let hub: TestHub;
    let be: TestAccessPoint;
    beforeAll(async () => {
      hub = await startTestHub({ cps: ["BE", "NL"] });
      await hub.startExchange();
      await hub.startRecords({ reviewPeriod: "40d", reminderDays: [14, 2] });
      be = await hub.startAp("BE");
    });
    afterAll(async () => {
      await hub?.stop();
    });

    it("files a new record's first reminder 14 days before its review date, not at the default 30", async () => {
      const t0 = Date.now();
      const id = (await api(be, "POST", "/v1/records", record("Fortnight Trading"))).body.id as string;
      const c = clock();
      const retention = await hub.startRetention({ now: c.now, reminderDays: [14, 2] });
      const reminders = () => be.mailbox.notices().filter((n) => n.notice.kind === pb.NoticeKind.NOTICE_KIND_REVIEW_REMINDER && n.notice.objectId === id).map((n) => n.notice.details.daysLeft);
      c.set(t0 + 10.1 * DAY_MS); // 30 days before the review date: nothing is due yet
      const early = await retention.run();
      expect(early.reminders).toBe(0);
      for (const [day, expected] of [
        [26.1, ["14"]],
        [38.1, ["14", "2"]],
      ] as const) {
        c.set(t0 + day * DAY_MS);
        await retention.run();
        await until(() => reminders().length === expected.length, `${expected.length} reminders`);
        expect(reminders().sort()).toEqual([...expected].sort());
      }
      await retention.close();
    });
  });
});
