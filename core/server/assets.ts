/**
 * The page's stylesheet and script, served from memory (`/static/app.css`, `/static/app.js`): no build step, no
 * external resource. The script only swaps server-rendered fragments in, so it stays a few dozen lines:
 * it polls `/api/status` and reloads the summary and the run table when the version changes, applies the filter
 * without a page load (keeping the URL shareable), and copies retry commands.
 *
 * @module
 */

/** `/static/app.css`. */
export const APP_CSS = `
:root { --fg:#1d2430; --muted:#667085; --line:#e4e7ec; --bg:#f6f7f9; --card:#fff; --accent:#2563eb;
  --waiting:#94a3b8; --imported:#3b82f6; --failed:#dc2626; --archived:#16a34a; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.45 "DejaVu Sans", system-ui, sans-serif; color:var(--fg); background:var(--bg); }
a { color:var(--accent); text-decoration:none; } a:hover { text-decoration:underline; }
.bar { display:flex; align-items:center; gap:12px; padding:10px 24px; background:#111827; color:#fff; }
.brand { color:#fff; font-weight:bold; font-size:16px; }
.live { margin-left:auto; font-size:12px; color:#9ca3af; } .live::before { content:"●"; margin-right:5px; color:#22c55e; }
.live.stale::before { color:#f59e0b; }
main { max-width:1200px; margin:0 auto; padding:16px 24px 48px; }
h1 { font-size:22px; margin:8px 0 16px; } h2 { font-size:16px; margin:0 0 10px; }
.card { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:14px 16px; margin:14px 0; }
.muted { color:var(--muted); } .small { font-size:12px; } .mono, code, pre { font-family:"DejaVu Sans Mono", monospace; }
.updated { font-size:12px; margin-bottom:8px; } .updated .running { color:#166534; font-weight:bold; }
.sources { display:grid; grid-template-columns:repeat(3,1fr); gap:12px; }
.source { background:var(--card); border:1px solid var(--line); border-left:4px solid var(--archived); border-radius:8px;
  padding:10px 12px; min-width:0; }
.source.down { border-left-color:var(--failed); }
.source .small { white-space:nowrap; overflow:hidden; text-overflow:ellipsis; }
.source-head { display:flex; justify-content:space-between; align-items:center; }
.badge { font-size:11px; padding:1px 8px; border-radius:10px; } .badge.ok { background:#dcfce7; color:#166534; }
.badge.bad { background:#fee2e2; color:#991b1b; }
.error, .alert { color:#991b1b; } .alert { background:#fef2f2; border:1px solid #fecaca; padding:8px 10px; border-radius:6px; }
.ok-text { color:#166534; }
.counts { display:grid; grid-template-columns:repeat(4,1fr); gap:12px; margin-top:14px; }
.count { display:flex; flex-direction:column; background:var(--card); border:1px solid var(--line); border-radius:8px;
  padding:12px 14px; color:var(--fg); border-top:4px solid var(--waiting); }
.count:hover { text-decoration:none; box-shadow:0 1px 4px rgba(0,0,0,.08); }
.count .n { font-size:26px; font-weight:bold; } .count .hint { font-size:12px; color:var(--muted); }
.count.state-imported { border-top-color:var(--imported); } .count.state-failed { border-top-color:var(--failed); }
.count.state-archived { border-top-color:var(--archived); }
.progress { display:flex; height:10px; border-radius:5px; overflow:hidden; margin-top:12px; background:var(--line); }
.progress span.state-waiting { background:var(--waiting); } .progress span.state-imported { background:var(--imported); }
.progress span.state-failed { background:var(--failed); } .progress span.state-archived { background:var(--archived); }
.chart { margin:0; } .chart svg { width:100%; height:220px; display:block; }
.chart .grid { stroke:var(--line); } .chart .axis { font-size:11px; fill:var(--muted); }
.s-imported { fill:var(--imported); background:var(--imported); } .s-migrated { fill:var(--archived); background:var(--archived); }
.s-failed { fill:var(--failed); background:var(--failed); }
figcaption { font-size:12px; margin-top:4px; } .key { display:inline-block; width:10px; height:10px; border-radius:2px;
  margin:0 4px 0 10px; vertical-align:-1px; }
table { width:100%; border-collapse:collapse; } th, td { text-align:left; padding:6px 8px; border-bottom:1px solid var(--line);
  vertical-align:top; } th { font-size:12px; color:var(--muted); font-weight:normal; text-transform:uppercase; }
tbody tr:hover { background:#f9fafb; } td.reason { max-width:560px; overflow-wrap:anywhere; }
.pill { display:inline-block; font-size:12px; padding:1px 9px; border-radius:10px; color:#fff; background:var(--waiting);
  white-space:nowrap; vertical-align:middle; font-weight:normal; }
.pill.state-imported { background:var(--imported); } .pill.state-failed { background:var(--failed); }
.pill.state-archived { background:var(--archived); }
.filters { display:flex; gap:8px; margin-bottom:10px; } .filters input { flex:1; }
input, select, button { font:inherit; padding:6px 10px; border:1px solid #cbd5e1; border-radius:6px; background:#fff; }
button { cursor:pointer; background:#f1f5f9; } button:hover { background:#e2e8f0; }
.pager { display:flex; gap:16px; align-items:center; justify-content:flex-end; margin-top:10px; }
.retry { display:flex; gap:8px; align-items:center; margin:6px 0 10px; flex-wrap:wrap; }
.cmd { background:#0f172a; color:#e2e8f0; padding:4px 10px; border-radius:6px; }
.grid2 { display:grid; grid-template-columns:1fr 1fr; gap:14px; } .grid2 .card { margin:0; }
.history { margin:0; padding-left:20px; } .history li { margin-bottom:6px; }
.facts { display:grid; grid-template-columns:max-content 1fr; gap:4px 14px; margin:0; } .facts dt { color:var(--muted); }
.facts dd { margin:0; overflow-wrap:anywhere; }
.browser { display:grid; grid-template-columns:300px 1fr; gap:12px; align-items:start; }
.file-list { display:flex; flex-direction:column; border:1px solid var(--line); border-radius:6px; max-height:640px;
  overflow:auto; }
.file-list > a, .file-list > .binary { display:flex; justify-content:space-between; gap:8px; padding:5px 10px;
  border-bottom:1px solid var(--line); font-size:13px; } .file-list > :last-child { border-bottom:0; }
.file-list > a.selected { background:#eff6ff; font-weight:bold; } .file-list > a:hover { background:#f8fafc; text-decoration:none; }
.file-view { border:1px solid var(--line); border-radius:6px; min-width:0; }
.file-view .pick { padding:10px; margin:0; }
.file-head { display:flex; justify-content:space-between; padding:6px 10px; background:#f8fafc; border-bottom:1px solid var(--line); }
.file-view pre { margin:0; padding:10px; max-height:600px; overflow:auto; font-size:12px; white-space:pre; }
.compare-link { font-weight:normal; margin-left:8px; }
.diff-file { border:1px solid var(--line); border-radius:6px; margin-top:12px; }
pre.diff { margin:0; padding:8px 0; font-size:12px; overflow:auto; max-height:600px; }
pre.diff span { display:block; padding:0 10px; white-space:pre; } pre.diff .add { background:#dcfce7; }
pre.diff .del { background:#fee2e2; } pre.diff .hunk { color:#6d28d9; background:#f5f3ff; } pre.diff .name { color:var(--muted); }
@media (max-width: 800px) { .sources, .counts, .grid2, .browser { grid-template-columns:1fr; } }
`;

/** `/static/app.js`. */
export const APP_JS = `"use strict";
(() => {
  const live = document.getElementById("live");
  let version = Number(document.body.dataset.version || 0);
  const POLL_MS = version === -1 ? 2000 : 5000;

  async function swap(el, url) {
    const response = await fetch(url, { headers: { accept: "text/html" } });
    if (!response.ok) throw new Error(url + ": " + response.status);
    el.innerHTML = await response.text();
  }

  function runsUrl() {
    const form = document.getElementById("run-filter");
    const params = new URLSearchParams(form ? new FormData(form) : undefined);
    const current = new URLSearchParams(location.search);
    for (const key of ["offset", "limit"]) if (current.get(key)) params.set(key, current.get(key));
    if (params.get("state") === "all") params.delete("state");
    if (!params.get("q")) params.delete("q");
    return params;
  }

  async function reloadRuns(params) {
    const runs = document.getElementById("runs");
    if (!runs) return;
    await swap(runs, "/fragments/runs?" + params.toString());
    const query = params.toString();
    history.replaceState(null, "", location.pathname + (query ? "?" + query : "") + location.hash);
  }

  const form = document.getElementById("run-filter");
  if (form) {
    let timer = 0;
    const apply = () => { const p = runsUrl(); p.delete("offset"); reloadRuns(p).catch(console.error); };
    form.addEventListener("submit", (event) => { event.preventDefault(); apply(); });
    form.addEventListener("change", apply);
    form.q.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(apply, 300); });
  }

  document.addEventListener("click", (event) => {
    const copy = event.target.closest("button.copy");
    if (copy) {
      navigator.clipboard?.writeText(copy.dataset.copy).then(() => { copy.textContent = "Copied"; },
        () => { copy.textContent = "Select and copy"; });
      return;
    }
    const stateLink = event.target.closest("a.count[data-state]");
    if (stateLink && form) {
      event.preventDefault();
      form.state.value = stateLink.dataset.state;
      form.q.value = "";
      const p = runsUrl(); p.delete("offset");
      reloadRuns(p).then(() => document.getElementById("runs-title").scrollIntoView()).catch(console.error);
      return;
    }
    const pageLink = event.target.closest(".pager a");
    if (pageLink && document.getElementById("runs")) {
      event.preventDefault();
      const url = new URL(pageLink.href);
      reloadRuns(url.searchParams).catch(console.error);
    }
  });

  async function poll() {
    try {
      const response = await fetch("/api/status?brief=1", { headers: { accept: "application/json" } });
      if (response.status === 503) return; // still starting
      if (!response.ok) throw new Error("status " + response.status);
      const status = await response.json();
      live.classList.remove("stale");
      live.textContent = "live";
      if (version === -1) {
        location.reload(); // the "starting" page: the server is ready now
        return;
      }
      if (status.version !== version) {
        version = status.version;
        document.body.dataset.version = String(version);
        const summary = document.getElementById("summary");
        if (summary) await swap(summary, "/fragments/summary");
        if (document.getElementById("runs")) await reloadRuns(runsUrl());
      }
    } catch (error) {
      live.classList.add("stale");
      live.textContent = "reconnecting";
    } finally {
      setTimeout(poll, POLL_MS);
    }
  }
  setTimeout(poll, POLL_MS);
})();
`;
