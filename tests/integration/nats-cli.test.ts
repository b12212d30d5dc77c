// The pinned `nats` CLI (natscli, scripts/nats-versions.env) against the production topology: an
// operator sees every hub service with `nats micro ls`, a member's credentials see only that
// member's own store, its two inbox consumers through the renamed hub JetStream API, and no hub
// service; the SYS user sees the server.
import { execFile } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resolveNatsCli, subjects } from "../../src/nats/mod.js";
import { startTestHub, type TestHub } from "../support/hub.js";

const cliPath = resolveNatsCli(process.env.LIAISON_TOOLS);

/** Runs the CLI without blocking this process: the services it talks to run in here. */
function nats(hub: TestHub, seed: string, args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(cliPath ?? "nats", ["--server", hub.nats.url, "--nkey", seed, "--timeout", "3s", ...args], { encoding: "utf8" }, (err, out, errOut) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out, err: errOut });
    });
  });
}

describe("the pinned nats CLI", () => {
  let hub: TestHub;
  beforeAll(async () => {
    expect(cliPath, "scripts/install-nats.sh installs the nats CLI beside the server").toBeDefined();
    hub = await startTestHub({ cps: ["BE", "NL"] });
    await hub.startExchange();
    await hub.startRecords();
    await hub.startFiles();
    await hub.startAudit();
    await hub.startUsage({ timers: false });
    await hub.startAp("BE");
  });
  afterAll(async () => {
    await hub?.stop();
  });

  it("lists every running hub service with `nats micro ls`, as the hub's operator", async () => {
    const r = await nats(hub, hub.secrets.hub["stack-admin"].seedFile, ["micro", "ls", "--json"]);
    expect(r.code).toBe(0);
    const names = new Set((JSON.parse(r.out) as Array<{ name: string }>).map((s) => s.name));
    expect([...names].sort()).toEqual(["audit", "exchange", "files", "records", "usage"]);
  });

  it("shows a member its own store and inbox consumer, and no hub service or stream", async () => {
    const be = hub.secrets.contactPoints.find((c) => c.cp === "BE")?.nkeySeedFile ?? "";
    expect((await nats(hub, be, ["stream", "ls", "--names"])).out.trim().split("\n")).toEqual(["AP_BE", "AP_BE_PUSH"]);
    const services = await nats(hub, be, ["micro", "ls"]);
    expect(services.code).not.toBe(0);
    expect(services.err).toMatch(/no service instances found/);
    const inbox = await nats(hub, be, ["--js-api-prefix", subjects.hubJsApi, "consumer", "info", "INBOX", "inbox-BE-normal", "--json"]);
    expect(inbox.code).toBe(0);
    expect((JSON.parse(inbox.out) as { config: { filter_subject: string } }).config.filter_subject).toBe(subjects.inbox("BE", "normal"));
    const other = await nats(hub, be, ["--js-api-prefix", subjects.hubJsApi, "consumer", "info", "INBOX", "inbox-NL-normal", "--json"]);
    expect(other.code).not.toBe(0);
  });

  it("reports the server to the SYS account's user", async () => {
    const r = await nats(hub, hub.secrets.system.seedFile, ["server", "list", "--json"]);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.out) as Array<{ server: { ver: string; jetstream: boolean } }>).map((x) => x.server)).toEqual([expect.objectContaining({ ver: hub.admin.info?.version, jetstream: true })]);
  });
});
