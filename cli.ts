/**
 * The command line of the Run Record Archiver: `deno task archive [config_file] [flags]` or
 * `deno task archive <subcommand> ...`. Everything lives in core/cli; this file only runs it and exits.
 *
 * @example
 * ```sh
 * deno task archive --help
 * deno task archive config.yaml --incremental
 * ```
 *
 * @module
 */
import { main } from "./core/cli/main.ts";
import { enterInvocationDir } from "./core/cli/invocation.ts";

export { main };

if (import.meta.main) {
  enterInvocationDir();
  Deno.exit(await main(Deno.args));
}
