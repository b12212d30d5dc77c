import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseVersion, pinnedVersions, startNatsServer, versionAtLeast } from "../../src/nats/mod.js";
import { startTestNats, type TestNats } from "../support/nats.js";

describe("test harness", () => {
  let nats: TestNats;
  beforeAll(async () => {
    nats = await startTestNats({ own: true });
  });
  afterAll(async () => {
    await nats?.stop();
  });

  it("runs the pinned nats-server (or newer) with every JetStream write synced to disk before it is acknowledged", async () => {
    const nc = await nats.connect();
    const pinned = parseVersion(pinnedVersions().server);
    expect(pinned).toBeDefined();
    expect(versionAtLeast(parseVersion(nc.info?.version ?? "") ?? [0, 0, 0], pinned ?? [9, 9, 9])).toBe(true);
    expect(nats.monitorUrl).toBeDefined();
    const varz = (await (await fetch(`${nats.monitorUrl}/varz`)).json()) as { version: string; jetstream: { config: { sync_always?: boolean } } };
    expect(varz.version).toBe(nc.info?.version);
    expect(varz.jetstream.config.sync_always).toBe(true);
  });

  it("gives a real JetStream server whose acknowledged publish survives a crash and restart", async () => {
    const nc = await nats.connect();
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: "HARNESS", subjects: ["harness.>"] });
    const ack = await jetstream(nc).publish("harness.one", new TextEncoder().encode("kept"), { msgID: "m-1" });
    expect(ack.stream).toBe("HARNESS");
    expect(ack.seq).toBe(1);
    expect(ack.duplicate).toBe(false);

    await nats.kill();
    await nats.start();

    const nc2 = await nats.connect("after-restart");
    const jsm2 = await jetstreamManager(nc2);
    const msg = await jsm2.streams.getMessage("HARNESS", { seq: 1 });
    expect(msg?.string()).toBe("kept");
    // The dedupe window survived too: the same Nats-Msg-Id is recognised after the restart.
    const again = await jetstream(nc2).publish("harness.one", new TextEncoder().encode("kept"), { msgID: "m-1" });
    expect(again.duplicate).toBe(true);
    expect((await jsm2.streams.info("HARNESS")).state.messages).toBe(1);
  });

  it("keeps writing a server's log file when it is started again after a clean stop (no write after the file's end)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "liaison-harness-"));
    const logFile = join(dir, "nats-server.log");
    const errors: unknown[] = [];
    const onError = (err: unknown) => errors.push(err);
    process.on("uncaughtException", onError);
    try {
      const server = await startNatsServer({ port: 0, logFile, storeDir: join(dir, "js"), configDir: dir });
      await server.stop();
      const once = readFileSync(logFile, "utf8").split("Server is ready").length - 1;
      await server.start();
      await server.stop();
      await new Promise((r) => setTimeout(r, 200));
      expect(errors).toEqual([]);
      expect(readFileSync(logFile, "utf8").split("Server is ready").length - 1).toBe(once + 1);
    } finally {
      process.off("uncaughtException", onError);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
