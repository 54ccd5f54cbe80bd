/**
 * `deno task` runs its command in the directory of deno.json, not where the operator typed it; it passes the
 * original directory in `INIT_CWD` (as npm does). The entry points change back to it, so that relative paths on
 * the command line (`deno task archive site/config.yaml`, `deno task archive blob unpack out/`) and the default
 * `./config.yaml` mean what the operator expects.
 *
 * `INIT_CWD` is inherited by every child process and not overwritten by a nested `deno task`, so it alone cannot
 * tell whether *this* process was started by our task: a test run under `deno task test` would see the repo as
 * `INIT_CWD` in every archiver it spawns. The tasks therefore also set `ARCHIVER_TASK=1`; only then is `INIT_CWD`
 * honoured, and both variables are removed so that no child process inherits them.
 *
 * @module
 */

/**
 * Change to the directory the command was typed in, when a task runner recorded it; returns the directory now
 * current.
 *
 * @example
 * ```ts
 * import { enterInvocationDir } from "./core/cli/invocation.ts";
 * enterInvocationDir();
 * ```
 */
export function enterInvocationDir(env: (name: string) => string | undefined = (n) => Deno.env.get(n)): string {
  if (env("ARCHIVER_TASK") !== "1") return Deno.cwd();
  const origin = env("INIT_CWD");
  Deno.env.delete("ARCHIVER_TASK");
  Deno.env.delete("INIT_CWD");
  if (origin && origin !== Deno.cwd()) {
    try {
      Deno.chdir(origin);
    } catch {
      // The directory is gone or unreadable: stay where the task runner put us rather than fail.
    }
  }
  return Deno.cwd();
}
