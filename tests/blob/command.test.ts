import { deepEqual, equal, match } from "node:assert/strict";
import { join } from "node:path";
import { tempDir } from "../_helpers/peers.ts";

const COMMAND = new URL("../../core/blob/command.ts", import.meta.url).href;

/** Run the blob subcommand in a child process (it writes the blob to stdout). */
async function blob(args: string[], stdin?: Uint8Array) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["eval", `import { main } from ${JSON.stringify(COMMAND)}; Deno.exit(await main(Deno.args));`, ...args],
    stdin: stdin ? "piped" : "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (stdin) {
    const writer = child.stdin.getWriter();
    await writer.write(stdin);
    await writer.close();
  }
  const { code, stdout, stderr } = await child.output();
  return { code, stdout, stderr: new TextDecoder().decode(stderr) };
}

async function writeTree(root: string, files: Record<string, string | Uint8Array>) {
  for (const [path, content] of Object.entries(files)) {
    const target = join(root, path);
    await Deno.mkdir(join(target, ".."), { recursive: true });
    await Deno.writeFile(target, typeof content === "string" ? new TextEncoder().encode(content) : content);
  }
}

async function readTree(root: string, prefix = ""): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for await (const entry of Deno.readDir(join(root, prefix))) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory) Object.assign(out, await readTree(root, rel));
    else out[rel] = Array.from(await Deno.readFile(join(root, rel))).join(",");
  }
  return out;
}

Deno.test("blob pack DIR | blob unpack - --out DIR2 reproduces the tree and the pack flags", async () => {
  await using tmp = await tempDir();
  const src = join(tmp.path, "100");
  await writeTree(src, {
    "boot.fcl": "a: 1\n#####\nEnd of Record\n",
    "sub/boot.fcl": "other\r\n",
    "empty.fcl": "",
    "bin.dat": new Uint8Array([0, 255, 10, 35]),
  });
  const packed = await blob(["pack", src, "--configuration", "100/demo", "--stored-at", "2026-11-29T14:01:00Z"]);
  equal(packed.code, 0, packed.stderr);
  const again = await blob(["pack", src, "--configuration", "100/demo", "--stored-at", "2026-11-29T14:01:00Z"]);
  deepEqual(again.stdout, packed.stdout, "packing is deterministic");
  const out = join(tmp.path, "out");
  const unpacked = await blob(["unpack", "-", "--out", out], packed.stdout);
  equal(unpacked.code, 0, unpacked.stderr);
  const summary = JSON.parse(new TextDecoder().decode(unpacked.stdout));
  deepEqual({ ...summary, files: summary.files.sort() }, {
    run: 100,
    configuration: "100/demo",
    storedAt: "2026-11-29T14:01:00Z",
    legacy: false,
    files: ["bin.dat", "empty.fcl", "sub/boot.fcl", "boot.fcl"].sort(),
  });
  deepEqual(await readTree(out), await readTree(src));
  const blobFile = join(tmp.path, "run.blob");
  await Deno.writeFile(blobFile, packed.stdout);
  const refused = await blob(["unpack", blobFile, "--out", out]);
  equal(refused.code, 1);
  match(refused.stderr, /already exists; unpack into an empty directory/);
});

Deno.test("blob pack: defaults (run from the directory name, time from the newest file) and usage errors", async () => {
  await using tmp = await tempDir();
  const src = join(tmp.path, "7");
  await writeTree(src, { "a.fcl": "x" });
  await Deno.utime(join(src, "a.fcl"), 1_700_000_000, 1_700_000_000);
  const packed = await blob(["pack", src]);
  equal(packed.code, 0, packed.stderr);
  match(new TextDecoder().decode(packed.stdout), /^Start of Record\nRun Number: 7\nPacked on Nov 14 22:13 UTC\n/);
  match(new TextDecoder().decode(packed.stdout), /Stored At: 2023-11-14T22:13:20.000Z\n/);
  const noRun = await blob(["pack", tmp.path]);
  equal(noRun.code, 2);
  match(noRun.stderr, /give --run N/);
  equal((await blob(["frobnicate"])).code, 2);
  const notBlob = join(tmp.path, "junk");
  await Deno.writeTextFile(notBlob, "junk");
  const bad = await blob(["unpack", notBlob, "--out", join(tmp.path, "o")]);
  equal(bad.code, 1);
  match(bad.stderr, /not a run record blob/);
});
