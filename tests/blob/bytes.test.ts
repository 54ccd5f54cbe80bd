import { deepEqual, equal, throws } from "node:assert/strict";
import { releaseBytes, utf8Text } from "../../core/blob/bytes.ts";

Deno.test("releaseBytes frees a whole buffer at once (its views empty) and leaves slices of larger buffers alone", () => {
  const whole = new Uint8Array(8 << 20).fill(1);
  const before = Deno.memoryUsage().external;
  releaseBytes(whole);
  equal(whole.length, 0);
  equal(whole.buffer.byteLength, 0);
  equal(before - Deno.memoryUsage().external >= 8 << 20, true, "the 8 MiB are given back now, not at a collection");
  releaseBytes(whole); // a released buffer again: nothing happens

  const big = new Uint8Array([1, 2, 3, 4]);
  const slice = big.subarray(1, 3);
  releaseBytes(slice);
  deepEqual([...slice], [2, 3], "a slice is not released");
  deepEqual([...big], [1, 2, 3, 4]);
  releaseBytes(new Uint8Array(0));
});

Deno.test("utf8Text decodes bytes each time (a byte-order mark kept) and refuses released bytes", () => {
  const text = '\uFEFFa: "é" # ☃\r\n';
  const bytes = new TextEncoder().encode(text);
  equal(utf8Text(bytes), text);
  deepEqual(new TextEncoder().encode(utf8Text(bytes)), bytes, "its UTF-8 is the bytes again");
  releaseBytes(bytes);
  throws(() => utf8Text(bytes), /read after its bytes were released/, "never an empty text in its place");
});
