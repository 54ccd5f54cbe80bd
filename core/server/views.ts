/**
 * The status pages, rendered on the server. The summary and the run table are also served alone as fragments
 * (`/fragments/summary`, `/fragments/runs`): the page's script swaps them in when the status changes or a filter
 * is applied, so every piece of markup is written once, here.
 *
 * @module
 */
import { RUN_STATES, type RunPage, type RunQuery, type RunRow, type RunState } from "../status/run_index.ts";
import { SOURCE_KEYS } from "../status/sources.ts";
import { bytes, count, type Html, html, layout, raw, when } from "./html.ts";
import { throughputChart } from "./chart.ts";
import type { RunDetail, StatusPicture, StatusService } from "./service.ts";
import type { RunComparison } from "../status/compare.ts";

const STATE_LABELS: Record<RunState, { title: string; hint: string }> = {
  waiting: { title: "Waiting for import", hint: "in the run records, not yet in artdaqDB" },
  imported: { title: "Waiting for migration", hint: "in artdaqDB, not yet in UconDB" },
  failed: { title: "Failed", hint: "an import or migration failed; see the reason below" },
  archived: { title: "Archived", hint: "in UconDB and verified" },
};

/** Characters of a file shown inline on the run page. */
const MAX_SHOWN_CHARS = 1_000_000;

const SOURCE_LABELS = { filesystem: "Run records", artdaqdb: "artdaqDB", ucondb: "UconDB" } as const;

/** The home page: summary and run table. */
export function homePage(service: StatusService, query: RunQuery): string {
  const picture = service.current();
  const body = html`<section id="summary" data-fragment="/fragments/summary">${summaryFragment(service)}</section>
<section class="card" aria-labelledby="runs-title">
  <h2 id="runs-title">Runs</h2>
  ${runFilterForm(query)}
  <div id="runs" data-fragment="/fragments/runs">${runTableFragment(picture.index.query(query), query)}</div>
</section>`;
  return layout("Run Record Archiver — status", body, { version: picture.version });
}

/** Sources, stage counts, chart and failures. */
export function summaryFragment(service: StatusService): Html {
  const picture = service.current();
  const counts = picture.index.counts();
  const total = picture.index.size;
  return html`
    <div class="updated muted">${archiverLine(picture)} · last change ${when(picture.refreshedAt)} · ${count(
      total,
    )} runs known</div>
    ${picture.stateError ? html`<p class="alert">State files unreadable: ${picture.stateError}</p>` : ""}
    <div class="sources">${SOURCE_KEYS.map((key) => sourceCard(picture, key))}</div>
    <div class="counts">${RUN_STATES.map((state) =>
      html`<a class="count state-${state}" href="/?state=${state}#runs-title" data-state="${state}">
  <span class="n">${count(counts[state])}</span>
  <span class="label">${STATE_LABELS[state].title}</span>
  <span class="hint">${STATE_LABELS[state].hint}</span>
</a>`
    )}</div>
    ${progressBar(counts, total)}
    <section class="card">
      <h2>Throughput</h2>
      ${throughputChart(service.throughput())}
    </section>
    ${failuresCard(service, picture)}
  `;
}

function archiverLine(picture: StatusPicture): Html {
  const { pid, running, inFlight } = picture.archiver;
  if (running === true) {
    const work = [
      inFlight.import ? `importing ${count(inFlight.import)}` : "",
      inFlight.migrate ? `migrating ${count(inFlight.migrate)}` : "",
    ].filter(Boolean).join(", ");
    return html`<span class="running">Archiver running (PID ${pid})${work ? `: ${work} run(s)` : ""}</span>`;
  }
  if (running === false) return html`<span>Archiver not running</span>`;
  return html`<span>Archiver state unknown</span>`;
}

function sourceCard(picture: StatusPicture, key: (typeof SOURCE_KEYS)[number]): Html {
  const source = picture.sources[key];
  const runs = source.runs;
  return html`<div class="source ${source.reachable ? "up" : "down"}">
  <div class="source-head"><b>${SOURCE_LABELS[key]}</b>
    <span class="badge ${source.reachable ? "ok" : "bad"}">${
    source.reachable ? "reachable" : "unreachable"
  }</span></div>
  <div class="muted small" title="${source.description}">${source.description}</div>
  ${
    source.reachable
      ? html`<div>${count(runs.length)} runs${
        runs.length
          ? html`
            · ${runs[0]}–${runs[runs.length - 1]}
          `
          : ""
      }</div>`
      : html`<div class="error">${source.error ?? ""}</div>`
  }
</div>`;
}

function progressBar(counts: Record<RunState, number>, total: number): Html {
  if (total === 0) return html`<p class="muted">No runs found yet.</p>`;
  return html`<div class="progress" role="img" aria-label="${RUN_STATES.map((s) => `${counts[s]} ${s}`).join(", ")}">${
    RUN_STATES.map((state) =>
      counts[state]
        ? html`<span class="state-${state}" style="width:${(100 * counts[state] / total).toFixed(3)}%"></span>`
        : ""
    )
  }</div>`;
}

function failuresCard(service: StatusService, picture: StatusPicture): Html {
  const page = picture.index.query({ state: "failed", limit: 10 });
  const retries = service.retryCommands();
  if (page.total === 0 && retries.length === 0) {
    return html`
      <section class="card">
        <h2>Failures</h2>
        <p class="ok-text">No failed runs.</p>
      </section>
    `;
  }
  return html`<section class="card failures">
  <h2>Failures <span class="pill state-failed">${count(page.total)}</span></h2>
  ${
    retries.map((r) =>
      html`<div class="retry"><span>Retry the ${count(r.count)} failed ${r.stage} run(s):</span>
<code class="cmd">${r.command}</code><button type="button" class="copy" data-copy="${r.command}">Copy</button></div>`
    )
  }
  <table class="runs"><thead><tr><th>Run</th><th>Stage</th><th>Reason</th><th>Attempts</th><th>Last failure</th></tr></thead>
  <tbody>${page.items.map(failureRow)}</tbody></table>
  ${
    page.total > page.items.length
      ? html`<p><a href="/?state=failed#runs-title">All ${count(page.total)} failed runs →</a></p>`
      : ""
  }
</section>`;
}

function failureRow(row: RunRow): Html {
  const f = row.failure;
  return html`
    <tr>
      <td><a href="/runs/${row.run}">${row.run}</a></td>
      <td>${f?.stage ?? ""}</td>
      <td class="reason">${f?.reason ?? ""}</td>
      <td>${f?.attempts ?? ""}</td>
      <td>${when(f?.at)}</td>
    </tr>
  `;
}

function runFilterForm(query: RunQuery): Html {
  const current = query.state ?? "all";
  return html`<form class="filters" id="run-filter" action="/" method="get">
  <input type="search" name="q" value="${query.search ?? ""}" placeholder="Run number, range (100-200) or failure text"
    aria-label="Search runs" autocomplete="off">
  <select name="state" aria-label="Filter by state">
    <option value="all"${raw(current === "all" ? " selected" : "")}>All states</option>
    ${
    RUN_STATES.map((state) =>
      html`
        <option value="${state}" ${raw(current === state ? " selected" : "")}>${STATE_LABELS[state].title}</option>
      `
    )
  }
  </select>
  <button type="submit">Filter</button>
</form>`;
}

/** The run table with its pager. */
export function runTableFragment(page: RunPage, query: RunQuery): Html {
  const first = page.total === 0 ? 0 : page.offset + 1;
  const last = page.offset + page.items.length;
  const link = (offset: number) => {
    const params = new URLSearchParams();
    if (query.state && query.state !== "all") params.set("state", query.state);
    if (query.search) params.set("q", query.search);
    if (offset > 0) params.set("offset", String(offset));
    if (page.limit !== 50) params.set("limit", String(page.limit));
    const text = params.toString();
    return `/${text ? `?${text}` : ""}#runs-title`;
  };
  const pager = html`<nav class="pager" aria-label="Pages">
  <span class="muted" id="runs-range">${count(first)}–${count(last)} of ${count(page.total)}</span>
  ${page.offset > 0 ? html`<a href="${link(Math.max(0, page.offset - page.limit))}" rel="prev">← Newer</a>` : ""}
  ${last < page.total ? html`<a href="${link(page.offset + page.limit)}" rel="next">Older →</a>` : ""}
</nav>`;
  if (page.total === 0) return html`<p class="muted empty">No runs match.</p>${pager}`;
  return html`
    <table class="runs" id="run-table">
      <thead>
        <tr>
          <th>Run</th>
          <th>State</th>
          <th title="run records / artdaqDB / UconDB">Present in</th>
          <th>Details</th>
        </tr>
      </thead>
      <tbody>${page.items.map(runRow)}</tbody>
    </table>${pager}
  `;
}

function runRow(row: RunRow): Html {
  const where = [row.onFilesystem && "run records", row.inArtdaqdb && "artdaqDB", row.inUcondb && "UconDB"].filter(
    Boolean,
  ).join(" · ");
  const detail = row.inProgress
    ? `${row.inProgress === "import" ? "importing" : "migrating"} now`
    : row.failure
    ? `${row.failure.stage}: ${row.failure.reason}`
    : row.awaitingStopTime
    ? "imported without stop time; update pending"
    : "";
  return html`
    <tr data-run="${row.run}">
      <td><a href="/runs/${row.run}">${row.run}</a></td>
      <td><span class="pill state-${row.state}">${STATE_LABELS[row.state].title}</span></td>
      <td class="muted">${where}</td>
      <td class="reason">${detail}</td>
    </tr>
  `;
}

/** The page of one run, optionally showing one of its blob files. */
export function runPage(
  service: StatusService,
  detail: RunDetail,
  file?: { path: string; text: string | null },
): string {
  const row = detail.run;
  const body = html`
    <p><a href="/">← All runs</a></p>
    <h1>Run ${row.run} <span class="pill state-${row.state}">${STATE_LABELS[row.state].title}</span></h1>
    <div class="grid2">
      <section class="card">
      <h2>Stages</h2>
      <ol class="history">${detail.history.map((h) =>
        html`<li><b>${h.stage}</b>: ${h.status}${
          h.at
            ? html`
              <span class="muted">(${when(h.at)})</span>
            `
            : ""
        }${h.detail ? html`<div class="reason">${h.detail}</div>` : ""}</li>`
      )}</ol>
      ${detail.retryCommands.map((command) =>
        html`<div class="retry"><span>Retry this run:</span><code class="cmd">${command}</code>
<button type="button" class="copy" data-copy="${command}">Copy</button></div>`
      )}
      </section>
      <section class="card">
        <h2>Where it is</h2>
        <dl class="facts">
        <dt>Run records</dt><dd>${row.onFilesystem ? "yes" : "no"}</dd>
        <dt>artdaqDB</dt><dd>${row.inArtdaqdb
          ? `yes${detail.configuration ? ` — ${detail.configuration}` : ""}`
          : "no"}</dd>
        <dt>UconDB</dt><dd>${detail.blob.present
          ? `yes — ${bytes(detail.blob.size ?? 0)}${detail.blob.adler32 ? `, adler32 ${detail.blob.adler32}` : ""}`
          : "no"}</dd>
        ${detail.blob.createdAt
          ? html`
            <dt>Stored</dt>
            <dd>${when(detail.blob.createdAt)}</dd>
          `
          : ""}
        ${detail.manifest.stopTime !== undefined || detail.manifest.startTime !== undefined
          ? html`
            <dt>Start / stop</dt>
            <dd>${detail.manifest.startTime ?? "?"} / ${detail.manifest.stopTime ?? "no stop time yet"}</dd>
          `
          : ""}
      </dl>
      </section>
    </div>
    <section class="card">
      <h2>Archived files <span class="muted small">(from the UconDB blob)</span>${detail.blob.present && row.inArtdaqdb
        ? html`
          <a class="small compare-link" href="/runs/${row.run}/compare">Compare with artdaqDB →</a>
        `
        : ""}</h2>
      ${detail.blob.error ? html`<p class="alert">${detail.blob.error}</p>` : ""}
      ${detail.blob.files.length
        ? fileBrowser(row.run, detail.blob.files, file)
        : html`<p class="muted">${detail.blob.present ? "The blob holds no files." : "Not in UconDB yet."}</p>`}
    </section>
    <section class="card">
      <h2>Source manifest <span class="muted small">(run record files with SHA-256)</span></h2>
      ${detail.manifest.error ? html`<p class="muted">${detail.manifest.error}</p>` : ""}
      ${detail.manifest.files.length
        ? html`
          <table class="files">
            <thead>
              <tr>
                <th>File</th>
                <th>Size</th>
                <th>SHA-256</th>
              </tr>
            </thead>
            <tbody>${detail.manifest.files.map((m) =>
              html`
                <tr>
                  <td>${m.path}</td>
                  <td>${bytes(m.size)}</td>
                  <td class="mono" title="${m.sha256}">${m.sha256.slice(0, 16)}…</td>
                </tr>
              `
            )}</tbody>
          </table>
        `
        : ""}
    </section>
  `;
  return layout(`Run ${row.run} — Run Record Archiver`, body, { version: service.current().version });
}

/** The blob's files on the left, the chosen file's text on the right. */
function fileBrowser(
  run: number,
  files: RunDetail["blob"]["files"],
  file: { path: string; text: string | null } | undefined,
): Html {
  const list = files.map((f) =>
    f.text
      ? html`
        <a href="/runs/${run}?file=${encodeURIComponent(f.path)}#file"
          ${raw(file?.path === f.path ? ' class="selected" aria-current="page"' : "")}><span>${f
            .path}</span><span class="muted">${bytes(f.size)}</span></a>
      `
      : html`<span class="binary"><span>${f.path}</span><span class="muted">binary, ${bytes(f.size)}</span></span>`
  );
  let view: Html;
  if (!file) {
    view = html`<p class="muted pick">Choose a file on the left to read it.</p>`;
  } else if (file.text === null) {
    view = html`<p class="alert">This run's blob has no text file named ${file.path}.</p>`;
  } else {
    const rawUrl = `/api/runs/${run}/files/${file.path.split("/").map(encodeURIComponent).join("/")}`;
    // A browser chokes on a 12 MB <pre>; the raw link has the whole file.
    const shown = file.text.length > MAX_SHOWN_CHARS ? file.text.slice(0, MAX_SHOWN_CHARS) : file.text;
    view = html`
      <div class="file-head"><b>${file.path}</b><a href="${rawUrl}">raw</a></div>
      ${shown.length < file.text.length
        ? html`<p class="alert">Showing the first ${count(MAX_SHOWN_CHARS)} of ${
          count(file.text.length)
        } characters; open “raw” for the whole file.</p>`
        : ""}
      <pre>${shown}</pre>
    `;
  }
  return html`
    <div class="browser">
      <nav class="file-list" id="blob-files" aria-label="Files">${list}</nav>
      <div class="file-view" id="file">${view}</div>
    </div>
  `;
}

const COMPARE_TITLES: Record<RunComparison["status"], string> = {
  matching: "identical in artdaqDB and UconDB",
  different: "artdaqDB and UconDB differ",
  missing_artdaqdb: "not in artdaqDB",
  missing_ucondb: "not in UconDB",
  failed: "could not be compared",
};

/** The artdaqDB-versus-UconDB comparison of one run, with a coloured unified diff per differing file. */
export function comparePage(service: StatusService, result: RunComparison): string {
  const ok = result.status === "matching";
  const body = html`<p><a href="/runs/${result.run}">← Run ${result.run}</a></p>
<h1>Run ${result.run}: ${COMPARE_TITLES[result.status]}
  <span class="pill ${ok ? "state-archived" : "state-failed"}">${
    ok ? "match" : result.status.replace("_", " ")
  }</span></h1>
<section class="card" id="comparison">
  <p>${count(result.matchingFiles)} file(s) identical byte for byte${
    result.configuration?.artdaqdb ? ` · configuration ${result.configuration.artdaqdb}` : ""
  }${result.legacyBlob ? " · blob written by the Python archiver (files matched by name)" : ""}.</p>
  ${result.error ? html`<p class="alert">${result.error}</p>` : ""}
  ${
    result.configuration?.ucondb && result.configuration.ucondb !== result.configuration.artdaqdb
      ? html`<p class="alert">The blob header names configuration ${result.configuration.ucondb}.</p>`
      : ""
  }
  ${
    result.files.map((file) =>
      html`<div class="diff-file"><div class="file-head"><b>${file.path}</b><span>${
        file.status === "missing_in_ucondb"
          ? "only in artdaqDB"
          : file.status === "extra_in_ucondb"
          ? "only in UconDB"
          : file.note ?? "content differs"
      }</span></div>${file.diff ? html`<pre class="diff">${diffLines(file.diff)}</pre>` : ""}</div>`
    )
  }
</section>`;
  return layout(`Run ${result.run}: comparison — Run Record Archiver`, body, { version: service.current().version });
}

function diffLines(diff: string): Html[] {
  return diff.trimEnd().split("\n").map((line) => {
    const kind = line.startsWith("@@")
      ? "hunk"
      : line.startsWith("+++") || line.startsWith("---")
      ? "name"
      : line.startsWith("+")
      ? "add"
      : line.startsWith("-")
      ? "del"
      : "same";
    // Block spans, one per line: no newline characters in between, or the <pre> would double-space.
    return html`<span class="${kind}">${line || " "}</span>`;
  });
}

/** Shown until the first listing completes; the script reloads the page when the server is ready. */
export function startingPage(message: string): string {
  return layout(
    "Starting — Run Record Archiver",
    html`
      <h1>Starting…</h1>
      <p class="muted">${message}.</p>
    `,
    {
      version: -1,
    },
  );
}

/** A plain page for 404s and bad requests. */
export function messagePage(title: string, message: string): string {
  return layout(
    title,
    html`
      <p><a href="/">← All runs</a></p>
      <h1>${title}</h1>
      <p>${message}</p>
    `,
  );
}
