/**
 * Line diff (Myers' O((N+M)·D) algorithm) and unified-diff output like `diff -u`, used by the artdaqDB-versus-UconDB
 * comparison to show exactly which lines of a file differ.
 *
 * @example
 * ```ts
 * import { unifiedDiff } from "./diff.ts";
 * const text = unifiedDiff("a\nb\nc\n", "a\nB\nc\n", { fromName: "artdaqdb/boot.fcl", toName: "ucondb/boot.fcl" });
 * // --- artdaqdb/boot.fcl
 * // +++ ucondb/boot.fcl
 * // @@ -1,3 +1,3 @@
 * //  a
 * // -b
 * // +B
 * //  c
 * ```
 *
 * @module
 */

/** One line of an edit script: kept (` `), removed (`-`) or added (`+`). */
export interface DiffLine {
  /** Kept, removed or added. */
  op: " " | "-" | "+";
  /** The line, without its newline. */
  text: string;
}

/** Options of `unifiedDiff`. */
export interface UnifiedDiffOptions {
  /** Name on the `---` line (default `a`). */
  fromName?: string;
  /** Name on the `+++` line (default `b`). */
  toName?: string;
  /** Lines of context around each change (default 3, as `diff -u`). */
  context?: number;
  /**
   * Upper bound on the edit distance explored; beyond it the whole differing middle is shown as removed+added.
   * Keeps pathological inputs (two unrelated 100,000-line files) from costing O(N·M).
   */
  maxEditDistance?: number;
}

/** Split text into lines, keeping the knowledge of whether the last line ended with a newline. */
export function splitLines(text: string): string[] {
  if (text === "") return [];
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  else lines[lines.length - 1] += "\n\\ No newline at end of file";
  return lines;
}

/** The shortest edit script turning `a` into `b`, as a sequence of kept/removed/added lines. */
export function diffLines(a: readonly string[], b: readonly string[], maxEditDistance = 2_000): DiffLine[] {
  let prefix = 0;
  while (prefix < a.length && prefix < b.length && a[prefix] === b[prefix]) prefix++;
  let suffix = 0;
  while (
    suffix < a.length - prefix && suffix < b.length - prefix &&
    a[a.length - 1 - suffix] === b[b.length - 1 - suffix]
  ) suffix++;
  const out: DiffLine[] = [];
  for (let i = 0; i < prefix; i++) out.push({ op: " ", text: a[i] });
  out.push(...myersMiddle(a.slice(prefix, a.length - suffix), b.slice(prefix, b.length - suffix), maxEditDistance));
  for (let i = a.length - suffix; i < a.length; i++) out.push({ op: " ", text: a[i] });
  return out;
}

function myersMiddle(a: readonly string[], b: readonly string[], maxD: number): DiffLine[] {
  const n = a.length;
  const m = b.length;
  // The edit distance is at least |n-m|: past the bound nothing but the fallback is possible.
  if (n === 0 || m === 0 || Math.abs(n - m) > maxD) return replaceAll(a, b);
  const max = Math.min(n + m, maxD);
  const offset = max + 1;
  const v = new Int32Array(2 * max + 3);
  // Only the diagonals -d-1..d+1 matter at step d: storing just those keeps memory O(D²) instead of O(D·(N+M)).
  const trace: Int32Array[] = [];
  for (let d = 0; d <= max; d++) {
    trace.push(v.slice(offset - d - 1, offset + d + 2));
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[offset + k - 1] < v[offset + k + 1])
        ? v[offset + k + 1]
        : v[offset + k - 1] + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) return backtrack(trace, a, b, d);
    }
  }
  return replaceAll(a, b);
}

function backtrack(trace: Int32Array[], a: readonly string[], b: readonly string[], dEnd: number): DiffLine[] {
  const out: DiffLine[] = [];
  let x = a.length;
  let y = b.length;
  for (let d = dEnd; d > 0; d--) {
    // trace[d] holds diagonals -d-1..d+1, so diagonal k sits at index k + d + 1.
    const v = trace[d];
    const base = d + 1;
    const k = x - y;
    const prevK = k === -d || (k !== d && v[base + k - 1] < v[base + k + 1]) ? k + 1 : k - 1;
    const prevX = v[base + prevK];
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) out.push({ op: " ", text: a[--x] }), y--;
    if (x === prevX) out.push({ op: "+", text: b[--y] });
    else out.push({ op: "-", text: a[--x] });
  }
  while (x > 0 && y > 0) out.push({ op: " ", text: a[--x] }), y--;
  return out.reverse();
}

function replaceAll(a: readonly string[], b: readonly string[]): DiffLine[] {
  return [...a.map((text) => ({ op: "-" as const, text })), ...b.map((text) => ({ op: "+" as const, text }))];
}

/**
 * A unified diff of two texts (`diff -u` layout, 3 lines of context), or "" when they are equal.
 */
export function unifiedDiff(from: string, to: string, options: UnifiedDiffOptions = {}): string {
  if (from === to) return "";
  const a = splitLines(from);
  const b = splitLines(to);
  const script = diffLines(a, b, options.maxEditDistance);
  const context = options.context ?? 3;
  const lines = [`--- ${options.fromName ?? "a"}`, `+++ ${options.toName ?? "b"}`];
  // Positions of the changes; hunks are the changes plus context, merged when their contexts touch.
  const changed: number[] = [];
  for (let i = 0; i < script.length; i++) if (script[i].op !== " ") changed.push(i);
  let h = 0;
  // Line numbers before script[cursor], advanced incrementally so that many hunks stay linear.
  let cursor = 0;
  let aLine = 0;
  let bLine = 0;
  while (h < changed.length) {
    const start = Math.max(0, changed[h] - context);
    let end = changed[h];
    while (h + 1 < changed.length && changed[h + 1] - end <= 2 * context + 1) end = changed[++h];
    h++;
    const stop = Math.min(script.length, end + context + 1);
    for (; cursor < start; cursor++) {
      if (script[cursor].op !== "+") aLine++;
      if (script[cursor].op !== "-") bLine++;
    }
    const aStart = aLine;
    const bStart = bLine;
    let aCount = 0;
    let bCount = 0;
    const body: string[] = [];
    for (let i = start; i < stop; i++) {
      const line = script[i];
      if (line.op !== "+") aCount++;
      if (line.op !== "-") bCount++;
      body.push(line.op + line.text);
    }
    lines.push(`@@ -${hunkStart(aStart, aCount)} +${hunkStart(bStart, bCount)} @@`, ...body);
  }
  return lines.join("\n") + "\n";
}

function hunkStart(start: number, count: number): string {
  const first = count === 0 ? start : start + 1;
  return count === 1 ? String(first) : `${first},${count}`;
}
