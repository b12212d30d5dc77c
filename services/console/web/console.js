// The console's web UI: a token login, then the views of the token's role, each drawn from the
// console's JSON APIs. No framework, no build step. Every figure carries a data-testid so the
// browser tests can compare what is shown with what the API returns. The field names it reads are
// those of the response schemas in src/api (tests/unit/console-web.test.ts checks each one).
// Markup is built only with the html`...` tag, which escapes every interpolated value unless it is
// itself an html`...` result; render() and append() are the only places that touch innerHTML. No
// inline script or style anywhere: the page runs under `script-src 'self'; style-src 'self'`.
const $ = (sel) => document.querySelector(sel);

/** A piece of markup that html`...` built; nothing else is ever inserted as HTML. */
class Html {
  constructor(text) {
    this.text = text;
    Object.freeze(this);
  }
}
const ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;", "`": "&#96;" };
const escape = (v) => String(v ?? "").replace(/[&<>"'`]/g, (c) => ESCAPES[c]);
const part = (v) => (v instanceof Html ? v.text : Array.isArray(v) ? v.map(part).join("") : escape(v));
/** Tagged template: `html\`<td>${value}</td>\`` escapes value; html results and arrays of them go in as they are. */
function html(strings, ...values) {
  let out = strings[0];
  values.forEach((v, i) => (out += part(v) + strings[i + 1]));
  return new Html(out);
}
function render(el, h) {
  if (!(h instanceof Html)) throw new TypeError("render() takes html`...` only");
  el.innerHTML = h.text;
}
function append(el, h) {
  if (!(h instanceof Html)) throw new TypeError("append() takes html`...` only");
  el.insertAdjacentHTML("beforeend", h.text);
}

const token = () => sessionStorage.getItem("liaison-token") ?? "";

async function api(path, opts = {}) {
  const res = await fetch(path, { ...opts, headers: { authorization: `Bearer ${token()}`, ...(opts.headers ?? {}) } });
  if (!res.ok) {
    let detail = `${res.status}`;
    try {
      const p = await res.json();
      detail = `${p.code ?? res.status}: ${p.detail ?? p.title ?? ""}`;
    } catch {
      // not problem+json: the status says enough
    }
    throw new Error(detail);
  }
  return res;
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

/** A bar chart (inline SVG): one group per month, one bar per contact point. */
function barChart(title, testid, months, cps, valueOf) {
  const W = 340, H = 160, pad = 24;
  const max = Math.max(1, ...months.flatMap((m) => cps.map((cp) => valueOf(m, cp))));
  const gw = (W - pad) / Math.max(1, months.length);
  const bw = Math.max(3, (gw - 8) / Math.max(1, cps.length));
  // Colours by class (console.css .series-0 to .series-7): no inline style under the CSP.
  const series = (j) => `series-${j % 8}`;
  const bars = months.flatMap((m, i) =>
    cps.map((cp, j) => {
      const v = valueOf(m, cp);
      const h = ((H - pad) * v) / max;
      return html`<rect x="${pad + i * gw + j * bw}" y="${H - pad - h}" width="${bw - 1}" height="${h}" class="${series(j)}"><title>${cp} ${m}: ${v}</title></rect>`;
    }),
  );
  const labels = months.map((m, i) => html`<text x="${pad + i * gw}" y="${H - 8}">${m}</text>`);
  const legend = cps.map((cp, j) => html`<span class="${series(j)}">■</span> ${cp} `);
  return html`<div class="chart" data-testid="${testid}"><h3>${title}</h3><svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${title}"><text x="0" y="10">${max}</text>${bars}${labels}</svg><div>${legend}</div></div>`;
}

// ------------------------------------------------------------------ operations views
const views = {
  async usage(el) {
    const u = await json("/v1/usage");
    const months = [...new Set(u.months.map((m) => m.month))].sort();
    const cps = [...new Set(u.months.map((m) => m.cp))].sort();
    const at = (m, cp, f) => u.months.find((x) => x.month === m && x.cp === cp)?.[f] ?? 0;
    const total = (cp, f) => u.months.filter((x) => x.cp === cp).reduce((n, x) => n + x[f], 0);
    const charts = [
      ["Messages sent", "messagesSent"],
      ["Messages received", "messagesReceived"],
      ["Requests answered", "messagesAnswered"],
      ["CIS queries", "recordsQueried"],
      ["CIS hits", "recordHits"],
      ["FIDE queries", "filesQueried"],
    ]
      .map(([t, f]) => barChart(t, `chart-${f}`, months, cps, (m, cp) => at(m, cp, f)));
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
      html`<h2>Usage per contact point and month</h2><p>Generated ${when(u.generatedAt)} UTC. Counted from the access log.</p><div class="charts">${charts}</div>
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
      )}`,
    );
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
  async audit(el) {
    render(el, html`<h2>Access log</h2>
      <form class="inline" id="audit-form">
        <label>contact point <input name="authority" size="6"></label>
        <label>user <input name="userId" size="14"></label>
        <label>object type <input name="objectType" size="10"></label>
        <label>object id <input name="objectId" size="24"></label>
        <label>action <input name="action" size="12" placeholder="read, query, erase…"></label>
        <button type="submit">Search</button>
      </form><div id="audit-results"></div>`);
    const run = async () => {
      const f = new FormData(el.querySelector("#audit-form"));
      const q = new URLSearchParams();
      for (const [k, v] of f) if (v) q.set(k, String(v));
      q.set("limit", "100");
      q.set("order", "desc");
      const r = await json(`/v1/audit/events?${q}`);
      render(
        el.querySelector("#audit-results"),
        html`<p>Tree size <span data-testid="audit-tree-size">${r.treeSize}</span>; <span data-testid="audit-count">${r.events.length}</span> event(s) shown, newest first.</p>${eventsTable(r.events)}`,
      );
    };
    el.querySelector("#audit-form").addEventListener("submit", (e) => {
      e.preventDefault();
      run().catch(showError);
    });
    await run();
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
      <h3>Erasures by day, rule and supplier</h3>
      ${table([{ label: "day", value: (r) => r.day }, { label: "rule", value: (r) => r.rule }, { label: "supplier", value: (r) => r.supplier }, { label: "count", num: true, value: (r) => r.count }], c.erasures)}
      <h3>Legal holds</h3>
      ${table(
        [
          { label: "object", value: (r) => `${r.objectType} ${r.objectId}` },
          { label: "set by", value: (r) => r.setBy },
          { label: "reason", value: (r) => r.reason },
        ],
        c.holds,
        (r, col) => `holds-${r.objectId}-${col.label.replace(/\W+/g, "-")}`,
      )}
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

const TITLES = { usage: "Usage", dormant: "Dormant members", throughput: "Throughput", health: "Health", audit: "Access log", access: "Access report", compliance: "Erasure compliance", verification: "Tree heads", export: "Export" };
const current = { stop: undefined };

function showError(e) {
  append($("#view"), html`<p class="error" role="alert">${e.message}</p>`);
}

async function open(view) {
  current.stop?.();
  current.stop = undefined;
  for (const b of document.querySelectorAll("nav button")) b.toggleAttribute("aria-current", b.dataset.view === view);
  if (document.querySelector(`nav button[data-view="${view}"]`)) document.querySelector(`nav button[data-view="${view}"]`).setAttribute("aria-current", "page");
  const el = $("#view");
  render(el, html`<p>Loading…</p>`);
  el.dataset.view = view;
  history.replaceState(null, "", `#${view}`);
  try {
    await views[view](el);
    el.dataset.loaded = view;
  } catch (e) {
    render(el, html`<p class="error" role="alert" data-testid="view-error">${e.message}</p>`);
  }
}

async function start() {
  if (!token()) return;
  let session;
  try {
    session = await json("/v1/session");
  } catch (e) {
    sessionStorage.removeItem("liaison-token");
    $("#login-error").textContent = `Not accepted: ${e.message}`;
    return;
  }
  $("#login").hidden = true;
  $("#logout").hidden = false;
  $("#who").textContent = `${session.user} (${session.role})`;
  const nav = $("#nav");
  render(nav, html`${session.views.map((v) => html`<button data-view="${v}" data-testid="nav-${v}">${TITLES[v] ?? v}</button>`)}`);
  nav.hidden = false;
  for (const b of nav.querySelectorAll("button")) b.addEventListener("click", () => open(b.dataset.view));
  const wanted = location.hash.slice(1);
  await open(session.views.includes(wanted) ? wanted : session.views[0]);
}

$("#login").addEventListener("submit", (e) => {
  e.preventDefault();
  sessionStorage.setItem("liaison-token", $("#token").value.trim());
  $("#token").value = "";
  start();
});
$("#logout").addEventListener("click", () => {
  current.stop?.();
  sessionStorage.removeItem("liaison-token");
  location.hash = "";
  location.reload();
});
start();
