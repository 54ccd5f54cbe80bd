/** The `ucondb` sink plugin: embedded setup, put outcomes, verification, listing, options, TLS, redaction. */
import { deepEqual, equal, match, ok, rejects } from "node:assert/strict";
import { join } from "node:path";
import { adler32 } from "../../core/blob/adler32.ts";
import { packBlob, packBlobParts, PackedBlob } from "../../core/blob/mod.ts";
import { ConfigurationError, ConflictError, SinkError, TransientError, VerificationError } from "../../core/errors.ts";
import { redact } from "../../core/redact.ts";
import { builtinRegistry } from "../../plugins/mod.ts";
import { defaults, type Options, ucondb, UconDBClient } from "../../plugins/ucondb/mod.ts";
import { startUconDBServer } from "../../plugins/ucondb/server.ts";
import { readPublished } from "../../plugins/ucondb/published.ts";
import { tempDir } from "../_helpers/peers.ts";
import { fakeServer, testContext } from "./_helpers.ts";
import { RecordingLogger } from "../_helpers/recorders.ts";

const te = new TextEncoder();
const blobOf = (run: number, text: string) =>
  packBlob(run, `${run}/demo`, "2026-11-29T14:01:00Z", [{ path: "boot.fcl", data: te.encode(text) }]);
const options = (extra: Partial<Options>): Options => ({
  ...defaults,
  writer_user: "writer",
  writer_password: "sink-test-password",
  retries: 0,
  timeout_seconds: 5,
  ...extra,
});

Deno.test("a blob in parts goes out under one Content-Length and is stored as the joined bytes, verified in full", async () => {
  await using tmp = await tempDir("ucondb-sink-");
  const sink = await ucondb(options({ server_url: "embedded:ucondb", verify: "full" }), testContext(tmp.path));
  try {
    // 200 files of 60 kB with reserved lines: ~12 MB in several hundred parts.
    const files = Array.from({ length: 200 }, (_, i) => ({
      path: `f${String(i).padStart(3, "0")}.fcl`,
      data: te.encode(`#####\n${`k${i}: "${"x".repeat(58)}"\n`.repeat(1000)}End of Record\n`),
    }));
    const parts = packBlobParts(9, "9/demo", "2026-11-29T14:01:00Z", files);
    ok(parts.length > 400, `${parts.length} parts`);
    const blob = new PackedBlob(parts);
    equal(await sink.put(9, blob), "created");
    const whole = packBlob(9, "9/demo", "2026-11-29T14:01:00Z", files);
    deepEqual(await sink.get(9), whole);
    const stat = (await sink.stat(9))!;
    deepEqual([stat.size, stat.adler32], [whole.length, adler32(whole)], "the server summed the joined bytes");
    equal(await sink.put(9, whole), "identical", "the same bytes given whole are the same blob");
  } finally {
    await sink.close();
  }
});

Deno.test("embedded:<dir> (relative to the config dir): put created → identical → conflict; stat, get, close", async () => {
  await using tmp = await tempDir("ucondb-sink-");
  const sink = await ucondb(options({ server_url: "embedded:archive/ucondb" }), testContext(tmp.path));
  const url = (await readPublished(join(tmp.path, "archive/ucondb")))!.url;
  try {
    ok((await Deno.stat(join(tmp.path, "archive/ucondb/public.run_records/journal.jsonl"))).isFile);
    const blob = blobOf(100, "a: 1\n");
    equal(await sink.put(100, blob), "created");
    equal(await sink.put(100, blob), "identical");
    await rejects(sink.put(100, blobOf(100, "a: 2\n")), (error: unknown) => {
      ok(error instanceof ConflictError);
      match(
        error.message,
        /run 100: .* already holds a different blob under key 100 \(stored: \d+ bytes, adler32 \d+; ours/,
      );
      return true;
    });
    deepEqual(await sink.stat(100), {
      ...(await sink.stat(100))!,
      run: 100,
      size: blob.length,
      adler32: adler32(blob),
    });
    equal(await sink.stat(101), null);
    deepEqual(await sink.get(100), blob);
    equal(await sink.get(101), null);
    deepEqual(await sink.listRuns(), [100]);
    equal(
      sink.describe(),
      `ucondb embedded:${join(tmp.path, "archive/ucondb")} folder run_records object configuration`,
    );
  } finally {
    await sink.close();
  }
  await rejects(fetch(`${url}/version`), TypeError, "the embedded server stops with the sink");
});

Deno.test("through the registry: defaults put the embedded server under workDir/ucondb; password is redacted", async () => {
  await using tmp = await tempDir("ucondb-registry-");
  const registry = builtinRegistry();
  const sink = await registry.create("sink", "ucondb", {
    writer_user: "writer",
    writer_password: "registry-secret-42",
  }, testContext(tmp.path));
  try {
    equal(await sink.put(5, blobOf(5, "x")), "created");
    ok((await Deno.stat(join(tmp.path, "ucondb/public.run_records/journal.jsonl"))).isFile);
    equal(redact("pw registry-secret-42"), "pw ***");
  } finally {
    await sink.close();
  }
});

Deno.test("listRuns: digit keys only; key null, 'abc', '12a' ignored (M3, M4)", async () => {
  await using tmp = await tempDir("ucondb-list-");
  const server = await startUconDBServer({ dir: tmp.path, users: { writer: "pw1" }, folders: ["run_records"] });
  const client = new UconDBClient({
    serverUrl: server.url,
    folder: "run_records",
    user: "writer",
    password: "pw1",
    timeoutSeconds: 5,
  });
  try {
    for (const key of ["abc", "12a", "7", "10"]) await client.put("configuration", te.encode(key), { key });
    await client.put("configuration", te.encode("no key"));
    await client.put("configuration", te.encode("7 moved"), { key: "7", override: true });
    const sink = await ucondb(
      options({ server_url: server.url, writer_user: "writer", writer_password: "pw1" }),
      testContext(tmp.path),
    );
    deepEqual(await sink.listRuns(), [7, 10]);
    await sink.close();
  } finally {
    client.close();
    await server.close();
  }
});

/** A fake UconDB whose put answer and GET body are controlled by the test. */
function lyingServer(lie: { size?: number; adler?: number; body?: Uint8Array }) {
  let stored: unknown = null;
  return fakeServer(async (request) => {
    const url = new URL(request.url);
    if (url.pathname === "/version") return new Response("3.9.7");
    if (request.method === "POST" && url.pathname.startsWith("/data/")) {
      const body = new Uint8Array(await request.arrayBuffer());
      const meta = {
        object: "configuration",
        folder: "public.run_records",
        tv: 0,
        tr: 1,
        tags: [url.searchParams.get("key")],
        adler32: lie.adler ?? Number(adler32(body)),
        data_size: lie.size ?? body.length,
        data_key: "1",
        id: 1,
        key: url.searchParams.get("key"),
      };
      stored = meta;
      return new Response(JSON.stringify(meta), { headers: { "content-type": "text/json" } });
    }
    if (url.pathname === "/lookup_versions") return new Response(stored ? `\x1e${JSON.stringify(stored)}\n` : "");
    if (url.pathname.startsWith("/data/")) return new Response((lie.body ?? new Uint8Array()) as BodyInit);
    return new Response("invalid path", { status: 404 });
  });
}

Deno.test("verify meta: a size or adler32 from the server that differs from ours is a VerificationError", async () => {
  await using tmp = await tempDir("ucondb-verify-");
  for (const lie of [{ size: 0, adler: 1 }, { adler: 12345 }]) {
    await using server = lyingServer(lie);
    const sink = await ucondb(
      options({ server_url: server.url, writer_user: null, writer_password: null }),
      testContext(tmp.path),
    );
    await rejects(sink.put(3, blobOf(3, "data")), (error: unknown) => {
      ok(error instanceof VerificationError);
      match(error.message, /run 3: UconDB stored \d+ bytes with adler32 \d+, we sent \d+ bytes/);
      return true;
    });
    await sink.close();
  }
});

Deno.test("verify(): full mode downloads and compares bytes; put itself costs no extra request", async () => {
  await using tmp = await tempDir("ucondb-verify-full-");
  const blob = blobOf(4, "data");
  {
    await using server = lyingServer({ body: blob.map((byte, i) => (i === 10 ? byte ^ 1 : byte)) });
    const sink = await ucondb(
      options({ server_url: server.url, writer_user: null, writer_password: null, verify: "full" }),
      testContext(tmp.path),
    );
    equal(await sink.put(4, blob), "created", "size and adler32 of the put answer match");
    await rejects(sink.verify(4, blob), /run 4: the blob downloaded from UconDB differs/);
    await sink.close();
  }
  {
    await using server = lyingServer({ body: blob });
    const sink = await ucondb(
      options({ server_url: server.url, writer_user: null, writer_password: null, verify: "full" }),
      testContext(tmp.path),
    );
    equal(await sink.put(4, blob), "created");
    equal(server.requests(), 2, "version, put");
    await sink.verify(4, blob);
    await sink.verify(4, blob, "meta");
    equal(server.requests(), 5, "full: lookup + download; meta: lookup only");
    await sink.close();
  }
});

Deno.test("options are validated with the ucon_db key in the message", async () => {
  await using tmp = await tempDir("ucondb-options-");
  const context = testContext(tmp.path);
  const cases: Array<[Partial<Options>, RegExp]> = [
    [{ server_url: "ftp://x" }, /ucon_db.server_url/],
    [{ folder_name: "a.b.c" }, /ucon_db.folder_name/],
    [{ object_name: "" }, /ucon_db.object_name/],
    [{ timeout_seconds: 0 }, /ucon_db.timeout_seconds/],
    [{ retries: -1 }, /ucon_db.retries/],
    [{ verify: "sometimes" as "meta" }, /ucon_db.verify/],
    [{ insecure_skip_verify: "true" as unknown as boolean }, /ucon_db.insecure_skip_verify/],
    [{ writer_password: null }, /ucon_db.writer_password must be set together/],
    [{ ca_file: "missing-ca.pem", server_url: "https://127.0.0.1:1" }, /ucon_db.ca_file: cannot read/],
  ];
  for (const [extra, expected] of cases) {
    await rejects(ucondb(options(extra), context), ConfigurationError, String(expected));
  }
  for (const [extra, expected] of cases) await rejects(ucondb(options(extra), context), expected);
});

Deno.test("TLS: verified by default, trusted via ca_file, insecure only when asked (with a loud warning)", async () => {
  await using tmp = await tempDir("ucondb-tls-");
  const tlsDir = new URL("./tls/", import.meta.url).pathname;
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    cert: await Deno.readTextFile(join(tlsDir, "server.pem")),
    key: await Deno.readTextFile(join(tlsDir, "server.key")),
    onListen() {},
  }, () => new Response("3.9.7"));
  const url = `https://127.0.0.1:${server.addr.port}`;
  try {
    const base = options({ server_url: url, writer_user: null, writer_password: null });
    await rejects(ucondb({ ...base, retries: 3 }, testContext(tmp.path)), (error: unknown) => {
      ok(error instanceof SinkError && !(error instanceof TransientError), "a certificate error is not retried");
      match(error.message, /TLS verification failed .*ucon_db.ca_file/);
      return true;
    });
    const trusted = await ucondb({ ...base, ca_file: join(tlsDir, "ca.pem") }, testContext(tmp.path));
    await trusted.close();
    const logger = new RecordingLogger();
    const insecure = await ucondb({ ...base, insecure_skip_verify: true }, testContext(tmp.path, logger));
    await insecure.close();
    match(logger.text(), /warn: TLS CERTIFICATE VERIFICATION IS DISABLED for UconDB https:\/\/127\.0\.0\.1/);
  } finally {
    await server.shutdown();
  }
});
