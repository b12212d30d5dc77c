// bench/large-files: large attachments (docs/large-files.md) through the access point's LargeFiles
// against raw object-store put and get of the same bytes, in the same run, on the same server.
// LargeFiles: BE seals a file in 1 MiB chunks and writes them into NL's store through its account's
// imports; NL reads them back by direct get, opens each chunk and checks the SHA-256. Raw: the hub's
// administrator puts and gets the same bytes with @nats-io/obj (1 MiB chunks too). The ratio is what
// sealing, the account boundary and the chunk-by-chunk read cost. BENCH_LARGE_FILE_MB (default 256).
import { createCipheriv, createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jetstream } from "@nats-io/jetstream";
import { Objm } from "@nats-io/obj";
import { LargeFiles } from "../../services/access-point/large-files.js";
import { createLogger } from "../../src/log/mod.js";
import { connectNats, cpInboxPrefix, provision, startNatsServer } from "../../src/nats/mod.js";
import { prepareStackSecrets, stackAccountsConfig } from "../../src/stack/secrets.js";
import { report } from "../support/report.js";

const MiB = 1024 * 1024;
const SIZE = Number(process.env.BENCH_LARGE_FILE_MB ?? 256) * MiB;

/** SIZE bytes from a seeded PRNG (AES-128-CTR keystream), 1 MiB at a time. */
async function* seeded(seed: number, size: number): AsyncGenerator<Uint8Array> {
  const ctr = createCipheriv("aes-128-ctr", createHash("sha256").update(`seed ${seed}`).digest().subarray(0, 16), Buffer.alloc(16));
  const zeros = Buffer.alloc(MiB);
  for (let left = size; left > 0; left -= MiB) yield ctr.update(zeros.subarray(0, Math.min(left, MiB)));
}

const mibPerSec = (bytes: number, ms: number) => bytes / MiB / (ms / 1000);
const home = mkdtempSync(join(tmpdir(), "liaison-bench-large-"));
const secrets = prepareStackSecrets(home, ["BE", "NL"]);
const server = await startNatsServer({ port: 0, storeDir: join(home, "jetstream"), configDir: join(home, "nats"), extraConfig: stackAccountsConfig(secrets) });
const member = (cp: string) => {
  const c = secrets.contactPoints.find((x) => x.cp === cp);
  return connectNats({ url: server.url, name: `bench-${cp}`, credsFile: c?.nkeySeedFile ?? "", inboxPrefix: cpInboxPrefix(cp) });
};
const admin = await connectNats({ url: server.url, name: "bench-large-admin", credsFile: secrets.hub["stack-admin"].seedFile });
try {
  // Stores of 4 GiB, as large as the largest file here: two fit in the server's 20 GB of JetStream.
  await provision(admin, { contactPoints: ["BE", "NL"], largeFileStoreBytes: 4 * 1024 * MiB });
  const log = createLogger("bench", "silent");
  const [beNc, nlNc] = await Promise.all([member("BE"), member("NL")]);
  const be = new LargeFiles({ nc: beNc, cp: "BE", maxBytes: 4 * 1024 * MiB, uploadTtlMs: 3_600_000, log });
  const nl = new LargeFiles({ nc: nlNc, cp: "NL", maxBytes: 4 * 1024 * MiB, uploadTtlMs: 3_600_000, log });

  const t0 = performance.now();
  const up = await be.upload(seeded(1, SIZE), { name: "bench.bin", mediaType: "application/octet-stream", to: ["NL"], userId: "bench" });
  const putMs = performance.now() - t0;
  const [ref] = be.refsFor([up.id], ["NL"], "bench");
  const t1 = performance.now();
  let got = 0;
  for await (const c of await nl.open(ref ?? {})) got += c.length;
  const getMs = performance.now() - t1;
  if (got !== SIZE) throw new Error(`read ${got} of ${SIZE} bytes`);

  const os = await new Objm(jetstream(admin)).create("bench-raw", { description: "bench/large-files raw baseline" });
  const t2 = performance.now();
  await os.put({ name: "raw.bin", options: { max_chunk_size: MiB } }, ReadableStream.from(seeded(1, SIZE)));
  const rawPutMs = performance.now() - t2;
  const t3 = performance.now();
  let rawGot = 0;
  const r = await os.get("raw.bin");
  if (!r) throw new Error("the raw object is missing");
  for await (const c of r.data) rawGot += c.length;
  const rawGetMs = performance.now() - t3;
  if (rawGot !== SIZE) throw new Error(`raw read ${rawGot} of ${SIZE} bytes`);

  be.close();
  nl.close();
  await Promise.all([beNc.close(), nlNc.close()]);
  report(`bench/large-files — ${SIZE / MiB} MiB, nats-server ${server.version}, file storage in ${tmpdir()}, sync_interval always; the ratio is LargeFiles against raw @nats-io/obj on the same bytes`, [
    { name: "upload: seal in 1 MiB chunks, write into the recipient's store through the account imports", value: mibPerSec(SIZE, putMs), unit: "MiB/s", baseline: { name: "raw object-store put (1 MiB chunks)", value: mibPerSec(SIZE, rawPutMs) } },
    { name: "download: direct get through the import, open each chunk, check the SHA-256", value: mibPerSec(SIZE, getMs), unit: "MiB/s", baseline: { name: "raw object-store get", value: mibPerSec(SIZE, rawGetMs) } },
  ]);
} finally {
  await admin.close();
  await server.stop();
  rmSync(home, { recursive: true, force: true });
}
