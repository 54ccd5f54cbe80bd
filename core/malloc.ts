/**
 * The C heap's free memory, given back to the system. Run bytes live outside V8's heap: a file read, an encoded
 * stored document, a blob's parts are `malloc`ed by whichever thread made them (a conversion thread, the runtime's
 * I/O threads) and freed when the run is done. glibc keeps what is freed in the arena it came from, and gives back
 * only the free memory at the top of an arena's heap, so between runs each arena holds its high-water mark of freed
 * buffers. glibc's `malloc_trim(0)` releases the whole free pages of every arena; the heap governor
 * (core/heap.ts) calls it with its heap checks, a few times a second, while the process's RSS is above its pressure
 * mark (pages given back cost a page fault each when used again: below the mark the CPU matters more).
 *
 * The other half of the C heap's setting is `MALLOC_ARENA_MAX=2` in the archiver's environment
 * (`ARCHIVER_ENV`, core/cli/v8_flags.ts): glibc gives a thread that finds the arenas busy an arena of its own, up to
 * 8 per core, and it reads that setting only when the process starts.
 *
 * `malloc_trim` is called through Deno's FFI, only when FFI is allowed already (`-A`, as the tasks and the compiled
 * binary run: never a permission prompt) and the process runs on glibc; elsewhere {@link cHeapTrimmer} gives null
 * and nothing is trimmed.
 *
 * Measured (BENCHMARKS.md round 12, `bench:e2e --runs 100 --mix large`, 2 workers, interleaved): peak RSS 241–273 MB
 * with glibc's defaults, 229–246 MB with two arenas, 221–232 MB with two arenas and the trim, at the same MB/s.
 *
 * @example
 * ```ts
 * import { cHeapTrimmer } from "./core/malloc.ts";
 * const trim = cHeapTrimmer();
 * trim?.(); // free pages of every arena go back to the system
 * ```
 *
 * @module
 */

/** The process's `malloc_trim`, opened once. */
let trimmer: (() => void) | null | undefined;

/**
 * A function that gives the C heap's free pages back (glibc's `malloc_trim(0)`), or null where that is not
 * available (not glibc, or FFI not allowed).
 */
export function cHeapTrimmer(): (() => void) | null {
  if (trimmer !== undefined) return trimmer;
  trimmer = null;
  if (Deno.build.os !== "linux" || Deno.build.env !== "gnu") return null;
  if (Deno.permissions.querySync({ name: "ffi" }).state !== "granted") return null;
  try {
    const libc = Deno.dlopen("libc.so.6", { malloc_trim: { parameters: ["usize"], result: "i32" } });
    trimmer = () => void libc.symbols.malloc_trim(0n);
  } catch {
    // A Linux without glibc's shared library (a static or musl build): nothing to trim.
  }
  return trimmer;
}
