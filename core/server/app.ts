/**
 * The status server's HTTP face (Hono): a read-only JSON API, Prometheus metrics, a health check and the status
 * pages. Built from a `StatusService`, so it is tested in-process with `app.request(...)`.
 *
 * Routes:
 * * `GET /healthz` — `{"ok": true, "ready": bool}` (no token needed, for load balancers and watchdogs);
 * * `GET /api/status` — sources, counts per state, stage progress, failures with retry commands, throughput;
 * * `GET /api/runs?state=&q=&offset=&limit=&order=` — the run table, filtered and paged on the server;
 * * `GET /api/runs/:run` — one run: stage history, failures, source manifest, blob file list;
 * * `GET /api/runs/:run/files/<path>` — one archived file of the run as text;
 * * `GET /api/runs/:run/compare` — the artdaqDB export against the UconDB blob, file by file, with diffs;
 * * `GET /metrics` — Prometheus text format;
 * * `GET /`, `GET /runs/:run[?file=<path>]`, `GET /runs/:run/compare` — the pages; `/fragments/summary|runs` — their live parts.
 *
 * With a token configured every route but `/healthz` needs `Authorization: Bearer <token>`, or the cookie that
 * `/?token=<token>` sets once for a browser. Every response body passes through `redact`.
 *
 * @example
 * ```ts
 * import { createApp } from "./app.ts";
 * const app = createApp({ service, token: null });
 * const response = await app.request("/api/status");
 * ```
 *
 * @module
 */
import { Hono } from "hono";
import type { Context, Next } from "hono";
import { timingSafeEqual } from "node:crypto";
import { redact, redactValue } from "../redact.ts";
import { MAX_PAGE, RUN_STATES, type RunQuery, type RunState } from "../status/run_index.ts";
import { SOURCE_KEYS } from "../status/sources.ts";
import { STAGES } from "../status/state_view.ts";
import { APP_CSS, APP_JS } from "./assets.ts";
import { PROMETHEUS_CONTENT_TYPE, prometheusText } from "./metrics.ts";
import type { StatusService } from "./service.ts";
import {
  comparePage,
  homePage,
  messagePage,
  runPage,
  runTableFragment,
  startingPage,
  summaryFragment,
} from "./views.ts";

/** Options of `createApp`. */
export interface AppOptions {
  /** The live status model every route reads. */
  service: StatusService;
  /** Bearer token required on every route but `/healthz`; null = open (bind to loopback then). */
  token: string | null;
}

const COOKIE = "archiver_status_token";
const SECURITY_HEADERS: Record<string, string> = {
  "content-security-policy":
    "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cache-control": "no-store",
};

/** The Hono app of the status server. */
export function createApp(options: AppOptions): Hono {
  const { service, token } = options;
  const app = new Hono();

  app.use("*", async (c, next) => {
    await next();
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) c.res.headers.set(name, value);
  });

  app.get("/healthz", (c) => c.json({ ok: true, ready: service.ready }));
  if (token) app.use("*", bearer(token));

  app.get("/static/app.css", (c) => c.body(APP_CSS, 200, { "content-type": "text/css; charset=utf-8" }));
  app.get("/static/app.js", (c) => c.body(APP_JS, 200, { "content-type": "text/javascript; charset=utf-8" }));

  // The server listens at once; until the first listing of the sources completes (a slow or unreachable UconDB
  // can take its full timeout) every other route says so instead of hanging.
  app.use("*", async (c, next) => {
    if (service.ready) return await next();
    const message = "starting: listing the run records, artdaqDB and UconDB for the first time";
    c.header("retry-after", "2");
    if (c.req.path.startsWith("/api/") || c.req.path === "/metrics") return json(c, { error: message }, 503);
    return c.html(startingPage(message), 503);
  });

  app.get("/api/status", (c) => {
    const picture = service.current();
    const body: Record<string, unknown> = {
      version: picture.version,
      refreshedAt: picture.refreshedAt,
      counts: picture.index.counts(),
      totalRuns: picture.index.size,
    };
    if (c.req.query("brief") === undefined) {
      body.sources = Object.fromEntries(SOURCE_KEYS.map((key) => {
        const s = picture.sources[key];
        return [key, {
          description: s.description,
          reachable: s.reachable,
          ...(s.error ? { error: s.error } : {}),
          runs: s.runs.length,
          first: s.runs[0] ?? null,
          last: s.runs.at(-1) ?? null,
          listingMs: Math.round(s.durationMs),
        }];
      }));
      body.stages = Object.fromEntries(STAGES.map((stage) => {
        const st = picture.states[stage];
        return [stage, {
          lastContiguousRun: st.lastContiguousRun,
          lastAttemptedRun: st.lastAttemptedRun,
          doneRuns: st.done.size,
          failedRuns: st.failures.size,
          ...(stage === "import" ? { pendingStopTimeUpdates: st.pendingUpdates.size } : {}),
          updatedAt: st.updatedAt,
        }];
      }));
      body.archiver = picture.archiver;
      body.retry = service.retryCommands();
      body.failures = picture.index.query({ state: "failed", limit: 20 }).items;
      body.throughput = service.throughput();
      if (picture.stateError) body.stateError = picture.stateError;
    }
    return json(c, body);
  });

  app.get("/api/runs", (c) => {
    const query = parseQuery(c);
    if (typeof query === "string") return json(c, { error: query }, 400);
    return json(c, service.current().index.query(query));
  });

  app.get("/api/runs/:run", async (c) => {
    const run = parseRun(c.req.param("run"));
    if (run === null) return json(c, { error: `'${c.req.param("run")}' is not a run number` }, 400);
    const detail = await service.runDetail(run);
    return detail ? json(c, detail) : json(c, { error: `run ${run} is not known to the archiver` }, 404);
  });

  app.get("/api/runs/:run/files/*", async (c) => {
    const run = parseRun(c.req.param("run"));
    const path = filePath(c.req.path, `/api/runs/${c.req.param("run")}/files/`);
    if (run === null || path === null) return json(c, { error: "expected /api/runs/<run>/files/<path>" }, 400);
    const file = await service.blobFile(run, path);
    if (!file) return json(c, { error: `run ${run} has no archived text file '${path}'` }, 404);
    return c.body(file.text, 200, { "content-type": "text/plain; charset=utf-8" });
  });

  app.get(
    "/metrics",
    (c) => c.body(prometheusText(service.current()), 200, { "content-type": PROMETHEUS_CONTENT_TYPE }),
  );

  app.get("/", (c) => {
    const query = parseQuery(c);
    if (typeof query === "string") return c.html(messagePage("Bad request", query), 400);
    return c.html(homePage(service, query));
  });
  app.get("/fragments/summary", (c) => c.html(summaryFragment(service).value));
  app.get("/fragments/runs", (c) => {
    const query = parseQuery(c);
    if (typeof query === "string") return c.html(`<p class="alert">${query}</p>`, 400);
    return c.html(runTableFragment(service.current().index.query(query), query).value);
  });

  app.get("/api/runs/:run/compare", async (c) => {
    const run = parseRun(c.req.param("run"));
    if (run === null) return json(c, { error: `'${c.req.param("run")}' is not a run number` }, 400);
    return json(c, await service.compare(run));
  });

  app.get("/runs/:run/compare", async (c) => {
    const run = parseRun(c.req.param("run"));
    if (run === null) return c.html(messagePage("Not a run", "Run numbers are whole numbers."), 400);
    return c.html(comparePage(service, await service.compare(run)));
  });

  app.get("/runs/:run", async (c) => {
    const run = parseRun(c.req.param("run"));
    if (run === null) return c.html(messagePage("Not a run", "Run numbers are whole numbers."), 400);
    const detail = await service.runDetail(run);
    if (!detail) return c.html(messagePage(`Run ${run}`, `Run ${run} is not known to the archiver.`), 404);
    const path = c.req.query("file");
    const file = path ? { path, text: (await service.blobFile(run, path))?.text ?? null } : undefined;
    return c.html(runPage(service, detail, file));
  });

  app.notFound((c) =>
    c.req.path.startsWith("/api/")
      ? json(c, { error: `no such endpoint: ${c.req.path}` }, 404)
      : c.html(messagePage("Not found", `Nothing at ${c.req.path}.`), 404)
  );
  app.onError((error, c) => {
    const message = redact(error.message.split("\n")[0]);
    return c.req.path.startsWith("/api/")
      ? json(c, { error: message }, 500)
      : c.html(messagePage("Error", message), 500);
  });
  return app;
}

function json(c: Context, body: unknown, status: 200 | 400 | 404 | 500 | 503 = 200): Response {
  return c.body(redact(JSON.stringify(redactValue(body))), status, { "content-type": "application/json" });
}

function parseRun(text: string): number | null {
  return /^\d{1,15}$/.test(text) ? Number(text) : null;
}

function filePath(requestPath: string, prefix: string): string | null {
  if (!requestPath.startsWith(prefix)) return null;
  try {
    const path = requestPath.slice(prefix.length).split("/").map(decodeURIComponent).join("/");
    return path ? path : null;
  } catch {
    return null;
  }
}

/** Run-table query from the URL, or a one-line error. */
function parseQuery(c: Context): RunQuery | string {
  const state = c.req.query("state") ?? "all";
  if (state !== "all" && !RUN_STATES.includes(state as RunState)) {
    return `unknown state '${state}'; use one of: all, ${RUN_STATES.join(", ")}`;
  }
  const number = (name: string, fallback: number, max: number) => {
    const text = c.req.query(name);
    if (text === undefined || text === "") return fallback;
    return /^\d+$/.test(text) && Number(text) <= max ? Number(text) : null;
  };
  const offset = number("offset", 0, Number.MAX_SAFE_INTEGER);
  const limit = number("limit", 50, MAX_PAGE);
  if (offset === null) return "offset must be a whole number";
  if (limit === null || limit === 0) return `limit must be a whole number from 1 to ${MAX_PAGE}`;
  const order = c.req.query("order") ?? "desc";
  if (order !== "asc" && order !== "desc") return "order must be 'asc' or 'desc'";
  return { state: state as RunState | "all", search: c.req.query("q") ?? "", offset, limit, order };
}

/** Bearer-token check (header, or the cookie a browser got from `/?token=`), constant-time. */
function bearer(token: string) {
  const expected = new TextEncoder().encode(token);
  const matches = (given: string | undefined | null) => {
    if (!given) return false;
    const bytes = new TextEncoder().encode(given);
    return bytes.length === expected.length && timingSafeEqual(bytes, expected);
  };
  return async (c: Context, next: Next) => {
    const header = c.req.header("authorization");
    const fromHeader = header?.startsWith("Bearer ") ? header.slice(7) : null;
    const fromCookie = cookie(c.req.header("cookie"), COOKIE);
    if (matches(fromHeader) || matches(fromCookie)) return await next();
    const fromQuery = c.req.query("token");
    if (matches(fromQuery) && c.req.method === "GET") {
      // A browser cannot send a bearer header on navigation: trade the query token for a cookie, then drop it
      // from the URL so it does not stay in the history.
      const url = new URL(c.req.url);
      url.searchParams.delete("token");
      return new Response(null, {
        status: 303,
        headers: {
          location: url.pathname + url.search,
          "set-cookie": `${COOKIE}=${encodeURIComponent(token)}; Path=/; HttpOnly; SameSite=Strict`,
        },
      });
    }
    return c.json({ error: "missing or wrong bearer token (Authorization: Bearer <status_server.token>)" }, 401, {
      "www-authenticate": "Bearer",
    });
  };
}

function cookie(header: string | undefined, name: string): string | null {
  for (const part of (header ?? "").split(";")) {
    const [key, ...rest] = part.trim().split("=");
    if (key === name) {
      try {
        return decodeURIComponent(rest.join("="));
      } catch {
        return null;
      }
    }
  }
  return null;
}
