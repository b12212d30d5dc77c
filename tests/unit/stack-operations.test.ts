// `npm start` runs the operations service: as a hub child of its own, with its own NATS identity
// (role "operations") and the hub's keys it signs overlap notices with.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadConfig, stackSchema } from "../../src/config/mod.js";
import { HUB_SERVICES } from "../../src/ops/mod.js";
import { prepareStackSecrets } from "../../src/stack/secrets.js";
import { stackChildren } from "../../src/stack/services.js";

describe("the dev stack", () => {
  const home = mkdtempSync(join(tmpdir(), "liaison-stack-ops-"));
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  it("starts the operations service with its own NATS user and the hub's keys", () => {
    const cfg = loadConfig("stack", stackSchema, { env: { LIAISON_HOME: home } });
    const secrets = prepareStackSecrets(home, ["DE", "FR"]);
    const plan = stackChildren(cfg, secrets);
    const child = plan.groups.flat().find((c) => c.name === "operations");
    expect(child).toMatchObject({ entry: "services/operations/main.ts", env: { NATS_CREDS: secrets.hub.operations.seedFile, LIAISON_HUB_KEY_FILE: secrets.hubKeyFile } });
    // Its user may serve members' operations subjects, and members import their own.
    expect(plan.natsAccounts).toContain('"liaison.v1.operations.*.*"');
    expect(plan.natsAccounts).toContain('{ service: { account: HUB, subject: "liaison.v1.operations.DE.>" } }');
    expect(plan.natsAccounts).not.toContain('account: HUB, subject: "liaison.v1.operations.*.>"');
  });

  it("starts every hub service that liaison status and the console expect, the audit service first", () => {
    const cfg = loadConfig("stack", stackSchema, { env: { LIAISON_HOME: home } });
    const plan = stackChildren(cfg, prepareStackSecrets(home, ["DE", "FR"]));
    const hub = plan.groups[0]?.map((c) => c.name) ?? [];
    expect(hub[0]).toBe("audit");
    expect([...hub].sort()).toEqual([...HUB_SERVICES].sort());
  });
});
