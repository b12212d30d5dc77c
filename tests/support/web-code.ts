// Checks on the consoles' browser code (plain JS, no build step), read as text: where it inserts
// HTML, what inline code the CSP would block, and which fields of the API's answers it reads.
import { z } from "zod";

/** Each line that inserts HTML: sets innerHTML or outerHTML, calls insertAdjacentHTML or document.write. */
export const htmlSinks = (js: string): string[] =>
  [...js.matchAll(/\.(innerHTML|outerHTML|insertAdjacentHTML)\b|document\.write/g)].map((m) => js.slice(js.lastIndexOf("\n", m.index) + 1, js.indexOf("\n", m.index)).trim());

/** Whether render() and append(), the only sinks, refuse anything but an html`...` result. */
export const sinksTakeHtmlOnly = (js: string): boolean =>
  /function render\(el, h\) \{\n\s+if \(!\(h instanceof Html\)\) throw/.test(js) && /function append\(el, h\) \{\n\s+if \(!\(h instanceof Html\)\) throw/.test(js);

/** What a strict CSP (no inline script or style) would block in the page and its script. */
export function inlineCode(page: string, js: string): string[] {
  const found: string[] = [];
  for (const [name, text] of [["index.html", page], ["console.js", js]] as const) {
    if (/\sstyle=/.test(text)) found.push(`${name}: inline style`);
    if (/\son[a-z]+=/.test(text)) found.push(`${name}: inline event handler`);
  }
  if (/<script(?![^>]*\ssrc=)[^>]*>/.test(page)) found.push("index.html: inline script");
  if (/<style/.test(page)) found.push("index.html: style element");
  return found;
}

/** Every property name in these schemas' answers (their output JSON Schema), at any depth. */
export function schemaFields(schemas: readonly z.ZodType[]): Set<string> {
  const fields = new Set<string>();
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (!node || typeof node !== "object") return;
    const props = (node as { properties?: Record<string, unknown> }).properties;
    if (props) for (const k of Object.keys(props)) fields.add(k);
    Object.values(node).forEach(walk);
  };
  for (const s of schemas) walk(z.toJSONSchema(s, { io: "output", unrepresentable: "any" }));
  return fields;
}

/** The property names the code reads (`a.name`, `a?.name`), comments and imports left out. */
export const fieldsRead = (js: string): Set<string> => new Set([...js.replace(/\/\/.*$/gm, "").replace(/^import .*$/gm, "").matchAll(/(?:[\w$)\]])\??\.([A-Za-z_$][\w$]*)/g)].map((m) => m[1] ?? ""));
