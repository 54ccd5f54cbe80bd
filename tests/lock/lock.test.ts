import { assertEquals, assertRejects } from "../state/_assert.ts";
import { LockHeldError } from "../../core/errors.ts";
import { acquireLock } from "../../core/lock/mod.ts";
import { tempDir } from "../_helpers/peers.ts";

const HELPER = new URL("./hold_lock.ts", import.meta.url).pathname;

function spawnHolder(path: string): { child: Deno.ChildProcess; firstLine: Promise<string> } {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", HELPER, path],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const firstLine = (async () => {
    let text = "";
    while (!text.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) break;
      text += value;
    }
    reader.releaseLock();
    return text.trim();
  })();
  return { child, firstLine };
}

Deno.test("a second holder fails at once and leaves the holder's file intact", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/.archiver.lock`;
  const holder = spawnHolder(path);
  try {
    const line = await holder.firstLine;
    assertEquals(line.startsWith("locked "), true, line);
    const pid = line.split(" ")[1];
    const started = performance.now();
    const error = await assertRejects(() => acquireLock(path), LockHeldError);
    assertEquals(performance.now() - started < 1000, true);
    assertEquals(error.message.includes(`Another process may be running. Lock file '${path}' is held`), true);
    assertEquals(error.message.includes(`PID ${pid}`), true);
    assertEquals(await Deno.readTextFile(path), `${pid}\n`);
    const second = spawnHolder(path);
    assertEquals((await second.firstLine).startsWith("held: Another process"), true);
    assertEquals((await second.child.status).code, 1);
    await second.child.stdout.cancel().catch(() => {});
    assertEquals(await Deno.readTextFile(path), `${pid}\n`);
  } finally {
    holder.child.kill("SIGKILL");
    await holder.child.status;
    await holder.child.stdout.cancel().catch(() => {});
  }
});

Deno.test("a stale lock of a SIGKILLed holder is taken over; the file keeps our PID after release", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/.archiver.lock`;
  const holder = spawnHolder(path);
  assertEquals((await holder.firstLine).startsWith("locked"), true);
  holder.child.kill("SIGKILL");
  await holder.child.status;
  await holder.child.stdout.cancel().catch(() => {});
  const lock = await acquireLock(path);
  assertEquals(await Deno.readTextFile(path), `${Deno.pid}\n`);
  lock.release();
  assertEquals(await Deno.readTextFile(path), `${Deno.pid}\n`);
  const again = await acquireLock(path);
  again.release();
});

Deno.test("a leftover file naming a dead PID (e.g. from the Python archiver) does not block", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/.archiver.lock`;
  await Deno.writeTextFile(path, "999999999\n");
  const lock = await acquireLock(path);
  assertEquals(await Deno.readTextFile(path), `${Deno.pid}\n`);
  lock.release();
});

Deno.test("the monitor reports a removed lock file", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/.archiver.lock`;
  const lock = await acquireLock(path);
  try {
    const lost = new Promise<string>((resolve) => lock.monitor(resolve, 50));
    // The monitor's timer is unref'd (it must not keep the archiver alive); keep the test's loop alive.
    const keepAlive = setTimeout(() => {}, 5000);
    await Deno.remove(path);
    assertEquals(await lost, "removed");
    clearTimeout(keepAlive);
  } finally {
    lock.release();
  }
});
