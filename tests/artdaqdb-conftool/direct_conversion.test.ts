/**
 * The import's encoding (plugins/artdaqdb-conftool/tasks.ts) converts FHiCL straight to the stored bytes
 * (core/fhicl/dbjson_bytes.ts) and leaves the rest to the model: every document it writes, to a file or as bytes,
 * is byte for byte `encodeArtdaq` of the stored document built from `fhiclToDbJson` (the reference), whichever way
 * it went; a syntax error is still the reference's one-line `RunInputError` and leaves no file.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { RunInputError } from "../../core/errors.ts";
import { encodeArtdaq } from "../../core/json/mod.ts";
import { realFixturesDir } from "../../core/paths.ts";
import {
  type EncodeCommon,
  encodeDocuments,
  type EncodeItem,
  storedDocument,
} from "../../plugins/artdaqdb-conftool/tasks.ts";
import { tempDir } from "../_helpers/peers.ts";

const COMMON: EncodeCommon = {
  run: 1001506,
  configuration: "1001506/np04_WibsReal_Ssps00045",
  version: "1001506/np04_WibsReal_Ssps00045",
  timestamp: "2024-03-04T12:05:01.337-0600",
};

/** The `.fcl` files of real run records as items (the text as bytes, as the source hands them over). */
function items(run: string, from = 0): EncodeItem[] {
  const dir = join(realFixturesDir(), "run_records", run);
  const names = [...Deno.readDirSync(dir)].filter((e) => e.name.endsWith(".fcl")).map((e) => e.name).sort();
  return names.map((name, i) => ({
    name,
    path: join(dir, name),
    bytes: Deno.readFileSync(join(dir, name)),
    collection: "RunHistory",
    entity: name.replace(/\.fcl$/, ""),
    id: (from + i).toString(16).padStart(24, "0"),
  }));
}

/** What the reference writes for `item`. */
function expected(item: EncodeItem): Uint8Array {
  return encodeArtdaq(storedDocument(item, COMMON).doc);
}

const ODD: EncodeItem[] = [
  // A value past ASCII and a table the direct conversion leaves to the reference; a comment-only file.
  { name: "odd.fcl", text: 't: { a: "é" }\n', collection: "RunHistory", entity: "odd", id: "a".repeat(24) },
  {
    name: "wide.fcl",
    text: `t: {\n${Array.from({ length: 70 }, (_, i) => `m${i}: ${i}`).join("\n")}\nk4uzx: 1\nkf2ad: 2\n}\n`,
    collection: "RunHistory",
    entity: "wide",
    id: "b".repeat(24),
  },
  { name: "empty.fcl", text: "# nothing\n", collection: "RunHistory", entity: "empty", id: "c".repeat(24) },
];

Deno.test("direct conversion in the import: the bytes of every document are the reference's", () => {
  const all = [...items("1001506"), ...items("1342", 1000), ...ODD];
  const encoded = encodeDocuments(all, COMMON);
  assert.equal(encoded.length, all.length);
  for (const [i, document] of encoded.entries()) {
    assert.ok(document.data !== undefined);
    assert.deepEqual(document.data, expected(all[i]), all[i].name);
    assert.equal(document.facts.version, COMMON.version);
  }
});

Deno.test("direct conversion in the import: the files written are the reference's, and a file there is kept", async () => {
  await using dir = await tempDir("direct-conversion-");
  const all = [...items("1342"), ...ODD].map((item) => ({
    ...item,
    file: { collection: item.collection, id: item.id, path: join(dir.path, `${item.id}.json`), store: "test" },
  }));
  // A leftover file: not overwritten here; the document comes back as bytes for the backend to replace it.
  Deno.writeTextFileSync(all[0].file.path, "leftover");
  const encoded = encodeDocuments(all, COMMON);
  assert.deepEqual(encoded[0].data, expected(all[0]));
  assert.equal(Deno.readTextFileSync(all[0].file.path), "leftover");
  for (const [i, document] of encoded.entries()) {
    if (i === 0) continue;
    assert.equal(document.written, all[i].file, all[i].name);
    assert.deepEqual(Deno.readFileSync(all[i].file.path), expected(all[i]), all[i].name);
  }
});

Deno.test("direct conversion in the import: a syntax error is the reference's message, and leaves no file", async () => {
  await using dir = await tempDir("direct-conversion-");
  const file = (id: string) => ({ collection: "RunHistory", id, path: join(dir.path, `${id}.json`), store: "test" });
  const good = { ...items("1342")[0], file: file("1".repeat(24)) };
  const bad: EncodeItem = {
    name: "bad.fcl",
    path: "/daq/run_records/1001506/bad.fcl",
    text: "a: [1,]\n",
    collection: "RunHistory",
    entity: "bad",
    id: "2".repeat(24),
    file: file("2".repeat(24)),
  };
  assert.throws(
    () => encodeDocuments([good, bad], COMMON),
    (error: unknown) =>
      error instanceof RunInputError &&
      /^run 1001506: \/daq\/run_records\/1001506\/bad\.fcl is not valid FHiCL \(bad\.fcl:1:7: a trailing ',' before '\]' is not allowed\); fix or remove/
        .test(error.message),
  );
  assert.deepEqual([...Deno.readDirSync(dir.path)], []);
});
