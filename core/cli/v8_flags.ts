/**
 * The V8 setting every archiver process runs with: the `archive` and `serve` tasks of deno.json pass it as
 * `--v8-flags=…`, `deno task compile` builds it into the binary, and `bench:e2e` runs the archiver with it (a test
 * keeps the three in step).
 *
 * `--max-semi-space-size=16`: V8 sizes each isolate's young generation from the machine's memory (up to 64 MB
 * committed on a 24 GB host, and the main thread's grows to that under the archiver's allocation pattern); 16 MB
 * semi-spaces still hold what a conversion thread keeps alive while it converts a large document.
 *
 * Measured (BENCHMARKS.md round 4, `bench:e2e`, tmpfs, 2 workers): ~70 kB records, 1,500 runs: peak RSS 282 →
 * 245 MB; 3,000 runs: 421 → 294 MB, both at less CPU; 12 MB records: the same speed (24.8 vs 24.6 MB/s over four
 * pairs). Smaller semi-spaces, `--heap-growing-percent` and `--max-old-space-size=1024` lower the RSS further but
 * slow the conversion threads by 30-60 % (measured there too).
 *
 * `--expose-gc`: lets the main thread's heap governor (core/heap.ts) run a full collection when its heap has grown
 * well beyond what is alive, which bounds the main thread alone (round 5: 6,000 small runs 267 → 194 MB).
 *
 * @module
 */

/** The flags, comma-separated as `--v8-flags=` takes them. */
export const ARCHIVER_V8_FLAGS = "--max-semi-space-size=16,--expose-gc";
