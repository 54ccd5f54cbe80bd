/**
 * Run with `--v8-flags=--expose-gc` by tests/offload/pool.test.ts: 40 calls that each leave ~1.2 MB of dead large
 * strings in the old large-object space of a pool thread; prints the largest size in bytes that space had at the end
 * of a call.
 *
 * @module
 */
import { OffloadPool } from "../../core/offload/mod.ts";

const TASKS = new URL("./_tasks.ts", import.meta.url);
const pool = new OffloadPool(1);
let largest = 0;
for (let i = 0; i < 40; i++) largest = Math.max(largest, await pool.call<number>(TASKS, "promoteLargeStrings", [4]));
console.log(largest);
await pool.close();
