// What the hub console (services/console/web) and the member console (services/access-point/web)
// share, served to both as /kit.js: an ES module for the browser, no build step. Markup is built
// only with the html`...` tag, which escapes every interpolated value unless it is itself an
// html`...` result; render() and append() are the only places that touch innerHTML. A refused
// request becomes a Problem told in words (each console says which words), and an error is shown
// as those words with the registered code after them, smaller. tests/unit/console-web.test.ts and
// member-console-web.test.ts check the sinks.
export const $ = (sel) => document.querySelector(sel);

/** A piece of markup that html`...` built; nothing else is ever inserted as HTML. */
export class Html {
  constructor(text) {
    this.text = text;
    Object.freeze(this);
  }
}
const ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;", "`": "&#96;" };
const escape = (v) => String(v ?? "").replace(/[&<>"'`]/g, (c) => ESCAPES[c]);
const part = (v) => (v instanceof Html ? v.text : Array.isArray(v) ? v.map(part).join("") : escape(v));
/** Tagged template: `html\`<td>${value}</td>\`` escapes value; html results and arrays of them go in as they are. */
export function html(strings, ...values) {
  let out = strings[0];
  values.forEach((v, i) => (out += part(v) + strings[i + 1]));
  return new Html(out);
}
export function render(el, h) {
  if (!(h instanceof Html)) throw new TypeError("render() takes html`...` only");
  el.innerHTML = h.text;
}
export function append(el, h) {
  if (!(h instanceof Html)) throw new TypeError("append() takes html`...` only");
  el.insertAdjacentHTML("beforeend", h.text);
}

/** A refused request: the RFC 9457 problem the API answered, told in `words(status, problem)`, its registered code kept for the small print. */
export class Problem extends Error {
  constructor(status, p, words) {
    super(words(status, p));
    this.name = "Problem";
    this.code = p.code ?? `HTTP ${status}`;
  }
}

/** `res` when it is ok; else throws its problem (problem+json, or only its status) as a Problem told in `words`. */
export async function okOrProblem(res, words) {
  if (res.ok) return res;
  let p = {};
  try {
    p = await res.json();
  } catch {
    // not problem+json: the status says enough
  }
  throw new Problem(res.status, p, words);
}

/** An error as shown on the page: the words first, the code after them, smaller. */
export const problemHtml = (e, testid = "problem") =>
  html`<p class="error" role="alert" data-testid="${testid}"><span data-testid="${testid}-words">${e.message}</span>${e.code ? html` <small class="code" data-testid="${testid}-code">${e.code}</small>` : ""}</p>`;

/** Round `max` up to a step of 1, 2 or 5 times a power of ten, so a chart's axis has whole ticks. */
export function axisOf(max) {
  const raw = Math.max(1, max) / 4;
  const p = 10 ** Math.floor(Math.log10(raw));
  const step = Math.max(1, [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw));
  return { step, top: step * Math.ceil(Math.max(1, max) / step) };
}

let opened = 0;
/**
 * Shows the view `name` in `el`, drawn by `draw(el)`: "Loading…" first, then the view, or its
 * error in words if it fails. `el.dataset.view` names the view and `el.dataset.loaded` is set once
 * it is drawn (the browser tests wait for it). A view opened again before it finished loading: only
 * the latest opening reports.
 */
export async function showView(el, name, draw) {
  render(el, html`<p>Loading…</p>`);
  el.dataset.view = name;
  delete el.dataset.loaded;
  const gen = ++opened;
  try {
    await draw(el);
    if (gen === opened) el.dataset.loaded = name;
  } catch (e) {
    if (gen === opened) render(el, problemHtml(e, "view-error"));
  }
}

/**
 * The token login of both consoles: the form #login (input #token) keeps the token in this tab only
 * (sessionStorage under `key`: nothing kept beyond the tab) and #logout forgets it (after
 * `onLogout`). `session()` asks the console's /v1/session with it; a refused token is forgotten and
 * the refusal shown in #login-error in words with its code; an accepted one hides the form and
 * runs `begin(session)`. Runs once at load for a token the tab still holds.
 */
export function tokenLogin({ key, session, begin, onLogout }) {
  const start = async () => {
    if (!sessionStorage.getItem(key)) return;
    let s;
    try {
      s = await session();
    } catch (e) {
      sessionStorage.removeItem(key);
      render($("#login-error"), html`Not accepted: ${e.message} <small class="code">${e.code}</small>`);
      return;
    }
    $("#login").hidden = true;
    $("#logout").hidden = false;
    await begin(s);
  };
  $("#login").addEventListener("submit", (e) => {
    e.preventDefault();
    sessionStorage.setItem(key, $("#token").value.trim());
    $("#token").value = "";
    start();
  });
  $("#logout").addEventListener("click", () => {
    onLogout?.();
    sessionStorage.removeItem(key);
    location.hash = "";
    location.reload();
  });
  start();
}
