// The member console's web code (services/access-point/web) keeps to the rules that let it run
// under the access point's strict CSP and never run a member's markup (HTML only through render()
// and append() from html`...` results; no inline script, handler or style), and reads only fields
// that the access point's API declares: the schemas in src/api, or the lead's contract for the
// endpoints being built alongside it (issue #18).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import * as api from "../../src/api/mod.js";
import { problemSchema } from "../../src/http/mod.js";
import { WEB_KIT_DIR } from "../../src/web/mod.js";
import { fieldsRead, htmlSinks, inlineCode, schemaFields } from "../support/web-code.js";

const WEB = new URL("../../services/access-point/web/", import.meta.url);
const read = (name: string) => readFileSync(new URL(name, WEB), "utf8");

/**
 * Fields of the contract's answers (GET …/tally, …/group, …/documents, /v1/recommendations) that no
 * schema in src/api declares yet; once their schema module is merged these are found there too.
 */
const CONTRACT_FIELDS = "asOf seizures byParticipant byCommodity byProfile key quantities unit amount results count actual met messages sender sentAt template classification handlingCodes inReplyTo documents title version author commentDeadline adoptedAt comments missing recommendations operationId operationName owner state openedAt updatedAt openDays text versions commentsOnVersion statistics adoptedBy".split(" ");
/** Names that are not fields of an API answer: the browser's and JavaScript's own, and the page code's. */
const NOT_API = new Set(
  "UTC addEventListener body catch ceil code dataset entries every filter find flatMap floor forEach freeze gen get getItem getUTCDate getUTCFullYear getUTCMonth has hash hidden html includes indexOf innerHTML insertAdjacentHTML isArray join json keys label length log10 map max message min name num ok parse preventDefault push pushState querySelector querySelectorAll reduce reload removeAttribute removeItem replace set setAttribute setItem slice sort spans split start status stop target test text textContent title toISOString toLowerCase trim value view".split(" "),
);

describe("member console web code", () => {
  const js = read("console.js");
  const page = read("index.html");
  const css = read("console.css");

  it("inserts HTML only through the kit's render() and append(), which take html`...` results", () => {
    expect(htmlSinks(js)).toEqual([]);
    expect(js).toMatch(/^import \{[^}]*\bappend\b[^}]*\bhtml\b[^}]*\brender\b[^}]*\} from "\.\/kit\.js";$/m);
    expect(page).toMatch(/<link rel="stylesheet" href="\/kit\.css">\s*<link rel="stylesheet" href="\/console\.css">/);
  });

  it("has no inline style, script or event handler for the CSP to block, and loads nothing from another origin", () => {
    expect(inlineCode(page, js)).toEqual([]);
    for (const text of [js, page]) expect(text).not.toMatch(/(?:src|href)="(?:https?:)?\/\//);
    expect(css).not.toMatch(/@import|url\(/);
  });

  it("keeps the token in the tab (sessionStorage), never in localStorage or a cookie", () => {
    // The kit's tokenLogin keeps it under the key the console gives it.
    expect(js).toMatch(/tokenLogin\(\{\n\s+key: TOKEN_KEY,/);
    expect(readFileSync(join(WEB_KIT_DIR, "kit.js"), "utf8")).toContain("sessionStorage.setItem(key,");
    for (const code of [js, readFileSync(join(WEB_KIT_DIR, "kit.js"), "utf8")]) expect(code).not.toMatch(/localStorage|document\.cookie/);
  });

  it("reads only fields that the API's schemas or the contract declare", () => {
    const schemas: z.ZodType[] = [problemSchema];
    for (const v of Object.values(api) as unknown[]) if (v instanceof z.ZodType) schemas.push(v);
    // /v1/session is declared with its route (services/access-point/routes/console.ts).
    const declared = new Set([...schemaFields(schemas), ...CONTRACT_FIELDS, "user", "role", "cp"]);
    const fields = fieldsRead(js);
    expect(fields.size).toBeGreaterThan(40);
    expect([...fields].filter((f) => !declared.has(f) && !NOT_API.has(f))).toEqual([]);
  });
});
