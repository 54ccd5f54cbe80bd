/**
 * The C heap's trim (core/malloc.ts): it gives back the free pages a thread's arena holds after that thread freed
 * its buffers, which glibc alone keeps; there is none without FFI permission.
 */
import assert from "node:assert/strict";

const decoder = new TextDecoder();

/**
 * A child whose worker thread mallocs 300 buffers of 100 kB (each followed by an 8 kB one it keeps, so that the
 * freed ones cannot merge into the top of the arena, which glibc gives back by itself), writes them, frees them, and
 * prints its RSS (MB) once the worker is done and again after `cHeapTrimmer()` ran (or did not).
 */
function child(trim: boolean): string {
  const worker = `
    const libc = Deno.dlopen("libc.so.6", {
      malloc: { parameters: ["usize"], result: "pointer" },
      free: { parameters: ["pointer"], result: "void" },
      memset: { parameters: ["pointer", "i32", "usize"], result: "pointer" },
    });
    self.onmessage = () => {
      const freed = [], kept = [];
      for (let i = 0; i < 300; i++) {
        const buffer = libc.symbols.malloc(100000n);
        libc.symbols.memset(buffer, 1, 100000n);
        freed.push(buffer);
        kept.push(libc.symbols.malloc(8000n));
      }
      for (const buffer of freed) libc.symbols.free(buffer);
      self.postMessage(kept.length);
    };`;
  return `
    import { cHeapTrimmer } from ${JSON.stringify(new URL("../core/malloc.ts", import.meta.url).href)};
    const rss = () => Number(/VmRSS:\\s+(\\d+)/.exec(Deno.readTextFileSync("/proc/self/status"))[1]) / 1024;
    const worker = new Worker("data:application/javascript," + encodeURIComponent(${
    JSON.stringify(worker)
  }), { type: "module" });
    await new Promise((resolve) => { worker.onmessage = resolve; worker.postMessage(0); });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const before = rss();
    const trim = cHeapTrimmer();
    if (${trim}) trim();
    console.log(JSON.stringify({ available: trim !== null, before, after: rss() }));
    worker.terminate();
  `;
}

async function run(trim: boolean): Promise<{ available: boolean; before: number; after: number }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", child(trim)],
    env: { MALLOC_ARENA_MAX: "8" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, decoder.decode(out.stderr));
  return JSON.parse(decoder.decode(out.stdout));
}

Deno.test("C heap trim: the free pages a worker thread's arena holds go back to the system (glibc keeps them)", async () => {
  const kept = await run(false);
  assert.equal(kept.available, true, "glibc's malloc_trim through FFI (this machine runs glibc)");
  assert.ok(kept.before - kept.after < 5, `without the trim ${kept.before} → ${kept.after} MB`);
  const trimmed = await run(true);
  assert.ok(
    trimmed.before - trimmed.after > 15,
    `30 MB freed on the worker: ${trimmed.before.toFixed(1)} → ${trimmed.after.toFixed(1)} MB after the trim`,
  );
});

Deno.test("C heap trim: none without FFI permission (no error), one with it", async () => {
  const code = `
    import { cHeapTrimmer } from ${JSON.stringify(new URL("../core/malloc.ts", import.meta.url).href)};
    console.log(JSON.stringify(cHeapTrimmer() === null));
  `;
  for (const [permissions, none] of [[["--allow-read", "--allow-env"], "true"], [["-A"], "false"]] as const) {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--no-prompt", ...permissions, `data:application/typescript,${encodeURIComponent(code)}`],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(out.code, 0, decoder.decode(out.stderr));
    assert.equal(decoder.decode(out.stdout).trim(), none, permissions.join(" "));
  }
});
