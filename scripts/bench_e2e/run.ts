/**
 * One archiver invocation, exactly as an operator runs it (`deno run -A cli.ts <config> --json ...`, a child
 * process), timed from spawn to exit, with its peak resident set size read from `/proc/<pid>/status` (`VmHWM`, the
 * kernel's high-water mark, so sampling cannot miss a peak that happened between reads — only growth in the last
 * sampling interval before exit).
 *
 * @module
 */
import { join } from "node:path";
import { ARCHIVER_ENV, ARCHIVER_V8_FLAGS } from "../../core/cli/v8_flags.ts";
import { REPO_ROOT } from "../../core/paths.ts";
import type { RunSummary } from "../../core/pipeline/summary.ts";

/** Outcome of one invocation. */
export interface ArchiverRun {
  exitCode: number;
  wallSeconds: number;
  peakRssBytes: number;
  /** CPU seconds (user + system) of the archiver process, from the kernel's accounting of reaped children. */
  cpuSeconds: number;
  /** The `--json` summary, when the invocation printed one. */
  summary: RunSummary | null;
  /** The last log lines (stderr), for failures. */
  logTail: string;
}

/** `VmHWM` of a live process in bytes, or null once it is gone. */
async function peakRss(pid: number): Promise<number | null> {
  try {
    const status = await Deno.readTextFile(`/proc/${pid}/status`);
    const match = /^VmHWM:\s+(\d+)\s+kB/m.exec(status);
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** User + system CPU seconds of this process's reaped children (`cutime` + `cstime` of /proc/self/stat). */
function childrenCpuSeconds(): number {
  const stat = Deno.readTextFileSync("/proc/self/stat");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // fields[0] is field 3 (state); cutime and cstime are fields 16 and 17, in clock ticks (USER_HZ = 100 on Linux).
  return (Number(fields[13]) + Number(fields[14])) / 100;
}

/** Collects a stream, keeping only its last `limit` bytes (log output can be large). */
async function tail(stream: ReadableStream<Uint8Array>, limit: number): Promise<string> {
  let kept = new Uint8Array(0);
  for await (const chunk of stream) {
    const joined = new Uint8Array(Math.min(limit, kept.length + chunk.length));
    const all = kept.length + chunk.length;
    const skip = all - joined.length;
    if (skip < kept.length) {
      joined.set(kept.subarray(skip), 0);
      joined.set(chunk, kept.length - skip);
    } else joined.set(chunk.subarray(skip - kept.length), 0);
    kept = joined;
  }
  return new TextDecoder().decode(kept);
}

/** {@link ARCHIVER_ENV} but for the names this process's environment sets (added to the inherited environment). */
function taskEnv(): Record<string, string> {
  return Object.fromEntries(Object.entries(ARCHIVER_ENV).filter(([name]) => Deno.env.get(name) === undefined));
}

/**
 * Runs the archiver CLI on `config` with `extraArgs` as the `archive` task does (with {@link ARCHIVER_V8_FLAGS} and
 * {@link ARCHIVER_ENV}; a name of the latter set in this process's environment keeps its value, so
 * `MALLOC_ARENA_MAX=16 deno task bench:e2e …` measures glibc's default); `cpuProfDir` adds V8 CPU profiling;
 * `v8Flags` replaces the task's V8 flags (to try other heap settings; `""` runs with V8's defaults).
 */
export async function runArchiver(
  config: string,
  extraArgs: string[],
  options: { cpuProfDir: string | null; v8Flags?: string | null },
): Promise<ArchiverRun> {
  const profile = options.cpuProfDir ? ["--cpu-prof", `--cpu-prof-dir=${options.cpuProfDir}`] : [];
  const v8Flags = options.v8Flags ?? ARCHIVER_V8_FLAGS;
  if (v8Flags) profile.push(`--v8-flags=${v8Flags}`);
  const cpuBefore = childrenCpuSeconds();
  const started = performance.now();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", ...profile, join(REPO_ROOT, "cli.ts"), config, "--json", ...extraArgs],
    cwd: REPO_ROOT,
    env: taskEnv(),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let peak = 0;
  let running = true;
  const sampler = (async () => {
    while (running) {
      const value = await peakRss(child.pid);
      if (value !== null) peak = Math.max(peak, value);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
  const [stdout, logTail, status] = await Promise.all([
    new Response(child.stdout).text(),
    tail(child.stderr, 8192),
    child.status,
  ]);
  const wallSeconds = (performance.now() - started) / 1000;
  const cpuSeconds = childrenCpuSeconds() - cpuBefore;
  running = false;
  await sampler;
  let summary: RunSummary | null = null;
  for (const line of stdout.split("\n").reverse()) {
    if (!line.startsWith("{")) continue;
    try {
      summary = JSON.parse(line) as RunSummary;
      break;
    } catch {
      // not the summary line
    }
  }
  return { exitCode: status.code, wallSeconds, peakRssBytes: peak, cpuSeconds, summary, logTail };
}
