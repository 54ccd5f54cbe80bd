/**
 * The client suite. Runs against the embedded server, or unchanged against a real UconDB when UCONDB_TEST_URL,
 * UCONDB_TEST_FOLDER, UCONDB_TEST_USER and UCONDB_TEST_PASSWORD are set (it only touches its own objects).
 */
import { deepEqual, equal, match, ok, rejects } from "node:assert/strict";
import { adler32 } from "../../core/blob/adler32.ts";
import { PackedBlob } from "../../core/blob/packed.ts";
import { SinkError } from "../../core/errors.ts";
import { KeyExistsError } from "../../plugins/ucondb/client.ts";
import { peer } from "./_helpers.ts";

const te = new TextEncoder();
const every256 = new Uint8Array(256).map((_, i) => i);

Deno.test("version and folders", async () => {
  await using target = await peer();
  const client = target.client();
  match(await client.version(), /^\d+\.\d+/);
  // /folders lists the default namespace without its prefix; a folder in another namespace is not listed there.
  const bare = target.folder.replace(/^public\./, "");
  if (!bare.includes(".")) ok((await client.folders()).includes(bare));
});

Deno.test("put → lookup, get by key, list: metadata and bytes are exact (binary, UTF-8, empty)", async () => {
  await using target = await peer();
  const client = target.client();
  const object = target.object();
  deepEqual(await client.listVersions(object), [], "an object without versions lists as empty");
  const blobs = [every256, te.encode("Start of Record\né ✓ 日本\r\n"), new Uint8Array()];
  for (const [i, blob] of blobs.entries()) {
    const key = String(1000 + i);
    const meta = await client.put(object, blob, { key, tags: [key, "client-test"] });
    equal(meta.key, key);
    equal(meta.object, object);
    equal(meta.data_size, blob.length);
    equal(String(meta.adler32), adler32(blob));
    deepEqual([...meta.tags].sort(), [key, "client-test"].sort());
    deepEqual(await client.getByKey(object, key), blob);
    equal(await client.compareByKey(object, key, PackedBlob.of(blob)), true, "compared as it downloads");
    equal(await client.compareByKey(object, key, PackedBlob.of(te.encode(`other ${i}`))), false);
  }
  equal(await client.compareByKey(object, "9999", PackedBlob.of(every256)), null);
  const looked = await client.lookupKeys(object, ["1000", "1002", "9999"]);
  deepEqual(looked.map((meta) => meta.key).sort(), ["1000", "1002"]);
  const listed = await client.listVersions(object);
  deepEqual(listed.map((meta) => meta.key).sort(), ["1000", "1001", "1002"]);
  equal(await client.getByKey(object, "9999"), null);
  equal(await client.lookupKey(object, "9999"), null);
});

Deno.test("keys and tags travel as query parameters: spaces, '+', '/', '%', non-ASCII", async () => {
  await using target = await peer();
  const client = target.client();
  const object = target.object();
  for (const key of ["run 7", "a+b", "x/y", "100%"]) {
    const data = te.encode(`data of ${key}`);
    const meta = await client.put(object, data, { key, tags: [key] });
    equal(meta.key, key);
    deepEqual(meta.tags, [key]);
    deepEqual(await client.getByKey(object, key), data);
    equal((await client.lookupKey(object, key))?.key, key);
  }
  // Non-ASCII keys and tags survive put and lookup (JSON both ways). Not fetched with GET /data: the real server
  // echoes the key in a response header, which must be Latin-1.
  const meta = await client.put(object, te.encode("unicode"), { key: "ключ", tags: ["тег"] });
  deepEqual([meta.key, meta.tags], ["ключ", ["тег"]]);
  equal((await client.lookupKey(object, "ключ"))?.key, "ключ");
});

Deno.test("duplicate key: KeyExistsError at once (no retries), nothing stored; override moves the key", async () => {
  await using target = await peer();
  // A retry would first wait at least 2.5 s (half of 5 s): staying under that proves there was none.
  const client = target.client({ retries: 3, retryBaseMs: 5000 });
  const object = target.object();
  await client.put(object, te.encode("first"), { key: "7" });
  const started = performance.now();
  await rejects(client.put(object, te.encode("second"), { key: "7" }), (error: unknown) => {
    ok(error instanceof KeyExistsError);
    match(error.message, /already exists/);
    return true;
  });
  ok(performance.now() - started < 2500, "a deterministic 'already exists' is not retried");
  deepEqual(await client.getByKey(object, "7"), te.encode("first"));
  await client.put(object, te.encode("third"), { key: "7", override: true });
  deepEqual(await client.getByKey(object, "7"), te.encode("third"));
  const keys = (await client.listVersions(object)).map((meta) => meta.key);
  deepEqual(keys.sort(), ["7", null].sort(), "the previous holder's key became null");
});

Deno.test("versions without a key (key: null) are listed, not fatal", async () => {
  await using target = await peer();
  const client = target.client();
  const object = target.object();
  await client.put(object, te.encode("keyless"));
  await client.put(object, te.encode("keyed"), { key: "12" });
  const listed = await client.listVersions(object);
  deepEqual(listed.map((meta) => meta.key).sort(), ["12", null].sort());
});

Deno.test("wrong password: SinkError naming the user, never the password, no retries", async () => {
  await using target = await peer();
  const wrong = `not-${target.password}`;
  const client = target.client({ password: wrong, retries: 3, retryBaseMs: 5000 });
  const started = performance.now();
  await rejects(client.put(target.object(), te.encode("x"), { key: "1" }), (error: unknown) => {
    ok(error instanceof SinkError);
    match(error.message, new RegExp(`rejected the credentials of user '${target.user}'`));
    ok(!error.message.includes(wrong) && !error.message.includes(target.password));
    return true;
  });
  ok(performance.now() - started < 2500, "a 401 is not retried");
});

Deno.test("missing folder: put, list, lookup and get say which folder and what to do", async () => {
  await using target = await peer();
  const client = target.client({ folder: `no_such_folder_${Date.now()}` });
  const object = target.object();
  const expected = /folder 'no_such_folder_\d+' does not exist .*create it/;
  await rejects(client.put(object, te.encode("x"), { key: "1" }), expected);
  await rejects(client.listVersions(object), expected);
  await rejects(client.lookupKeys(object, ["1"]), expected);
  await rejects(client.getByKey(object, "1"), expected);
});
