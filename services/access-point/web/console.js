// The member console's web UI (issue #18): a token login, then a joint customs operation's pages
// from this access point's own API: the calendar with its overlaps and their reasons, an operation
// (phases as a timeline, objectives, parties, documents and group messages, each with its
// classification marking), its tally, and the monitoring of open recommendations. The sealed items
// are opened by this access point, never the hub. No framework, no build step; every shown figure
// carries a data-testid so tests/e2e/member-console-browser.test.ts can compare it with the API.
// Markup is built only with html`...` and inserted only by render() and append(), from the kit
// both consoles share (src/web/public/kit.js, served as /kit.js). No inline script or style: the page
// runs under `script-src 'self'; style-src 'self'`.
import { $, append, axisOf, html, okOrProblem, problemHtml, render, showView, tokenLogin } from "./kit.js";

const TOKEN_KEY = "liaison-member-token";
const token = () => sessionStorage.getItem(TOKEN_KEY) ?? "";

// ------------------------------------------------------------------ errors in words
/** What each request field is called on the page, for a LIAISON_VALIDATION problem that names it. */
const FIELD_WORDS = { from: "The start of the period", to: "The end of the period", id: "The operation's id", state: "The state filter", operation: "The operation filter" };
/** Codes whose registry message would not tell a member's officer what to do. */
const CODE_WORDS = {
  LIAISON_UNAUTHENTICATED: "Your token was not accepted; log in again",
  LIAISON_TOKEN_EXPIRED: "Your token has expired; ask your access point's administrator for a new one",
  LIAISON_TOKEN_REVOKED: "Your token has been revoked",
  LIAISON_FORBIDDEN: "Your role cannot open this page",
  LIAISON_NOT_FOUND: "Not found: no such operation here, or it is not shared with your contact point",
  LIAISON_UNAVAILABLE: "The hub's operations service cannot be reached; try again in a moment",
  LIAISON_AUDIT_UNAVAILABLE: "The access log cannot be written, so nothing is shown; try again in a moment",
  LIAISON_RATE_LIMITED: "Too many requests; wait a moment and try again",
};
/** A refused request (the kit's Problem) told in words: the field it names, or the words of its code, or its title and detail. */
function problemWords(status, p) {
  if (p.code === "LIAISON_VALIDATION" && p.detail) {
    const parts = p.detail.split("; ").map((d) => {
      const m = /^(?:querystring|params)\/(\w+): (.*)$/.exec(d);
      return m && FIELD_WORDS[m[1]] ? `${FIELD_WORDS[m[1]]} is not valid (${m[2]})` : "";
    });
    if (parts.every(Boolean)) return parts.join("; ");
  }
  // A code with words of its own says all the user needs; any other adds the problem's detail.
  if (CODE_WORDS[p.code]) return CODE_WORDS[p.code];
  const words = p.title ?? `The request failed (HTTP ${status})`;
  return p.detail && p.detail !== p.title && p.code !== "LIAISON_VALIDATION" ? `${words}: ${p.detail}` : words;
}
async function json(path) {
  return (await okOrProblem(await fetch(path, { headers: { authorization: `Bearer ${token()}` } }), problemWords)).json();
}

// ------------------------------------------------------------------ small pieces
const when = (iso) => (iso ? iso.replace("T", " ").slice(0, 16) : "–");
const list = (xs) => (xs.length ? xs.join(", ") : "none");
const words = (w) => String(w).replace(/-/g, " ");
const idOf = (s) => String(s).replace(/[^A-Za-z0-9_-]/g, "_");
const link = (view, params, text, testid) => html`<a href="${hashOf(view, new URLSearchParams(params))}" data-testid="${testid}">${text}</a>`;
const quantities = (qs) => (qs.length ? qs.map((q) => `${q.amount} ${q.unit}`).join(", ") : "–");

/** A table with a caption; a column gives `value(row)` (text) or `html(row)`, and `id` names its cells. */
function table(caption, columns, rows, testid, cellId) {
  const cell = (r, c) => html`<td class="${c.num ? "num" : ""}" data-testid="${cellId ? cellId(r, c) : ""}">${c.html ? c.html(r) : c.value(r)}</td>`;
  const head = columns.map((c) => html`<th scope="col" class="${c.num ? "num" : ""}">${c.label}</th>`);
  const body = rows.length ? rows.map((r) => html`<tr>${columns.map((c) => cell(r, c))}</tr>`) : html`<tr><td colspan="${columns.length}">none</td></tr>`;
  return html`<table data-testid="${testid}"><caption>${caption}</caption><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

/** The classification marking and handling codes an item carries, shown on the item itself. */
const marking = (item, testid = "") =>
  html`<span data-testid="${testid}">${item.classification ? html`<span class="marking">${item.classification}</span>` : html`<span class="marking none">no classification marking</span>`}${item.handlingCodes.map((c) => html`<span class="handling">${c}</span>`)}</span>`;

// ------------------------------------------------------------------ charts (inline SVG, labelled axes)
const DAY = 86_400_000;
const dayMs = (d) => Date.parse(`${d}T00:00:00Z`);
const isoDay = (ms) => new Date(ms).toISOString().slice(0, 10);

/**
 * A timeline: one row per entry (`label`), bars for its spans (`start`..`end`, days included),
 * coloured by phase kind. The x axis is the date (UTC) with a tick at each month's first day,
 * the y axis names the rows (`yLabel`).
 */
function timeline(title, testid, yLabel, rows, from, to) {
  const W = 900, left = 170, right = 12, top = 8, rowH = 22, bottom = 40;
  const H = top + rows.length * rowH + bottom;
  const t0 = dayMs(from), t1 = dayMs(to) + DAY;
  const x = (ms) => left + ((W - left - right) * (Math.min(Math.max(ms, t0), t1) - t0)) / (t1 - t0);
  const bars = rows.flatMap((r, i) =>
    r.spans.map(
      (s) =>
        html`<rect class="phase-${s.kind}" x="${x(dayMs(s.start))}" y="${top + i * rowH + 4}" width="${Math.max(1, x(dayMs(s.end) + DAY) - x(dayMs(s.start)))}" height="${rowH - 8}"><title>${r.label}: ${s.title} ${s.start} to ${s.end}</title></rect>`,
    ),
  );
  const names = rows.map((r, i) => html`<text class="bar-label" x="${left - 6}" y="${top + i * rowH + rowH / 2 + 3}" text-anchor="end">${r.label.length > 26 ? `${r.label.slice(0, 25)}…` : r.label}</text>`);
  const ticks = [];
  const first = new Date(t0);
  for (let m = Date.UTC(first.getUTCFullYear(), first.getUTCMonth() + (first.getUTCDate() > 1 ? 1 : 0), 1); m < t1; m = Date.UTC(new Date(m).getUTCFullYear(), new Date(m).getUTCMonth() + 1, 1)) {
    ticks.push(html`<line class="grid" x1="${x(m)}" x2="${x(m)}" y1="${top}" y2="${top + rows.length * rowH}"/><text class="tick x-tick" x="${x(m)}" y="${top + rows.length * rowH + 13}" text-anchor="middle">${isoDay(m).slice(0, 7)}</text>`);
  }
  const plotBottom = top + rows.length * rowH;
  const axes = html`<line class="axis" x1="${left}" x2="${left}" y1="${top}" y2="${plotBottom}"/><line class="axis" x1="${left}" x2="${W - right}" y1="${plotBottom}" y2="${plotBottom}"/>
    <text class="axis-label" data-testid="${testid}-y-label" transform="rotate(-90)" x="${-(top + plotBottom) / 2}" y="12" text-anchor="middle">${yLabel}</text>
    <text class="axis-label" data-testid="${testid}-x-label" x="${left + (W - left - right) / 2}" y="${H - 4}" text-anchor="middle">date (UTC), ${from} to ${to}</text>`;
  const kinds = [...new Set(rows.flatMap((r) => r.spans.map((s) => s.kind)))];
  const legend = kinds.map((k) => html`<span><span class="phase-${k}">■</span> ${words(k)}</span>`);
  return html`<figure class="chart" data-testid="${testid}"><figcaption><h3>${title}</h3></figcaption><svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${title}: ${yLabel} against date, ${from} to ${to}">${ticks}${axes}${bars}${names}</svg><div class="legend">${legend}</div></figure>`;
}

/** Round `max` up to a step of 1, 2 or 5 times a power of ten, so the axis has whole ticks. */

/** A bar chart of one count per key: the y axis counts `unit`, the x axis names `xLabel`. */
function bars(title, testid, unit, xLabel, rows) {
  const W = 520, H = 220, left = 44, right = 8, top = 10, bottom = 44;
  const plotW = W - left - right, plotH = H - top - bottom;
  const { step, top: yTop } = axisOf(Math.max(0, ...rows.map((r) => r.value)));
  const y = (v) => top + plotH - (plotH * v) / yTop;
  const bw = plotW / Math.max(1, rows.length);
  const ticks = [];
  for (let v = 0; v <= yTop; v += step) ticks.push(html`<line class="grid" x1="${left}" x2="${W - right}" y1="${y(v)}" y2="${y(v)}"/><text class="tick y-tick" x="${left - 4}" y="${y(v) + 3}" text-anchor="end">${v}</text>`);
  const rects = rows.map(
    (r, i) =>
      html`<rect class="bar" x="${left + i * bw + 4}" y="${y(r.value)}" width="${Math.max(2, bw - 8)}" height="${top + plotH - y(r.value)}"><title>${r.key}: ${r.value} ${unit}</title></rect><text class="tick x-tick" x="${left + i * bw + bw / 2}" y="${top + plotH + 13}" text-anchor="middle">${r.key}</text>`,
  );
  const axes = html`<line class="axis" x1="${left}" x2="${left}" y1="${top}" y2="${top + plotH}"/><line class="axis" x1="${left}" x2="${W - right}" y1="${top + plotH}" y2="${top + plotH}"/>
    <text class="axis-label" data-testid="${testid}-y-label" transform="rotate(-90)" x="${-(top + plotH / 2)}" y="12" text-anchor="middle">${unit}</text>
    <text class="axis-label" data-testid="${testid}-x-label" x="${left + plotW / 2}" y="${H - 4}" text-anchor="middle">${xLabel}</text>`;
  return html`<figure class="chart" data-testid="${testid}"><figcaption><h3>${title}</h3></figcaption><svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${title}: ${unit} per ${xLabel}">${ticks}${axes}${rects}</svg></figure>`;
}

// ------------------------------------------------------------------ overlaps
/** An overlap between two operations, with every reason the hub gave for it. */
const overlapHtml = (o) => {
  const id = `overlap-${idOf(o.a.id)}-${idOf(o.b.id)}`;
  return html`<article class="overlap" data-testid="${id}"><h4>${link("operation", { id: o.a.id }, o.a.name, `${id}-a`)} overlaps ${link("operation", { id: o.b.id }, o.b.name, `${id}-b`)}</h4>
    <ul aria-label="reasons">${o.reasons.map((r) => html`<li data-testid="${id}-reason">${r}</li>`)}</ul></article>`;
};
const overlapsSection = (overlaps, heading) =>
  html`<section aria-labelledby="overlaps-h"><h3 id="overlaps-h">${heading}: <span data-testid="overlap-count">${overlaps.length}</span></h3>${overlaps.length ? overlaps.map(overlapHtml) : html`<p>No overlap in timing and objectives.</p>`}</section>`;

const phaseTitle = (phases, i) => {
  const p = phases[i];
  const sameKind = phases.filter((q) => q.kind === p.kind);
  return sameKind.length > 1 ? `${words(p.kind)} ${sameKind.indexOf(p) + 1}` : words(p.kind);
};

// ------------------------------------------------------------------ views
const views = {
  async calendar(el, params) {
    const today = new Date().toISOString().slice(0, 10);
    const from = params.get("from") || today;
    const to = params.get("to") || isoDay(dayMs(from) + 182 * DAY);
    const cal = await json(`/v1/calendar?${new URLSearchParams({ from, to })}`);
    const inOverlap = (id) => cal.overlaps.filter((o) => o.a.id === id || o.b.id === id).length;
    render(
      el,
      html`<h2>Calendar of operations</h2>
      <form class="inline" id="calendar-form" data-testid="calendar-form">
        <label>from <input name="from" type="date" required value="${from}" data-testid="cal-from"></label>
        <label>to <input name="to" type="date" required value="${to}" data-testid="cal-to"></label>
        <button type="submit">Show</button>
      </form>
      <p>Every operation with a phase from ${cal.from} to ${cal.to}: <span data-testid="cal-count">${cal.operations.length}</span>.</p>
      ${cal.operations.length ? timeline("Phases of the operations", "calendar-chart", "operation", cal.operations.map((op) => ({ label: op.name, spans: op.phases.map((p, i) => ({ ...p, title: phaseTitle(op.phases, i) })) })), cal.from, cal.to) : ""}
      ${table(
        "Operations in the period",
        [
          { label: "operation", html: (op) => link("operation", { id: op.id }, op.name, `cal-op-${idOf(op.id)}-link`) },
          { label: "kind", value: (op) => words(op.kind) },
          { label: "status", value: (op) => op.status },
          { label: "leaders", value: (op) => list(op.leaders) },
          { label: "participants", value: (op) => list(op.participants) },
          { label: "risk areas", value: (op) => list(op.riskAreas.map(words)) },
          { label: "operational phases", value: (op) => list(op.phases.filter((p) => p.kind === "operational").map((p) => `${p.start} to ${p.end}`)) },
          { label: "overlaps", num: true, html: (op) => (inOverlap(op.id) ? html`<span class="bad">${inOverlap(op.id)}</span>` : "0") },
        ],
        cal.operations,
        "cal-operations",
        (op, c) => `cal-op-${idOf(op.id)}-${c.label.replace(/\W+/g, "-")}`,
      )}
      ${overlapsSection(cal.overlaps, "Overlaps in the period")}`,
    );
    el.querySelector("#calendar-form").addEventListener("submit", (e) => {
      e.preventDefault();
      const f = new FormData(e.target);
      go("calendar", new URLSearchParams({ from: String(f.get("from")), to: String(f.get("to")) })).catch(showError);
    });
  },

  async operation(el, params) {
    const id = params.get("id") ?? "";
    const { operation: op, overlaps } = await json(`/v1/operations/${encodeURIComponent(id)}`);
    const span = op.phases.length ? { from: op.phases[0].start, to: op.phases.reduce((m, p) => (p.end > m ? p.end : m), op.phases[0].end) } : undefined;
    render(
      el,
      html`<h2 data-testid="op-name">${op.name}</h2>
      <p>${words(op.kind)} · status <span data-testid="op-status">${op.status}</span> · entered by ${op.createdBy} · legal basis: ${op.legalBasis} · ${link("tally", { id: op.id }, "tally and figures", "op-tally-link")}</p>
      <section aria-labelledby="parties-h"><h3 id="parties-h">Parties</h3><dl>
        <dt>leaders</dt><dd data-testid="op-leaders">${list(op.leaders)}</dd>
        <dt>participants</dt><dd data-testid="op-participants">${list(op.participants)}</dd>
        <dt>observers</dt><dd data-testid="op-observers">${list(op.observers)}</dd>
      </dl></section>
      <section aria-labelledby="phases-h"><h3 id="phases-h">Phases</h3>
      ${span ? timeline(`Phases of ${op.name}`, "phases-chart", "phase", op.phases.map((p, i) => ({ label: phaseTitle(op.phases, i), spans: [{ ...p, title: phaseTitle(op.phases, i) }] })), span.from, span.to) : ""}
      ${table(
        "Phases in the order they run",
        [
          { label: "phase", value: (p) => phaseTitle(op.phases, op.phases.indexOf(p)) },
          { label: "from", value: (p) => p.start },
          { label: "to (included)", value: (p) => p.end },
          { label: "days", num: true, value: (p) => (dayMs(p.end) - dayMs(p.start)) / DAY + 1 },
        ],
        op.phases,
        "op-phases",
        (p, c) => `phase-${op.phases.indexOf(p)}-${c.label.replace(/\W+/g, "-")}`,
      )}</section>
      <section aria-labelledby="objectives-h"><h3 id="objectives-h">Objectives</h3>
      ${table(
        "Measurable objectives",
        [
          { label: "objective", value: (o) => o.description },
          { label: "metric", value: (o) => o.metric },
          { label: "target", num: true, value: (o) => o.target },
        ],
        op.objectives,
        "op-objectives",
        (o, c) => `objective-${op.objectives.indexOf(o)}-${c.label}`,
      )}
      <p>Risk areas: ${list(op.riskAreas.map(words))} · commodity codes: ${list(op.commodityCodes)} · routes: ${list(op.routes.map((r) => `${r.from} → ${r.to}`))}</p></section>
      ${overlapsSection(overlaps, "Overlaps with other operations")}
      <section aria-labelledby="documents-h" id="documents"><h3 id="documents-h">Documents</h3><p>Loading…</p></section>
      <section aria-labelledby="group-h" id="group"><h3 id="group-h">Group messages</h3><p>Loading…</p></section>`,
    );
    // The sealed items come from their own endpoints: one that fails says so in its own section.
    await Promise.all([documentsInto(el.querySelector("#documents"), op.id), groupInto(el.querySelector("#group"), op.id)]);
  },

  async tally(el, params) {
    const id = params.get("id") ?? "";
    const [{ operation: op }, t] = await Promise.all([json(`/v1/operations/${encodeURIComponent(id)}`), json(`/v1/operations/${encodeURIComponent(id)}/tally`)]);
    render(el, html`<h2>Tally of ${link("operation", { id: op.id }, op.name, "tally-op-link")}</h2>${tallyHtml(t)}`);
  },

  async document(el, params) {
    const id = params.get("id") ?? "";
    const docId = params.get("doc") ?? "";
    const d = await json(`/v1/operations/${encodeURIComponent(id)}/documents/${encodeURIComponent(docId)}`);
    render(
      el,
      html`${marking(d, "document-marking")}<h2 data-testid="document-title">${d.title}</h2>
      <p>${DOCUMENT_KINDS[d.kind] ?? d.kind}, version <span data-testid="document-version">${d.version}</span> by ${d.author} · ${link("operation", { id }, "the operation", "document-op-link")} ·
      ${d.commentDeadline ? `comments by ${when(d.commentDeadline)} UTC` : "no comment round"} · not commented: <span data-testid="document-missing">${d.missing.length ? d.missing.join(", ") : "–"}</span> ·
      adopted: ${d.adoptedAt ? when(d.adoptedAt) : "not yet"}</p>
      <pre class="doc-text" data-testid="document-text">${d.text}</pre>
      ${table(
        "Versions",
        [
          { label: "marking", html: (v) => marking(v) },
          { label: "version", num: true, value: (v) => v.version },
          { label: "title", value: (v) => v.title },
          { label: "author", value: (v) => v.author },
          { label: "written", value: (v) => when(v.createdAt) },
          { label: "adopted", value: (v) => (v.adoptedAt ? `${when(v.adoptedAt)} by ${v.adoptedBy ?? "–"}` : "–") },
        ],
        d.versions,
        "document-versions",
        (v, c) => `version-${v.version}-${c.label}`,
      )}
      <section aria-labelledby="comments-h"><h3 id="comments-h">Comments on this version: <span data-testid="comment-count">${d.commentsOnVersion.length}</span></h3>
      ${d.commentsOnVersion.map(
        (c) => html`<article class="item" data-testid="comment-${idOf(c.id)}">${marking(c, `comment-${idOf(c.id)}-marking`)}
          <h4><span data-testid="comment-${idOf(c.id)}-author">${c.author}</span>, ${when(c.createdAt)} UTC, on version ${c.version}</h4><p data-testid="comment-${idOf(c.id)}-text">${c.text}</p></article>`,
      )}</section>
      ${d.statistics ? html`<section aria-labelledby="statistics-h"><h3 id="statistics-h">Statistics, from the seizure reports (not retyped)</h3>${tallyHtml(d.statistics)}</section>` : ""}`,
    );
  },

  async monitoring(el, params) {
    const state = params.get("state") === "all" ? "all" : "open";
    const q = new URLSearchParams({ state });
    if (params.get("operation")) q.set("operation", params.get("operation"));
    const { recommendations } = await json(`/v1/recommendations?${q}`);
    const rows = [...recommendations].sort((a, b) => b.openDays - a.openDays);
    render(
      el,
      html`<h2>Monitoring of recommendations</h2>
      <form class="inline" id="monitoring-form">
        <label>state <select name="state" data-testid="rec-state"><option value="open" ${state === "open" ? "selected" : ""}>open</option><option value="all" ${state === "all" ? "selected" : ""}>all</option></select></label>
        <button type="submit">Show</button>
      </form>
      <p><span data-testid="rec-count">${rows.length}</span> recommendation(s)${state === "open" ? " open" : ""}, longest open first.</p>
      ${table(
        state === "open" ? "Open recommendations and how long each has been open" : "Recommendations and their state",
        [
          { label: "marking", html: (r) => marking(r) },
          { label: "operation", html: (r) => link("operation", { id: r.operationId }, r.operationName, `rec-${idOf(r.id)}-link`) },
          { label: "recommendation", value: (r) => r.text },
          { label: "owner", value: (r) => r.owner },
          { label: "state", value: (r) => words(r.state) },
          { label: "opened", value: (r) => when(r.openedAt) },
          { label: "updated", value: (r) => when(r.updatedAt) },
          { label: "open for (days)", num: true, html: (r) => (r.state === "open" && r.openDays >= 90 ? html`<span class="bad">${r.openDays}</span>` : String(r.openDays)) },
        ],
        rows,
        "rec-table",
        (r, c) => `rec-${idOf(r.id)}-${c.label.replace(/\W+/g, "-")}`,
      )}`,
    );
    el.querySelector("#monitoring-form").addEventListener("submit", (e) => {
      e.preventDefault();
      go("monitoring", new URLSearchParams({ state: String(new FormData(e.target).get("state")) })).catch(showError);
    });
  },
};

/** An operation's figures as this access point computed them: the tally page, and a final report's statistics. */
function tallyHtml(t) {
  const rowsTable = (caption, key, rows) =>
    table(
      caption,
      [
        { label: key, value: (r) => r.key },
        { label: "seizures", num: true, value: (r) => r.seizures },
        { label: "quantities", value: (r) => quantities(r.quantities) },
      ],
      rows,
      `tally-by-${key}`,
      (r, c) => `tally-${key}-${idOf(r.key)}-${c.label}`,
    );
  return html`<p>Counted at this access point from the seizure reports and results it opened, as of <span data-testid="tally-asof">${when(t.asOf)}</span> UTC. Seizures: <span class="figure" data-testid="tally-seizures">${t.seizures}</span></p>
    ${bars("Seizures by participant", "tally-chart", "seizures", "participant", t.byParticipant.map((r) => ({ key: r.key, value: r.seizures })))}
    ${rowsTable("Seizures by participant", "participant", t.byParticipant)}
    ${rowsTable("Seizures by commodity", "commodity", t.byCommodity)}
    ${rowsTable("Seizures by risk profile", "profile", t.byProfile)}
    ${table(
      "Results recorded later (convictions, penalties, closed investigations)",
      [
        { label: "result", value: (r) => words(r.kind) },
        { label: "count", num: true, value: (r) => r.count },
        { label: "amount", num: true, value: (r) => r.amount ?? "–" },
      ],
      t.results,
      "tally-results",
      (r, c) => `tally-result-${r.kind}-${c.label}`,
    )}
    ${table(
      "Objectives against the figures",
      [
        { label: "objective", value: (o) => o.description },
        { label: "metric", value: (o) => o.metric },
        { label: "target", num: true, value: (o) => o.target },
        { label: "actual", num: true, value: (o) => o.actual ?? "–" },
        { label: "met", html: (o) => (o.met === null ? "not measured" : o.met ? html`<span class="ok">yes</span>` : html`<span class="bad">no</span>`) },
      ],
      t.objectives,
      "tally-objectives",
      (o, c) => `tally-objective-${t.objectives.indexOf(o)}-${c.label}`,
    )}`;
}

const DOCUMENT_KINDS = { "business-case": "business case", "operational-plan": "operational plan", "national-report": "national report", "final-report": "final report" };
async function documentsInto(el, id) {
  try {
    const { documents } = await json(`/v1/operations/${encodeURIComponent(id)}/documents`);
    render(
      el,
      html`<h3 id="documents-h">Documents: <span data-testid="doc-count">${documents.length}</span></h3>
      ${table(
        "Documents of the operation, with the marking each carries",
        [
          { label: "marking", html: (d) => marking(d) },
          { label: "document", value: (d) => DOCUMENT_KINDS[d.kind] ?? d.kind },
          { label: "title", html: (d) => link("document", { id, doc: d.id }, d.title, `doc-${idOf(d.id)}-link`) },
          { label: "version", num: true, value: (d) => d.version },
          { label: "author", value: (d) => d.author },
          { label: "comments by", value: (d) => (d.commentDeadline ? when(d.commentDeadline) : "no comment round") },
          { label: "comments", num: true, value: (d) => d.comments },
          { label: "not commented", html: (d) => (d.missing.length ? html`<span class="bad">${d.missing.join(", ")}</span>` : "–") },
          { label: "adopted", value: (d) => (d.adoptedAt ? when(d.adoptedAt) : "not yet") },
        ],
        documents,
        "documents-table",
        (d, c) => `doc-${idOf(d.id)}-${c.label.replace(/\W+/g, "-")}`,
      )}`,
    );
  } catch (e) {
    render(el, html`<h3 id="documents-h">Documents</h3>${problemHtml(e, "documents-error")}`);
  }
}

const TEMPLATES = { warning: "Warning", feedback: "Feedback on a warning", seizure: "Seizure report", result: "Result", note: "Note" };
/** A template's field as text: nested values (a quantity, a list) as plain words, never markup. */
const fieldText = (v) => {
  if (v === null || typeof v !== "object") return String(v);
  if (Array.isArray(v)) return v.map(fieldText).join(", ");
  // A quantity, as the tally's quantities are written: "120000 pieces".
  if (Object.keys(v).length === 2 && "amount" in v && "unit" in v) return `${v.amount} ${v.unit}`;
  return Object.entries(v).map(([k, x]) => `${k} ${fieldText(x)}`).join(", ");
};
async function groupInto(el, id) {
  try {
    const { messages } = await json(`/v1/operations/${encodeURIComponent(id)}/group`);
    const byId = new Map(messages.map((m) => [m.id, m]));
    const answered = (mid) => (byId.has(mid) ? `the ${(TEMPLATES[byId.get(mid).template] ?? byId.get(mid).template).toLowerCase()} from ${byId.get(mid).sender}, ${when(byId.get(mid).sentAt)} UTC` : mid);
    render(
      el,
      html`<h3 id="group-h">Group messages: <span data-testid="msg-count">${messages.length}</span></h3>
      <p class="muted">Sealed to the operation's members and opened by this access point.</p>
      ${messages.map(
        (m) => html`<article class="item" data-testid="msg-${idOf(m.id)}">${marking(m, `msg-${idOf(m.id)}-marking`)}
          <h4><span data-testid="msg-${idOf(m.id)}-template">${TEMPLATES[m.template] ?? m.template}</span> from <span data-testid="msg-${idOf(m.id)}-sender">${m.sender}</span>, ${when(m.sentAt)} UTC${m.inReplyTo ? html` · in reply to <span data-testid="msg-${idOf(m.id)}-reply-to">${answered(m.inReplyTo)}</span>` : ""}</h4>
          <dl>${Object.entries(m.body).map(([k, v]) => html`<dt>${k}</dt><dd data-testid="msg-${idOf(m.id)}-${idOf(k)}">${fieldText(v)}</dd>`)}</dl></article>`,
      )}`,
    );
  } catch (e) {
    render(el, html`<h3 id="group-h">Group messages</h3>${problemHtml(e, "group-error")}`);
  }
}

// ------------------------------------------------------------------ navigation
/** A view and its parameters live in the address (`#operation?id=…`), so a page can be shared, reloaded and stepped back through. */
const routeOf = () => {
  const [view = "", query = ""] = location.hash.slice(1).split("?");
  return { view, params: new URLSearchParams(query) };
};
function hashOf(view, params) {
  return `#${view}${params && [...params.keys()].length ? `?${params}` : ""}`;
}
function showError(e) {
  append($("#view"), problemHtml(e));
}
function go(view, params) {
  history.pushState(null, "", hashOf(view, params));
  return open(view, params);
}
async function open(view, params = new URLSearchParams()) {
  for (const b of document.querySelectorAll("nav button")) {
    if (b.dataset.view === view) b.setAttribute("aria-current", "page");
    else b.removeAttribute("aria-current");
  }
  await showView($("#view"), view, (el) => views[view](el, params));
}
function route() {
  const { view, params } = routeOf();
  return views[view] ? open(view, params) : open("calendar");
}

tokenLogin({
  key: TOKEN_KEY,
  session: () => json("/v1/session"),
  begin: async (session) => {
    $("#who").textContent = `${session.user} (${session.role}), contact point ${session.cp}`;
    $("#nav").hidden = false;
    for (const b of document.querySelectorAll("nav button")) b.addEventListener("click", () => go(b.dataset.view).catch(showError));
    // Back, forward, and a link or pasted address within the page.
    window.addEventListener("hashchange", () => route());
    await route();
  },
});
