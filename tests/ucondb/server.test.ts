/** The embedded server speaks UconDB's protocol (spec §3–§5): raw HTTP checks of status codes, bodies, headers. */
import { deepEqual, equal, match, ok, rejects } from "node:assert/strict";
import { join } from "node:path";
import { adler32 } from "../../core/blob/adler32.ts";
import { authorizationHeader, parseChallenge } from "../../plugins/ucondb/digest.ts";
import { type RunningServer, startUconDBServer } from "../../plugins/ucondb/server.ts";
import { UconDBClient } from "../../plugins/ucondb/client.ts";
import { tempDir } from "../_helpers/peers.ts";

const te = new TextEncoder();
const PASSWORD = "writer-pass-1";

async function withServer(
  test: (server: RunningServer, dir: string) => Promise<void>,
  extra: { readOnly?: boolean } = {},
) {
  await using tmp = await tempDir("ucondb-server-");
  const server = await startUconDBServer({
    dir: tmp.path,
    users: { writer: PASSWORD },
    folders: ["run_records"],
    durable: false,
    ...extra,
  });
  try {
    await test(server, tmp.path);
  } finally {
    await server.close();
  }
}

/** A request with Digest auth done the curl way: unauthenticated first, then answer the challenge. */
async function digestFetch(url: string, init: RequestInit & { method: string }, password = PASSWORD) {
  const first = await fetch(url, init);
  await first.body?.cancel();
  if (first.status !== 401) return first;
  const challenge = parseChallenge(first.headers.get("www-authenticate"));
  if (!challenge) return first;
  const target = new URL(url);
  const authorization = authorizationHeader(challenge, {
    user: "writer",
    password,
    method: init.method,
    uri: target.pathname + target.search,
    count: 1,
  });
  return fetch(url, { ...init, headers: { ...init.headers as Record<string, string>, authorization } });
}

async function answer(response: Response) {
  return { status: response.status, type: response.headers.get("content-type"), body: await response.text() };
}

Deno.test("put: challenge, wrong password, missing folder/object, duplicate key, override, full_meta", async () => {
  await withServer(async ({ url }) => {
    const put = (path: string, body = "blob", password = PASSWORD) =>
      digestFetch(`${url}${path}`, { method: "POST", body }, password);
    const challenge = await fetch(`${url}/data/run_records/configuration?key=1`, { method: "POST", body: "x" });
    equal(challenge.status, 401);
    equal(await challenge.text(), "Authorization required");
    match(
      challenge.headers.get("www-authenticate")!,
      /^Digest realm="public.run_records", nonce="b'[A-Za-z0-9+/=]+'", algorithm=MD5, qop="auth"$/,
    );
    const basic = await fetch(`${url}/data/run_records/configuration?key=1`, {
      method: "POST",
      body: "x",
      headers: { authorization: `Basic ${btoa(`writer:${PASSWORD}`)}` },
    });
    equal(basic.status, 401);
    match(basic.headers.get("www-authenticate") ?? "", /^Digest /, "a Basic header gets the Digest challenge");
    await basic.body?.cancel();
    const wrong = await put("/data/run_records/configuration?key=1", "x", "nope");
    equal(wrong.status, 401);
    equal(wrong.headers.get("www-authenticate"), null, "wrong credentials get no new challenge");
    await wrong.body?.cancel();
    deepEqual(await answer(await fetch(`${url}/data/nope/configuration`, { method: "POST", body: "x" })), {
      status: 404,
      type: "text/html; charset=UTF-8",
      body: "Folder not found",
    });
    equal((await answer(await fetch(`${url}/data/run_records`, { method: "POST", body: "x" }))).status, 400);
    deepEqual(await answer(await put("/data/run_records/configuration?key=1001&tag=1001")), {
      status: 200,
      type: "text/html; charset=UTF-8",
      body: "1",
    });
    const duplicate = await answer(await put("/data/run_records/configuration?key=1001", "other"));
    equal(duplicate.status, 500);
    match(duplicate.body, /<h3>Version of object configuration with key 1001 already exists<\/h3>/);
    const full = await answer(await put("/data/run_records/configuration?key=1001&override=yes&full_meta=yes", "new"));
    equal(full.type, "text/json; charset=UTF-8");
    match(
      full.body,
      new RegExp(
        `^\\{"object": "configuration", "folder": "public.run_records", "tv": 0.0, "tr": [0-9.]+, "tags": \\[\\], ` +
          `"adler32": ${adler32(te.encode("new"))}, "uadler32": ${
            adler32(te.encode("new"))
          }, "data_size": 3, "data_key": "2", "id": 2, "key": "1001"\\}$`,
      ),
    );
    const versions = JSON.parse(await (await fetch(`${url}/versions?folder=run_records&object=configuration`)).text());
    deepEqual(versions.map((v: { id: number; key: string | null }) => [v.id, v.key]), [[2, "1001"], [1, null]]);
  });
});

Deno.test("a chunked put (no Content-Length) is refused with 411, never stored as an empty blob", async () => {
  await withServer(async ({ url }) => {
    const stream = new ReadableStream({
      start(controller) {
        controller.enqueue(te.encode("streamed"));
        controller.close();
      },
    });
    // Pre-emptive authentication (the server, like the real one, accepts any nonce), so the stream is sent once.
    const authorization = authorizationHeader({ realm: "public.run_records", nonce: "b'MTc='" }, {
      user: "writer",
      password: PASSWORD,
      method: "POST",
      uri: "/data/run_records/configuration?key=9",
      count: 1,
    });
    const response = await fetch(`${url}/data/run_records/configuration?key=9`, {
      method: "POST",
      body: stream,
      headers: { authorization },
    });
    equal(response.status, 411);
    await response.body?.cancel();
    equal((await fetch(`${url}/data/run_records/configuration?key=9`)).status, 500, "object still has no versions");
  });
});

Deno.test("get: by key (query and path form), X-UConDB headers, meta_only, id, data_key, errors", async () => {
  await withServer(async ({ url }) => {
    const blob = new Uint8Array(256).map((_, i) => i);
    const put = (key: string) =>
      digestFetch(`${url}/data/run_records/configuration?key=${key}&tag=t1`, { method: "POST", body: blob });
    equal((await put("run%207")).status, 200);
    equal((await put("p7")).status, 200);
    const forms = [["/data/run_records/configuration?key=run%207", "run 7"], [
      "/data/run_records/configuration/key=p7",
      "p7",
    ]];
    for (const [path, key] of forms) {
      const response = await fetch(`${url}${path}`);
      equal(response.status, 200, path);
      equal(response.headers.get("content-type"), "application/octet-stream");
      equal(response.headers.get("x-ucondb-version-key"), key);
      equal(response.headers.get("x-ucondb-data-size"), "256");
      equal(response.headers.get("content-length"), "256", "streamed from its file, with its length (not chunked)");
      equal(response.headers.get("x-ucondb-adler32"), adler32(blob));
      equal(response.headers.get("x-ucondb-product-version"), "3.9.7");
      equal(JSON.parse(response.headers.get("x-ucondb-metadata")!).key, key);
      deepEqual(new Uint8Array(await response.arrayBuffer()), blob);
    }
    // The path is not percent-decoded, as under webpie: `key=run%207` in the path is the literal text.
    deepEqual(await answer(await fetch(`${url}/data/run_records/configuration/key=run%207`)), {
      status: 404,
      type: "text/html; charset=UTF-8",
      body: "Version not found",
    });
    equal(
      JSON.parse(await (await fetch(`${url}/data/run_records/configuration?key=run%207&meta_only=yes`)).text()).id,
      1,
    );
    equal((await fetch(`${url}/data/run_records/configuration?tag=t1`)).headers.get("x-ucondb-version-id"), "2");
    const current = await fetch(`${url}/data/run_records/configuration`);
    equal(current.headers.get("x-ucondb-version-id"), "2", "the current version is the latest recorded");
    await current.body?.cancel();
    const byId = await fetch(`${url}/data/run_records/configuration?id=1`);
    equal(byId.headers.get("content-type"), "text/html; charset=UTF-8");
    deepEqual(new Uint8Array(await byId.arrayBuffer()), blob);
    equal(await (await fetch(`${url}/data/run_records/configuration?id=99&meta_only=yes`)).text(), "{}");
    equal((await answer(await fetch(`${url}/data/run_records/configuration?id=99`))).status, 500);
    equal((await fetch(`${url}/data/run_records/configuration?data_key=1`)).headers.get("x-ucondb-data-key"), "1");
    equal((await answer(await fetch(`${url}/data/run_records/configuration?data_key=7`))).body, "Data not found");
    const noObject = await answer(await fetch(`${url}/data/run_records/nothing?key=1`));
    equal(noObject.status, 500);
    match(noObject.body, /'NoneType' object has no attribute 'getVersion'/);
    match((await answer(await fetch(`${url}/data/nofolder/configuration?key=1`))).body, /getObject/);
    match((await answer(await fetch(`${url}/data/run_records/nothing?data_key=1`))).body, /dataByDataKey/);
    equal((await answer(await fetch(`${url}/data/run_records`))).status, 400);
    equal((await answer(await fetch(`${url}/data/run_records/configuration?key=a%27b`))).status, 400, "sanitize");
    match(
      (await answer(await fetch(`${url}/data/run_records/configuration?key=a%3Bb`))).body,
      /Invalid argument value/,
    );
    match(
      (await answer(await fetch(`${url}/data/run_records/configuration/key=1?key=1`))).body,
      /Value for key specified twice in the URL/,
    );
    match(
      (await answer(await fetch(`${url}/data/run_records/configuration/extra`))).body,
      /Value for object specified twice/,
    );
    const byQuery = await fetch(`${url}/data?folder=run_records&object=configuration&key=p7`);
    equal((await byQuery.arrayBuffer()).byteLength, 256, "folder and object may come from the query");
  });
});

Deno.test("versions, lookup_versions (json-seq), get_blob, tag, objects, tags, folders, version, probe", async () => {
  await withServer(async ({ url }) => {
    for (const key of ["1", "2", "3"]) {
      await digestFetch(`${url}/data/run_records/configuration?key=${key}&tag=${key}`, { method: "POST", body: key });
    }
    await digestFetch(`${url}/data/run_records/configuration`, { method: "POST", body: "1" });
    deepEqual(await answer(await fetch(`${url}/versions?folder=run_records&object=nothing`)), {
      status: 404,
      type: "text/html; charset=UTF-8",
      body: "Object nothing not found",
    });
    equal((await answer(await fetch(`${url}/versions?folder=nope&object=x`))).body, "Folder nope not found");
    const lookup = await fetch(`${url}/lookup_versions?folder=run_records&object=configuration`, {
      method: "POST",
      body: JSON.stringify({ keys: ["1", "3", "404"] }),
    });
    equal(lookup.headers.get("content-type"), "text/json-seq; charset=UTF-8");
    const records = (await lookup.text()).split("\x1e").filter((part) => part).map((part) => JSON.parse(part));
    deepEqual(records.map((record) => record.key), ["1", "3"]);
    equal(records[0].data_key, "1", "identical bytes are de-duplicated onto one data key");
    const ids = await (await fetch(`${url}/lookup_versions?folder=run_records`, {
      method: "POST",
      body: JSON.stringify({ ids: [2, 4] }),
    })).text();
    deepEqual(ids.split("\x1e").filter((p) => p).map((p) => JSON.parse(p).id), [2, 4]);
    const range = await (await fetch(`${url}/lookup_versions/run_records/configuration`, {
      method: "POST",
      body: JSON.stringify({ key_min: "2" }),
    })).text();
    deepEqual(range.split("\x1e").filter((p) => p).map((p) => JSON.parse(p).key).sort(), ["2", "3"]);
    match(
      (await answer(await fetch(`${url}/lookup_versions?folder=run_records&object=configuration`))).body,
      /Assertion/,
    );
    equal(await (await fetch(`${url}/get_blob?folder=run_records&version_id=2`)).text(), "2");
    equal(
      (await answer(await fetch(`${url}/get_blob?folder=run_records`))).body,
      "One and only one of data_key, version_id must be specified",
    );
    equal((await answer(await fetch(`${url}/get_blob?folder=run_records&version_id=77`))).body, "Version not found");
    equal(await (await fetch(`${url}/tag?folder=run_records&tag=golden&object=configuration&key=2`)).text(), "OK");
    equal(await (await fetch(`${url}/data/run_records/configuration?tag=golden`)).text(), "2");
    deepEqual(JSON.parse(await (await fetch(`${url}/objects?folder=run_records`)).text()), ["configuration"]);
    deepEqual(JSON.parse(await (await fetch(`${url}/tags?folder=run_records`)).text()), ["1", "2", "3", "golden"]);
    deepEqual(JSON.parse(await (await fetch(`${url}/folders`)).text()), ["run_records"]);
    equal(await (await fetch(`${url}/folders?format=csv`)).text(), "Name\nrun_records");
    equal(await (await fetch(`${url}/version`)).text(), "3.9.7");
    equal(await (await fetch(`${url}/probe`)).text(), "OK");
    deepEqual(await answer(await fetch(`${url}/.env`)), {
      status: 404,
      type: "text/html; charset=UTF-8",
      body: "invalid path: /.env",
    });
  });
});

Deno.test("create_folder: digest with realm = name as given, idempotent; drop=yes restarts ids, keeps blobs", async () => {
  await withServer(async ({ url }) => {
    const challenge = await fetch(`${url}/create_folder?folder=other`);
    match(challenge.headers.get("www-authenticate")!, /realm="other"/);
    await challenge.body?.cancel();
    equal(await (await digestFetch(`${url}/create_folder?folder=other`, { method: "GET" })).text(), "OK");
    equal(await (await digestFetch(`${url}/create_folder?folder=other`, { method: "GET" })).text(), "OK");
    deepEqual(await answer(await fetch(`${url}/create_folder`)), {
      status: 400,
      type: "text/html; charset=UTF-8",
      body: "Empty folder name",
    });
    deepEqual(JSON.parse(await (await fetch(`${url}/folders`)).text()), ["other", "run_records"]);
    await digestFetch(`${url}/data/other/o?key=a`, { method: "POST", body: "A" });
    await digestFetch(`${url}/data/other/o?key=b`, { method: "POST", body: "B" });
    equal(await (await digestFetch(`${url}/create_folder?folder=other&drop=yes`, { method: "GET" })).text(), "OK");
    equal((await answer(await fetch(`${url}/versions?folder=other&object=o`))).status, 404);
    const again = await digestFetch(`${url}/data/other/o?key=a&full_meta=yes`, { method: "POST", body: "B" });
    const meta = JSON.parse(await again.text());
    deepEqual([meta.id, meta.data_key], [1, "2"]);
  });
});

Deno.test("a blob over maxBlobBytes is refused with 413 before it is read", async () => {
  await using tmp = await tempDir("ucondb-limit-");
  const server = await startUconDBServer({ dir: tmp.path, folders: ["run_records"], durable: false, maxBlobBytes: 10 });
  try {
    const big = await fetch(`${server.url}/data/run_records/o?key=1`, { method: "POST", body: "x".repeat(11) });
    equal(big.status, 413);
    await big.body?.cancel();
    const small = await fetch(`${server.url}/data/run_records/o?key=1`, { method: "POST", body: "x".repeat(10) });
    equal(await small.text(), "1");
  } finally {
    await server.close();
  }
});

Deno.test("read-only instance: 405 for put, tag and create_folder", async () => {
  await withServer(async ({ url }) => {
    deepEqual(await answer(await fetch(`${url}/data/run_records/o?key=1`, { method: "POST", body: "x" })), {
      status: 405,
      type: "text/html; charset=UTF-8",
      body: "Read-only instance",
    });
    equal((await answer(await fetch(`${url}/tag?folder=run_records&tag=t&version_id=1`))).status, 405);
    equal(
      (await answer(await fetch(`${url}/data/nofolder/o`, { method: "POST", body: "x" }))).status,
      405,
      "checked first",
    );
    equal((await answer(await fetch(`${url}/create_folder?folder=x`))).status, 405);
  }, { readOnly: true });
});

Deno.test("persistence: versions, keys and tags survive a restart; a torn journal line is dropped; one server per dir", async () => {
  await using tmp = await tempDir("ucondb-persist-");
  const start = () => startUconDBServer({ dir: tmp.path, users: { writer: PASSWORD }, folders: ["run_records"] });
  const first = await start();
  const client = new UconDBClient({
    serverUrl: first.url,
    folder: "run_records",
    user: "writer",
    password: PASSWORD,
    timeoutSeconds: 5,
  });
  await client.put("configuration", te.encode("one"), { key: "1", tags: ["1"] });
  await client.put("configuration", te.encode("two"), { key: "2" });
  await client.put("configuration", te.encode("two again"), { key: "2", override: true });
  await rejects(start(), /used by another UconDB-compatible server/);
  client.close();
  await first.close();
  const journal = join(tmp.path, "public.run_records", "journal.jsonl");
  await Deno.writeTextFile(journal, '{"op":"put","version":{"id":9', { append: true });
  const second = await start();
  const again = new UconDBClient({ serverUrl: second.url, folder: "run_records", timeoutSeconds: 5 });
  const versions = await again.listVersions("configuration");
  deepEqual(versions.map((v) => [v.id, v.key]).sort(), [[1, "1"], [2, null], [3, "2"]]);
  deepEqual(await again.getByKey("configuration", "2"), te.encode("two again"));
  deepEqual((await again.lookupKey("configuration", "1"))?.tags, ["1"]);
  ok((await Deno.readTextFile(journal)).endsWith("\n"), "the torn line was truncated away");
  again.close();
  await second.close();
});

Deno.test("a listing of 600 versions streams in pieces (no Content-Length, as the real server) and is complete", async () => {
  await using tmp = await tempDir("ucondb-listing-");
  const server = await startUconDBServer({ dir: tmp.path, users: { writer: PASSWORD }, folders: ["run_records"] });
  const client = new UconDBClient({
    serverUrl: server.url,
    folder: "run_records",
    user: "writer",
    password: PASSWORD,
    timeoutSeconds: 5,
  });
  const blob = te.encode("x".repeat(200));
  for (let run = 1; run <= 600; run++) {
    await client.put("configuration", blob.map((byte, i) => (i === 0 ? run & 0xff : byte)), {
      key: String(run),
      tags: [`t${run}`],
    });
  }
  const answer = await fetch(`${server.url}/versions?folder=run_records&object=configuration`);
  equal(answer.headers.get("content-length"), null);
  const text = await answer.text();
  ok(text.length > 2 * 65536, `${text.length} bytes: more than two pieces`);
  const listed = JSON.parse(text) as Array<{ key: string; tags: string[] }>;
  deepEqual(listed.map((meta) => meta.key), Array.from({ length: 600 }, (_, i) => String(600 - i)), "newest first");
  deepEqual(listed[0].tags, ["t600"]);
  deepEqual(await client.listVersions("configuration", (meta) => meta.key), listed.map((meta) => meta.key));
  const seq = await (await fetch(`${server.url}/lookup_versions?folder=run_records&object=configuration`, {
    method: "POST",
    body: JSON.stringify({ key_min: "1", key_max: "9" }),
  })).text();
  equal(seq.split("\x1e").filter((part) => part !== "").length, listed.filter((meta) => meta.key < "9").length);
  client.close();
  await server.close();
});
