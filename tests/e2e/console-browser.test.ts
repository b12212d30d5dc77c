// The console in real headless Chromium (playwright-core driving Debian's chromium) against the
// whole stack started as `npm start` starts it: log in with each role's token, open every page,
// check that the figures shown equal the API's, that a role sees none of the other's views, that
// the page runs under its Content Security Policy without a single violation, that markup a member
// put in its data shows as text and never runs, that a supervisor's legal hold set on the page is
// the one the supplier sees, and save a screenshot of each page under test-artifacts/console/.
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cspPage, launchChromium } from "../support/browser.js";
import { ROOT, startStackProcess, type StackProcess } from "../support/stack.js";

const N = 3; // messages BE → NL
const M = 2; // record queries by DE
const SHOTS = join(ROOT, "test-artifacts", "console");
/** A query purpose a member chose: markup that would run if the console inserted it as HTML. */
const HOSTILE = `<img src=x onerror="window.__pwned=1"><b>risk</b>`;
/** A legal hold BE sets on one of its records: the compliance page lists it. */
const HOLD_REASON = "court order 2026/77";
const HOLD_UNTIL = new Date(Date.now() + 30 * 86_400_000).toISOString();
/** As the console shows a time: UTC, to the minute. */
const shown = (iso: string) => iso.replace("T", " ").slice(0, 16);

describe("the console in a browser", () => {
  let stack: StackProcess;
  let browser: Browser;
  let consoleUrl: string;
  let tokens: { supervisor: string; operations: string };
  let heldId: string;

  const api = async (path: string, token: string) => {
    const res = await fetch(`${consoleUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status, path).toBe(200);
    return res.json() as Promise<Record<string, unknown>>;
  };

  const newPage = () => cspPage(browser);

  /** Logs in at `hash` (a view and its filters, as a supervisor would share them). */
  async function logIn(page: Page, token: string, hash = "") {
    const res = await page.goto(`${consoleUrl}/${hash}`);
    const csp = (await res?.allHeaders())?.["content-security-policy"] ?? "";
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain("unsafe-inline");
    await page.getByTestId("token").fill(token);
    await page.getByRole("button", { name: "Log in" }).click();
    await page.locator("#nav button").first().waitFor();
  }

  async function openView(page: Page, view: string) {
    await page.getByTestId(`nav-${view}`).click();
    await page.locator(`#view[data-loaded="${view}"], [data-testid="view-error"]`).first().waitFor({ timeout: 15_000 });
    expect(await page.getByTestId("view-error").count() ? await page.getByTestId("view-error").textContent() : "", `${view} shows an error`).toBe("");
    await page.locator(`#view[data-loaded="${view}"]`).waitFor({ timeout: 15_000 });
  }

  /** The page's address after the #: the view and its filters. */
  const hashOf = (page: Page) => page.evaluate("location.hash") as Promise<string>;
  /** Goes to a view and filters by address, as a link or a pasted address would. */
  const setHash = (page: Page, hash: string) => page.evaluate(`location.hash = ${JSON.stringify(hash)}`);
  const shot = (page: Page, name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });

  beforeAll(async () => {
    rmSync(SHOTS, { recursive: true, force: true });
    mkdirSync(SHOTS, { recursive: true });
    stack = await startStackProcess();
    const f = stack.file();
    if (!f.console) throw new Error("the stack started no console");
    consoleUrl = f.console.url;
    tokens = { supervisor: f.console.supervisorToken, operations: f.console.operationsToken };
    // Through the access points' HTTP APIs (a CLI process per call would cost seconds each).
    const be = f.accessPoints.BE;
    const de = f.accessPoints.DE;
    if (!be || !de) throw new Error("no BE or DE access point");
    for (let i = 0; i < N; i++) {
      const res = await fetch(`${be.url}/v1/messages`, {
        method: "POST",
        headers: { authorization: `Bearer ${be.operatorToken}`, "content-type": "application/json" },
        body: JSON.stringify({ kind: "request", to: ["NL"], legalBasis: "enquiries", subject: `browser ${i}`, body: `check ${i}` }),
      });
      expect(res.status).toBe(202);
    }
    for (let i = 0; i < M; i++) {
      const res = await fetch(`${de.url}/v1/records/query`, {
        method: "POST",
        headers: { authorization: `Bearer ${de.operatorToken}`, "content-type": "application/json" },
        body: JSON.stringify({ identifiers: [{ type: "person-name", value: `nobody ${i}` }], purpose: i === 0 ? HOSTILE : "risk analysis" }),
      });
      expect(res.status).toBe(200);
    }
    const held = await fetch(`${be.url}/v1/records`, {
      method: "POST",
      headers: { authorization: `Bearer ${be.operatorToken}`, "content-type": "application/json" },
      body: JSON.stringify({ category: "business", purpose: "sighting-and-reporting", identifiers: [{ type: "company-name", value: "Held Ltd" }] }),
    });
    expect(held.status).toBe(201);
    heldId = ((await held.json()) as { id: string }).id;
    const hold = await fetch(`${be.url}/v1/records/${heldId}/hold`, {
      method: "POST",
      headers: { authorization: `Bearer ${be.operatorToken}`, "content-type": "application/json" },
      body: JSON.stringify({ reason: HOLD_REASON, until: HOLD_UNTIL }),
    });
    expect(hold.status).toBe(200);
    // Wait until usage has counted the scenario.
    const deadline = Date.now() + 30_000;
    for (;;) {
      const u = (await api("/v1/usage", tokens.operations)) as { months: Array<{ cp: string; messagesReceived: number; recordsQueried: number }> };
      const sum = (cp: string, f: "messagesReceived" | "recordsQueried") => u.months.filter((m) => m.cp === cp).reduce((n, m) => n + m[f], 0);
      if (sum("NL", "messagesReceived") === N && sum("DE", "recordsQueried") === M) break;
      if (Date.now() > deadline) throw new Error(`usage did not reach the scenario's figures: ${JSON.stringify(u.months)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    if (stack) {
      stack.signal("SIGINT");
      await stack.exited;
      rmSync(stack.home, { recursive: true, force: true });
    }
  });

  it("operations: usage charts and totals, dormant members, live throughput and health match the API; no supervisor view", async () => {
    const { page, violations } = await newPage();
    await logIn(page, tokens.operations);
    expect(await page.locator("#nav button").evaluateAll((bs) => bs.map((b) => b.getAttribute("data-view")))).toEqual(["usage", "calendar", "dormant", "throughput", "health"]);
    expect(await page.getByTestId("nav-audit").count()).toBe(0);

    await openView(page, "usage");
    expect(await page.getByTestId("usage-total-BE-messagesSent").textContent()).toBe(String(N));
    expect(await page.getByTestId("usage-total-NL-messagesReceived").textContent()).toBe(String(N));
    expect(await page.getByTestId("usage-total-DE-recordsQueried").textContent()).toBe(String(M));
    expect(await page.getByTestId("chart-messagesSent").locator("rect").count()).toBeGreaterThan(0);
    // Labelled axes: the unit counted up the side, whole-number ticks from 0 past the highest bar,
    // the months along the bottom.
    const usage = (await api("/v1/usage", tokens.operations)) as { months: Array<{ cp: string; month: string; messagesSent: number }> };
    expect(await page.getByTestId("chart-messagesSent-y-label").textContent()).toBe("messages");
    expect(await page.getByTestId("chart-messagesSent-x-label").textContent()).toBe("month (UTC)");
    expect(await page.getByTestId("chart-recordsQueried-y-label").textContent()).toBe("queries");
    const yTicks = (await page.getByTestId("chart-messagesSent").locator("text.y-tick").allTextContents()).map(Number);
    expect(yTicks[0]).toBe(0);
    expect(yTicks.every((t) => Number.isInteger(t))).toBe(true);
    expect(Math.max(...yTicks)).toBeGreaterThanOrEqual(Math.max(...usage.months.map((m) => m.messagesSent)));
    expect(await page.getByTestId("chart-messagesSent").locator("text.x-tick").allTextContents()).toEqual([...new Set(usage.months.map((m) => m.month))].sort());
    await shot(page, "operations-usage");

    // The member filter: NL's figures only, and the view's address says so (it survives a reload).
    await page.locator("#usage-form select[name=cp]").selectOption("NL");
    await page.locator("#usage-form button").click();
    await page.locator('#view[data-loaded="usage"] #usage-form').waitFor();
    await expect.poll(() => hashOf(page)).toBe("#usage?cp=NL");
    expect(await page.getByTestId("usage-total-NL-messagesReceived").textContent()).toBe(String(N));
    expect(await page.getByTestId("usage-total-BE-messagesSent").count()).toBe(0);
    await page.reload();
    await page.locator('#view[data-loaded="usage"]').waitFor();
    expect(await page.locator("#usage-form select[name=cp]").inputValue()).toBe("NL");
    expect(await page.getByTestId("usage-total-NL-messagesReceived").textContent()).toBe(String(N));
    await shot(page, "operations-usage-member");

    // The month range: this month has the scenario's rows; from next month on there are none.
    const thisMonth = new Date().toISOString().slice(0, 7);
    const d = new Date();
    const nextMonth = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1)).toISOString().slice(0, 7);
    await page.locator("#usage-form input[name=from]").fill(thisMonth);
    await page.locator("#usage-form input[name=to]").fill(thisMonth);
    await page.locator("#usage-form button").click();
    await expect.poll(() => hashOf(page)).toBe(`#usage?from=${thisMonth}&to=${thisMonth}&cp=NL`);
    await page.locator('#view[data-loaded="usage"]').waitFor();
    const inMonth = (await api(`/v1/usage?from=${thisMonth}&to=${thisMonth}&cp=NL`, tokens.operations)) as { months: unknown[] };
    expect(inMonth.months.length).toBeGreaterThan(0);
    expect(await page.getByTestId("usage-row-count").textContent()).toBe(String(inMonth.months.length));
    await page.locator("#usage-form input[name=from]").fill(nextMonth);
    await page.locator("#usage-form input[name=to]").fill("");
    await page.locator("#usage-form button").click();
    await expect.poll(() => hashOf(page)).toBe(`#usage?from=${nextMonth}&cp=NL`);
    await page.locator('#view[data-loaded="usage"]').waitFor();
    expect(await page.getByTestId("usage-row-count").textContent()).toBe("0");

    await openView(page, "dormant");
    const dormant = (await api("/v1/usage/dormant", tokens.operations)) as { dormant: unknown[] };
    expect(await page.getByTestId("dormant-count").textContent()).toBe(String(dormant.dormant.length));
    await shot(page, "operations-dormant");

    await openView(page, "throughput");
    await expect.poll(async () => page.getByTestId("tp-at").textContent(), { timeout: 15_000 }).toMatch(/last sample/);
    expect(Number(await page.getByTestId("tp-auditEvents").textContent())).toBeGreaterThan(0);
    await shot(page, "operations-throughput");

    await openView(page, "health");
    const health = (await api("/v1/health", tokens.operations)) as { services: unknown[]; missing: string[] };
    expect(await page.getByTestId("health-instance-count").textContent()).toBe(String(health.services.length));
    expect(await page.getByTestId("health-missing").textContent()).toBe("none");
    expect(health.missing).toEqual([]);
    await shot(page, "operations-health");

    // The supervisor's API refuses this token even when called directly from the page.
    expect(await page.evaluate(async (t) => (await fetch("/v1/audit/events", { headers: { authorization: `Bearer ${t}` } })).status, tokens.operations)).toBe(403);
    expect(await page.content()).not.toMatch(/check 0|nobody 0|risk analysis/);
    expect(violations, "Content Security Policy violations").toEqual([]);
    await page.close();
  });

  it("supervisor: access log, access report, compliance, tree-head verification and export; no operations view", async () => {
    const { page, violations } = await newPage();
    await logIn(page, tokens.supervisor);
    expect(await page.locator("#nav button").evaluateAll((bs) => bs.map((b) => b.getAttribute("data-view")))).toEqual(["audit", "access", "compliance", "verification", "export"]);
    expect(await page.getByTestId("nav-usage").count()).toBe(0);

    await openView(page, "audit");
    expect(Number(await page.getByTestId("audit-count").textContent())).toBeGreaterThan(0);
    const shownSize = Number(await page.getByTestId("audit-tree-size").textContent());
    const apiSize = ((await api("/v1/audit/events?limit=1", tokens.supervisor)) as { treeSize: number }).treeSize;
    expect(shownSize).toBeGreaterThan(0);
    expect(shownSize).toBeLessThanOrEqual(apiSize); // the page's own read was logged since
    await shot(page, "supervisor-audit");

    // DE's queries, one with a purpose full of markup: shown as the text it is, never run.
    await page.locator("#audit-form input[name=authority]").fill("DE");
    await page.locator("#audit-form input[name=action]").fill("query");
    await page.locator("#audit-form button").click();
    const hostileCell = page.locator("#audit-results td", { hasText: "onerror" });
    await hostileCell.first().waitFor();
    expect(await hostileCell.first().textContent()).toBe(HOSTILE);
    expect(await page.locator("#audit-results img, #audit-results b").count()).toBe(0);
    expect(await page.evaluate("typeof window.__pwned")).toBe("undefined");
    await shot(page, "supervisor-audit-hostile-purpose");

    // Paging through the API's cursor, one event a page, older and back newer; the address holds
    // the filters and the position.
    const dq = (await api("/v1/audit/events?authority=DE&action=query&order=desc&limit=100", tokens.supervisor)) as { events: Array<{ index: number }> };
    const indices = dq.events.map((e) => e.index);
    expect(indices.length).toBeGreaterThanOrEqual(M);
    const firstShown = async () => Number((await page.locator("#audit-results tbody tr td").first().textContent()) ?? "");
    await setHash(page, "#audit?authority=DE&action=query&limit=1");
    await expect.poll(firstShown).toBe(indices[0]);
    expect(await page.getByTestId("audit-count").textContent()).toBe("1");
    expect(await page.getByTestId("audit-newer").isDisabled()).toBe(true);
    const seen = [await firstShown()];
    while (!(await page.getByTestId("audit-older").isDisabled())) {
      const before = seen.at(-1);
      await page.getByTestId("audit-older").click();
      await expect.poll(firstShown).not.toBe(before);
      seen.push(await firstShown());
      expect(await hashOf(page)).toBe(`#audit?authority=DE&action=query&limit=1&before=${before}`);
    }
    expect(seen).toEqual(indices);
    await page.getByTestId("audit-newer").click();
    await expect.poll(firstShown).toBe(indices.at(-2));
    await page.goBack();
    await expect.poll(firstShown).toBe(indices.at(-1));
    await shot(page, "supervisor-audit-paging");

    // The outcome filter: the refusals only (the operations token is refused here first).
    expect((await fetch(`${consoleUrl}/v1/audit/events`, { headers: { authorization: `Bearer ${tokens.operations}` } })).status).toBe(403);
    let refused: { events: Array<{ index: number; outcome: string }> } = { events: [] };
    await expect
      .poll(async () => (refused = (await api("/v1/audit/events?outcome=refused&order=desc&limit=50", tokens.supervisor)) as typeof refused).events.length, { timeout: 15_000 })
      .toBeGreaterThan(0);
    expect(refused.events.every((e) => e.outcome === "refused")).toBe(true);
    await setHash(page, "#audit");
    await page.locator('#view[data-loaded="audit"]').waitFor();
    await page.locator("#audit-form select[name=outcome]").selectOption("refused");
    await page.locator("#audit-form button").click();
    await expect.poll(() => hashOf(page)).toBe("#audit?outcome=refused");
    await expect.poll(firstShown).toBe(refused.events[0]?.index);
    expect(await page.getByTestId("audit-count").textContent()).toBe(String(refused.events.length));
    const outcomes = await page.locator("#audit-results tbody tr td:nth-child(8)").allTextContents();
    expect(outcomes.length).toBe(refused.events.length);
    expect(outcomes.every((t) => t.startsWith("refused"))).toBe(true);
    await shot(page, "supervisor-audit-refused");

    // The time range: nothing is logged from tomorrow on.
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 16);
    await page.locator("#audit-form input[name=from]").fill(tomorrow);
    await page.locator("#audit-form button").click();
    await expect.poll(() => hashOf(page)).toBe(`#audit?from=${encodeURIComponent(tomorrow)}&outcome=refused`);
    await expect.poll(async () => page.getByTestId("audit-count").textContent()).toBe("0");

    // An error in words, its code second: an action that does not exist.
    await setHash(page, "#audit");
    await page.locator('#view[data-loaded="audit"]').waitFor();
    await page.locator("#audit-form input[name=action]").fill("frobnicate");
    await page.locator("#audit-form button").click();
    await page.getByTestId("problem").waitFor();
    expect(await page.getByTestId("problem-words").textContent()).toBe("The action filter names an action that does not exist");
    expect(await page.getByTestId("problem-code").textContent()).toBe("LIAISON_VALIDATION");
    await shot(page, "supervisor-audit-error");

    // A view shared by its address opens with its filters for whoever logs in with it.
    const shared = await newPage();
    await logIn(shared.page, tokens.supervisor, "#audit?authority=DE&action=query&outcome=success");
    await shared.page.locator('#view[data-loaded="audit"]').waitFor();
    expect(await shared.page.locator("#audit-form input[name=authority]").inputValue()).toBe("DE");
    expect(await shared.page.locator("#audit-form select[name=outcome]").inputValue()).toBe("success");
    const succeeded = (await api("/v1/audit/events?authority=DE&action=query&outcome=success&order=desc&limit=50", tokens.supervisor)) as { events: unknown[] };
    expect(succeeded.events.length).toBeGreaterThanOrEqual(M);
    expect(await shared.page.getByTestId("audit-count").textContent()).toBe(String(succeeded.events.length));
    expect(shared.violations, "Content Security Policy violations").toEqual([]);
    await shared.page.close();

    await openView(page, "access");
    await page.locator("#access-user input[name=user]").fill("operator-BE");
    await page.locator("#access-user button").click();
    await page.getByTestId("access-count").waitFor();
    const byUser = (await api("/v1/audit/users/operator-BE?limit=100", tokens.supervisor)) as { events: unknown[] };
    expect(Number(await page.getByTestId("access-count").textContent())).toBe(byUser.events.length);
    await shot(page, "supervisor-access");

    await openView(page, "compliance");
    const compliance = (await api("/v1/compliance", tokens.supervisor)) as { overdueCount: number; erasedTotal: number };
    expect(await page.getByTestId("compliance-overdue").textContent()).toBe(String(compliance.overdueCount));
    expect(await page.getByTestId("compliance-erased").textContent()).toBe(String(compliance.erasedTotal));
    // Holds in force (what, by whom, why, until) and reviews, as the report gives them.
    const report = (await api("/v1/compliance", tokens.supervisor)) as {
      holds: Array<{ objectType: string; objectId: string; setBy: string; reason: string; until: string | null }>;
      reviews: Array<{ due: number; renewed: number; lapsed: number }>;
    };
    const h = report.holds.find((x) => x.objectId === heldId);
    expect(h, "BE's hold is in the report").toBeDefined();
    if (!h) return;
    expect(h.reason).toBe(HOLD_REASON);
    expect(h.setBy).toMatch(/^BE:/);
    expect(h.until).toBe(HOLD_UNTIL);
    expect(await page.getByTestId("compliance-holds-count").textContent()).toBe(String(report.holds.length));
    expect(await page.getByTestId(`hold-${h.objectType}-${heldId}-object`).textContent()).toBe(`${h.objectType} ${heldId}`);
    expect(await page.getByTestId(`hold-${h.objectType}-${heldId}-set-by`).textContent()).toBe(h.setBy);
    expect(await page.getByTestId(`hold-${h.objectType}-${heldId}-reason`).textContent()).toBe(HOLD_REASON);
    expect(await page.getByTestId(`hold-${h.objectType}-${heldId}-until`).textContent()).toBe(shown(HOLD_UNTIL));
    const sum = (f: "due" | "renewed" | "lapsed") => String(report.reviews.reduce((n, r) => n + r[f], 0));
    expect(await page.getByTestId("compliance-reviews-due").textContent()).toBe(sum("due"));
    expect(await page.getByTestId("compliance-reviews-renewed").textContent()).toBe(sum("renewed"));
    expect(await page.getByTestId("compliance-reviews-lapsed").textContent()).toBe(sum("lapsed"));
    await shot(page, "supervisor-compliance");

    await openView(page, "verification");
    expect(await page.getByTestId("verify-signature").textContent()).toBe("yes");
    expect(await page.getByTestId("verify-key").textContent()).toBe("yes");
    expect(Number(await page.getByTestId("verify-tree-size").textContent())).toBeGreaterThan(0);
    await shot(page, "supervisor-verification");

    await openView(page, "export");
    const download = page.waitForEvent("download");
    await page.getByTestId("export-button").click();
    await (await download).path();
    await expect.poll(async () => page.getByTestId("export-size").textContent()).toMatch(/^[1-9]\d* bytes$/);
    await shot(page, "supervisor-export");

    expect(await page.evaluate(async (t) => (await fetch("/v1/usage", { headers: { authorization: `Bearer ${t}` } })).status, tokens.supervisor)).toBe(403);
    expect(violations, "Content Security Policy violations").toEqual([]);
    await page.close();
  });

  it("supervisor: sets a legal hold on a FIDE entry from the compliance page, which the supplier sees and cannot lift, and lifts it", async () => {
    const be = stack.file().accessPoints.BE;
    if (!be) throw new Error("no BE access point");
    const beApi = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${be.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${be.operatorToken}`, ...(body !== undefined ? { "content-type": "application/json" } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    const created = await beApi("POST", "/v1/files", {
      fileReference: "BE/BROWSER/1",
      investigatingService: "AAD&A Antwerpen",
      contact: "insp. J. Peeters",
      subjects: [{ type: "person-name", value: "Bruno Browser" }],
      offenceArea: "counterfeit-goods",
      status: "ongoing",
      lastInvestigativeAct: new Date(Date.now() - 86_400_000).toISOString().slice(0, 10),
    });
    expect(created.status).toBe(201);
    const id = created.body.id as string;

    const { page, violations } = await newPage();
    await logIn(page, tokens.supervisor);
    await openView(page, "compliance");
    await page.getByTestId("hold-kind").selectOption("files");
    await page.getByTestId("hold-id").fill(id);
    // A reason with markup is shown as the text it is.
    await page.getByTestId("hold-reason-input").fill(`audit <b>2026</b>`);
    await page.getByTestId("hold-until").fill("2099-01-31");
    await page.getByTestId("hold-set").click();
    await page.getByTestId("hold-set-by").waitFor();
    expect(await page.getByTestId("hold-set-by").textContent()).toBe("SUPERVISOR:supervisor");
    expect(await page.getByTestId("hold-reason").textContent()).toBe("audit <b>2026</b>");
    expect(await page.locator("#hold-result b").count()).toBe(0);
    await shot(page, "supervisor-hold");

    // What the page set is what the supplier's access point shows, and the supplier cannot lift it.
    const seen = await beApi("GET", `/v1/files/${id}`);
    expect(seen.body.hold).toMatchObject({ setBy: "SUPERVISOR:supervisor", supervisory: true, reason: "audit <b>2026</b>", until: "2099-01-31T23:59:59.000Z" });
    const refused = await beApi("POST", `/v1/files/${id}/hold`, { lift: true });
    expect(refused.status).toBe(409);
    expect(refused.body.detail).toContain("SUPERVISOR:supervisor");

    await page.getByTestId("hold-lift").click();
    await expect.poll(async () => page.getByTestId("hold-state").textContent()).toMatch(/has no legal hold/);
    expect((await beApi("GET", `/v1/files/${id}`)).body.hold).toBeUndefined();
    expect(violations, "Content Security Policy violations").toEqual([]);
    await page.close();
  });
});
