// Large attachments end to end (docs/large-files.md) on a real hub with its accounts: a 200 MB
// file streamed into BE's access point, sealed in chunks into NL's large-file store, sent, read at
// NL and byte-compared by SHA-256, with the process's memory bounded; a tampered or truncated
// object refused; nobody but NL reads NL's store; limits, unknown uploads and abandoned uploads.
import { createCipheriv, createHash } from "node:crypto";
import { createReadStream, createWriteStream, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { request } from "node:http";
import { Readable } from "node:stream";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { headers } from "@nats-io/nats-core";
import { Objm } from "@nats-io/obj";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { downloadAttachment, reprDigestSha256, uploadFile } from "../../src/cli/transfer.js";
import { addUser } from "../../src/http/mod.js";
import { FILE_CHUNK_OVERHEAD, sealFileChunks } from "../../src/crypto/mod.js";
import { INBOX_MAX_AGE_MS, LARGE_FILE_MAX_MSG_SIZE, largeFileStore, provisionContactPoint, subjects } from "../../src/nats/mod.js";
import { startTestHub, TEST_LARGE_FILE_STORE_BYTES, until, type TestAccessPoint, type TestHub } from "../support/hub.js";

const MiB = 1024 * 1024;
const NL_STORE = `OBJ_${largeFileStore("NL").bucket}`;

/** `size` bytes from a seeded PRNG (AES-128-CTR keystream), in 1 MiB pieces: never one Buffer. */
function seeded(seed: number, size: number): Readable {
  const key = createHash("sha256").update(`seed ${seed}`).digest().subarray(0, 16);
  const ctr = createCipheriv("aes-128-ctr", key, Buffer.alloc(16));
  const zeros = Buffer.alloc(MiB);
  let left = size;
  return new Readable({
    read() {
      if (left === 0) return void this.push(null);
      const n = Math.min(left, MiB);
      left -= n;
      this.push(ctr.update(zeros.subarray(0, n)));
    },
  });
}

async function sha256Of(r: Readable): Promise<string> {
  const h = createHash("sha256");
  for await (const b of r) h.update(b as Buffer);
  return h.digest("hex");
}

interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Readable;
}

function http(ap: TestAccessPoint, method: string, path: string, body?: Readable, hdrs: Record<string, string> = {}): Promise<HttpAnswer> {
  const url = new URL(path, ap.url ?? "");
  return new Promise((resolve, reject) => {
    const req = request(url, { method, agent: false, headers: { authorization: `Bearer ${ap.token}`, ...hdrs } }, (res) => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: res }));
    req.on("error", reject);
    if (body) body.pipe(req);
    else req.end();
  });
}

async function json(a: HttpAnswer): Promise<Record<string, unknown>> {
  const parts: Buffer[] = [];
  for await (const b of a.body) parts.push(b as Buffer);
  return JSON.parse(Buffer.concat(parts).toString("utf8") || "{}") as Record<string, unknown>;
}

async function upload(ap: TestAccessPoint, name: string, to: string, seed: number, size: number, declare = true): Promise<HttpAnswer> {
  return http(ap, "POST", `/v1/uploads?name=${encodeURIComponent(name)}&to=${to}`, seeded(seed, size), {
    "content-type": "application/octet-stream",
    ...(declare ? { "content-length": String(size) } : { "transfer-encoding": "chunked" }),
  });
}

async function send(ap: TestAccessPoint, to: string[], largeAttachments: string[]) {
  return ap.app.inject({
    method: "POST",
    url: "/v1/messages",
    headers: { authorization: `Bearer ${ap.token}` },
    payload: { kind: "request", to, legalBasis: "assistance-on-request", subject: "Container manifests", body: "See the attached file.", largeAttachments },
  });
}

describe("large attachments", () => {
  let hub: TestHub;
  let be: TestAccessPoint;
  let nl: TestAccessPoint;
  /** DE's access point takes large files of at most 1 KiB. */
  let de: TestAccessPoint;
  let ahead = 0;
  /** The token of another operator at BE. */
  let otherUser = "";

  beforeAll(async () => {
    hub = await startTestHub({ cps: ["BE", "NL", "DE"] });
    await hub.startExchange();
    // A second user at BE who may send messages too (not the uploads of others).
    const beUsers = hub.secrets.contactPoints.find((c) => c.cp === "BE")?.usersFile ?? "";
    otherUser = addUser(beUsers, { id: "be-op2", role: "operator", cp: "BE", validForMs: 86_400_000 }).token;
    be = await hub.startAp("BE", { now: () => Date.now() + ahead, settings: { largeUploadTtl: 60_000 } });
    nl = await hub.startAp("NL");
    de = await hub.startAp("DE", { settings: { maxLargeFileBytes: 1024 } });
    for (const ap of [be, nl, de]) {
      await ap.app.listen({ host: "127.0.0.1", port: 0 });
      Object.assign(ap, { url: `http://127.0.0.1:${(ap.app.server.address() as { port: number }).port}` });
    }
  }, 60_000);
  afterAll(async () => {
    await hub?.stop();
  });

  /** Uploads, sends BE→NL, and waits for NL to hold the message: its id. */
  async function sendToNl(seed: number, size: number, name: string): Promise<string> {
    const up = await upload(be, name, "NL", seed, size);
    const u = await json(up);
    expect(up.status, JSON.stringify(u)).toBe(201);
    const sent = await send(be, ["NL"], [String(u.uploadId)]);
    expect(sent.statusCode, sent.body).toBe(202);
    const id = sent.json<{ id: string }>().id;
    await until(() => nl.mailbox.has(id), "the message at NL", 30_000);
    return id;
  }

  it("carries a 200 MB file from BE to NL byte for byte, with the access points' memory bounded", async () => {
    const size = 200 * MiB;
    const want = await sha256Of(seeded(1, size));
    const rss0 = process.memoryUsage().rss;
    let peak = rss0;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
    try {
      const started = performance.now();
      const id = await sendToNl(1, size, "manifests.bin");
      const uploadedMs = performance.now() - started;
      const m = await nl.app.inject({ method: "GET", url: `/v1/messages/${id}`, headers: { authorization: `Bearer ${nl.token}` } });
      expect(m.json<{ largeAttachments: unknown[] }>().largeAttachments).toEqual([{ name: "manifests.bin", mediaType: "application/octet-stream", size, sha256: want }]);
      const got = await http(nl, "GET", `/v1/messages/${id}/attachments/manifests.bin`);
      expect(got.status).toBe(200);
      expect(got.headers["content-length"]).toBe(String(size));
      expect(await sha256Of(got.body)).toBe(want);
      console.log(`200 MiB: upload+send ${Math.round(uploadedMs)} ms, total ${Math.round(performance.now() - started)} ms, RSS growth peak ${Math.round((peak - rss0) / MiB)} MiB`);
    } finally {
      clearInterval(sampler);
    }
    // Both access points run in this process: whole files held anywhere would show here.
    expect(peak - rss0).toBeLessThan(64 * MiB);
  }, 180_000);

  it("refuses a tampered chunk and a truncated object: an error, never a short or altered file", async () => {
    const size = 3 * MiB + 123;
    const jsm = await jetstreamManager(hub.admin);
    const object = async (id: string) => {
      const m = await nl.app.inject({ method: "GET", url: `/v1/messages/${id}`, headers: { authorization: `Bearer ${nl.token}` } });
      expect(m.statusCode).toBe(200);
      const info = await (await new Objm(jetstream(hub.admin)).open(largeFileStore("NL").bucket)).list();
      return info.sort((a, b) => b.mtime.localeCompare(a.mtime))[0]!;
    };
    const chunkSeqs = async (nuid: string) => {
      const seqs: number[] = [];
      let seq = 0;
      for (;;) {
        const c = await jsm.direct.getMessage(NL_STORE, { seq: seq + 1, next_by_subj: `$O.${largeFileStore("NL").bucket}.C.${nuid}` });
        if (!c) return seqs;
        seqs.push(c.seq);
        seq = c.seq;
      }
    };

    /**
     * The object's chunks passed through `mutate`, in a store made anew for it alone: the store
     * refuses to delete a message even to the hub's admin, so altering one in place means a new store.
     */
    const rewrite = async (id: string, mutate: (chunks: Uint8Array[]) => Uint8Array[]) => {
      const o = await object(id);
      const chunks = await Promise.all((await chunkSeqs(o.nuid)).map(async (seq) => (await jsm.streams.getMessage(NL_STORE, { seq }))!.data));
      const metaSubj = `$O.${largeFileStore("NL").bucket}.M.${Buffer.from(o.name).toString("base64").replaceAll("+", "-").replaceAll("/", "_")}`;
      const meta = (await jsm.direct.getMessage(NL_STORE, { seq: 1, next_by_subj: metaSubj }))!.data;
      await jsm.streams.delete(NL_STORE);
      await provisionContactPoint(hub.admin, "NL", { largeFileStoreBytes: TEST_LARGE_FILE_STORE_BYTES });
      const js = jetstream(hub.admin);
      for (const c of mutate(chunks)) await js.publish(`$O.${largeFileStore("NL").bucket}.C.${o.nuid}`, c);
      await js.publish(metaSubj, meta);
      return chunks.length;
    };
    /** One bit of the chunk at `i` flipped. */
    const flip = (i: number, at: number) => (chunks: Uint8Array[]) =>
      chunks.map((c, j) => {
        const altered = new Uint8Array(c);
        if (j === i) altered[at]! ^= 1;
        return altered;
      });

    // The first chunk altered: refused before any byte is answered.
    const first = await sendToNl(2, size, "first.bin");
    expect(await rewrite(first, flip(0, 10))).toBe(4);
    const r1 = await http(nl, "GET", `/v1/messages/${first}/attachments/first.bin`);
    expect(r1.status).toBe(422);
    expect((await json(r1)).code).toBe("LIAISON_DECRYPT_FAILED");

    // The last chunk altered in place: the answer breaks off before its end.
    const last = await sendToNl(3, size, "last.bin");
    await rewrite(last, flip(3, 0));
    const r2 = await http(nl, "GET", `/v1/messages/${last}/attachments/last.bin`);
    expect(r2.status).toBe(200);
    await expect(sha256Of(r2.body)).rejects.toThrow(/aborted|premature|socket/i);

    // The last chunk gone (truncated on a chunk boundary): the answer breaks off too.
    const cut = await sendToNl(4, size, "cut.bin");
    await rewrite(cut, (chunks) => chunks.slice(0, 3));
    const r3 = await http(nl, "GET", `/v1/messages/${cut}/attachments/cut.bin`);
    expect(r3.status).toBe(200);
    await expect(sha256Of(r3.body)).rejects.toThrow(/aborted|premature|socket/i);
    // Every refused or broken-off read is in the log, with its reason.
    await until(async () => {
      const failed = (await hub.auditEvents()).filter((e) => e.objectType === "message-attachment" && e.reasonCode === "LIAISON_DECRYPT_FAILED").map((e) => e.objectId);
      return [first, last, cut].every((id) => failed.includes(id));
    }, "the refused reads logged");
  }, 120_000);

  it("reads only the chunks the sealed reference names: a co-recipient's own chunks and object record in NL's store change nothing", async () => {
    const size = 2 * MiB + 11;
    const up = await json(await upload(be, "shared.bin", "NL,DE", 19, size));
    const sent = await send(be, ["NL", "DE"], [String(up.uploadId)]);
    expect(sent.statusCode, sent.body).toBe(202);
    const id = sent.json<{ id: string }>().id;
    await until(() => nl.mailbox.has(id) && de.mailbox.has(id), "the message at NL and DE", 30_000);
    // DE knows the file's key, nonce prefix and object name: it seals a file of its own under them
    // into NL's store, through its own account, and writes an object record pointing at it.
    const ref = (await de.mailbox.open(id)).payload.largeAttachments[0]!;
    const sealing = { key: ref.fileKey!, noncePrefix: ref.noncePrefix!, chunkSize: ref.chunkSize! };
    const nc = await hub.connectAs("DE");
    const bucket = largeFileStore("NL").bucket;
    const forged = "f".repeat(32);
    let chunks = 0;
    let stored = 0;
    for await (const c of sealFileChunks(sealing, seeded(20, size))) {
      const ack = await nc.request(`$O.${bucket}.C.${forged}`, c.sealed, { timeout: 5_000 });
      expect(ack.json<{ seq?: number }>().seq).toBeGreaterThan(0);
      chunks++;
      stored += c.sealed.length;
    }
    const record = { name: up.uploadId, bucket, nuid: forged, size: stored, chunks, digest: "", mtime: new Date().toISOString(), deleted: false, options: { max_chunk_size: ref.chunkSize! + FILE_CHUNK_OVERHEAD } };
    const recordSubject = `$O.${bucket}.M.${Buffer.from(String(up.uploadId)).toString("base64").replaceAll("+", "-").replaceAll("/", "_")}`;
    // With a rollup header (that would replace the sender's record: the store refuses it), and without.
    const rollup = headers();
    rollup.set("Nats-Rollup", "sub");
    await nc.request(recordSubject, JSON.stringify(record), { headers: rollup, timeout: 5_000 });
    await nc.request(recordSubject, JSON.stringify(record), { timeout: 5_000 });
    expect((await (await new Objm(jetstream(hub.admin)).open(bucket)).info(String(up.uploadId)))?.nuid).toBe(forged);
    const got = await http(nl, "GET", `/v1/messages/${id}/attachments/shared.bin`);
    expect(got.status).toBe(200);
    expect(await sha256Of(got.body)).toBe(await sha256Of(seeded(19, size)));
  }, 60_000);

  it("gives out no last chunk of a file whose SHA-256 does not match its message: the answer breaks off short", async () => {
    const size = 2 * MiB + 9;
    const id = await sendToNl(16, size, "hashed.bin");
    const ref = (await nl.mailbox.open(id)).payload.largeAttachments[0]!;
    const sha256 = new Uint8Array(ref.sha256!);
    sha256[0]! ^= 1;
    let got = 0;
    await expect(
      (async () => {
        for await (const c of await nl.largeFiles.open({ ...ref, sha256 })) got += c.length;
      })(),
    ).rejects.toThrow(/SHA-256/);
    expect(got).toBe(2 * MiB);
    // A file of one chunk is refused before anything is given out.
    const one = (await nl.mailbox.open(await sendToNl(17, 1000, "one.bin"))).payload.largeAttachments[0]!;
    await expect(nl.largeFiles.open({ ...one, sha256: new Uint8Array(32) })).rejects.toThrow(/SHA-256/);
  }, 60_000);

  it("lets no member empty or cut another's store: rollup, purge and delete refused, the file still whole", async () => {
    const size = MiB + 5;
    const id = await sendToNl(15, size, "kept.bin");
    const bucket = largeFileStore("NL").bucket;
    const nc = await hub.connectAs("DE");
    for (const [subject, rollup] of [[`$O.${bucket}.C.x`, "all"], [`$O.${bucket}.M.x`, "sub"], [`$O.${bucket}.C.y`, "sub"]] as const) {
      const h = headers();
      h.set("Nats-Rollup", rollup);
      const r = await nc.request(subject, new Uint8Array(1), { headers: h, timeout: 3_000 });
      expect(r.json<{ error?: { description?: string } }>().error?.description, `${subject} ${rollup}`).toMatch(/rollup/i);
    }
    // The hub's JetStream API is not the member's to call; the hub's own admin is refused too.
    const viaHub = await jetstreamManager(nc, { apiPrefix: subjects.hubJsApi, checkAPI: false, timeout: 1_000 });
    await expect(viaHub.streams.purge(NL_STORE)).rejects.toThrow();
    await expect(viaHub.streams.deleteMessage(NL_STORE, 1)).rejects.toThrow();
    const jsm = await jetstreamManager(hub.admin);
    await expect(jsm.streams.purge(NL_STORE)).rejects.toThrow(/purge/i);
    await expect(jsm.streams.deleteMessage(NL_STORE, 1)).rejects.toThrow(/delete/i);
    const got = await http(nl, "GET", `/v1/messages/${id}/attachments/kept.bin`);
    expect(got.status).toBe(200);
    expect(await sha256Of(got.body)).toBe(await sha256Of(seeded(15, size)));
  }, 60_000);

  it("lets no member but NL read NL's large-file store over NATS, not even the sender", async () => {
    const id = await sendToNl(5, 1000, "small.bin");
    expect(id).toBeTruthy();
    const [obj] = await (await new Objm(jetstream(hub.admin)).open(largeFileStore("NL").bucket)).list();
    const metaSubj = `$O.${largeFileStore("NL").bucket}.M.${Buffer.from(obj!.name).toString("base64").replaceAll("+", "-").replaceAll("/", "_")}`;
    // NL, the recipient, reads it through its import (the positive control).
    const nlJsm = await jetstreamManager(await hub.connectAs("NL"), { apiPrefix: subjects.hubJsApi, checkAPI: false });
    expect((await nlJsm.direct.getMessage(NL_STORE, { seq: 1, next_by_subj: metaSubj }))?.subject).toBe(metaSubj);
    for (const cp of ["BE", "DE"]) {
      const nc = await hub.connectAs(cp);
      const viaHub = await jetstreamManager(nc, { apiPrefix: subjects.hubJsApi, checkAPI: false, timeout: 1_000 });
      await expect(viaHub.direct.getMessage(NL_STORE, { seq: 1, next_by_subj: metaSubj }), cp).rejects.toThrow();
      await expect(viaHub.streams.info(NL_STORE), cp).rejects.toThrow();
      // Its own JetStream has no such stream; the object store API answers nothing of the hub's.
      const own = await jetstreamManager(nc, { timeout: 1_000 });
      await expect(own.direct.getMessage(NL_STORE, { seq: 1, next_by_subj: metaSubj }), cp).rejects.toThrow();
      const sub = nc.subscribe(`$O.${largeFileStore("NL").bucket}.>`);
      await nc.flush();
      await new Promise((r) => setTimeout(r, 200));
      expect(sub.getProcessed(), cp).toBe(0);
      sub.unsubscribe();
    }
  }, 60_000);

  it("refuses a file over the limit with 413 and stores nothing, declared or not", async () => {
    const jsm = await jetstreamManager(hub.admin);
    const before = (await jsm.streams.info(NL_STORE)).state.messages;
    for (const declare of [true, false]) {
      const r = await upload(de, "big.bin", "NL", 6, 3 * MiB, declare);
      expect(r.status).toBe(413);
      expect((await json(r)).code).toBe("LIAISON_PAYLOAD_TOO_LARGE");
    }
    expect((await jsm.streams.info(NL_STORE)).state.messages).toBe(before);
    expect(de.largeFiles.waiting).toBe(0);
  }, 60_000);

  it("sends one upload to two recipients, each reading its own copy from its own store", async () => {
    const size = MiB + 3;
    const up = await upload(be, "both.bin", "NL,DE", 11, size);
    const u = await json(up);
    expect(u.to).toEqual(["DE", "NL"]);
    const sent = await send(be, ["NL", "DE"], [String(u.uploadId)]);
    expect(sent.statusCode, sent.body).toBe(202);
    const id = sent.json<{ id: string }>().id;
    await until(() => nl.mailbox.has(id) && de.mailbox.has(id), "the message at NL and DE", 30_000);
    const want = await sha256Of(seeded(11, size));
    for (const ap of [nl, de]) {
      const got = await http(ap, "GET", `/v1/messages/${id}/attachments/both.bin`);
      expect(got.status).toBe(200);
      // The file's SHA-256, from the sealed message, for the client to check (liaison read --save does).
      expect(reprDigestSha256(String(got.headers["repr-digest"])), ap.cp).toBe(want);
      expect(await sha256Of(got.body), ap.cp).toBe(want);
    }
    // The sender keeps no copy at the hub it could read: refused, saying why.
    const own = await http(be, "GET", `/v1/messages/${id}/attachments/both.bin`);
    expect(own.status).toBe(404);
  }, 60_000);

  it("fails an upload whose store refuses a chunk while others are in flight, and goes on serving", async () => {
    const jsm = await jetstreamManager(hub.admin);
    const store = `OBJ_${largeFileStore("DE").bucket}`;
    const info = await jsm.streams.info(store);
    await jsm.streams.update(store, { ...info.config, max_bytes: info.state.bytes + 2 * MiB });
    try {
      const waiting = be.largeFiles.waiting;
      const r = await upload(be, "too-much.bin", "DE", 13, 12 * MiB);
      const body = await json(r);
      expect(r.status, JSON.stringify(body)).toBeGreaterThanOrEqual(500);
      expect(String(body.code)).toMatch(/^LIAISON_/);
      expect(be.largeFiles.waiting).toBe(waiting);
    } finally {
      await jsm.streams.update(store, { ...info.config });
    }
    expect((await json(await upload(be, "after.bin", "NL", 14, 1000))).uploadId).toMatch(/^[0-9a-f]{32}$/);
  }, 60_000);

  it("refuses a message larger than one sealed chunk into a peer's store, and an upload to too many recipients before reading it", async () => {
    const nc = await hub.connectAs("DE");
    const bucket = largeFileStore("NL").bucket;
    const jsm = await jetstreamManager(hub.admin);
    const info = await jsm.streams.info(NL_STORE);
    expect([info.config.max_bytes, info.config.discard, info.config.max_msg_size]).toEqual([TEST_LARGE_FILE_STORE_BYTES, "new", LARGE_FILE_MAX_MSG_SIZE]);
    const big = await nc.request(`$O.${bucket}.C.big`, new Uint8Array(LARGE_FILE_MAX_MSG_SIZE + 1), { timeout: 5_000 });
    expect(big.json<{ error?: { description?: string } }>().error?.description).toMatch(/maximum/i);
    const fits = await nc.request(`$O.${bucket}.C.fits`, new Uint8Array(MiB + FILE_CHUNK_OVERHEAD), { timeout: 5_000 });
    expect(fits.json<{ error?: unknown; seq?: number }>().seq).toBeGreaterThan(0);
    expect((await jsm.streams.info(NL_STORE)).state.messages).toBe(info.state.messages + 1);
    // 31 recipients (all but NL unknown, but the count is refused first): 400 before the body is read.
    const many = ["NL", ...Array.from({ length: 30 }, (_, i) => `${"QR"[Math.floor(i / 26)]}${String.fromCharCode(65 + (i % 26))}`)];
    const r = await upload(be, "many.bin", many.join(","), 18, 5000);
    const body = await json(r);
    expect([r.status, body.code], JSON.stringify(body)).toEqual([400, "LIAISON_BAD_REQUEST"]);
    expect((await jsm.streams.info(NL_STORE)).state.messages).toBe(info.state.messages + 1);
  }, 60_000);

  it("lets only the user who uploaded a file send it: another user at the same access point is refused", async () => {
    const up = await json(await upload(be, "mine.bin", "NL", 21, 5000));
    const payload = { kind: "request", to: ["NL"], legalBasis: "assistance-on-request", subject: "Mine", body: "Mine.", largeAttachments: [String(up.uploadId)] };
    const theirs = await be.app.inject({ method: "POST", url: "/v1/messages", headers: { authorization: `Bearer ${otherUser}` }, payload });
    expect([theirs.statusCode, theirs.json<{ code: string }>().code], theirs.body).toEqual([403, "LIAISON_FORBIDDEN"]);
    expect(theirs.json<{ detail: string }>().detail).toMatch(/another user's/);
    // Refused, it still waits for its uploader's message.
    expect((await send(be, ["NL"], [String(up.uploadId)])).statusCode).toBe(202);
  }, 60_000);

  it("refuses an upload for a contact point not in the registry, and a message naming an unknown upload or one sealed for other recipients", async () => {
    const nowhere = await upload(be, "x.bin", "XX", 12, 5000);
    const nowhereBody = await json(nowhere);
    expect([nowhere.status, nowhereBody.code], JSON.stringify(nowhereBody)).toEqual([422, "LIAISON_UNKNOWN_CONTACT_POINT"]);
    const unknown = await send(be, ["NL"], ["0".repeat(32)]);
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json<{ detail: string }>().detail).toMatch(/no upload/);
    const up = await json(await upload(be, "for-nl.bin", "NL", 7, 5000));
    const other = await send(be, ["DE"], [String(up.uploadId)]);
    expect(other.statusCode).toBe(400);
    expect(other.json<{ detail: string }>().detail).toMatch(/sealed for NL, not for DE/);
    // Refused, it still waits for the right message.
    expect((await send(be, ["NL"], [String(up.uploadId)])).statusCode).toBe(202);
    // Sent once, it cannot be sent again.
    expect((await send(be, ["NL"], [String(up.uploadId)])).statusCode).toBe(400);
  }, 60_000);

  it("forgets an upload never sent after its time: its key dropped, its object marked deleted", async () => {
    const up = await json(await upload(be, "abandoned.bin", "NL", 8, 5000));
    const os = await new Objm(jetstream(hub.admin)).open(largeFileStore("NL").bucket);
    expect((await os.info(String(up.uploadId)))?.deleted).toBe(false);
    ahead = 61_000;
    be.largeFiles.sweep();
    await until(async () => (await os.info(String(up.uploadId)))?.deleted === true, "the object marked deleted");
    const late = await send(be, ["NL"], [String(up.uploadId)]);
    expect(late.statusCode).toBe(400);
    ahead = 0;
  }, 60_000);

  it("the CLI's transfers: a file streamed up and saved at the recipient, with progress to the end", async () => {
    const dir = mkdtempSync(join(tmpdir(), "liaison-large-"));
    try {
      const src = join(dir, "scan.tiff");
      await pipeline(seeded(9, 5 * MiB + 7), createWriteStream(src));
      const ups: number[] = [];
      const up = await uploadFile({ url: be.url ?? "", token: be.token }, src, ["NL"], (done, total) => ups.push(done, total));
      expect(ups.slice(-2)).toEqual([5 * MiB + 7, 5 * MiB + 7]);
      const sent = await send(be, ["NL"], [up.uploadId]);
      expect(sent.statusCode).toBe(202);
      const id = sent.json<{ id: string }>().id;
      await until(() => nl.mailbox.has(id), "the message at NL", 30_000);
      const saved = join(dir, "saved.tiff");
      const downs: number[] = [];
      expect(await downloadAttachment({ url: nl.url ?? "", token: nl.token }, id, "scan.tiff", saved, (done, total) => downs.push(done, total))).toBe(5 * MiB + 7);
      expect(downs.slice(-2)).toEqual([5 * MiB + 7, 5 * MiB + 7]);
      expect(await sha256Of(createReadStream(saved))).toBe(await sha256Of(createReadStream(src)));
      expect(existsSync(`${saved}.part`)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it("keeps the file key only inside the sealed message: no hub stream holds it, the store ages out with the inbox", async () => {
    const id = await sendToNl(10, 2 * MiB + 5, "key-check.bin");
    const ref = (await nl.mailbox.open(id)).payload.largeAttachments[0]!;
    const key = Buffer.from(ref.fileKey!);
    expect(key).toHaveLength(32);
    // BE no longer holds it either: the upload went with the message.
    expect(be.largeFiles.waiting).toBe(0);
    const jsm = await jetstreamManager(hub.admin);
    let scanned = 0;
    for await (const si of jsm.streams.list()) {
      // The large-file stores hold chunks sealed under the file keys and object records we write field by field.
      if (si.config.name.startsWith("OBJ_large-files-")) continue;
      for (let seq = si.state.first_seq; seq <= si.state.last_seq && si.state.messages > 0; seq++) {
        const m = await jsm.streams.getMessage(si.config.name, { seq }).catch(() => null);
        if (!m) continue;
        scanned++;
        expect(Buffer.from(m.data).indexOf(key), `${si.config.name} ${m.subject}`).toBe(-1);
      }
    }
    expect(scanned).toBeGreaterThan(10);
    // What retention does with it: the store keeps an object no longer than an undelivered inbox copy.
    expect((await jsm.streams.info(NL_STORE)).config.max_age).toBe(INBOX_MAX_AGE_MS * 1_000_000);
  }, 120_000);
});
