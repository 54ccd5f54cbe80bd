import assert from "node:assert/strict";
import { join } from "node:path";
import { chooseConfig, DEFAULT_CONFIG } from "../../core/cli/main.ts";
import { importRepoModule, NotImplementedError } from "../../core/cli/lazy.ts";
import { tempDir } from "../_helpers/peers.ts";

Deno.test("config choice: given, else ./config.yaml, else the repository's archiver.yaml", async () => {
  await using dir = await tempDir();
  assert.deepEqual(await chooseConfig("x.yaml", dir.path), { path: "x.yaml", usedDefault: false });
  assert.deepEqual(await chooseConfig(undefined, dir.path), { path: DEFAULT_CONFIG, usedDefault: true });
  await Deno.writeTextFile(join(dir.path, "config.yaml"), "");
  assert.deepEqual(await chooseConfig(undefined, dir.path), { path: "config.yaml", usedDefault: false });
});

Deno.test("a missing lazily loaded module is 'not implemented yet' (exit 1); an existing one loads", async () => {
  await assert.rejects(
    importRepoModule("core/no-such-area/mod.ts", "the frobnicator is"),
    (error) =>
      error instanceof NotImplementedError && error.exitCode === 1 &&
      error.message === "the frobnicator is not implemented yet (core/no-such-area/mod.ts is missing in this checkout)",
  );
  const module = await importRepoModule<{ parentPath(p: string): string }>("core/config/source.ts", "config");
  assert.equal(module.parentPath("a.b[2]"), "a.b");
});
