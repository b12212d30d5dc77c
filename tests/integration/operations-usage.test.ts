// Usage figures of joint customs operations (issue #18 item 6) on a real hub: operations per year by
// kind, parties per operation, how often each member leads or takes part, and the member that takes
// part in nothing flagged "not used at the expected level" — from the usage service, through the
// console's API, and on the console's usage page in real headless Chromium (a screenshot is saved
// under test-results/console-operations/).
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OperationIn, OperationUsageOut } from "../../src/api/mod.js";
import { AuditEmitter } from "../../src/audit/mod.js";
import { tokenHash, UserStore, type LiaisonApp } from "../../src/http/mod.js";
import { pb } from "../../src/proto/mod.js";
import { UsageClient } from "../../src/usage/mod.js";
import { buildConsoleApp } from "../../services/console/app.js";
import { quiet, startTestHub, until, type TestAccessPoint, type TestHub } from "../support/hub.js";

const SHOTS = join(import.meta.dirname, "..", "..", "test-results", "console-operations");
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const OPS = { authorization: "Bearer ops-token" };

const base: Omit<OperationIn, "name" | "kind" | "leaders" | "participants" | "phases"> = {
  observers: [],
  objectives: [{ description: "cigarettes smuggled in containers", metric: "seizures", target: 5 }],
  riskAreas: ["tobacco-and-alcohol-smuggling"],
  commodityCodes: [],
  routes: [],
  legalBasis: "Naples II Convention, Art. 28",
  status: "planned",
};
const operational = (start: string, end: string) => [{ kind: "operational" as const, start, end }];
/** Who enters each operation, and the operation. */
const OPERATIONS: Array<[string, OperationIn]> = [
  ["DE", { ...base, name: "Athena V", kind: "full-scale-jco", leaders: ["DE"], participants: ["NL", "BE"], observers: ["OLAF"], phases: operational("2027-03-01", "2027-03-07") }],
  ["FR", { ...base, name: "Hermes II", kind: "regional-jco", leaders: ["FR"], participants: [], phases: operational("2027-06-01", "2027-06-07") }],
  ["NL", { ...base, name: "WCO Sentinel", kind: "other-body", leaders: ["WCO"], participants: [], phases: operational("2027-09-01", "2027-09-05") }],
  // Cancelled: it did not take place, so it counts nowhere.
  ["FR", { ...base, name: "Dropped", kind: "regional-jco", leaders: ["FR"], participants: ["BE", "NL"], phases: operational("2027-10-01", "2027-10-05"), status: "cancelled" }],
  // Begun in 2027, it counts in 2027 (its first day), not 2028.
  ["DE", { ...base, name: "Hermes III", kind: "regional-jco", leaders: ["DE"], participants: ["FR"], phases: [{ kind: "planning", start: "2027-12-01", end: "2027-12-20" }, { kind: "operational", start: "2028-02-01", end: "2028-02-07" }] }],
  ["FR", { ...base, name: "Iris", kind: "jcpo", leaders: ["FR", "DE"], participants: [], phases: operational("2028-05-01", "2028-05-03") }],
];

describe("usage of joint customs operations", () => {
  let hub: TestHub;
  let app: LiaisonApp;
  let url: string;
  let browser: Browser | undefined;

  beforeAll(async () => {
    hub = await startTestHub({ cps: ["DE", "FR", "NL", "BE", "IT"] });
    await hub.startExchange();
    await hub.startOperations();
    await hub.startUsage({ timers: false });
    const aps = new Map<string, TestAccessPoint>();
    for (const cp of ["DE", "FR", "NL"]) aps.set(cp, await hub.startAp(cp));
    for (const [cp, op] of OPERATIONS) {
      const ap = aps.get(cp) as TestAccessPoint;
      const res = await ap.app.inject({ method: "POST", url: "/v1/operations", headers: { authorization: `Bearer ${ap.token}` }, payload: op });
      expect(res.statusCode, `${op.name}: ${res.body}`).toBe(201);
    }
    const nc = await hub.connectHub("console");
    const users = new UserStore({ users: [{ id: "ops-1", role: "operations", tokenSha256: tokenHash("ops-token"), expiresAt: new Date(Date.now() + 3_600_000).toISOString() }] });
    app = await buildConsoleApp({ nc, users, audit: new AuditEmitter(nc, "console"), log: quiet });
    url = await app.listen({ host: "127.0.0.1", port: 0 });
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await hub?.stop();
  });

  const figures = async (query = "?from=2027&to=2028") => {
    const res = await app.inject({ method: "GET", url: `/v1/usage/operations${query}`, headers: OPS });
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as OperationUsageOut;
  };

  it("counts operations by kind, parties per operation, and how often each member leads or takes part, per year", async () => {
    const u = await figures();
    expect(u.years.map((y) => y.year)).toEqual([2027, 2028]);
    const [y27, y28] = u.years;
    expect(y27?.operations).toBe(4);
    expect(y27?.byKind).toEqual([
      { kind: "full-scale-jco", count: 1 },
      { kind: "other-body", count: 1 },
      { kind: "regional-jco", count: 2 },
    ]);
    // Athena V 3 parties, Hermes II 1, WCO Sentinel 1 (WCO), Hermes III 2.
    expect(y27?.participants).toEqual({ mean: 7 / 4, min: 1, max: 3 });
    expect(y27?.members).toEqual([
      { cp: "BE", leads: 0, takesPart: 1, notUsed: false },
      { cp: "DE", leads: 2, takesPart: 2, notUsed: false },
      { cp: "FR", leads: 1, takesPart: 2, notUsed: false },
      { cp: "IT", leads: 0, takesPart: 0, notUsed: true },
      { cp: "NL", leads: 0, takesPart: 1, notUsed: false },
    ]);
    expect(y28).toMatchObject({ operations: 1, byKind: [{ kind: "jcpo", count: 1 }], participants: { mean: 2, min: 2, max: 2 } });
    expect(y28?.members.filter((m) => m.notUsed).map((m) => m.cp)).toEqual(["BE", "IT", "NL"]);
  });

  it("refuses a year range that ends before it starts or spans more than 50 years, with a reason", async () => {
    const res = await app.inject({ method: "GET", url: "/v1/usage/operations?from=2028&to=2027", headers: OPS });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: "LIAISON_VALIDATION" });
    const long = await app.inject({ method: "GET", url: "/v1/usage/operations?from=2000&to=2050", headers: OPS });
    expect(long.statusCode).toBe(400);
    expect(String((long.json() as { detail: string }).detail)).toContain("more than 50 years");
    // The usage service refuses it too, when asked over NATS.
    await expect(new UsageClient(hub.admin).operations({ fromYear: 2028, toYear: 2027 })).rejects.toMatchObject({ code: "LIAISON_BAD_REQUEST" });
    const bad = await app.inject({ method: "GET", url: "/v1/usage/operations?from=next", headers: OPS });
    expect(bad.statusCode).toBe(400);
    expect(String((bad.json() as { detail: string }).detail)).toContain("from");
  });

  it("logs the read before it answers", async () => {
    await figures();
    await until(async () => (await hub.auditEvents()).some((e) => e.service === "console" && e.action === pb.AuditAction.AUDIT_ACTION_READ && e.objectType === "operation-usage" && e.userId === "ops-1"), "the console's read event");
  });

  it("shows the figures on the console's usage page, with labelled axes and the member not used flagged", async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"] });
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const violations: string[] = [];
    page.on("console", (m) => void (/Content Security Policy/i.test(m.text()) && violations.push(m.text())));
    await page.goto(`${url}/#usage?from=2027-01&to=2028-12`);
    await page.getByTestId("token").fill("ops-token");
    await page.getByRole("button", { name: "Log in" }).click();
    await page.locator('#view[data-loaded="usage"]').waitFor({ timeout: 20_000 });
    const u = await figures();
    const text = (id: string) => page.getByTestId(id).textContent();
    for (const y of u.years) {
      expect(await text(`jco-year-${y.year}-operations`)).toBe(String(y.operations));
      expect(await text(`jco-year-${y.year}-min`)).toBe(String(y.participants.min));
      expect(await text(`jco-year-${y.year}-max`)).toBe(String(y.participants.max));
      for (const m of y.members) {
        expect(await text(`jco-${y.year}-${m.cp}-leads`)).toBe(String(m.leads));
        expect(await text(`jco-${y.year}-${m.cp}-takesPart`)).toBe(String(m.takesPart));
        expect(await text(`jco-${y.year}-${m.cp}-notUsed`)).toBe(m.notUsed ? "not used at the expected level" : "takes part");
      }
    }
    expect(await text("jco-year-2027-mean")).toBe("1.8");
    for (const chart of ["jco-chart-kinds", "jco-chart-members"]) {
      expect(await text(`${chart}-y-label`)).toBe("operations");
      expect(await text(`${chart}-x-label`)).toBe("year (of the operation's first day)");
      expect(await page.getByTestId(chart).locator("text.x-tick").allTextContents()).toEqual(["2027", "2028"]);
    }
    const yTicks = (await page.getByTestId("jco-chart-members").locator("text.y-tick").allTextContents()).map(Number);
    expect(yTicks[0]).toBe(0);
    expect(Math.max(...yTicks)).toBeGreaterThanOrEqual(2);
    // One bar per year and member (IT's are zero high), one per year and kind.
    expect(await page.getByTestId("jco-chart-members").locator("rect").count()).toBe(2 * 5);
    expect(await page.getByTestId("jco-chart-kinds").locator("rect").count()).toBe(2 * 4);
    mkdirSync(SHOTS, { recursive: true });
    await page.getByTestId("jco-usage").screenshot({ path: join(SHOTS, "operations-usage.png") });
    expect(violations).toEqual([]);
  });
});
