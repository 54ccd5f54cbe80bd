/**
 * Test helper process: takes the lock given as argument, prints `locked <pid>` (or `held: <message>` and exits 1)
 * and holds it until killed.
 *
 * @module
 */
import { acquireLock } from "../../core/lock/mod.ts";

try {
  await acquireLock(Deno.args[0]);
  console.log(`locked ${Deno.pid}`);
  setInterval(() => {}, 1000);
} catch (error) {
  console.log(`held: ${(error as Error).message}`);
  Deno.exit(1);
}
