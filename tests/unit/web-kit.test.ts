// The web kit both consoles import (src/web/public/kit.js, served as /kit.js): the only code that
// inserts HTML, and only what html`...` built, escaping every value; nothing inline for the CSP to
// block; and the folder served holds the kit's two files and nothing else.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { problemSchema } from "../../src/http/mod.js";
import { WEB_KIT_DIR } from "../../src/web/mod.js";
import { fieldsRead, htmlSinks, inlineCode, schemaFields, sinksTakeHtmlOnly } from "../support/web-code.js";

const js = readFileSync(join(WEB_KIT_DIR, "kit.js"), "utf8");

describe("the consoles' web kit", () => {
  it("inserts HTML only in render() and append(), which refuse anything but an html`...` result", () => {
    expect(htmlSinks(js)).toEqual(["el.innerHTML = h.text;", 'el.insertAdjacentHTML("beforeend", h.text);']);
    expect(sinksTakeHtmlOnly(js)).toBe(true);
    expect(inlineCode("", js)).toEqual([]);
  });

  it("escapes every interpolated value that is not itself html`...`", async () => {
    const kit = (await import(join(WEB_KIT_DIR, "kit.js"))) as { html: (s: TemplateStringsArray, ...v: unknown[]) => { text: string } };
    const evil = `<img src=x onerror="alert('1')">&\``;
    expect(kit.html`<td>${evil}</td>`.text).toBe("<td>&lt;img src=x onerror=&quot;alert(&#39;1&#39;)&quot;&gt;&amp;&#96;</td>");
    expect(kit.html`<tr>${[kit.html`<td>${"a<b"}</td>`, "c>d"]}</tr>`.text).toBe("<tr><td>a&lt;b</td>c&gt;d</tr>");
  });

  it("reads of a refused request's answer only the fields of a problem", () => {
    const problem = schemaFields([problemSchema]);
    const read = [...fieldsRead(js)].filter((f) => ["code", "title", "detail", "status"].includes(f));
    expect(read.length).toBeGreaterThan(0);
    for (const f of read) expect(problem).toContain(f);
  });

  it("is served from a folder that holds the kit and nothing else", () => {
    expect(readdirSync(WEB_KIT_DIR).sort()).toEqual(["kit.css", "kit.js"]);
  });
});
