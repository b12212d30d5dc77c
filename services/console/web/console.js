// The console's web UI: a token login, then the views of the token's role, each drawn from the
// console's JSON APIs. No framework, no build step. Every figure carries a data-testid so the
// browser tests can compare what is shown with what the API returns. The field names it reads are
// those of the response schemas in src/api (tests/unit/console-web.test.ts checks each one).
// Markup is built only with html`...` and inserted only by render() and append(), from the kit
// both consoles share (src/web/public/kit.js, served as /kit.js). No inline script or style anywhere: the
// page runs under `script-src 'self'; style-src 'self'`.
import { $, append, axisOf, html, okOrProblem, problemHtml, render, showView, tokenLogin } from "./kit.js";

const TOKEN_KEY = "liaison-token";
const token = () => sessionStorage.getItem(TOKEN_KEY) ?? "";

// A refused request is told in words (problemWords): a LIAISON_VALIDATION detail names the query
// field, which the filter tables below call by the label it has on the page; any other code shows
// its registry message (the problem's title).
/** What each query field is called on the page, for errors the API reports by field. */
const FIELD_WORDS = {
  action: "The action filter",
  outcome: "The outcome filter",
  authority: "The contact point filter",
  userId: "The user filter",
  objectType: "The object type filter",
  objectId: "The object id filter",
  from: "The start of the time range",
  to: "The end of the time range",
  cursor: "The page position",
  limit: "The page size",
  cp: "The member filter",
};
/** Codes whose registry message would not tell a console user what to do. */
const CODE_WORDS = {
  LIAISON_UNAUTHENTICATED: "Your token was not accepted; log in again",
  LIAISON_FORBIDDEN: "Your role cannot open this view",
};
function problemWords(status, p) {
  if (p.code === "LIAISON_VALIDATION" && p.detail) {
    const parts = p.detail.split("; ").map((d) => {
      const m = /^querystring\/(\w+): (.*)$/.exec(d);
      if (!m || !FIELD_WORDS[m[1]]) return "";
      return `${FIELD_WORDS[m[1]]} ${/^(names|is|must) /.test(m[2]) ? m[2] : `is not valid (${m[2]})`}`;
    });
    if (parts.every(Boolean)) return parts.join("; ");
  }
  const words = CODE_WORDS[p.code] ?? p.title ?? `The request failed (HTTP ${status})`;
  return p.detail && p.detail !== p.title && p.code !== "LIAISON_VALIDATION" ? `${words}: ${p.detail}` : words;
}

async function api(path, opts = {}) {
  return okOrProblem(await fetch(path, { ...opts, headers: { authorization: `Bearer ${token()}`, ...(opts.headers ?? {}) } }), problemWords);
}
const json = async (path) => (await api(path)).json();

const dur = (s) => (s == null ? "–" : s < 3600 ? `≤ ${Math.round(s / 60)} min` : s < 86400 ? `≤ ${Math.round(s / 3600)} h` : `≤ ${Math.round(s / 86400)} d`);
const when = (iso) => (iso ? iso.replace("T", " ").slice(0, 16) : "never");

/** A table; a column gives `value(row)` (text) or `html(row)` (an html`...` result). */
function table(columns, rows, idOf) {
  const cell = (r, c) => {
    const content = c.html ? c.html(r) : c.value(r);
    const cls = c.num ? "num" : "";
    return idOf ? html`<td class="${cls}" data-testid="${idOf(r, c)}">${content}</td>` : html`<td class="${cls}">${content}</td>`;
  };
  const head = columns.map((c) => html`<th class="${c.num ? "num" : ""}">${c.label}</th>`);
  const body = rows.length ? rows.map((r) => html`<tr>${columns.map((c) => cell(r, c))}</tr>`) : html`<tr><td colspan="${columns.length}">nothing yet</td></tr>`;
  return html`<table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}


/**
 * A bar chart (inline SVG): one group per month (or per year: the last argument names the groups
 * and the series), one bar per contact point (or kind), with labelled axes: the y axis counts
 * `unit` (ticks at whole steps), the x axis is the month (UTC) or what the last argument names.
 */
function barChart(title, unit, testid, months, cps, valueOf, { label: xLabel, per, series: seriesName } = { label: "month (UTC)", per: "month", series: "contact point" }) {
  const W = 360, H = 200, left = 44, right = 8, top = 10, bottom = 40;
  const plotW = W - left - right, plotH = H - top - bottom;
  const max = Math.max(0, ...months.flatMap((m) => cps.map((cp) => valueOf(m, cp))));
  const { step, top: yTop } = axisOf(max);
  const y = (v) => top + plotH - (plotH * v) / yTop;
  const gw = plotW / Math.max(1, months.length);
  const bw = Math.max(3, (gw - 8) / Math.max(1, cps.length));
  // Colours by class (console.css .series-0 to .series-7): no inline style under the CSP.
  const series = (j) => `series-${j % 8}`;
  const bars = months.flatMap((m, i) =>
    cps.map((cp, j) => {
      const v = valueOf(m, cp);
      return html`<rect x="${left + 4 + i * gw + j * bw}" y="${y(v)}" width="${bw - 1}" height="${top + plotH - y(v)}" class="${series(j)}"><title>${cp} ${m}: ${v} ${unit}</title></rect>`;
    }),
  );
  const ticks = [];
  for (let v = 0; v <= yTop; v += step) ticks.push(html`<line class="grid" x1="${left}" x2="${W - right}" y1="${y(v)}" y2="${y(v)}"/><text class="tick y-tick" x="${left - 4}" y="${y(v) + 3}" text-anchor="end">${v}</text>`);
  const labels = months.map((m, i) => html`<text class="tick x-tick" x="${left + 4 + i * gw + (gw - 8) / 2}" y="${top + plotH + 13}" text-anchor="middle">${m}</text>`);
  const axes = html`<line class="axis" x1="${left}" x2="${left}" y1="${top}" y2="${top + plotH}"/><line class="axis" x1="${left}" x2="${W - right}" y1="${top + plotH}" y2="${top + plotH}"/>
    <text class="axis-label" data-testid="${testid}-y-label" transform="rotate(-90)" x="${-(top + plotH / 2)}" y="12" text-anchor="middle">${unit}</text>
    <text class="axis-label" data-testid="${testid}-x-label" x="${left + plotW / 2}" y="${H - 4}" text-anchor="middle">${xLabel}</text>`;
  const legend = cps.map((cp, j) => html`<span class="${series(j)}">■</span> ${cp} `);
  return html`<div class="chart" data-testid="${testid}"><h3>${title}</h3><svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${title}: ${unit} per ${per} and ${seriesName}">${ticks}${axes}${bars}${labels}</svg><div>${legend}</div></div>`;
}

/**
 * Joint customs operations per year (/v1/usage/operations): operations by kind, parties per
 * operation, and how often each member leads or takes part; a member that takes part in none of a
 * year's operations is flagged "not used at the expected level", as a dormant member is.
 */
function operationsSection(ops, cp) {
  const years = ops.years.map((y) => String(y.year));
  const yearOf = (label) => ops.years.find((y) => String(y.year) === label);
  const kinds = [...new Set(ops.years.flatMap((y) => y.byKind.map((k) => k.kind)))].sort();
  const cps = [...new Set(ops.years.flatMap((y) => y.members.map((m) => m.cp)))].sort().flatMap((c) => (!cp || c === cp ? [c] : []));
  const perYear = { label: "year (of the operation's first day)", per: "year", series: "kind" };
  const charts = [
    barChart("Operations by kind", "operations", "jco-chart-kinds", years, kinds, (y, k) => yearOf(y)?.byKind.find((x) => x.kind === k)?.count ?? 0, perYear),
    barChart("Operations each member takes part in", "operations", "jco-chart-members", years, cps, (y, c) => yearOf(y)?.members.find((m) => m.cp === c)?.takesPart ?? 0, { ...perYear, series: "contact point" }),
  ];
  const rows = ops.years.flatMap((y) => y.members.flatMap((m) => (cps.includes(m.cp) ? [{ ...m, year: y.year }] : [])));
  const one = (n) => String(Math.round(n * 10) / 10);
  return html`<section data-testid="jco-usage"><h2>Joint customs operations per year</h2>
    <p>Counted from the calendar of operations (its clear entries): an operation counts in the year of its first day, a cancelled one not at all. Parties are its leaders and participants (observers do not count).</p>
    <div class="charts">${charts}</div>
    <h3>Operations</h3>
    ${table(
      [
        { label: "year", value: (r) => r.year },
        { label: "operations", num: true, field: "operations", value: (r) => r.operations },
        { label: "by kind", field: "byKind", value: (r) => r.byKind.map((k) => `${k.kind} ${k.count}`).join(", ") },
        { label: "parties per operation: mean", num: true, field: "mean", value: (r) => one(r.participants.mean) },
        { label: "min", num: true, field: "min", value: (r) => r.participants.min },
        { label: "max", num: true, field: "max", value: (r) => r.participants.max },
      ],
      ops.years,
      (r, c) => `jco-year-${r.year}-${c.field ?? "year"}`,
    )}
    <h3>Members</h3>
    ${table(
      [
        { label: "contact point", value: (r) => r.cp },
        { label: "year", value: (r) => r.year },
        { label: "leads", num: true, field: "leads", value: (r) => r.leads },
        { label: "takes part", num: true, field: "takesPart", value: (r) => r.takesPart },
        { label: "use", field: "notUsed", html: (r) => (r.notUsed ? html`<span class="bad">not used at the expected level</span>` : html`<span class="ok">takes part</span>`) },
      ],
      rows,
      (r, c) => `jco-${r.year}-${r.cp}-${c.field ?? c.label.replace(/\W+/g, "-")}`,
    )}</section>`;
}

const PHASE_WORDS = ["planning", "business-case", "operational", "debriefing", "final-report"];
/**
 * The calendar as a timeline (inline SVG): one row per operation, its phases as bars coloured by
 * kind, and a band over the days it overlaps another; labelled axes: the date (UTC, a tick on the
 * first of each month) along the bottom, the operations up the side.
 */
function timeline(c) {
  const DAY = 86400000;
  const t0 = Date.parse(`${c.from}T00:00:00Z`), t1 = Date.parse(`${c.to}T00:00:00Z`) + DAY;
  const W = 1000, left = 170, right = 10, top = 8, row = 22;
  const H = top + row * Math.max(1, c.operations.length) + 44;
  const x = (day, end) => left + ((W - left - right) * (Math.max(t0, Math.min(t1, Date.parse(`${day}T00:00:00Z`) + (end ? DAY : 0))) - t0)) / (t1 - t0);
  const rows = c.operations.map((o, i) => {
    const y = top + i * row;
    // A phase outside the period is not drawn (an operation is listed when one of its phases is in it).
    const bars = o.phases.map((p, j) => (p.end < c.from || p.start > c.to ? "" : html`<rect data-testid="cal-bar-${o.id}-${j}" x="${x(p.start)}" y="${y + 4}" width="${Math.max(1, x(p.end, true) - x(p.start))}" height="${row - 8}" class="series-${PHASE_WORDS.indexOf(p.kind) % 8}"><title>${o.name}: ${p.kind} ${p.start} to ${p.end}</title></rect>`));
    const bands = c.overlaps.flatMap((ov) => (ov.a.id === o.id || ov.b.id === o.id ? ov.periods.map((p) => html`<rect class="overlap" data-testid="cal-band-${o.id}" x="${x(p.from)}" y="${y + 1}" width="${Math.max(1, x(p.to, true) - x(p.from))}" height="${row - 2}"><title>overlaps ${ov.a.id === o.id ? ov.b.name : ov.a.name}: ${p.from} to ${p.to}</title></rect>`) : []));
    return html`<text class="tick y-tick" x="${left - 6}" y="${y + row / 2 + 3}" text-anchor="end">${o.name}</text>${bars}${bands}`;
  });
  const ticks = [];
  const [fy, fm] = c.from.split("-").map(Number);
  for (let k = 0; k < 400; k++) {
    const m = ((fm - 1 + k) % 12) + 1, yr = fy + Math.floor((fm - 1 + k) / 12);
    const day = `${yr}-${`0${m}`.slice(-2)}-01`;
    if (Date.parse(`${day}T00:00:00Z`) >= t1) break;
    if (Date.parse(`${day}T00:00:00Z`) < t0) continue;
    ticks.push(html`<line class="grid" x1="${x(day)}" x2="${x(day)}" y1="${top}" y2="${H - 38}"/><text class="tick x-tick" x="${x(day)}" y="${H - 26}" text-anchor="middle">${day.slice(0, 7)}</text>`);
  }
  const axes = html`<line class="axis" x1="${left}" x2="${left}" y1="${top}" y2="${H - 38}"/><line class="axis" x1="${left}" x2="${W - right}" y1="${H - 38}" y2="${H - 38}"/>
    <text class="axis-label" data-testid="cal-chart-y-label" transform="rotate(-90)" x="${-(top + (H - 38 - top) / 2)}" y="12" text-anchor="middle">operation</text>
    <text class="axis-label" data-testid="cal-chart-x-label" x="${left + (W - left - right) / 2}" y="${H - 6}" text-anchor="middle">date (UTC)</text>`;
  const legend = PHASE_WORDS.map((k, j) => html`<span class="series-${j}">■</span> ${k} `);
  return html`<div class="chart" data-testid="cal-chart"><svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="Calendar of operations: phases per operation by date, overlaps marked">${ticks}${axes}${rows}</svg><div>${legend} <span class="bad">▭</span> overlap</div></div>`;
}

// ------------------------------------------------------------------ operations views
const views = {
  async usage(el, params) {
    const v = (k) => params.get(k) ?? "";
    const q = new URLSearchParams();
    for (const k of ["from", "to", "cp"]) if (v(k)) q.set(k, v(k));
    // Joint customs operations over the years of the months asked (all years when none).
    const oq = new URLSearchParams();
    if (v("from")) oq.set("from", v("from").slice(0, 4));
    if (v("to")) oq.set("to", v("to").slice(0, 4));
    const [u, ops] = await Promise.all([json(`/v1/usage${[...q.keys()].length ? `?${q}` : ""}`), json(`/v1/usage/operations${[...oq.keys()].length ? `?${oq}` : ""}`)]);
    const members = [...new Set([...u.activity.map((a) => a.cp), ...(v("cp") ? [v("cp")] : [])])].sort();
    const filters = html`<form class="inline" id="usage-form">
        <label>from month <input name="from" type="month" value="${v("from")}"></label>
        <label>to month <input name="to" type="month" value="${v("to")}"></label>
        <label>member <select name="cp"><option value="">all</option>${members.map((cp) => html`<option value="${cp}" ${cp === v("cp") ? "selected" : ""}>${cp}</option>`)}</select></label>
        <button type="submit">Show</button> <a href="#usage" data-testid="usage-clear">clear</a>
      </form>`;
    const months = [...new Set(u.months.map((m) => m.month))].sort();
    const cps = [...new Set(u.months.map((m) => m.cp))].sort();
    const at = (m, cp, f) => u.months.find((x) => x.month === m && x.cp === cp)?.[f] ?? 0;
    const total = (cp, f) => u.months.filter((x) => x.cp === cp).reduce((n, x) => n + x[f], 0);
    const charts = [
      ["Messages sent", "messages", "messagesSent"],
      ["Messages received", "messages", "messagesReceived"],
      ["Requests answered", "replies", "messagesAnswered"],
      ["CIS queries", "queries", "recordsQueried"],
      ["CIS hits", "hits", "recordHits"],
      ["FIDE queries", "queries", "filesQueried"],
    ].map(([t, unit, f]) => barChart(t, unit, `chart-${f}`, months, cps, (m, cp) => at(m, cp, f)));
    const fields = [
      ["sent", "messagesSent"],
      ["received", "messagesReceived"],
      ["answered", "messagesAnswered"],
      ["late", "repliesLate"],
      ["CIS submitted", "recordsSubmitted"],
      ["CIS queries", "recordsQueried"],
      ["CIS hits", "recordHits"],
      ["FIDE registered", "filesRegistered"],
      ["FIDE queries", "filesQueried"],
      ["FIDE hits", "fileHits"],
      ["refusals", "refusals"],
    ];
    render(
      el,
      html`<h2>Usage per contact point and month</h2>${filters}<p>Generated ${when(u.generatedAt)} UTC. Counted from the access log. <span data-testid="usage-row-count">${u.months.length}</span> month row(s)${v("cp") ? ` of ${v("cp")}` : ""}${v("from") || v("to") ? `, ${v("from") || "…"} to ${v("to") || "…"}` : ""}.</p><div class="charts">${charts}</div>
      <h3>Totals</h3>
      ${table(
        [{ label: "contact point", value: (r) => r }, ...fields.map(([label, f]) => ({ label, num: true, field: f, value: (r) => total(r, f) }))],
        cps,
        (r, c) => (c.field ? `usage-total-${r}-${c.field}` : `usage-total-${r}`),
      )}
      <h3>By month</h3>
      ${table(
        [
          { label: "contact point", value: (r) => r.cp },
          { label: "month", value: (r) => r.month },
          ...fields.map(([label, f]) => ({ label, num: true, field: f, value: (r) => r[f] })),
          { label: "reply p50", value: (r) => dur(r.replyP50Seconds) },
          { label: "reply p90", value: (r) => dur(r.replyP90Seconds) },
        ],
        u.months,
        (r, c) => `usage-${r.cp}-${r.month}-${c.field ?? c.label.replace(/\W+/g, "-")}`,
      )}
      ${operationsSection(ops, v("cp"))}`,
    );
    showsOnSubmit(el.querySelector("#usage-form"), "usage");
  },

  async calendar(el, params) {
    const year = new Date().getUTCFullYear();
    const from = params.get("from") || `${year}-01-01`;
    const to = params.get("to") || `${year}-12-31`;
    const c = await json(`/v1/operations/calendar?${new URLSearchParams({ from, to })}`);
    const filters = html`<form class="inline" id="calendar-form">
        <label>from <input name="from" type="date" value="${from}" required></label>
        <label>to <input name="to" type="date" value="${to}" required></label>
        <button type="submit">Show</button>
      </form>`;
    const overlapping = (id) => c.overlaps.find((o) => o.a.id === id || o.b.id === id);
    render(
      el,
      html`<h2>Calendar of joint customs operations</h2>${filters}
      <p><span class="figure" data-testid="cal-count">${c.operations.length}</span> operation(s) from ${c.from} to ${c.to}; <span class="${c.overlaps.length ? "bad" : "ok"}" data-testid="cal-overlap-count">${c.overlaps.length}</span> overlap(s) in timing and objectives.</p>
      ${timeline(c)}
      <h3>Overlaps</h3>
      ${table(
        [
          { label: "operation", field: "a", value: (r) => r.a.name },
          { label: "overlaps with", field: "b", value: (r) => r.b.name },
          { label: "shared days", field: "periods", value: (r) => r.periods.map((p) => `${p.aPhase} / ${p.bPhase}: ${p.from} to ${p.to}`).join("; ") },
          { label: "why", field: "reasons", value: (r) => r.reasons.join("; ") },
        ],
        c.overlaps,
        (r, col) => `cal-overlap-${r.a.id}-${r.b.id}-${col.field}`,
      )}
      <h3>Operations</h3>
      ${table(
        [
          { label: "name", field: "name", value: (r) => r.name },
          { label: "kind", field: "kind", value: (r) => r.kind },
          { label: "leaders", field: "leaders", value: (r) => r.leaders.join(", ") },
          { label: "participants", field: "participants", value: (r) => r.participants.join(", ") },
          { label: "status", field: "status", value: (r) => r.status },
          { label: "phases", field: "phases", value: (r) => r.phases.map((p) => `${p.kind} ${p.start} to ${p.end}`).join("; ") },
          { label: "overlap", field: "overlap", html: (r) => (overlapping(r.id) ? html`<span class="bad">yes</span>` : html`<span class="ok">no</span>`) },
        ],
        c.operations,
        (r, col) => `cal-op-${r.id}-${col.field}`,
      )}`,
    );
    showsOnSubmit(el.querySelector("#calendar-form"), "calendar");
  },

  async dormant(el) {
    const d = await json("/v1/usage/dormant");
    render(
      el,
      html`<h2>Dormant contact points</h2><p><span class="figure" data-testid="dormant-count">${d.dormant.length}</span> of ${d.all.length} members have not connected for the dormancy period.</p>
      ${table(
        [
          { label: "contact point", value: (r) => r.cp },
          { label: "name", value: (r) => r.name },
          { label: "last connection", value: (r) => when(r.lastConnection) },
          { label: "last activity", value: (r) => when(r.lastActivity) },
          { label: "dormant", html: (r) => (r.dormant ? html`<span class="bad">since ${when(r.dormantSince)}</span>` : html`<span class="ok">no</span>`) },
          { label: "suspension due", value: (r) => (r.dormant ? when(r.suspensionDue) : "") },
          { label: "notified", value: (r) => (r.notifiedAt ? when(r.notifiedAt) : "") },
        ],
        d.all,
        (r, c) => `dormant-${r.cp}-${c.label.replace(/\W+/g, "-")}`,
      )}`,
    );
  },

  async throughput(el) {
    render(el, html`<h2>Live throughput</h2><p>Per minute, over the last minute; a sample every few seconds.</p>
      <table><tbody>
        <tr><th>messages routed</th><td class="num" data-testid="tp-messagesRouted">–</td></tr>
        <tr><th>receipts</th><td class="num" data-testid="tp-receipts">–</td></tr>
        <tr><th>queries</th><td class="num" data-testid="tp-queries">–</td></tr>
        <tr><th>refusals</th><td class="num" data-testid="tp-refusals">–</td></tr>
        <tr><th>audit events</th><td class="num" data-testid="tp-auditEvents">–</td></tr>
      </tbody></table>
      <svg id="spark" width="340" height="60" role="img" aria-label="audit events per minute"></svg>
      <p data-testid="tp-at"></p>`);
    const history = [];
    const ctrl = new AbortController();
    current.stop = () => ctrl.abort();
    const res = await api("/v1/throughput/stream", { signal: ctrl.signal });
    // The stream runs until the user leaves the page; the view counts as loaded once it is open.
    void (async () => {
    try {
      const reader = res.body.getReader();
      const dec = new TextDecoder();
      let buf = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += dec.decode(value, { stream: true });
        let i;
        while ((i = buf.indexOf("\n\n")) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const data = block.split("\n").find((l) => l.startsWith("data: "));
          if (!data) continue;
          const s = JSON.parse(data.slice(6));
          for (const k of ["messagesRouted", "receipts", "queries", "refusals", "auditEvents"]) {
            const cell = el.querySelector(`[data-testid="tp-${k}"]`);
            if (cell) cell.textContent = String(s[k]);
          }
          el.querySelector('[data-testid="tp-at"]').textContent = `last sample ${when(s.at)} UTC`;
          history.push(s.auditEvents);
          if (history.length > 60) history.shift();
          const max = Math.max(1, ...history);
          render(el.querySelector("#spark"), html`<polyline fill="none" stroke="#0b4f8a" stroke-width="2" points="${history.map((v, x) => `${x * 5.6},${58 - (56 * v) / max}`).join(" ")}"/>`);
        }
      }
    } catch (e) {
      if (e.name !== "AbortError") append(el, html`<p class="error">${e.message}</p>`);
    }
    })();
  },

  async health(el) {
    const h = await json("/v1/health");
    const s = h.server;
    render(
      el,
      html`<h2>Service health</h2>
      <p>NATS ${s.url} · ${s.serverName} v${s.version} · JetStream <span class="${s.jetstream ? "ok" : "bad"}">${s.jetstream ? "on" : "off"}</span> · round trip ${s.rttMs} ms${
        s.healthz ? html` · /healthz <span class="${s.healthz.ok ? "ok" : "bad"}" data-testid="health-nats">${s.healthz.status}</span>` : ""
      }</p><p>Missing hub services: <span data-testid="health-missing" class="${h.missing.length ? "bad" : "ok"}">${h.missing.length ? h.missing.join(", ") : "none"}</span></p>
      <h3>Instances ($SRV)</h3>
      ${table(
        [
          { label: "service", value: (r) => r.name },
          { label: "instance", value: (r) => r.id },
          { label: "started", value: (r) => when(r.started) },
          { label: "requests", num: true, value: (r) => r.endpoints.reduce((n, e) => n + e.requests, 0) },
          { label: "errors", num: true, value: (r) => r.endpoints.reduce((n, e) => n + e.errors, 0) },
        ],
        h.services,
        (r, c) => `health-${r.name}-${r.id}-${c.label}`,
      )}
      <p data-testid="health-instance-count">${h.services.length}</p>
      <h3>Durable consumers</h3>
      ${table(
        [
          { label: "consumer", value: (r) => `${r.stream}/${r.name}` },
          { label: "pending", num: true, value: (r) => r.pending },
          { label: "ack pending", num: true, value: (r) => r.ackPending },
          { label: "redelivered", num: true, value: (r) => r.redelivered },
        ],
        h.consumers,
        (r, c) => `consumer-${r.stream}-${r.name}-${c.label.replace(/\W+/g, "-")}`,
      )}
      <h3>Streams</h3>
      ${table(
        [
          { label: "stream", value: (r) => r.name },
          { label: "messages", num: true, value: (r) => r.messages },
          { label: "bytes", num: true, value: (r) => r.bytes },
        ],
        h.streams,
        (r, c) => `stream-${r.name}-${c.label}`,
      )}`,
    );
  },

  // ---------------------------------------------------------------- supervisor views
  async audit(el, params) {
    const v = (k) => params.get(k) ?? "";
    const limit = Number(v("limit")) || AUDIT_PAGE;
    render(el, html`<h2>Access log</h2>
      <form class="inline" id="audit-form">
        <label>from (UTC) <input name="from" type="datetime-local" value="${v("from")}"></label>
        <label>to (UTC) <input name="to" type="datetime-local" value="${v("to")}"></label>
        <label>outcome <select name="outcome">${["", ...AUDIT_OUTCOME_WORDS].map((o) => html`<option value="${o}" ${o === v("outcome") ? "selected" : ""}>${o || "any"}</option>`)}</select></label>
        <label>action <input name="action" size="12" list="audit-actions" value="${v("action")}" placeholder="read, query, erase…"></label>
        <label>contact point <input name="authority" size="6" value="${v("authority")}"></label>
        <label>user <input name="userId" size="14" value="${v("userId")}"></label>
        <label>object type <input name="objectType" size="10" value="${v("objectType")}"></label>
        <label>object id <input name="objectId" size="24" value="${v("objectId")}"></label>
        <button type="submit">Search</button>
        <a href="#audit" data-testid="audit-clear">clear</a>
      </form>
      <datalist id="audit-actions">${AUDIT_ACTION_WORDS.map((a) => html`<option value="${a}"></option>`)}</datalist>
      <div id="audit-results"></div>`);
    const form = el.querySelector("#audit-form");
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const next = new URLSearchParams();
      for (const [k, val] of new FormData(form)) if (val) next.set(k, String(val));
      if (params.get("limit")) next.set("limit", params.get("limit"));
      go("audit", next).catch(showError);
    });
    const q = new URLSearchParams();
    for (const k of AUDIT_FILTERS) if (v(k)) q.set(k, k === "from" || k === "to" ? utcOf(v(k)) : v(k));
    q.set("limit", String(limit));
    // Newest first. "before=N" is the page of older events below leaf N; "after=N" the page of
    // newer ones above it (read oldest first from N, shown newest first).
    const after = v("after");
    q.set("order", after ? "asc" : "desc");
    if (after || v("before")) q.set("cursor", after || v("before"));
    const out = el.querySelector("#audit-results");
    let r;
    try {
      r = await json(`/v1/audit/events?${q}`);
    } catch (e) {
      render(out, problemHtml(e));
      return;
    }
    const events = after ? [...r.events].reverse() : r.events;
    const older = after ? events.at(-1)?.index : r.nextCursor;
    const newer = after ? r.nextCursor : v("before") ? (events[0]?.index ?? Number(v("before")) - 1) : undefined;
    const range = events.length ? html`, #${events[0].index} to #${events.at(-1).index}` : "";
    render(
      out,
      html`<p>Tree size <span data-testid="audit-tree-size">${r.treeSize}</span>; <span data-testid="audit-count">${events.length}</span> event(s) shown${range}, newest first, ${limit} a page.</p>
      <p class="pager"><button type="button" data-testid="audit-newer" id="audit-newer">← newer</button> <button type="button" data-testid="audit-older" id="audit-older">older →</button></p>
      ${eventsTable(events)}`,
    );
    const page = (key, cursor) => {
      const next = new URLSearchParams(params);
      next.delete("before");
      next.delete("after");
      next.set(key, String(cursor));
      go("audit", next).catch(showError);
    };
    const olderBtn = out.querySelector("#audit-older");
    const newerBtn = out.querySelector("#audit-newer");
    olderBtn.disabled = older === undefined;
    newerBtn.disabled = newer === undefined;
    olderBtn.addEventListener("click", () => page("before", older));
    newerBtn.addEventListener("click", () => page("after", newer));
  },

  async access(el) {
    render(el, html`<h2>Access report</h2><p>Who accessed an object, or what a user accessed.</p>
      <form class="inline" id="access-object"><label>object type <input name="type" value="record" size="10"></label><label>object id <input name="id" size="30" required></label><button>Who accessed it</button></form>
      <form class="inline" id="access-user"><label>user id <input name="user" size="24" required></label><button>What did they access</button></form>
      <div id="access-results"></div>`);
    const show = async (path) => {
      const r = await json(path);
      render(el.querySelector("#access-results"), html`<p><span data-testid="access-count">${r.events.length}</span> access(es).</p>${eventsTable(r.events)}`);
    };
    el.querySelector("#access-object").addEventListener("submit", (e) => {
      e.preventDefault();
      const f = new FormData(e.target);
      show(`/v1/audit/access/${encodeURIComponent(f.get("type"))}/${encodeURIComponent(f.get("id"))}`).catch(showError);
    });
    el.querySelector("#access-user").addEventListener("submit", (e) => {
      e.preventDefault();
      show(`/v1/audit/users/${encodeURIComponent(new FormData(e.target).get("user"))}`).catch(showError);
    });
  },

  async compliance(el) {
    const c = await json("/v1/compliance");
    render(
      el,
      html`<h2>Erasure compliance</h2>
      <p>Overdue for erasure: <span class="figure ${c.overdueCount ? "bad" : "ok"}" data-testid="compliance-overdue">${c.overdueCount}</span> (must be 0) ·
      erased in total: <span data-testid="compliance-erased">${c.erasedTotal}</span> · last sweep ${when(c.lastSweepAt)} · key epoch ${c.kekEpoch}</p>
      ${c.overdue.length ? html`<h3>Overdue</h3>${table([{ label: "kind", value: (r) => r.kind }, { label: "id", value: (r) => r.objectId }, { label: "supplier", value: (r) => r.supplier }, { label: "due", value: (r) => when(r.dueAt) }], c.overdue)}` : ""}
      ${holdsSection(c.holds)}
      ${reviewsSection(c.reviews)}
      <h3>Erasures by day, rule and supplier</h3>
      ${table([{ label: "day", value: (r) => r.day }, { label: "rule", value: (r) => r.rule }, { label: "supplier", value: (r) => r.supplier }, { label: "count", num: true, value: (r) => r.count }], c.erasures)}
      <h3>A supervisor's legal hold</h3>
      <p>No erasure, by its supplier or by a retention rule, while it is in force. The supplier can neither lift nor replace it; it replaces a hold the supplier set.</p>
      <form class="inline" id="hold-form">
        <label>object <select name="kind" data-testid="hold-kind"><option value="records">CIS record</option><option value="files">FIDE entry</option></select></label>
        <label>id <input name="id" size="28" required data-testid="hold-id"></label>
        <label>reason <input name="reason" size="30" data-testid="hold-reason-input"></label>
        <label>until <input name="until" type="date" data-testid="hold-until"></label>
        <button type="submit" value="set" data-testid="hold-set">Set hold</button>
        <button type="submit" value="lift" data-testid="hold-lift">Lift hold</button>
      </form><div id="hold-result"></div>`,
    );
    el.querySelector("#hold-form").addEventListener("submit", (e) => {
      e.preventDefault();
      const f = new FormData(e.target);
      const until = f.get("until");
      const body = { reason: String(f.get("reason") ?? ""), lift: e.submitter?.value === "lift", ...(until ? { until: `${until}T23:59:59Z` } : {}) };
      (async () => {
        const res = await api(`/v1/holds/${encodeURIComponent(f.get("kind"))}/${encodeURIComponent(f.get("id"))}`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(body),
        });
        const s = await res.json();
        const h = s.hold;
        render(
          el.querySelector("#hold-result"),
          h
            ? html`<p data-testid="hold-state">${s.objectType} ${s.id} (supplier ${s.supplier}) is held by <span data-testid="hold-set-by">${h.setBy}</span>${h.until ? ` until ${when(h.until)}` : ", until lifted"}: <span data-testid="hold-reason">${h.reason}</span></p>`
            : html`<p data-testid="hold-state">${s.objectType} ${s.id} (supplier ${s.supplier}) has no legal hold.</p>`,
        );
      })().catch(showError);
    });
  },

  async verification(el) {
    const v = await json("/v1/audit/verification");
    const mark = (ok) => (ok === null ? "–" : ok ? html`<span class="ok">yes</span>` : html`<span class="bad">NO</span>`);
    render(el, html`<h2>Tree-head verification</h2><table><tbody>
      <tr><th>tree size</th><td class="num" data-testid="verify-tree-size">${v.treeSize}</td></tr>
      <tr><th>root hash</th><td><code>${v.rootHash}</code></td></tr>
      <tr><th>signed at</th><td>${when(v.timestamp)}</td></tr>
      <tr><th>signature verifies under the audit key</th><td data-testid="verify-signature">${mark(v.signatureValid)}</td></tr>
      <tr><th>key id matches the audit key</th><td data-testid="verify-key">${mark(v.keyIdMatches)}</td></tr>
      <tr><th>consistent with the previous head (size ${v.previousTreeSize ?? "–"})</th><td data-testid="verify-consistent">${mark(v.consistentWithPrevious)}</td></tr>
      </tbody></table><p>Checked ${when(v.verifiedAt)}. For a check that does not trust the hub, export the log and run <code>liaison audit verify</code>.</p>`);
  },

  async export(el) {
    render(el, html`<h2>Export</h2><p>The access log as JSON Lines with its signed tree head, for the offline verifier (<code>liaison audit verify</code>). The export is itself logged.</p>
      <button id="export-btn" data-testid="export-button">Download export</button> <a id="export-link" data-testid="export-link" hidden>export.jsonl</a> <span id="export-size" data-testid="export-size"></span>`);
    el.querySelector("#export-btn").addEventListener("click", async () => {
      try {
        const blob = await (await api("/v1/audit/export")).blob();
        const a = el.querySelector("#export-link");
        a.href = URL.createObjectURL(blob);
        a.download = "liaison-audit-export.jsonl";
        a.hidden = false;
        el.querySelector("#export-size").textContent = `${blob.size} bytes`;
        a.click();
      } catch (e) {
        showError(e);
      }
    });
  },
};

/** Legal holds in force, from the compliance report: what is held, by whom, why, until when. */
function holdsSection(holds) {
  return html`<section id="compliance-holds"><h3>Legal holds in force: <span data-testid="compliance-holds-count">${holds.length}</span></h3>
    <p>A held object is not erased when its time comes; the hold ends when lifted or at its end date.</p>
    ${table(
      [
        { label: "object", value: (h) => `${h.objectType} ${h.objectId}` },
        { label: "set by", value: (h) => h.setBy },
        { label: "reason", value: (h) => h.reason || "–" },
        { label: "set", value: (h) => when(h.setAt) },
        { label: "until", value: (h) => (h.until ? when(h.until) : "until lifted") },
      ],
      holds,
      (h, c) => `hold-${h.objectType}-${h.objectId}-${c.label.replace(/\W+/g, "-")}`,
    )}</section>`;
}

/** CIS reviews per supplier and month: due (reminded), renewed, and lapsed (erased unrenewed). */
function reviewsSection(reviews) {
  const lapsed = reviews.reduce((n, r) => n + r.lapsed, 0);
  return html`<section id="compliance-reviews"><h3>Record reviews</h3>
    <p>Reviews due in the report's months: <span data-testid="compliance-reviews-due">${reviews.reduce((n, r) => n + r.due, 0)}</span> ·
    renewed: <span data-testid="compliance-reviews-renewed">${reviews.reduce((n, r) => n + r.renewed, 0)}</span> ·
    lapsed (not renewed in time, so erased): <span class="${lapsed ? "bad" : "ok"}" data-testid="compliance-reviews-lapsed">${lapsed}</span></p>
    ${table(
      [
        { label: "supplier", value: (r) => r.contactPoint },
        { label: "month", value: (r) => r.month },
        { label: "due", num: true, value: (r) => r.due },
        { label: "renewed", num: true, value: (r) => r.renewed },
        { label: "lapsed", num: true, html: (r) => (r.lapsed ? html`<span class="bad">${r.lapsed}</span>` : "0") },
      ],
      reviews,
      (r, c) => `review-${r.contactPoint}-${r.month}-${c.label}`,
    )}</section>`;
}

function eventsTable(events) {
  return table(
    [
      { label: "#", num: true, value: (e) => e.index },
      { label: "time", value: (e) => when(e.at) },
      { label: "authority", value: (e) => e.authority },
      { label: "user", value: (e) => e.userId },
      { label: "action", value: (e) => e.action },
      { label: "object", value: (e) => `${e.objectType} ${e.objectId}` },
      { label: "purpose", value: (e) => e.purpose },
      { label: "outcome", value: (e) => `${e.outcome}${e.reasonCode ? ` (${e.reasonCode})` : ""}` },
    ],
    events,
  );
}

/** The access log's filters: the query fields of GET /v1/audit/events the page offers. */
const AUDIT_FILTERS = ["from", "to", "outcome", "action", "authority", "userId", "objectType", "objectId"];
const AUDIT_PAGE = 50;
// The API's words for actions and outcomes (AUDIT_ACTIONS and AUDIT_OUTCOMES in src/api/enums.ts;
// tests/unit/console-web.test.ts checks that these lists are theirs).
const AUDIT_OUTCOME_WORDS = ["success", "refused", "failed"];
const AUDIT_ACTION_WORDS = ["submit", "read", "query", "hit", "delivery", "receipt", "amend", "renew", "erase", "legal-hold-set", "legal-hold-lifted", "export", "login", "token-use", "refusal", "config-change", "key-change", "route", "notice", "review-reminder", "connect"];
/** A datetime-local value (taken as UTC, as the console shows every time) as the API's ISO time. */
const utcOf = (local) => (/^\d{4}-\d\d-\d\dT\d\d:\d\d$/.test(local) ? `${local}:00Z` : /[Zz]|[+-]\d\d:\d\d$/.test(local) ? local : `${local}Z`);

const TITLES = { usage: "Usage", calendar: "Calendar", dormant: "Dormant members", throughput: "Throughput", health: "Health", audit: "Access log", access: "Access report", compliance: "Erasure compliance", verification: "Tree heads", export: "Export" };
const current = { stop: undefined };

function showError(e) {
  append($("#view"), problemHtml(e));
}

/** A filter form that shows `view` with the form's filled fields as its parameters. */
function showsOnSubmit(form, view) {
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const next = new URLSearchParams();
    for (const [k, val] of new FormData(form)) if (val) next.set(k, String(val));
    go(view, next).catch(showError);
  });
}

/**
 * A view and its filters live in the URL (`#audit?outcome=refused&before=120`), so a view can be
 * shared, reloaded and stepped back through. A view gets its parameters and calls `go()` to change them.
 */
const routeOf = () => {
  const [view = "", query = ""] = location.hash.slice(1).split("?");
  return { view, params: new URLSearchParams(query) };
};
const hashOf = (view, params) => `#${view}${params && [...params.keys()].length ? `?${params}` : ""}`;
/** Shows `view` with `params`, as a new history entry. */
function go(view, params) {
  history.pushState(null, "", hashOf(view, params));
  return open(view, params, false);
}

async function open(view, params = new URLSearchParams(), replace = true) {
  current.stop?.();
  current.stop = undefined;
  for (const b of document.querySelectorAll("nav button")) b.toggleAttribute("aria-current", b.dataset.view === view);
  if (document.querySelector(`nav button[data-view="${view}"]`)) document.querySelector(`nav button[data-view="${view}"]`).setAttribute("aria-current", "page");
  if (replace) history.replaceState(null, "", hashOf(view, params));
  await showView($("#view"), view, (el) => views[view](el, params));
}

let sessionViews = [];
/** The view the URL names (with its filters), or the role's first view. */
function route() {
  const { view, params } = routeOf();
  return sessionViews.includes(view) ? open(view, params) : open(sessionViews[0]);
}

tokenLogin({
  key: TOKEN_KEY,
  session: () => json("/v1/session"),
  begin: async (session) => {
    $("#who").textContent = `${session.user} (${session.role})`;
    const nav = $("#nav");
    render(nav, html`${session.views.map((v) => html`<button data-view="${v}" data-testid="nav-${v}">${TITLES[v] ?? v}</button>`)}`);
    nav.hidden = false;
    for (const b of nav.querySelectorAll("button")) b.addEventListener("click", () => go(b.dataset.view));
    sessionViews = session.views;
    // Back, forward, and a link or pasted address within the page.
    window.addEventListener("popstate", () => route());
    await route();
  },
  onLogout: () => current.stop?.(),
});
