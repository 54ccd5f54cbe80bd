import { deepEqual, equal, throws } from "node:assert/strict";
import { ByteBuffer, matchesAt, releaseBytes, utf8Text } from "../../core/blob/bytes.ts";

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

Deno.test("ByteBuffer: appends, grows, replaces and removes in place; a reset lets a large buffer go", () => {
  const text = (out: ByteBuffer) => new TextDecoder().decode(out.view());
  const out = new ByteBuffer(4, 64);
  out.put(new TextEncoder().encode("a=1,b=2,"));
  out.byte(0x63);
  out.copy(new TextEncoder().encode("xx=3yy"), 2, 4);
  equal(text(out), "a=1,b=2,c=3");
  // b's value "2" replaced by what follows position 11 ("222"), the bytes from 8 on dropped first.
  out.put(new TextEncoder().encode("222"));
  equal(out.replace(6, 7, 11, 11), 2);
  equal(text(out), "a=1,b=222,c=3");
  out.remove(0, 4);
  equal(text(out), "b=222,c=3");
  out.put(new Uint8Array(100).fill(0x7a)); // past `kept`: let go at the reset
  equal(out.view().length, 109);
  out.reset();
  equal(out.view().length, 0);
  equal(out.buf.length, 4);
  equal(matchesAt(new TextEncoder().encode("abc"), new TextEncoder().encode("bc"), 1), true);
  equal(matchesAt(new TextEncoder().encode("abc"), new TextEncoder().encode("bcd"), 1), false);
});
