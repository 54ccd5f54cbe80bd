/** A blob in parts (core/blob/packed.ts): the same size, adler32 and bytes as the blob packed in one buffer. */
import assert from "node:assert/strict";
import { adler32, concatBytes, packBlob, packBlobParts, PackedBlob } from "../../core/blob/mod.ts";
import { seededRandom } from "../../core/random.ts";

const te = new TextEncoder();

Deno.test("PackedBlob: parts of a packed run equal packBlob's bytes, with the same size and adler32", () => {
  const random = seededRandom(11);
  for (let trial = 0; trial < 50; trial++) {
    const files = Array.from({ length: 1 + Math.floor(random() * 6) }, (_, i) => ({
      path: `f${i}.fcl`,
      // Reserved lines inside the content make escapeContent cut a file into several parts.
      data: te.encode(
        Array.from(
          { length: Math.floor(random() * 40) },
          () => random() < 0.2 ? "#####" : `k${Math.floor(random() * 1e6)}: ${random()}`,
        ).join("\n"),
      ),
    }));
    const whole = packBlob(7, "7/demo", "2026-11-29T14:01:00Z", files);
    const packed = new PackedBlob(packBlobParts(7, "7/demo", "2026-11-29T14:01:00Z", files));
    assert.equal(packed.size, whole.length);
    assert.equal(packed.adler32, adler32(whole));
    assert.deepEqual(packed.bytes(), whole);
    assert.ok(packed.equals(whole));
    const altered = whole.slice();
    altered[Math.floor(random() * altered.length)] ^= 1;
    assert.ok(!packed.equals(altered), "one flipped bit is seen");
    assert.ok(!packed.equals(whole.subarray(1)), "another length is seen");
  }
});

Deno.test("PackedBlob.comparison: bytes arriving in any pieces match exactly the blob, no more, no less", () => {
  const random = seededRandom(5);
  for (let trial = 0; trial < 50; trial++) {
    const parts = Array.from(
      { length: 1 + Math.floor(random() * 5) },
      () => te.encode("x".repeat(Math.floor(random() * 30)) + trial),
    );
    parts.splice(Math.floor(random() * parts.length), 0, new Uint8Array(0)); // an empty part anywhere
    const blob = new PackedBlob(parts);
    const whole = blob.bytes().slice();
    const inPieces = (bytes: Uint8Array) => {
      const comparison = blob.comparison();
      for (let at = 0; at < bytes.length;) {
        const n = Math.min(bytes.length - at, 1 + Math.floor(random() * 17));
        comparison.push(bytes.subarray(at, at += n));
      }
      return comparison.matches();
    };
    assert.ok(inPieces(whole), "the blob itself, in random pieces");
    const altered = whole.slice();
    altered[Math.floor(random() * altered.length)] ^= 1;
    assert.ok(!inPieces(altered), "one flipped bit is seen");
    assert.ok(!inPieces(whole.subarray(1)), "a shorter download is seen");
    assert.ok(!inPieces(concatBytes([whole, te.encode("!")])), "a longer download is seen");
  }
});

Deno.test("PackedBlob.of: bytes become a blob of one part (no copy); a PackedBlob stays itself", () => {
  const bytes = te.encode("Wikipedia");
  const blob = PackedBlob.of(bytes);
  assert.equal(blob.bytes(), bytes);
  assert.equal(blob.adler32, "300286872");
  assert.equal(PackedBlob.of(blob), blob);
  assert.deepEqual(new PackedBlob([te.encode("Wiki"), te.encode("pedia")]).bytes(), concatBytes([bytes]));
});
