/**
 * The library face: every example in mod.ts's documentation runs (`deno test --doc mod.ts`), and mod.ts exports
 * every built-in plugin factory.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import * as library from "../mod.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

Deno.test("mod.ts: the documentation examples run", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["test", "-A", "--no-prompt", "--doc", "mod.ts"],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, text);
  assert.match(text, /ok \| [1-9]\d* passed \| 0 failed/);
});

Deno.test("mod.ts: every built-in plugin has its factory exported", () => {
  const factories: Record<string, unknown> = {
    "run-records": library.runRecords,
    "artdaqdb-conftool": library.artdaqdbConftool,
    "artdaqdb-bulktools": library.artdaqdbBulktools,
    ucondb: library.ucondb,
    carbon: library.carbon,
    email: library.email,
    slack: library.slack,
  };
  for (const plugin of library.BUILTIN_PLUGINS) {
    assert.equal(typeof factories[plugin.name], "function", `mod.ts lacks the factory of plugin ${plugin.name}`);
  }
});
