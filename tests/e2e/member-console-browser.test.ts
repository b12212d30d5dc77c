// The member console at the access point (issue #18) in real headless Chromium (playwright-core)
// against a real hub (nats-server, exchange, operations service) and real access points, DE's
// listening on HTTP: log in with the member's token, the calendar with the overlap of two
// operations and each of its reasons, an operation's page (phases as a timeline, objectives,
// parties), errors in words, no CSP violation, a member's markup shown as text; screenshots under
// test-artifacts/member-console/. The second block drives the pages of the operation's sealed items
// (documents, group, tally, monitoring) against the endpoints of the lead's contract.
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OperationIn } from "../../src/api/mod.js";
import { cspPage, launchChromium } from "../support/browser.js";
import { startTestHub, until, type TestAccessPoint, type TestHub } from "../support/hub.js";
import { athena, hermes } from "../support/jco.js";
import { ROOT } from "../support/stack.js";

type Json = Record<string, unknown>;
const SHOTS = join(ROOT, "test-artifacts", "member-console");
/** An objective a member typed: markup that would run if the console inserted it as HTML. */
const HOSTILE = `<img src=x onerror="window.__pwned=1"><b>lorries</b>`;

/** FR's Hermes II, with an objective whose text is markup. */
const hermesMarked: OperationIn = { ...hermes, objectives: [{ description: HOSTILE, metric: "lorries checked", target: 400 }] };

describe("the member console in a browser", () => {
  let hub: TestHub;
  let de: TestAccessPoint;
  let fr: TestAccessPoint;
  let nl: TestAccessPoint;
  let url = "";
  let browser: Browser;
  let athenaId = "";
  let hermesId = "";

  /** A call to the access point's API as its operator that must succeed: its JSON body. */
  async function ok(ap: TestAccessPoint, method: "GET" | "POST" | "PATCH", path: string, payload?: unknown): Promise<Json> {
    const res = await ap.app.inject({ method, url: path, headers: { authorization: `Bearer ${ap.token}` }, ...(payload !== undefined ? { payload: payload as object } : {}) });
    expect(res.statusCode, `${method} ${path}: ${res.body}`).toBeLessThan(300);
    return res.json() as Json;
  }

  const newPage = () => cspPage(browser);
  /** Logs in with DE's operator token at `hash` (a page and its parameters, as a link gives them) and waits for that view. */
  async function logIn(page: Page, hash: string, view: string) {
    await page.goto(`${url}/${hash}`);
    await page.getByTestId("token").fill(de.token);
    await page.getByRole("button", { name: "Log in" }).click();
    await loaded(page, view);
  }
  async function loaded(page: Page, view: string) {
    await page.locator(`#view[data-loaded="${view}"], [data-testid="view-error"]`).first().waitFor({ timeout: 15_000 });
    expect(await page.getByTestId("view-error").count() ? await page.getByTestId("view-error").textContent() : "", `${view} shows an error`).toBe("");
  }
  /** Logs in at `hash`, waits for `view`, runs `check`, then saves a screenshot as `name`; not one CSP violation all along. */
  async function onPage(hash: string, view: string, name: string, check: (page: Page) => Promise<void>) {
    const { page, violations } = await newPage();
    try {
      await logIn(page, hash, view);
      await check(page);
      await shot(page, name);
      expect(violations, "Content Security Policy violations").toEqual([]);
    } finally {
      await page.close();
    }
  }
  const shot = (page: Page, name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  const text = (page: Page, testid: string) => page.getByTestId(testid).textContent();

  beforeAll(async () => {
    rmSync(SHOTS, { recursive: true, force: true });
    mkdirSync(SHOTS, { recursive: true });
    hub = await startTestHub({ cps: ["DE", "FR", "NL"] });
    await hub.startExchange();
    await hub.startOperations();
    [de, fr, nl] = await Promise.all([hub.startAp("DE"), hub.startAp("FR"), hub.startAp("NL")]);
    url = await de.app.listen({ host: "127.0.0.1", port: 0 });
    athenaId = ((await ok(de, "POST", "/v1/operations", athena)).operation as Json).id as string;
    hermesId = ((await ok(fr, "POST", "/v1/operations", hermesMarked)).operation as Json).id as string;
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await hub?.stop();
  });

  describe("login, the calendar with its overlaps, an operation", () => {
    it("serves the console under a strict CSP and nothing outside its folder, and admits only a token whose role may read operations, saying why not in words", async () => {
      const { page, violations } = await newPage();
      for (const path of ["/", "/console.js", "/console.css"]) {
        const res = await page.request.get(`${url}${path}`);
        expect(res.status(), path).toBe(200);
        const csp = res.headers()["content-security-policy"] ?? "";
        expect(csp, path).toContain("default-src 'self'");
        expect(csp, path).toContain("script-src 'self'");
        expect(csp, path).toContain("script-src-attr 'none'");
        expect(csp, path).not.toContain("unsafe-inline");
        expect(res.headers()["x-frame-options"], path).toBe("DENY");
      }
      // The files are the web UI's alone: an unknown API path is still the API's 404, and nothing
      // outside services/access-point/web is served.
      const unknown = await page.request.get(`${url}/v1/no-such-route`);
      expect(unknown.status()).toBe(404);
      expect(unknown.headers()["content-type"]).toContain("application/problem+json");
      expect(((await unknown.json()) as Json).code).toBe("LIAISON_NOT_FOUND");
      for (const path of ["/..%2f..%2f..%2fpackage.json", "/%2e%2e/app.ts", "/routes/console.ts"]) {
        const res = await page.request.get(`${url}${path}`);
        expect(res.status(), path).toBeGreaterThanOrEqual(400);
        expect(await res.text(), path).not.toMatch(/"name": "liaison"|buildAccessPointApp|consoleRoutes/);
      }
      await page.goto(`${url}/`);
      await page.getByTestId("token").fill("not-a-token");
      await page.getByRole("button", { name: "Log in" }).click();
      await expect.poll(() => text(page, "login-error")).toBe("Not accepted: Your token was not accepted; log in again LIAISON_UNAUTHENTICATED");
      // The access point's administrator manages users and reads no content: no console for it.
      const admin = hub.secrets.contactPoints.find((c) => c.cp === "DE")?.adminToken ?? "";
      await page.getByTestId("token").fill(admin);
      await page.getByRole("button", { name: "Log in" }).click();
      await expect.poll(() => text(page, "login-error")).toBe("Not accepted: Your role cannot open this page LIAISON_FORBIDDEN");
      expect(await page.locator("#nav").isHidden()).toBe(true);
      await shot(page, "login-refused");
      // The token is kept in the tab only.
      expect(await page.evaluate("localStorage.length")).toBe(0);
      expect(violations, "Content Security Policy violations").toEqual([]);
      await page.close();
    });

    it("calendar: both operations, and their overlap with each of its reasons as the API gives them; the read is logged", async () => {
      await onPage("#calendar?from=2027-01-01&to=2027-06-30", "calendar", "calendar-period", async (page) => {
        expect(await text(page, "who")).toMatch(/\(operator\), contact point DE$/);
        expect(await page.evaluate("sessionStorage.length")).toBe(1);
        expect(await page.evaluate("localStorage.length")).toBe(0);
        const cal = await ok(de, "GET", "/v1/calendar?from=2027-01-01&to=2027-06-30");
        const ops = cal.operations as Json[];
        expect(ops.map((o) => o.name)).toEqual(["Athena V", "Hermes II"]);
        expect(await text(page, "cal-count")).toBe("2");
        for (const op of ops) {
          expect(await text(page, `cal-op-${String(op.id)}-link`)).toBe(op.name);
          expect(await text(page, `cal-op-${String(op.id)}-overlaps`)).toBe("1");
          expect(await text(page, `cal-op-${String(op.id)}-leaders`)).toBe((op.leaders as string[]).join(", "));
        }
        expect(await text(page, `cal-op-${athenaId}-operational-phases`)).toBe("2027-03-01 to 2027-03-07, 2027-03-15 to 2027-03-21");
        const overlaps = cal.overlaps as Array<{ a: { id: string }; b: { id: string }; reasons: string[] }>;
        expect(overlaps).toHaveLength(1);
        const o = overlaps[0];
        if (!o) throw new Error("no overlap");
        expect(await text(page, "overlap-count")).toBe("1");
        const box = `overlap-${o.a.id}-${o.b.id}`;
        expect(await text(page, `${box}-a`)).toBe("Athena V");
        expect(await text(page, `${box}-b`)).toBe("Hermes II");
        expect(await page.getByTestId(`${box}-reason`).allTextContents()).toEqual(o.reasons);
        expect(o.reasons).toEqual(["operational 2 phase of Athena V and operational phase of Hermes II both run from 2027-03-18 to 2027-03-21", "both cover risk area tobacco-and-alcohol-smuggling"]);
        // The timeline: one bar a phase, months along the date axis, the operations up the side.
        const chart = page.getByTestId("calendar-chart");
        expect(await chart.locator("rect").count()).toBe(athena.phases.length + hermes.phases.length);
        expect(await chart.locator("text.x-tick").allTextContents()).toEqual(["2027-01", "2027-02", "2027-03", "2027-04", "2027-05", "2027-06"]);
        expect(await text(page, "calendar-chart-x-label")).toBe("date (UTC), 2027-01-01 to 2027-06-30");
        expect(await text(page, "calendar-chart-y-label")).toBe("operation");
        expect(await page.locator("table[data-testid=cal-operations] caption").textContent()).toBe("Operations in the period");
        await shot(page, "calendar-overlap");

        // The period is a form; the address holds it.
        await page.getByTestId("cal-from").fill("2027-04-01");
        await page.getByTestId("cal-to").fill("2027-06-30");
        await page.locator("#calendar-form button").click();
        await expect.poll(() => page.evaluate("location.hash")).toBe("#calendar?from=2027-04-01&to=2027-06-30");
        await loaded(page, "calendar");
        await expect.poll(() => text(page, "cal-count")).toBe("1");
        expect(await text(page, "overlap-count")).toBe("0");
        // Each calendar the page showed was read through the audited API, as DE's operator.
        await until(async () => (await hub.auditEvents()).some((e) => e.authority === "DE" && e.objectType === "operation-calendar" && e.objectId === "2027-04-01..2027-06-30"), "the calendar read in the access log");
      });
    });

    it("an operation: its phases as a timeline, objectives, parties and overlaps; a member's markup shows as text", async () => {
      await onPage("#calendar?from=2027-01-01&to=2027-06-30", "calendar", "operation-back", async (page) => {
        await page.getByTestId(`cal-op-${athenaId}-link`).click();
        await expect.poll(() => page.evaluate("location.hash")).toBe(`#operation?id=${athenaId}`);
        await loaded(page, "operation");
        const view = await ok(de, "GET", `/v1/operations/${athenaId}`);
        const op = view.operation as OperationIn;
        expect(await text(page, "op-name")).toBe("Athena V");
        expect(await text(page, "op-leaders")).toBe("DE");
        expect(await text(page, "op-participants")).toBe("NL, BE");
        expect(await text(page, "op-observers")).toBe("OLAF");
        const titles = ["planning", "operational 1", "operational 2", "debriefing", "final report"];
        for (const [i, p] of op.phases.entries()) {
          expect(await text(page, `phase-${i}-phase`)).toBe(titles[i]);
          expect(await text(page, `phase-${i}-from`)).toBe(p.start);
          expect(await text(page, `phase-${i}-to-included-`)).toBe(p.end);
        }
        expect(await text(page, "phase-1-days")).toBe("7");
        const chart = page.getByTestId("phases-chart");
        expect(await chart.locator("rect").count()).toBe(5);
        expect(await chart.locator("text.bar-label").allTextContents()).toEqual(titles);
        expect(await text(page, "phases-chart-x-label")).toBe("date (UTC), 2027-01-04 to 2027-05-31");
        expect(await text(page, "phases-chart-y-label")).toBe("phase");
        for (const [i, o] of op.objectives.entries()) {
          expect(await text(page, `objective-${i}-objective`)).toBe(o.description);
          expect(await text(page, `objective-${i}-target`)).toBe(String(o.target));
        }
        expect(await page.getByTestId(`overlap-${athenaId}-${hermesId}-reason`).allTextContents()).toEqual((view.overlaps as Array<{ reasons: string[] }>)[0]?.reasons);
        await shot(page, "operation");

        // Hermes II, through the overlap's link: its objective holds markup, shown as the text it is.
        await page.getByTestId(`overlap-${athenaId}-${hermesId}-b`).click();
        await expect.poll(() => text(page, "op-name")).toBe("Hermes II");
        await loaded(page, "operation");
        expect(await text(page, "objective-0-objective")).toBe(HOSTILE);
        expect(await page.locator("#view img, #view b").count()).toBe(0);
        expect(await page.evaluate("typeof window.__pwned")).toBe("undefined");
        // Back returns to Athena V.
        await page.goBack();
        await expect.poll(() => text(page, "op-name")).toBe("Athena V");
      });
    });

    it("an operation that does not exist: the page says so in words, with the code in small print", async () => {
      await onPage("#calendar?from=2027-01-01&to=2027-06-30", "calendar", "error-in-words", async (page) => {
        await page.evaluate(`location.hash = "#operation?id=no-such-operation"`);
        await page.getByTestId("view-error").waitFor();
        expect(await text(page, "view-error-words")).toBe("Not found: no such operation here, or it is not shared with your contact point");
        expect(await text(page, "view-error-code")).toBe("LIAISON_NOT_FOUND");
        await page.evaluate(`location.hash = "#calendar?from=2027-13-01&to=2027-06-30"`);
        await page.getByTestId("view-error").waitFor();
        expect(await text(page, "view-error-words")).toMatch(/^The start of the period is not valid \(/);
      });
    });

    it("when FR moves its dates the calendar shows the overlap gone", async () => {
      await ok(fr, "PATCH", `/v1/operations/${hermesId}`, { phases: [{ kind: "operational", start: "2027-04-12", end: "2027-04-18" }] });
      await onPage("#calendar?from=2027-01-01&to=2027-06-30", "calendar", "calendar-overlap-gone", async (page) => {
        expect(await text(page, "cal-count")).toBe("2");
        expect(await text(page, "overlap-count")).toBe("0");
        expect(await text(page, `cal-op-${athenaId}-overlaps`)).toBe("0");
      });
    });
  });

  // The endpoints below are the contract's (tally, documents, group, recommendations; their shapes
  // in src/api/operation-items.ts), built in parallel on another branch: these cases run once it is
  // merged.
  describe("an operation's documents and group with their markings, its tally, the monitoring (the contract's endpoints)", () => {
    const seizures = [
      { from: "DE", body: { commodity: "cigarettes", quantity: { unit: "pieces", amount: 400_000 }, place: "Hamburg port", riskProfile: "RP-TOB-7" } },
      { from: "NL", body: { commodity: "cigarettes", quantity: { unit: "pieces", amount: 120_000 }, place: "Rotterdam port", riskProfile: "RP-TOB-7" } },
      { from: "NL", body: { commodity: "cash", quantity: { unit: "EUR", amount: 85_000 }, place: "Schiphol airport", riskProfile: "RP-CASH-2" } },
    ] as const;
    let warningId = "";
    let docId = "";

    beforeAll(async () => {
      const doc = await ok(de, "POST", `/v1/operations/${athenaId}/documents`, {
        kind: "business-case",
        title: "Athena V business case",
        classification: "RESTREINT UE",
        handlingCodes: ["H2"],
        commentDeadline: "2027-01-20T12:00:00Z",
        text: "Why Athena V, and what it needs.",
      });
      docId = doc.id as string;
      await ok(nl, "POST", `/v1/operations/${athenaId}/documents/${docId}/comments`, { text: "NL agrees; add Rotterdam to the ports.", classification: "RESTREINT UE" });
      const warning = await ok(de, "POST", `/v1/operations/${athenaId}/group`, {
        template: "warning",
        classification: "RESTREINT UE",
        handlingCodes: ["H3"],
        body: { consignment: "container MSCU1234567", route: "CN → NLRTM", expectedAt: "2027-03-03T06:00:00Z", commodity: "cigarettes" },
      });
      warningId = warning.id as string;
      await ok(nl, "POST", `/v1/operations/${athenaId}/group`, { template: "feedback", inReplyTo: warningId, body: { outcome: "checked-seized", detail: "cigarettes found" } });
      for (const s of seizures) await ok(s.from === "DE" ? de : nl, "POST", `/v1/operations/${athenaId}/group`, { template: "seizure", classification: "RESTREINT UE", body: s.body });
      // Later, a conviction: the figures follow.
      await ok(de, "POST", `/v1/operations/${athenaId}/group`, { template: "result", body: { kind: "conviction", amount: 15_000, detail: "Hamburg district court" } });
      await ok(de, "POST", `/v1/operations/${athenaId}/recommendations`, { text: "Share the container risk profile with every participant before the next operation", owner: "NL", classification: "RESTREINT UE" });
    });

    it("the operation's page shows every document and group message with its classification marking", async () => {
      await onPage(`#operation?id=${athenaId}`, "operation", "operation-documents-group", async (page) => {
        const { documents } = (await ok(de, "GET", `/v1/operations/${athenaId}/documents`)) as { documents: Array<{ id: string; title: string; classification: string | null; handlingCodes: string[]; missing: string[] }> };
        const { messages } = (await ok(de, "GET", `/v1/operations/${athenaId}/group`)) as { messages: Array<{ id: string; sender: string; template: string; classification: string | null; handlingCodes: string[] }> };
        expect(documents).toHaveLength(1);
        expect(messages).toHaveLength(2 + seizures.length + 1);
        expect(await text(page, "doc-count")).toBe("1");
        expect(await text(page, "msg-count")).toBe(String(messages.length));
        for (const d of documents) {
          expect(await text(page, `doc-${d.id}-title`)).toBe(d.title);
          expect(await text(page, `doc-${d.id}-marking`)).toBe(`${d.classification ?? "no classification marking"}${d.handlingCodes.join("")}`);
          expect(await text(page, `doc-${d.id}-not-commented`)).toBe(d.missing.length ? d.missing.join(", ") : "–");
        }
        expect(await text(page, `doc-${documents[0]?.id ?? ""}-marking`)).toBe("RESTREINT UEH2");
        for (const m of messages) {
          expect(await text(page, `msg-${m.id}-sender`)).toBe(m.sender);
          expect(await text(page, `msg-${m.id}-marking`)).toBe(`${m.classification ?? "no classification marking"}${m.handlingCodes.join("")}`);
        }
        expect(await text(page, `msg-${warningId}-marking`)).toBe("RESTREINT UEH3");
        // NL's feedback names the warning it answers.
        const feedback = messages.find((m) => m.template === "feedback");
        expect(await text(page, `msg-${feedback?.id ?? ""}-reply-to`)).toMatch(/^the warning from DE, \d{4}-\d\d-\d\d \d\d:\d\d UTC$/);
        expect(await page.locator("[data-testid=documents-error], [data-testid=group-error]").count()).toBe(0);
      });
    });

    it("a document opened: its text, versions and comments, each with its marking", async () => {
      await onPage(`#operation?id=${athenaId}`, "operation", "document", async (page) => {
        await page.getByTestId(`doc-${docId}-link`).click();
        await loaded(page, "document");
        expect(await page.evaluate("location.hash")).toBe(`#document?id=${athenaId}&doc=${docId}`);
        const d = (await ok(de, "GET", `/v1/operations/${athenaId}/documents/${docId}`)) as {
          title: string;
          text: string;
          classification: string | null;
          handlingCodes: string[];
          commentsOnVersion: Array<{ id: string; author: string; text: string; classification: string | null; handlingCodes: string[] }>;
        };
        expect(await text(page, "document-title")).toBe(d.title);
        expect(await text(page, "document-text")).toBe(d.text);
        expect(await text(page, "document-marking")).toBe("RESTREINT UEH2");
        expect(d.commentsOnVersion.map((c) => c.author)).toEqual(["NL"]);
        expect(await text(page, "comment-count")).toBe("1");
        for (const c of d.commentsOnVersion) {
          expect(await text(page, `comment-${c.id}-text`)).toBe(c.text);
          expect(await text(page, `comment-${c.id}-marking`)).toBe(`${c.classification ?? "no classification marking"}${c.handlingCodes.join("")}`);
        }
      });
    });

    it("a final report opened shows its statistics from the seizure reports, the same figures as the tally", async () => {
      const report = await ok(de, "POST", `/v1/operations/${athenaId}/documents`, { kind: "final-report", title: "Athena V final report", text: "Results and lessons." });
      await onPage(`#document?id=${athenaId}&doc=${String(report.id)}`, "document", "final-report", async (page) => {
        const t = (await ok(de, "GET", `/v1/operations/${athenaId}/tally`)) as { seizures: number; byParticipant: Array<{ key: string; seizures: number }> };
        expect(await text(page, "document-marking")).toBe("no classification marking");
        expect(await text(page, "tally-seizures")).toBe(String(seizures.length));
        for (const r of t.byParticipant) expect(await text(page, `tally-participant-${r.key}-seizures`)).toBe(String(r.seizures));
      });
    });

    it("the tally page shows the figures the access point computed from the seizure reports", async () => {
      await onPage(`#tally?id=${athenaId}`, "tally", "tally", async (page) => {
        const t = (await ok(de, "GET", `/v1/operations/${athenaId}/tally`)) as {
          seizures: number;
          byParticipant: Array<{ key: string; seizures: number }>;
          byCommodity: Array<{ key: string; seizures: number }>;
          byProfile: Array<{ key: string; seizures: number }>;
          objectives: Array<{ target: number; actual: number | null }>;
          results: Array<{ kind: string; count: number; amount: number | null }>;
        };
        expect(t.seizures).toBe(seizures.length);
        expect(t.results).toEqual([{ kind: "conviction", count: 1, amount: 15_000 }]);
        expect(await text(page, "tally-result-conviction-count")).toBe("1");
        expect(await text(page, "tally-result-conviction-amount")).toBe("15000");
        expect(await text(page, "tally-seizures")).toBe(String(seizures.length));
        expect(t.byParticipant.map((r) => [r.key, r.seizures]).sort()).toEqual([["DE", 1], ["NL", 2]]);
        for (const [key, rows] of [["participant", t.byParticipant], ["commodity", t.byCommodity], ["profile", t.byProfile]] as const) {
          for (const r of rows) expect(await text(page, `tally-${key}-${r.key.replace(/[^A-Za-z0-9_-]/g, "_")}-seizures`)).toBe(String(r.seizures));
        }
        for (const [i, o] of t.objectives.entries()) {
          expect(await text(page, `tally-objective-${i}-target`)).toBe(String(o.target));
          expect(await text(page, `tally-objective-${i}-actual`)).toBe(o.actual === null ? "–" : String(o.actual));
        }
        const chart = page.getByTestId("tally-chart");
        expect(await chart.locator("rect").count()).toBe(t.byParticipant.length);
        expect(await text(page, "tally-chart-y-label")).toBe("seizures");
        expect(await text(page, "tally-chart-x-label")).toBe("participant");
      });
    });

    it("the monitoring page lists the open recommendations with their owner and how long each has been open", async () => {
      await onPage("#monitoring", "monitoring", "monitoring", async (page) => {
        const { recommendations } = (await ok(de, "GET", "/v1/recommendations?state=open")) as { recommendations: Array<{ id: string; operationName: string; text: string; owner: string; state: string; openDays: number; classification: string | null; handlingCodes: string[] }> };
        expect(recommendations).toHaveLength(1);
        expect(recommendations[0]?.classification).toBe("RESTREINT UE");
        expect(await text(page, "rec-count")).toBe("1");
        for (const r of recommendations) {
          expect(await text(page, `rec-${r.id}-link`)).toBe(r.operationName);
          expect(await text(page, `rec-${r.id}-recommendation`)).toBe(r.text);
          expect(await text(page, `rec-${r.id}-owner`)).toBe(r.owner);
          expect(await text(page, `rec-${r.id}-state`)).toBe(r.state);
          expect(await text(page, `rec-${r.id}-open-for-days-`)).toBe(String(r.openDays));
          expect(await text(page, `rec-${r.id}-marking`)).toBe(`${r.classification ?? "no classification marking"}${r.handlingCodes.join("")}`);
        }
      });
    });
  });
});
