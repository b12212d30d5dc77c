// The test harness's NATS: a real nats-server on a random port with a temporary JetStream store,
// killed at the end. NATS_URL wins when set (for shared tests); testcontainers' NATS module is used
// when no binary is installed but a Docker engine answers. With neither, the error says how to
// install a server.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { NatsConnection } from "@nats-io/nats-core";
import { connectNats, INSTALL_HINT, startNatsServer, type RunningNatsServer } from "../../src/nats/mod.js";

export interface TestNats {
  readonly kind: "external" | "binary" | "container";
  readonly url: string;
  /** The JetStream store directory on this machine (undefined for an external server). */
  readonly storeDir: string | undefined;
  /** A connection closed automatically by stop(). */
  connect(name?: string, credsFile?: string): Promise<NatsConnection>;
  /** SIGKILL the server (a crash). */
  kill(): Promise<void>;
  /** Start it again on the same port and store. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface TestNatsOptions {
  /** Always start a server this harness controls, even when NATS_URL is set. */
  readonly own?: boolean;
  /** Extra nats-server configuration (an authorization block, for instance). */
  readonly extraConfig?: string;
}

const NATS_BIN = process.env.NATS_SERVER_BIN ?? "nats-server";

function hasBinary(): boolean {
  try {
    execFileSync(NATS_BIN, ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

async function dockerAnswers(): Promise<boolean> {
  try {
    const { getContainerRuntimeClient } = await import("testcontainers");
    await Promise.race([
      getContainerRuntimeClient(),
      new Promise((_, reject) => setTimeout(() => reject(new Error("timeout")), 5_000)),
    ]);
    return true;
  } catch {
    return false;
  }
}

function tracked(urlOf: () => string) {
  const conns: NatsConnection[] = [];
  return {
    conns,
    connect: async (name = "test", credsFile?: string) => {
      const nc = await connectNats({ url: urlOf(), name, ...(credsFile ? { credsFile } : {}) });
      conns.push(nc);
      return nc;
    },
    closeAll: async () => {
      await Promise.allSettled(conns.map((c) => c.close()));
      conns.length = 0;
    },
  };
}

export async function startTestNats(opts: TestNatsOptions = {}): Promise<TestNats> {
  const external = process.env.NATS_URL;
  if (external && !opts.own && !opts.extraConfig) {
    const t = tracked(() => external);
    const unsupported = async () => {
      throw new Error("this test controls the server's process; it cannot do that with NATS_URL");
    };
    return { kind: "external", url: external, storeDir: undefined, connect: t.connect, kill: unsupported, start: unsupported, stop: t.closeAll };
  }

  const dir = mkdtempSync(join(tmpdir(), "liaison-nats-"));
  if (hasBinary()) {
    let server: RunningNatsServer;
    try {
      server = await startNatsServer({
        bin: NATS_BIN,
        port: 0,
        storeDir: join(dir, "jetstream"),
        configDir: dir,
        ...(opts.extraConfig ? { extraConfig: opts.extraConfig } : {}),
      });
    } catch (err) {
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
    const t = tracked(() => server.url);
    return {
      kind: "binary",
      get url() {
        return server.url;
      },
      storeDir: server.storeDir,
      connect: t.connect,
      kill: () => server.kill(),
      start: () => server.start(),
      stop: async () => {
        await t.closeAll();
        await server.stop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }

  if (!opts.extraConfig && (await dockerAnswers())) {
    const { NatsContainer } = await import("@testcontainers/nats");
    const container = await new NatsContainer(process.env.LIAISON_TEST_NATS_IMAGE ?? "nats:2.10-alpine")
      .withJetStream()
      .withArg("--store_dir", "/data")
      .withBindMounts([{ source: dir, target: "/data" }])
      .start();
    const urlOf = () => `nats://test:test@${container.getHost()}:${container.getMappedPort(4222)}`;
    const t = tracked(urlOf);
    return {
      kind: "container",
      get url() {
        return urlOf();
      },
      storeDir: dir,
      connect: t.connect,
      kill: async () => {
        await container.stop({ timeout: 0, remove: false });
      },
      start: async () => {
        await container.restart();
      },
      stop: async () => {
        await t.closeAll();
        await container.stop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }

  rmSync(dir, { recursive: true, force: true });
  throw new Error(`No NATS server for the tests: ${NATS_BIN} is not installed and no Docker engine answers. ${INSTALL_HINT}`);
}
