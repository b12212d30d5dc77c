// The console's web code keeps to the two rules that let it run under its strict CSP and never
// run a member's markup: HTML is inserted only by render()/append() from html`...` results (which
// escape every value), and no inline script, handler or style appears anywhere.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

const WEB = new URL("../../services/console/web/", import.meta.url);
const read = (name: string) => readFileSync(new URL(name, WEB), "utf8");

describe("console web code", () => {
  const js = read("console.js");
  const page = read("index.html");

  it("inserts HTML only through render() and append(), which take html`...` results", () => {
    const sinks = [...js.matchAll(/\.(innerHTML|outerHTML|insertAdjacentHTML)\b|document\.write/g)].map((m) => js.slice(js.lastIndexOf("\n", m.index) + 1, js.indexOf("\n", m.index)).trim());
    expect(sinks).toEqual(["el.innerHTML = h.text;", 'el.insertAdjacentHTML("beforeend", h.text);']);
    expect(js).toMatch(/function render\(el, h\) \{\n\s+if \(!\(h instanceof Html\)\) throw/);
    expect(js).toMatch(/function append\(el, h\) \{\n\s+if \(!\(h instanceof Html\)\) throw/);
  });

  it("has no inline style, script or event handler for the CSP to block", () => {
    for (const [name, text] of [["console.js", js], ["index.html", page]]) {
      expect(text, `${name}: inline style`).not.toMatch(/\sstyle=/);
      expect(text, `${name}: inline event handler`).not.toMatch(/\son[a-z]+=/);
    }
    expect(page).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/);
    expect(page).not.toMatch(/<style/);
  });
});
