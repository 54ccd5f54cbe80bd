/**
 * `deno task compile`: build the archiver's command line into one executable (`./archiver-bin`) with
 * `deno compile`.
 *
 * `deno compile` needs deno's `denort` runtime, which it downloads from dl.deno.land (or takes from the file named
 * by `DENORT_BIN`). Where that download is impossible (an offline machine) this task fails with a message that
 * says so and exits 1; it never substitutes something that only looks like a binary.
 *
 * Modules that cli.ts loads lazily (the pipeline, the plugins, the subcommands, the conversion threads) are passed
 * with `--include`, because `deno compile` only embeds what it can see statically.
 *
 * @example
 * ```sh
 * deno task compile            # → ./archiver-bin
 * deno task compile out/arch   # another output path
 * ```
 *
 * @module
 */
import { join } from "node:path";
import { pathExists, REPO_ROOT } from "../core/paths.ts";
import { SUBCOMMANDS } from "../core/cli/options.ts";
import { ARCHIVER_V8_FLAGS } from "../core/cli/v8_flags.ts";

const LAZY_MODULES = [
  "core/pipeline/mod.ts",
  "plugins/mod.ts",
  // Loaded by the conversion threads (core/offload): the thread's entry and the conftool store's task module.
  "core/offload/worker.ts",
  "plugins/artdaqdb-conftool/tasks.ts",
  ...Object.values(SUBCOMMANDS).map((s) => s.module),
];
const DOWNLOAD_FAILURE = /denort|dl\.deno\.land|error sending request|dns error|failed to lookup address/i;

/** Build the binary; returns the exit code. */
export async function compile(output: string): Promise<number> {
  const includes: string[] = [];
  for (const module of LAZY_MODULES) {
    if (await pathExists(join(REPO_ROOT, module))) includes.push("--include", module);
  }
  const args = [
    "compile",
    "-A",
    "--no-prompt",
    `--v8-flags=${ARCHIVER_V8_FLAGS}`,
    ...includes,
    "--output",
    output,
    "cli.ts",
  ];
  console.error(`deno ${args.join(" ")}`);
  const child = new Deno.Command(Deno.execPath(), { args, cwd: REPO_ROOT, stdout: "inherit", stderr: "piped" })
    .spawn();
  const { code, stderr } = await child.output();
  const errorText = new TextDecoder().decode(stderr);
  if (code === 0) {
    await Deno.stderr.write(stderr);
    console.error(`Built ${output}`);
    return 0;
  }
  await Deno.stderr.write(stderr);
  if (DOWNLOAD_FAILURE.test(errorText)) {
    console.error(
      "deno compile failed: it could not obtain deno's 'denort' runtime (downloaded from dl.deno.land), so no " +
        "single binary can be built on this machine. Run the archiver with `deno task archive` instead, or build " +
        "on a machine with access to dl.deno.land, or point DENORT_BIN at a denort executable of deno " +
        `${Deno.version.deno}.`,
    );
  } else {
    console.error(`deno compile failed (exit code ${code}); see the messages above.`);
  }
  return 1;
}

if (import.meta.main) Deno.exit(await compile(Deno.args[0] ?? "archiver-bin"));
