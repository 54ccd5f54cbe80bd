/**
 * The throughput chart as inline SVG, rendered on the server (no chart library, no client-side drawing): one group
 * of bars per time bucket — runs imported, runs migrated, failures — with a labelled y axis and time ticks.
 *
 * @example
 * ```ts
 * import { throughputChart } from "./chart.ts";
 * const svg = throughputChart(service.throughput());
 * ```
 *
 * @module
 */
import type { ThroughputSeries } from "../status/throughput.ts";
import { count, type Html, html, raw } from "./html.ts";

const WIDTH = 960;
const HEIGHT = 220;
const LEFT = 48;
const BOTTOM = 26;
const TOP = 12;

const SERIES = [
  { key: "imported", label: "imported", className: "s-imported" },
  { key: "migrated", label: "migrated", className: "s-migrated" },
  { key: "failed", label: "failed", className: "s-failed" },
] as const;

/** The chart, with a legend and a text summary for screen readers. */
export function throughputChart(series: ThroughputSeries): Html {
  const buckets = series.buckets;
  const max = Math.max(1, ...buckets.flatMap((b) => [b.imported, b.migrated, b.failed]));
  const top = niceCeiling(max);
  const plotW = WIDTH - LEFT - 8;
  const plotH = HEIGHT - TOP - BOTTOM;
  const slot = plotW / Math.max(1, buckets.length);
  const bar = Math.max(1, (slot - 2) / SERIES.length);
  const y = (v: number) => TOP + plotH - (v / top) * plotH;
  const parts: string[] = [];
  for (const fraction of [0, 0.5, 1]) {
    const value = top * fraction;
    parts.push(
      `<line class="grid" x1="${LEFT}" x2="${WIDTH - 8}" y1="${y(value)}" y2="${y(value)}"/>`,
      `<text class="axis" x="${LEFT - 6}" y="${y(value) + 4}" text-anchor="end">${count(value)}</text>`,
    );
  }
  const tickEvery = Math.max(1, Math.round(buckets.length / 6));
  buckets.forEach((bucket, i) => {
    const x0 = LEFT + i * slot + 1;
    SERIES.forEach((s, k) => {
      const value = bucket[s.key];
      if (value <= 0) return;
      const h = Math.max(1, TOP + plotH - y(value));
      parts.push(
        `<rect class="${s.className}" x="${(x0 + k * bar).toFixed(1)}" y="${(TOP + plotH - h).toFixed(1)}" ` +
          `width="${bar.toFixed(1)}" height="${h.toFixed(1)}"><title>${timeLabel(bucket.start, series.bucketMs)}: ` +
          `${value} ${s.label}</title></rect>`,
      );
    });
    if (i % tickEvery === 0) {
      parts.push(
        `<text class="axis" x="${(x0 + slot / 2).toFixed(1)}" y="${HEIGHT - 8}" text-anchor="middle">` +
          `${timeLabel(bucket.start, series.bucketMs)}</text>`,
      );
    }
  });
  const totals = SERIES.map((s) => buckets.reduce((sum, b) => sum + b[s.key], 0));
  const span = describeSpan(series.bucketMs * buckets.length);
  const summary = `Last ${span}: ${totals[0]} imported, ${totals[1]} migrated, ${totals[2]} failed`;
  return html`
    <figure class="chart">
      <svg viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="${summary}"
        preserveAspectRatio="none">${raw(parts.join(""))}</svg>
      <figcaption>
      ${SERIES.map((s, k) =>
        html`
          <span class="key ${s.className}"></span>${s.label} <b>${count(totals[k])}</b>
        `
      )}
      <span class="muted">per ${describeSpan(series.bucketMs)}, last ${span}</span>
      </figcaption>
    </figure>
  `;
}

function niceCeiling(value: number): number {
  // Even steps keep the middle grid line on a whole number of runs.
  const magnitude = 10 ** Math.max(0, Math.floor(Math.log10(value)));
  for (const step of [2, 4, 6, 8, 10]) if (step * magnitude >= value) return step * magnitude;
  return 20 * magnitude;
}

function timeLabel(start: number, bucketMs: number): string {
  const iso = new Date(start).toISOString();
  return bucketMs >= 86_400_000
    ? iso.slice(5, 10)
    : bucketMs >= 6 * 3_600_000
    ? iso.slice(5, 13) + "h"
    : iso.slice(11, 16);
}

function describeSpan(ms: number): string {
  if (ms % 86_400_000 === 0) return ms === 86_400_000 ? "day" : `${ms / 86_400_000} days`;
  if (ms % 3_600_000 === 0) return ms === 3_600_000 ? "hour" : `${ms / 3_600_000} hours`;
  return ms === 60_000 ? "minute" : `${ms / 60_000} minutes`;
}
