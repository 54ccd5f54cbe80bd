/**
 * `embedded:<dir>` shared between processes (plugins/ucondb/embedded.ts): the holder publishes server.json, other
 * processes attach over HTTP, the next opener takes over when the holder exits or crashes, a stale server.json is
 * ignored. The other processes are real subprocesses (tests/ucondb/_embedded_peer.ts).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { TransientError } from "../../core/errors.ts";
import { defaults, ucondb } from "../../plugins/ucondb/mod.ts";
import { readPublished } from "../../plugins/ucondb/published.ts";
import { startUconDBServer } from "../../plugins/ucondb/server.ts";
import type { UconDBSink } from "../../plugins/ucondb/sink.ts";
import { tempDir } from "../_helpers/peers.ts";
import { testContext } from "./_helpers.ts";
import { RecordingLogger } from "../_helpers/recorders.ts";

const PASSWORD = "embedded-peer-pw-7";
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A subprocess using the same directory, driven line by line. */
class PeerProcess {
  readonly #child: Deno.ChildProcess;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly #lines: AsyncIterator<string>;
  pid = 0;

  private constructor(dir: string, mode: string) {
    this.#child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--no-prompt", new URL("./_embedded_peer.ts", import.meta.url).pathname, dir, mode],
      env: { PEER_PASSWORD: PASSWORD, NO_COLOR: "1" },
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    this.#writer = this.#child.stdin.getWriter();
    this.#lines = lineReader(this.#child.stdout);
  }

  /** Start a peer and wait until its sink (or lock) is open. */
  static async start(dir: string, mode: "sink" | "lock" = "sink"): Promise<PeerProcess> {
    const peer = new PeerProcess(dir, mode);
    const first = JSON.parse(await peer.#next());
    assert.equal(first.ready, true);
    peer.pid = first.pid;
    return peer;
  }

  async #next(): Promise<string> {
    const { value, done } = await this.#lines.next();
    if (done) throw new Error("peer process ended");
    return value;
  }

  /** One request; resolves with its result, rejects with its error text. */
  async call(op: string, fields: Record<string, unknown> = {}): Promise<unknown> {
    await this.#writer.write(encoder.encode(JSON.stringify({ op, ...fields }) + "\n"));
    const answer = JSON.parse(await this.#next());
    if (!answer.ok) throw new Error(answer.error);
    return answer.result;
  }

  /** Ask it to close its sink and exit; resolves with the exit code. */
  async close(): Promise<number> {
    await this.#writer.write(encoder.encode(JSON.stringify({ op: "close" }) + "\n")).catch(() => {});
    return (await this.#child.status).code;
  }

  /** Send a signal and wait for the exit. */
  async kill(signal: Deno.Signal): Promise<Deno.CommandStatus> {
    this.#child.kill(signal);
    return await this.#child.status;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    try {
      this.#child.kill("SIGKILL");
    } catch { /* already gone */ }
    await this.#child.status;
    await this.#writer.close().catch(() => {});
  }
}

async function* lineReader(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  let buffered = "";
  for await (const chunk of stream) {
    buffered += decoder.decode(chunk, { stream: true });
    let newline;
    while ((newline = buffered.indexOf("\n")) >= 0) {
      yield buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
    }
  }
}

/** The ucondb sink of this process on `embedded:<dir>`. */
function openSink(dir: string, logger = new RecordingLogger(), timeoutSeconds = 5): Promise<UconDBSink> {
  return ucondb({
    ...defaults,
    server_url: `embedded:${dir}`,
    writer_user: "writer",
    writer_password: PASSWORD,
    timeout_seconds: timeoutSeconds,
  }, testContext(dir, logger));
}

/** PID named by `<dir>/server.json`, or null. */
async function publishedPid(dir: string): Promise<number | null> {
  return (await readPublished(dir))?.pid ?? null;
}

/** A PID that has just exited (and been reaped), so no process has it. */
async function deadPid(): Promise<number> {
  const child = new Deno.Command("true").spawn();
  await child.status;
  return child.pid;
}

Deno.test("embedded: a second process attaches to the holder's server; each sees what the other put", async () => {
  await using dir = await tempDir("ucondb-embedded-");
  const ucondbDir = join(dir.path, "ucondb");
  const logger = new RecordingLogger();
  const holder = await openSink(ucondbDir, logger);
  try {
    const published = await readPublished(ucondbDir);
    assert.equal(published?.pid, Deno.pid, "the holder publishes its PID");
    assert.match(published!.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(await holder.put(1, encoder.encode("run 1 blob\n")), "created");

    await using peer = await PeerProcess.start(ucondbDir);
    assert.equal(await publishedPid(ucondbDir), Deno.pid, "the attached process does not take the directory");
    assert.deepEqual(await peer.call("list"), [1]);
    assert.equal(await peer.call("get", { run: 1 }), "run 1 blob\n");
    assert.equal(await peer.call("put", { run: 2, text: "run 2 blob\n" }), "created");
    assert.equal(await peer.call("put", { run: 1, text: "run 1 blob\n" }), "identical");
    await assert.rejects(peer.call("put", { run: 1, text: "other\n" }), /already holds a different blob/);
    assert.deepEqual(await holder.listRuns(), [1, 2]);
    assert.equal(decoder.decode((await holder.get(2))!), "run 2 blob\n");
    assert.equal(await peer.close(), 0);
    assert.equal(await publishedPid(ucondbDir), Deno.pid, "an attached process leaves server.json alone");
  } finally {
    await holder.close();
  }
  assert.equal(await readPublished(ucondbDir), null, "server.json is removed when the holder closes");
  assert.match(logger.text(), /embedded UconDB-compatible server for .* listening on http/);
});

Deno.test("embedded: when the holder exits (cleanly or killed), the next call takes the directory over", async () => {
  await using dir = await tempDir("ucondb-embedded-");
  const ucondbDir = join(dir.path, "ucondb");
  {
    await using holder = await PeerProcess.start(ucondbDir);
    assert.equal(await publishedPid(ucondbDir), holder.pid);
    assert.equal(await holder.call("put", { run: 10, text: "ten\n" }), "created");
    const logger = new RecordingLogger();
    const sink = await openSink(ucondbDir, logger);
    try {
      assert.match(logger.text(), new RegExp(`served by process ${holder.pid}; attached to http`));
      assert.deepEqual(await sink.listRuns(), [10]);
      assert.equal(await holder.close(), 0);
      // The next call finds the server gone, takes the lock and serves the same directory itself.
      assert.deepEqual(await sink.listRuns(), [10]);
      assert.equal(await publishedPid(ucondbDir), Deno.pid);
      assert.match(logger.text(), /took over embedded UconDB .* listening on http/);
      assert.equal(await sink.put(11, encoder.encode("eleven\n")), "created");
    } finally {
      await sink.close();
    }
  }
  {
    // A holder killed outright leaves its server.json behind; its lock goes with it.
    await using holder = await PeerProcess.start(ucondbDir);
    assert.deepEqual(await holder.call("list"), [10, 11]);
    const sink = await openSink(ucondbDir);
    try {
      assert.equal(await sink.put(12, encoder.encode("twelve\n")), "created");
      await holder.kill("SIGKILL");
      assert.equal(await publishedPid(ucondbDir), holder.pid, "stale server.json of the killed holder");
      assert.deepEqual(await sink.listRuns(), [10, 11, 12]);
      assert.equal(await publishedPid(ucondbDir), Deno.pid);
    } finally {
      await sink.close();
    }
  }
});

Deno.test("embedded: holder stopping while two others are busy: every call succeeds, exactly one takes over", async () => {
  await using dir = await tempDir("ucondb-embedded-");
  const ucondbDir = join(dir.path, "ucondb");
  await using holder = await PeerProcess.start(ucondbDir);
  await using other = await PeerProcess.start(ucondbDir);
  const sink = await openSink(ucondbDir);
  try {
    const ours = Array.from({ length: 40 }, (_, i) => 100 + i);
    const theirs = Array.from({ length: 40 }, (_, i) => 200 + i);
    let done = 0;
    const busy = Promise.all([
      (async () => {
        for (const run of ours) {
          assert.equal(await sink.put(run, encoder.encode(`run ${run}\n`)), "created");
          done++;
        }
      })(),
      (async () => {
        for (const run of theirs) assert.equal(await other.call("put", { run, text: `run ${run}\n` }), "created");
      })(),
    ]);
    while (done < 5) await new Promise((resolve) => setTimeout(resolve, 5));
    assert.equal((await holder.kill("SIGTERM")).code, 0);
    assert.ok(done < ours.length, `the holder stopped while puts were still being made (${done} done)`);
    await busy;
    const all = [...ours, ...theirs];
    assert.deepEqual(await sink.listRuns(), all);
    assert.deepEqual(await other.call("list"), all);
    assert.ok([Deno.pid, other.pid].includes((await publishedPid(ucondbDir))!), "one of the two serves now");
    assert.equal(await other.call("get", { run: 139 }), "run 139\n");
  } finally {
    await sink.close();
  }
  // Whichever of the two held it, the other now takes over again if needed.
  assert.deepEqual(await other.call("list"), Array.from({ length: 80 }, (_, i) => (i < 40 ? 100 + i : 160 + i)));
});

Deno.test("embedded: a stale server.json with a dead PID is ignored; the opener serves", async () => {
  await using dir = await tempDir("ucondb-embedded-");
  const ucondbDir = join(dir.path, "ucondb");
  await Deno.mkdir(ucondbDir);
  const pid = await deadPid();
  await Deno.writeTextFile(join(ucondbDir, "server.json"), JSON.stringify({ url: "http://127.0.0.1:9", pid }));
  const sink = await openSink(ucondbDir);
  try {
    assert.equal(await publishedPid(ucondbDir), Deno.pid);
    assert.equal(await sink.put(5, encoder.encode("five\n")), "created");
  } finally {
    await sink.close();
  }
});

Deno.test("embedded: locked by a process that serves nothing: opens with a warning, calls fail retryably until it lets go", async () => {
  await using dir = await tempDir("ucondb-embedded-");
  const ucondbDir = join(dir.path, "ucondb");
  await using locker = await PeerProcess.start(ucondbDir, "lock");
  const logger = new RecordingLogger();
  let started = performance.now();
  const sink = await openSink(ucondbDir, logger, 1);
  try {
    assert.ok(performance.now() - started < 3000, "the open waits timeout_seconds once, not per retry");
    assert.match(
      logger.text(),
      /warn: UconDB at embedded:\S+ is not reachable now \(embedded UconDB \S+ is locked by another process, but no server of it answered within 1 s \(no server\.json yet\); retry shortly, or stop the process that holds \S+\); stages that need it will fail until it is/,
    );
    started = performance.now();
    await assert.rejects(sink.listRuns(), (error: Error) => {
      assert.ok(error instanceof TransientError, String(error));
      assert.match(error.message, /is locked by another process, but no server of it answered within 1 s/);
      return true;
    });
    assert.ok(performance.now() - started < 3000, "a failed resolution is not retried by the client");
    // A stale file from an earlier crashed holder is named as such, not attached to.
    const pid = await deadPid();
    await Deno.writeTextFile(join(ucondbDir, "server.json"), JSON.stringify({ url: "http://127.0.0.1:9", pid }));
    await assert.rejects(
      sink.stat(1),
      new RegExp(`server\\.json names process ${pid}, which has exited \\(stale file\\)`),
    );
    // A holder still starting: once it lets go, the waiting call takes the directory and answers.
    const listing = sink.listRuns();
    await new Promise((resolve) => setTimeout(resolve, 100));
    await locker.kill("SIGKILL");
    assert.deepEqual(await listing, []);
    assert.equal(await publishedPid(ucondbDir), Deno.pid);
    assert.equal(await sink.put(3, encoder.encode("three\n")), "created");
  } finally {
    await sink.close();
  }
});

Deno.test("embedded: a standalone ucondb-server bound to a wildcard publishes a loopback URL; a sink attaches to it", async () => {
  await using dir = await tempDir("ucondb-embedded-");
  const ucondbDir = join(dir.path, "ucondb");
  const server = await startUconDBServer({
    dir: ucondbDir,
    hostname: "0.0.0.0",
    users: { writer: PASSWORD },
    folders: ["run_records"],
  });
  try {
    const published = await readPublished(ucondbDir);
    assert.equal(published?.url, `http://127.0.0.1:${server.port}`);
    const sink = await openSink(ucondbDir);
    try {
      assert.equal(await sink.put(7, encoder.encode("seven\n")), "created");
      assert.equal(await publishedPid(ucondbDir), Deno.pid);
    } finally {
      await sink.close();
    }
    assert.ok(await readPublished(ucondbDir), "an attached sink's close leaves the server's file");
  } finally {
    await server.close();
  }
  assert.equal(await readPublished(ucondbDir), null);
});

Deno.test("readPublished: only a well-formed http:// address with a PID counts", async () => {
  await using dir = await tempDir("ucondb-embedded-");
  const file = join(dir.path, "server.json");
  assert.equal(await readPublished(dir.path), null, "no file");
  for (const text of ["", "{", "[]", '{"url":"http://127.0.0.1:1"}', '{"url":"https://127.0.0.1:1","pid":5}']) {
    await Deno.writeTextFile(file, text);
    assert.equal(await readPublished(dir.path), null, text);
  }
  await Deno.writeTextFile(file, '{"url":"http://[::1]:8080","pid":5,"startedAt":"t"}');
  assert.deepEqual(await readPublished(dir.path), { url: "http://[::1]:8080", pid: 5, startedAt: "t" });
});
