/**
 * Byte-exact guard of the conversion hot paths: for every real `.fcl` under ../shared/fixtures/real and every
 * fcl2dbjson fixture, the SHA-256 (first 128 bits) of the DB-JSON text (`stringifyArtdaq(fhiclToDbJson(…))`) and of
 * its export (`dbJsonToFhicl(parseOrdered(text))`), or the error message, must equal what the code wrote at commit
 * 099d1d0, before the fast paths of the round-3 performance work replaced it. The digests were made with
 * `fhiclToDbJson(text, "doc", { timestamp: STAMP })` by that commit's code; a change of the real corpus needs them
 * made again from that commit, never from the code under test.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { relative } from "node:path";
import { dbJsonToFhicl, fhiclToDbJson } from "../../core/fhicl/mod.ts";
import { parseOrdered, stringifyArtdaq } from "../../core/json/mod.ts";
import { assertEquals, assertOk } from "../json/_assert.ts";
import { FCL2DBJSON, listFcl, REAL_FIXTURES } from "./_corpus.ts";

const STAMP = "2024-03-04T12:05:01.337-0600";
const GOLDEN: Record<string, { json?: string; fhicl?: string; error?: string }> = JSON.parse(
  Deno.readTextFileSync(new URL("./fixtures/digests/conversion_099d1d0.json", import.meta.url)),
);

const digest = (text: string): string => createHash("sha256").update(text).digest("hex").slice(0, 32);

function converted(text: string): { json?: string; fhicl?: string; error?: string } {
  try {
    const json = stringifyArtdaq(fhiclToDbJson(text, "doc", { timestamp: STAMP }));
    return { json: digest(json), fhicl: digest(dbJsonToFhicl(parseOrdered(json))) };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

Deno.test("DB-JSON text and export of every real .fcl and fixture are byte-identical to commit 099d1d0", () => {
  const files = [
    ...listFcl(REAL_FIXTURES).map((path) => ["real/" + relative(REAL_FIXTURES, path), path]),
    ...listFcl(FCL2DBJSON).map((path) => ["fcl2dbjson/" + relative(FCL2DBJSON, path), path]),
  ];
  assertEquals(files.length, Object.keys(GOLDEN).length, "the corpus changed: remake the digests (see above)");
  for (const [name, path] of files) {
    assertOk(name in GOLDEN, `${name} has no digest: remake the digests (see above)`);
    assertEquals(converted(Deno.readTextFileSync(path)), GOLDEN[name], name);
  }
});
