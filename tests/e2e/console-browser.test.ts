// The console in real headless Chromium (playwright-core driving Debian's chromium) against the
// whole stack started as `npm start` starts it: log in with each role's token, open every page,
// check that the figures shown equal the API's, that a role sees none of the other's views, that
// the page runs under its Content Security Policy without a single violation, that markup a member
// put in its data shows as text and never runs, that a supervisor's legal hold set on the page is
// the one the supplier sees, and save a screenshot of each page under test-artifacts/console/.
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, startStackProcess, type StackProcess } from "../support/stack.js";

const N = 3; // messages BE → NL
const M = 2; // record queries by DE
const SHOTS = join(ROOT, "test-artifacts", "console");
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
/** A query purpose a member chose: markup that would run if the console inserted it as HTML. */
const HOSTILE = `<img src=x onerror="window.__pwned=1"><b>risk</b>`;

describe("the console in a browser", () => {
  let stack: StackProcess;
  let browser: Browser;
  let consoleUrl: string;
  let tokens: { supervisor: string; operations: string };

  const api = async (path: string, token: string) => {
    const res = await fetch(`${consoleUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status, path).toBe(200);
    return res.json() as Promise<Record<string, unknown>>;
  };

  /** A page that records every CSP violation (the DOM event and Chromium's console report). */
  async function newPage(): Promise<{ page: Page; violations: string[] }> {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const violations: string[] = [];
    page.on("console", (m) => {
      if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
    });
    await page.exposeFunction("__cspViolation", (v: string) => violations.push(v));
    await page.addInitScript({ content: 'document.addEventListener("securitypolicyviolation", (e) => window.__cspViolation(e.violatedDirective + " " + e.blockedURI));' });
    return { page, violations };
  }

  async function logIn(page: Page, token: string) {
    const res = await page.goto(consoleUrl);
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
    await page.locator(`#view[data-loaded="${view}"]`).waitFor({ timeout: 15_000 });
    expect(await page.getByTestId("view-error").count(), `${view} shows an error`).toBe(0);
  }

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
    // Wait until usage has counted the scenario.
    const deadline = Date.now() + 30_000;
    for (;;) {
      const u = (await api("/v1/usage", tokens.operations)) as { months: Array<{ cp: string; messagesReceived: number; recordsQueried: number }> };
      const sum = (cp: string, f: "messagesReceived" | "recordsQueried") => u.months.filter((m) => m.cp === cp).reduce((n, m) => n + m[f], 0);
      if (sum("NL", "messagesReceived") === N && sum("DE", "recordsQueried") === M) break;
      if (Date.now() > deadline) throw new Error(`usage did not reach the scenario's figures: ${JSON.stringify(u.months)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"] });
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
    expect(await page.locator("#nav button").evaluateAll((bs) => bs.map((b) => b.getAttribute("data-view")))).toEqual(["usage", "dormant", "throughput", "health"]);
    expect(await page.getByTestId("nav-audit").count()).toBe(0);

    await openView(page, "usage");
    expect(await page.getByTestId("usage-total-BE-messagesSent").textContent()).toBe(String(N));
    expect(await page.getByTestId("usage-total-NL-messagesReceived").textContent()).toBe(String(N));
    expect(await page.getByTestId("usage-total-DE-recordsQueried").textContent()).toBe(String(M));
    expect(await page.getByTestId("chart-messagesSent").locator("rect").count()).toBeGreaterThan(0);
    await shot(page, "operations-usage");

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
