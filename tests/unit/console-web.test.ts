// The console's web code keeps to the two rules that let it run under its strict CSP and never
// run a member's markup: HTML is inserted only by render()/append() from html`...` results (which
// escape every value), and no inline script, handler or style appears anywhere.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { accessOut, AUDIT_ACTIONS, AUDIT_OUTCOMES, complianceOut, consoleCalendarOut, eventsQuery, dormantOut, healthOut, operationUsageOut, pageOut, supervisorHoldOut, throughputOut, usageOut, userOut, verificationOut } from "../../src/api/mod.js";
import { problemSchema } from "../../src/http/mod.js";
import { htmlSinks, inlineCode } from "../support/web-code.js";

const WEB = new URL("../../services/console/web/", import.meta.url);
const read = (name: string) => readFileSync(new URL(name, WEB), "utf8");

describe("console web code", () => {
  const js = read("console.js");
  const page = read("index.html");

  it("inserts HTML only through the kit's render() and append(), which take html`...` results", () => {
    expect(htmlSinks(js)).toEqual([]);
    expect(js).toMatch(/^import \{[^}]*\bappend\b[^}]*\bhtml\b[^}]*\brender\b[^}]*\} from "\.\/kit\.js";$/m);
    expect(page).toMatch(/<link rel="stylesheet" href="\/kit\.css">\s*<link rel="stylesheet" href="\/console\.css">/);
  });

  it("has no inline style, script or event handler for the CSP to block", () => {
    expect(inlineCode(page, js)).toEqual([]);
  });

  it("offers as access-log filters exactly the API's actions, outcomes and query fields", () => {
    const list = (name: string) => JSON.parse(new RegExp(`const ${name} = (\\[[^\\]]*\\]);`).exec(js)?.[1] ?? "null") as unknown;
    expect(list("AUDIT_ACTION_WORDS")).toEqual(AUDIT_ACTIONS.keys);
    expect(list("AUDIT_OUTCOME_WORDS")).toEqual(AUDIT_OUTCOMES.keys);
    const filters = list("AUDIT_FILTERS") as string[];
    expect(filters).toEqual(expect.arrayContaining(["from", "to", "outcome", "action", "authority", "userId", "objectType", "objectId"]));
    for (const f of filters) expect(Object.keys(eventsQuery.shape), f).toContain(f);
  });

  it("reads only fields that the console's response schemas in src/api declare", () => {
    const schemaFields = new Set<string>();
    const walk = (node: unknown): void => {
      if (Array.isArray(node)) return node.forEach(walk);
      if (!node || typeof node !== "object") return;
      const props = (node as { properties?: Record<string, unknown> }).properties;
      if (props) for (const k of Object.keys(props)) schemaFields.add(k);
      Object.values(node).forEach(walk);
    };
    for (const s of [usageOut, operationUsageOut, consoleCalendarOut, dormantOut, throughputOut, healthOut, pageOut, accessOut, userOut, complianceOut, verificationOut, supervisorHoldOut, problemSchema]) {
      walk(z.toJSONSchema(s, { io: "output", unrepresentable: "any" }));
    }
    // Names that are not fields of an API answer: the browser's and JavaScript's own, and the view
    // code's column descriptions.
    const notApi = new Set(
      "abort addEventListener all blob body catch ceil click createObjectURL dataset decode delete disabled download every field find flatMap floor forEach freeze gen get getItem getUTCFullYear hash headers hidden href html includes indexOf innerHTML insertAdjacentHTML isArray join json jsonl keys label length log10 map max message num parse preventDefault push pushState querySelector querySelectorAll read reduce reload removeItem replace replaceState reverse round set setAttribute setItem shift signal size slice sort split startsWith stop stringify submitter target text textContent toggleAttribute value".split(" "),
    );
    // Answers with no zod schema of their own: /v1/session, and the src/ops status that /v1/health
    // passes through (server, services, consumers, streams).
    const unschemed = new Set(
      "user role views server url serverName version jetstream rttMs healthz ok status services id name started endpoints requests errors consumers stream pending ackPending redelivered streams messages bytes".split(" "),
    );
    // Comments and the import of the kit (whose "./kit.js" is no field) left out.
    const code = js.replace(/\/\/.*$/gm, "").replace(/^import .*$/gm, "");
    const read = new Set([
      ...[...code.matchAll(/(?:[\w$)\]])\??\.([A-Za-z_$][\w$]*)/g)].map((m) => m[1] ?? ""),
      ...[...code.matchAll(/"([a-z]+[A-Z][A-Za-z]*)"/g)].map((m) => m[1] ?? ""),
    ]);
    expect(read.size).toBeGreaterThan(50);
    const unknown = [...read].filter((f) => !schemaFields.has(f) && !notApi.has(f) && !unschemed.has(f));
    expect(unknown).toEqual([]);
    // The usage charts and tables name their fields as strings: each is a month's counter.
    for (const f of ["messagesSent", "messagesReceived", "messagesAnswered", "repliesLate", "recordsSubmitted", "recordsQueried", "recordHits", "filesRegistered", "filesQueried", "fileHits", "refusals"]) {
      expect(code).toContain(`"${f}"`);
      expect(schemaFields.has(f), f).toBe(true);
    }
  });
});
