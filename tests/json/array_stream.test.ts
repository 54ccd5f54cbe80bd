import { assertEquals, assertThrows } from "./_assert.ts";
import { JsonArrayReader, JsonArrayStreamError } from "../../core/json/array_stream.ts";
import { seededRandom } from "../../core/random.ts";

const encoder = new TextEncoder();

/** The elements `text` gives when pushed in pieces of `size` bytes (and the number of batches). */
function readInPieces(text: string, size: number): { items: unknown[]; batches: number } {
  const bytes = encoder.encode(text);
  const items: unknown[] = [];
  let batches = 0;
  const reader = new JsonArrayReader((batch) => {
    batches++;
    items.push(...batch);
  });
  for (let at = 0; at < bytes.length; at += size) reader.push(bytes.subarray(at, at + size));
  reader.end();
  return { items, batches };
}

/** A random JSON value with the characters that matter to the splitter inside strings and nesting. */
function randomValue(random: () => number, depth = 0): unknown {
  const pick = Math.floor(random() * (depth > 2 ? 4 : 6));
  const pieces = ["a", ",", "[", "]", "{", "}", '"', "\\", "é", "😀", " ", "\n", "key"];
  const text = () => Array.from({ length: Math.floor(random() * 6) }, () => pieces[Math.floor(random() * 13)]).join("");
  switch (pick) {
    case 0:
      return text();
    case 1:
      return Math.floor(random() * 1e6) / 8;
    case 2:
      return random() < 0.5 ? null : random() < 0.5;
    case 3:
      return { key: text(), tags: [text()] };
    case 4:
      return Array.from({ length: Math.floor(random() * 4) }, () => randomValue(random, depth + 1));
    default:
      return Object.fromEntries(
        Array.from({ length: Math.floor(random() * 4) }, (_, i) => [`${text()}${i}`, randomValue(random, depth + 1)]),
      );
  }
}

Deno.test("JsonArrayReader gives every element of random arrays, whatever the piece size", () => {
  const random = seededRandom(11);
  for (let round = 0; round < 40; round++) {
    const value = Array.from({ length: Math.floor(random() * 12) }, () => randomValue(random));
    const spaced = round % 2 === 0 ? JSON.stringify(value) : ` \n${JSON.stringify(value, null, round % 4)}\n `;
    for (const size of [1, 2, 3, 7, 16, 64, 1 << 20]) {
      assertEquals(readInPieces(spaced, size).items, value, `round ${round}, pieces of ${size}`);
    }
  }
});

Deno.test("JsonArrayReader hands elements over as their bytes complete, not at the end", () => {
  const records = Array.from({ length: 1000 }, (_, i) => ({ key: String(i), tags: [String(i)] }));
  const { items, batches } = readInPieces(JSON.stringify(records), 4096);
  assertEquals(items, records);
  assertEquals(batches > 5, true, `${batches} batches`);
  assertEquals(readInPieces("[]", 1).items, []);
  assertEquals(readInPieces(" [ ] ", 1).items, []);
});

Deno.test("JsonArrayReader rejects what is not one complete JSON array", () => {
  for (
    const [text, message] of [
      ['{"a": 1}', "not a JSON array"],
      ["", "empty"],
      ["[1, 2", "ends early"],
      ['[{"a": "]"}', "ends early"],
      ["[1, 2] x", "text after the end"],
      ["[1,]", "JSON"],
      ["[,1]", "JSON"],
      ["[1, , 2]", "JSON"],
      ["[1, {]", "JSON"],
      ["[1}", "unbalanced"],
      ["[nope]", "not JSON"],
    ] as const
  ) {
    for (const size of [1, 3, 100]) {
      assertThrows(() => readInPieces(text, size), JsonArrayStreamError, message);
    }
  }
});
