/**
 * `archive fhicl ...` (core/fhicl/command.ts), run as a process so that stdout bytes and exit codes are real.
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { main } from "../../core/fhicl/command.ts";
import { tempDir } from "../_helpers/peers.ts";
import { assertEquals, assertOk } from "../json/_assert.ts";
import { FCL2DBJSON, FIXTURE_TIMESTAMP } from "./_corpus.ts";
import { parseOrdered, stringifyArtdaq } from "../../core/json/mod.ts";

const COMMAND = fileURLToPath(new URL("../../core/fhicl/command.ts", import.meta.url));

async function run(args: string[], stdin?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", COMMAND, ...args],
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(stdin));
    await writer.close();
  }
  const { code, stdout, stderr } = await child.output();
  return { code, stdout: new TextDecoder().decode(stdout), stderr: new TextDecoder().decode(stderr) };
}

Deno.test("to-dbjson prints the fixture's document; from-dbjson gives back the canonical FHiCL byte for byte", async () => {
  const source = join(FCL2DBJSON, "test006/test007.fcl");
  const out = await run(["to-dbjson", source, "--name", "notprovided", "--timestamp", FIXTURE_TIMESTAMP]);
  assertEquals(out.code, 0, out.stderr);
  const expected = parseOrdered(Deno.readTextFileSync(join(FCL2DBJSON, "test006/test007.json")));
  assertEquals(out.stdout, stringifyArtdaq(expected));

  await using dir = await tempDir();
  const canonical = join(FCL2DBJSON, "test003/test011.fcl");
  const json = join(dir.path, "doc.json");
  Deno.writeTextFileSync(json, (await run(["to-dbjson", canonical])).stdout);
  const back = await run(["from-dbjson", json]);
  assertEquals([back.code, back.stdout], [0, Deno.readTextFileSync(canonical)]);
});

Deno.test("check and fmt; bad input exits 1 with the located error, usage errors exit 2", async () => {
  const ok = await run(["check", "-"], "a: 1\nb: { c: [1, 2] }\n");
  assertEquals([ok.code, ok.stdout], [0, "<stdin>: ok (2 top-level entries)\n"]);
  const bad = await run(["check", "-"], "a: 1\n b: [1,\n");
  assertEquals(bad.code, 1);
  assertEquals(bad.stderr, "error: <stdin>:2:5: missing ']' for the sequence opened here\n b: [1,\n    ^\n");
  const notStorable = await run(["check", "-"], "t: {\n  @table::x\n}\n");
  assertEquals(notStorable.code, 1);
  assertOk(notStorable.stderr.includes("<stdin>:2:3: @table::"), notStorable.stderr);
  assertEquals((await run(["check", "--syntax-only", "-"], "t: {\n  @table::x\n}\n")).code, 0);
  const fmt = await run(["fmt", "-"], "a:{b:[1,'x']} # c\n");
  assertEquals([fmt.code, fmt.stdout], [0, "a: {\n  b: [1, 'x']\n}\n"]);
  const badJson = await run(["from-dbjson", "-"], '{"document": {');
  assertEquals(badJson.code, 1);
  assertOk(badJson.stderr.startsWith("error: <stdin>:1:15: invalid JSON"), badJson.stderr);
  const noMeta = await run(
    ["from-dbjson", "-"],
    '{"document":{"data":{"main":{"a":"1"}},"metadata":{"main":{"children":{}}}}}',
  );
  assertEquals(noMeta.code, 1);
  assertOk(noMeta.stderr.includes('<stdin>: DB-JSON has no metadata for the top-level key "a"'), noMeta.stderr);
});

Deno.test("main() returns exit codes for usage errors and missing files", async () => {
  const quiet = console.error;
  console.error = () => {};
  try {
    assertEquals(await main([]), 2);
    assertEquals(await main(["check"]), 2);
    assertEquals(await main(["to-dbjson", "x.fcl", "--timestamp", "yesterday"]), 2);
    assertEquals(await main(["check", "/nonexistent/file.fcl"]), 1);
  } finally {
    console.error = quiet;
  }
});
