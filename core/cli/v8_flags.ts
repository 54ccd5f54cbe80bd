/**
 * The V8 setting every archiver process runs with: the `archive` and `serve` tasks of deno.json pass it as
 * `--v8-flags=…`, `deno task compile` builds it into the binary, and `bench:e2e` runs the archiver with it (a test
 * keeps the three in step).
 *
 * `--max-semi-space-size=8`: V8 sizes each isolate's young generation from the machine's memory (up to 64 MB
 * committed on a 24 GB host, and every busy isolate's grows to its maximum under the archiver's allocation pattern,
 * whatever it keeps alive); 8 MB semi-spaces (16 MB of young generation per isolate: the main thread and each
 * conversion thread) still hold what a conversion thread keeps alive while it converts a stretch of 256 KiB.
 *
 * Measured (BENCHMARKS.md, `bench:e2e`, tmpfs, 2 workers): round 4, 16 instead of V8's sizing: ~70 kB records, 3,000
 * runs: peak RSS 421 → 294 MB at less CPU. Round 10, 8 instead of 16, once a run's text no longer sat on the main
 * thread: 12 MB records, 10 runs 243–251 → 206–214 MB and 40 runs 271–281 → 237–253 MB at the same speed; ~70 kB
 * records, 3,000 runs the same runs per minute and CPU, 150–165 instead of 174–178 MB. (In round 9, with the text of
 * the runs in flight on the main thread, 8 cost small runs 3–5 %; in round 4, with whole runs per thread call,
 * smaller semi-spaces slowed the conversion threads by 30–60 %.)
 *
 * `--expose-gc`: lets the main thread's heap governor (core/heap.ts) run a full collection when its heap has grown
 * well beyond what is alive, which bounds the main thread alone (round 5: 6,000 small runs 267 → 194 MB).
 *
 * The environment, {@link ARCHIVER_ENV}, set by the same tasks and by `bench:e2e` (a binary built by `deno task
 * compile` cannot carry it: its service sets it, README "Installation"): `MALLOC_ARENA_MAX=2` bounds glibc's malloc
 * arenas. glibc gives a thread that finds the arenas busy an arena of its own (up to 8 per core) and keeps what is
 * freed in the arena it came from, so every thread that handles a run's bytes (the conversion threads, the runtime's
 * I/O threads) kept its own high-water mark of freed buffers; two arenas share that memory. glibc reads the setting
 * only when the process starts (`mallopt` from within, after the runtime's threads have their arenas, measured
 * ~1/3 of the gain). Round 12, 100 runs of 12 MB, interleaved: peak RSS 241–273 MB → 229–246 MB at the same MB/s;
 * the heap governor's `malloc_trim` (core/malloc.ts) takes it to 221–232 MB.
 *
 * @module
 */

/** The flags, comma-separated as `--v8-flags=` takes them. */
export const ARCHIVER_V8_FLAGS = "--max-semi-space-size=8,--expose-gc";

/** The environment every archiver process starts with (see the module doc): variable → value. */
export const ARCHIVER_ENV: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: "2" };
