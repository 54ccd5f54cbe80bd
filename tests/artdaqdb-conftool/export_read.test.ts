/**
 * The export's reading of stored document files (`renderStretch`: the model of everything but `document.metadata`,
 * which is read straight from the text) chooses and renders what the export of the whole parsed documents does
 * (`exportDocuments`), for the documents of every shape a provider may hold: the usual one, a payload without the
 * `document` wrapper, a `document` that is not an object or is repeated, a JSON payload, text after the object, a
 * byte-order mark (refused by both, as the provider's reader refuses it); and a damaged file fails with the
 * provider's one-line error naming it.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { StoreError } from "../../core/errors.ts";
import { parseStoredDocument } from "../../plugins/artdaqdb-conftool/document.ts";
import { exportDocuments, renderStretch } from "../../plugins/artdaqdb-conftool/export.ts";
import { SPEC_DOCUMENT, SPEC_OID } from "./_fixtures.ts";

const decoder = new TextDecoder();

/** Document texts of every shape, derived from the spec's stored document (one entity each, so each one wins). */
function shapes(): Record<string, string> {
  const spec = SPEC_DOCUMENT.trimEnd();
  const entity = (name: string, text: string) => text.replace(/"name" : "boot"/g, `"name" : "${name}"`);
  const body = spec.slice(spec.indexOf('"document" : ') + '"document" : '.length, spec.indexOf(',\n"comments" :'));
  const rest = spec.slice(spec.indexOf(',\n"comments" :'));
  return {
    usual: entity("usual", spec),
    trailing: entity("trailing", spec + "\n{ text after the object is ignored, as artdaq_database does }"),
    repeated: entity(
      "repeated",
      spec.replace(
        '{\n"document" : ',
        `{\n"document" : ${body.replace("# DAQ boot settings", "# first wins")},\n"document" : `,
      ),
    ),
    unwrapped: entity("unwrapped", "{" + body.slice(1, -1) + rest),
    notObject: entity("notObject", '{\n"document" : "x"' + rest),
    json: entity("json", spec.replace('"format" : "fhicl"', '"format" : "json"')),
    bom: entity("bom", "\ufeff" + spec),
  };
}

Deno.test("export reading: documents of every shape render as the export of the parsed documents does", async () => {
  const dir = await Deno.makeTempDir({ prefix: "export-read-" });
  const outcomes = new Set<string>();
  try {
    for (const [name, text] of Object.entries(shapes())) {
      const path = join(dir, `${name}.json`);
      await Deno.writeTextFile(path, text);
      const file = { collection: "RunHistory", id: SPEC_OID, path, store: `filesystemdb://${dir}` };
      let expected: string;
      try {
        const stored = parseStoredDocument(text, { collection: "RunHistory", id: SPEC_OID, source: path });
        const { files } = exportDocuments([stored]);
        assert.equal(files.length, 1, name);
        expected = `${files[0].path}\n${decoder.decode(files[0].data)}`;
      } catch (error) {
        expected = `${(error as Error).name}: ${(error as Error).message}`;
      }
      let actual: string;
      try {
        const winners = renderStretch([{ file }]);
        assert.equal(winners.length, 1, name);
        actual = `${winners[0].entity}.fcl\n${decoder.decode(winners[0].value)}`;
      } catch (error) {
        actual = `${(error as Error).name}: ${(error as Error).message}`;
      }
      assert.equal(actual, expected, name);
      outcomes.add(actual);
    }
    // Every shape is rendered, and differently (the entity names differ; the JSON payload, the repeated document's
    // first comment and the unwrapped payload's error each show in the text).
    assert.equal(outcomes.size, Object.keys(shapes()).length);
    assert.ok([...outcomes].some((text) => text.includes("# first wins")));
    assert.ok([...outcomes].some((text) => text.startsWith("json.fcl\n{\n")));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("export reading: a damaged document file fails with the provider's error naming the file", async () => {
  const dir = await Deno.makeTempDir({ prefix: "export-read-" });
  try {
    const spec = SPEC_DOCUMENT.trimEnd();
    const damaged = {
      truncated: spec.slice(0, spec.indexOf('"metadata" :') + 200),
      badMetadata: spec.replace('"metadata" : {', '"metadata" : {,'),
      badElsewhere: spec.replace('"isdeleted" : false', '"isdeleted" : flase'),
      array: "[1, 2]",
    };
    for (const [name, text] of Object.entries(damaged)) {
      const path = join(dir, `${name}.json`);
      await Deno.writeTextFile(path, text);
      const file = { collection: "RunHistory", id: SPEC_OID, path, store: `filesystemdb://${dir}` };
      const expected = (() => {
        try {
          parseStoredDocument(text, { collection: "RunHistory", id: SPEC_OID, source: path });
        } catch (error) {
          return error as Error;
        }
        throw new Error(`${name} parsed`);
      })();
      assert.ok(expected instanceof StoreError, name);
      assert.throws(() => renderStretch([{ file }]), (error: Error) => {
        assert.ok(error instanceof StoreError, name);
        assert.equal(error.message, expected.message, name);
        assert.ok(error.message.startsWith(path), name);
        return true;
      });
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
