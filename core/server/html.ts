/**
 * Small HTML helpers for the server-rendered pages: a tagged template that escapes every interpolated value
 * (so run-record text can never inject markup), the page layout, and number/time formatting.
 *
 * @example
 * ```ts
 * import { html, raw } from "./html.ts";
 * const reason = "<script>";
 * String(html`<p>${reason}</p>`); // "<p>&lt;script&gt;</p>"
 * ```
 *
 * @module
 */
import { redact } from "../redact.ts";

/** Markup that is already safe; only `html` and `raw` make one. */
export class Html {
  /** Wrap markup that is already safe. */
  constructor(readonly value: string) {}
  /** The markup. */
  toString(): string {
    return this.value;
  }
}

/** Trusted markup (constants only, never data). */
export function raw(value: string): Html {
  return new Html(value);
}

/** Escape text for HTML content and attribute values; every text passes through `redact` too. */
export function escapeHtml(text: string): string {
  return redact(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

type Value = Html | string | number | boolean | null | undefined | Value[];

function render(value: Value): string {
  if (value === null || value === undefined || value === false) return "";
  if (value instanceof Html) return value.value;
  if (Array.isArray(value)) return value.map(render).join("");
  return escapeHtml(String(value));
}

/** Tagged template: literal parts are markup, interpolations are escaped (arrays joined, `Html` kept). */
export function html(strings: TemplateStringsArray, ...values: Value[]): Html {
  let out = strings[0];
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1];
  return new Html(out);
}

/** `12345` → `12,345` (counts; run numbers are printed plain). */
export function count(n: number): string {
  return n.toLocaleString("en-US");
}

/** Bytes in a human unit. */
export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let value = n / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

/** ISO time shown as `2026-11-29 14:30:05 UTC`. */
export function when(iso: string | undefined | null): string {
  if (!iso) return "";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return date.toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC");
}

/** The page frame: head with the stylesheet and script, a header bar, and the body. */
export function layout(title: string, body: Html, options: { version?: number } = {}): string {
  return html`
    <!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>${title}</title>
        <link rel="icon" href="data:,">
        <link rel="stylesheet" href="/static/app.css">
        <script src="/static/app.js" defer></script>
      </head>
      <body data-version="${options.version ?? 0}">
        <header class="bar">
          <a class="brand" href="/">Run Record Archiver</a>
          <span class="live" id="live" title="The page refreshes itself when the archiver makes progress">live</span>
        </header>
        <main>
        ${body}
            </main>
      </body>
    </html>
  `.value;
}
