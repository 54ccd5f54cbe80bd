/**
 * `deno task` runs its command in the directory of deno.json, not where the operator typed it; it passes the
 * original directory in `INIT_CWD` (as npm does). The entry points change back to it, so that relative paths on
 * the command line (`deno task archive site/config.yaml`, `deno task archive blob unpack out/`) and the default
 * `./config.yaml` mean what the operator expects.
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
  const origin = env("INIT_CWD");
  if (origin && origin !== Deno.cwd()) {
    try {
      Deno.chdir(origin);
    } catch {
      // The directory is gone or unreadable: stay where the task runner put us rather than fail.
    }
  }
  return Deno.cwd();
}
