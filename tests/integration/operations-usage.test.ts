// Usage figures of joint customs operations (issue #18 item 6) on a real hub: operations per year by
// kind, parties per operation, how often each member leads or takes part, and the member that takes
// part in nothing flagged "not used at the expected level" — from the usage service, through the
// console's API, and on the console's usage page in real headless Chromium; and the console's
// calendar page with the overlaps (screenshots are saved under test-results/console-operations/).
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ConsoleCalendarOut, OperationIn, OperationUsageOut } from "../../src/api/mod.js";
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
  const aps = new Map<string, TestAccessPoint>();

  beforeAll(async () => {
    hub = await startTestHub({ cps: ["DE", "FR", "NL", "BE", "IT"] });
    await hub.startExchange();
    await hub.startOperations();
    await hub.startUsage({ timers: false });
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

  it("shows the calendar of operations with each overlap and its reasons, as the API gives them, and logs the read", async () => {
    // FR enters an operation whose dates and risk area overlap Athena V's operational phase.
    const fr = aps.get("FR") as TestAccessPoint;
    const poseidon = { ...base, name: "Poseidon", kind: "regional-jco" as const, leaders: ["FR"], participants: [], phases: operational("2027-03-05", "2027-03-12") };
    expect((await fr.app.inject({ method: "POST", url: "/v1/operations", headers: { authorization: `Bearer ${fr.token}` }, payload: poseidon })).statusCode).toBe(201);
    const res = await app.inject({ method: "GET", url: "/v1/operations/calendar?from=2027-01-01&to=2027-12-31", headers: OPS });
    expect(res.statusCode, res.body).toBe(200);
    const cal = res.json() as ConsoleCalendarOut;
    expect(cal.operations.map((o) => o.name)).toEqual(["Athena V", "Poseidon", "Hermes II", "WCO Sentinel", "Dropped", "Hermes III"]);
    expect(cal.overlaps.map((o) => [o.a.name, o.b.name, o.periods, o.reasons])).toEqual([
      [
        "Athena V",
        "Poseidon",
        [{ aPhase: "operational", bPhase: "operational", from: "2027-03-05", to: "2027-03-07" }],
        ["operational phase of Athena V and operational phase of Poseidon both run from 2027-03-05 to 2027-03-07", "both cover risk area tobacco-and-alcohol-smuggling"],
      ],
    ]);
    await until(async () => (await hub.auditEvents()).some((e) => e.service === "operations" && e.objectType === "operation-calendar" && e.authority === "OPERATIONS" && e.userId === "ops-1"), "the operations service's read event");
    expect((await app.inject({ method: "GET", url: "/v1/operations/calendar?from=2027-12-31&to=2027-01-01", headers: OPS })).json()).toMatchObject({ code: "LIAISON_VALIDATION" });

    const page = await (browser as Browser).newPage({ viewport: { width: 1280, height: 900 } });
    const violations: string[] = [];
    page.on("console", (m) => void (/Content Security Policy/i.test(m.text()) && violations.push(m.text())));
    await page.goto(`${url}/#calendar?from=2027-01-01&to=2027-12-31`);
    await page.getByTestId("token").fill("ops-token");
    await page.getByRole("button", { name: "Log in" }).click();
    await page.locator('#view[data-loaded="calendar"]').waitFor({ timeout: 20_000 });
    const text = (id: string) => page.getByTestId(id).textContent();
    expect(await text("cal-count")).toBe(String(cal.operations.length));
    expect(await text("cal-overlap-count")).toBe("1");
    const [o] = cal.overlaps;
    expect(await text(`cal-overlap-${o?.a.id}-${o?.b.id}-reasons`)).toBe(o?.reasons.join("; "));
    expect(await text(`cal-overlap-${o?.a.id}-${o?.b.id}-periods`)).toBe("operational / operational: 2027-03-05 to 2027-03-07");
    for (const op of cal.operations) {
      expect(await text(`cal-op-${op.id}-name`)).toBe(op.name);
      expect(await text(`cal-op-${op.id}-overlap`)).toBe(op.id === o?.a.id || op.id === o?.b.id ? "yes" : "no");
      expect(await page.getByTestId("cal-chart").locator(`[data-testid^="cal-bar-${op.id}-"]`).count()).toBe(op.phases.filter((p) => p.start <= cal.to && p.end >= cal.from).length);
    }
    // Hermes III's operational phase is in 2028: only its planning phase is drawn.
    expect(await page.getByTestId("cal-chart").locator('[data-testid^="cal-bar-"]').count()).toBe(6);
    // The overlap is marked on both operations' rows, and nowhere else.
    expect(await page.getByTestId("cal-chart").locator("rect.overlap").count()).toBe(2);
    expect(await text("cal-chart-x-label")).toBe("date (UTC)");
    expect(await text("cal-chart-y-label")).toBe("operation");
    expect(await page.getByTestId("cal-chart").locator("text.x-tick").allTextContents()).toEqual(["2027-01", "2027-02", "2027-03", "2027-04", "2027-05", "2027-06", "2027-07", "2027-08", "2027-09", "2027-10", "2027-11", "2027-12"]);
    await page.screenshot({ path: join(SHOTS, "operations-calendar.png"), fullPage: true });
    expect(violations).toEqual([]);
  });
});
