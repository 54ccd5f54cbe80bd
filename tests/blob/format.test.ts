import { deepEqual, equal, throws } from "node:assert/strict";
import {
  Adler32,
  adler32,
  BlobFormatError,
  blobOrder,
  END_FILES,
  packBlob,
  packedOn,
  unpackBlob,
} from "../../core/blob/mod.ts";
import { RunInputError } from "../../core/errors.ts";
import type { ExportedFile } from "../../core/roles.ts";
import { seededRandom } from "../../core/random.ts";

const te = new TextEncoder();
const td = new TextDecoder();
const file = (path: string, text: string): ExportedFile => ({ path, data: te.encode(text) });
const STORED_AT = "2026-11-29T14:01:33.250Z";

const FRAGMENTS = [
  "#####",
  "\\#####",
  "\\\\#####",
  "End of Record",
  "\\End of Record",
  "Start of Record",
  "Run Number: 7",
  "Packed on Nov 29 14:01 UTC",
  "x.fcl:",
  "\n",
  "\r\n",
  "\n\n",
  "",
  " ",
  "a: 1",
  "é",
  "日本語",
  "🎉",
  "\u0000",
  "\\",
  "#",
  "####",
  "######",
  "End of Record ",
];

function randomContent(next: () => number): Uint8Array {
  if (next() < 0.1) return new Uint8Array();
  if (next() < 0.1) {
    const raw = new Uint8Array(Math.floor(next() * 64));
    for (let i = 0; i < raw.length; i++) raw[i] = Math.floor(next() * 256);
    return raw;
  }
  let text = "";
  const count = Math.floor(next() * 12);
  for (let i = 0; i < count; i++) text += FRAGMENTS[Math.floor(next() * FRAGMENTS.length)];
  return te.encode(text);
}

function randomPath(next: () => number, index: number): string {
  const names = ["boot.fcl", "Boot.fcl", "metadata.fcl", "RunHistory2.fcl", "tpc01.fcl", "ü.fcl", "a b.txt", "x:y.fcl"];
  const dirs = ["", "", "sub/", "a/b/", "End of Record/"];
  return `${dirs[Math.floor(next() * dirs.length)]}${index}-${names[Math.floor(next() * names.length)]}`;
}

function sortByPath(files: ExportedFile[]): Array<[string, string]> {
  return files.map((f): [string, string] => [f.path, Array.from(f.data).join(",")]).sort((a, b) =>
    a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0
  );
}

Deno.test("property: any set of files survives pack → unpack exactly (seeded)", () => {
  for (let seed = 1; seed <= 400; seed++) {
    const next = seededRandom(seed); // a failing case replays from its seed
    const files: ExportedFile[] = [];
    const count = 1 + Math.floor(next() * 8);
    for (let i = 0; i < count; i++) files.push({ path: randomPath(next, i), data: randomContent(next) });
    const configuration = `${seed}/cfg #####`;
    const blob = packBlob(seed, configuration, STORED_AT, files);
    const back = unpackBlob(blob);
    equal(back.run, seed, `seed ${seed}`);
    equal(back.configuration, configuration, `seed ${seed}`);
    equal(back.storedAt, STORED_AT, `seed ${seed}`);
    equal(back.legacy, false);
    deepEqual(sortByPath(back.files), sortByPath(files), `seed ${seed}`);
    // Deterministic and independent of the input order.
    equal(td.decode(packBlob(seed, configuration, STORED_AT, [...files].reverse())), td.decode(blob));
  }
});

Deno.test("layout: the Python archiver's sections, order and footer; time from storedAt", () => {
  const files = [
    file("RunHistory2.fcl", 'DAQInterface_stop_time: "t"'),
    file("metadata.fcl", 'config_name: "std"\n'),
    file("tpc01.fcl", "x: 1\n"),
    file("boot.fcl", "b: 1\n"),
    file("schema.fcl", "s: 1\n"),
    file("Alpha.fcl", "a: 1\n"),
  ];
  const text = td.decode(packBlob(12345, "12345/std", STORED_AT, files));
  const expected = "Start of Record\nRun Number: 12345\nPacked on Nov 29 14:01 UTC\nConfiguration: 12345/std\n" +
    `Stored At: ${STORED_AT}\nBlob Format: 2\n` +
    "\n#####\nAlpha.fcl:\n#####\na: 1\n" +
    "\n#####\nschema.fcl:\n#####\ns: 1\n" +
    "\n#####\ntpc01.fcl:\n#####\nx: 1\n" +
    "\n#####\nboot.fcl:\n#####\nb: 1\n" +
    '\n#####\nmetadata.fcl:\n#####\nconfig_name: "std"\n' +
    '\n#####\nRunHistory2.fcl:\n#####\nDAQInterface_stop_time: "t"' +
    "\nEnd of Record\nRun Number: 12345\nPacked on Nov 29 14:01 UTC\n";
  equal(text, expected);
});

Deno.test("order: the canonical (flat) export of the M1 run gives §7.1's order from any input order", () => {
  // What every store exports for the §17 M1 run (core/roles.ts ExportedRun: flat `<entity>.fcl` paths).
  const m1 = ["schema.fcl", "tpc01.fcl", "boot.fcl", "metadata.fcl", "RunHistory.fcl", "RunHistory2.fcl"];
  const random = seededRandom(17);
  for (let i = 0; i < 20; i++) {
    const shuffled = m1.map((path) => file(path, path)).sort(() => random() - 0.5);
    deepEqual(blobOrder(shuffled).map((f) => f.path), m1);
  }
  // Every end file, after every regular file, in END_FILES order (case-insensitive names); an end-file name in a
  // directory (the native store's `<collection>/<entity>.fcl` for an entity of two collections) is a regular file.
  const ends = ["RunHistory2.fcl", "ranks.fcl", "Boot.fcl", "settings.fcl", "known_boardreaders_list.fcl"];
  const regular = ["SystemLayout/boot.fcl", "a.fcl", "RunHistory/boot.fcl", "zz.fcl"];
  deepEqual(blobOrder([...ends, ...regular].map((path) => file(path, ""))).map((f) => f.path), [
    "a.fcl",
    "RunHistory/boot.fcl",
    "SystemLayout/boot.fcl",
    "zz.fcl",
    "Boot.fcl",
    "known_boardreaders_list.fcl",
    "settings.fcl",
    "ranks.fcl",
    "RunHistory2.fcl",
  ]);
  equal(END_FILES.length, 9);
});

Deno.test("layout: relative paths keep same-named files of different directories (M9)", () => {
  const blob = packBlob(1, "1/c", STORED_AT, [file("a/x.fcl", "A"), file("b/x.fcl", "B"), file("X.fcl", "C")]);
  deepEqual(unpackBlob(blob).files.map((f) => f.path), ["a/x.fcl", "b/x.fcl", "X.fcl"]);
});

Deno.test("escaping: reserved lines get one more backslash, CRLF and partial matches are untouched", () => {
  const content = "#####\n\\#####\nEnd of Record\n#####\r\n ##### \nEnd of Record\r\nx#####\n#####";
  const text = td.decode(packBlob(3, "", STORED_AT, [file("f", content)]));
  const body = text.slice(text.indexOf("f:\n#####\n") + 9, text.indexOf("\nEnd of Record\nRun Number"));
  equal(body, "\\#####\n\\\\#####\n\\End of Record\n#####\r\n ##### \nEnd of Record\r\nx#####\n\\#####");
  equal(td.decode(unpackBlob(te.encode(text)).files[0].data), content);
  // Lines that only start like a reserved line, empty lines, and a reserved line last without a newline.
  const near = "\n\n#\nE\n\\\n####\nEnd of Record!\n\\x#####\n\n\\\\End of Record";
  const packed = td.decode(packBlob(3, "", STORED_AT, [file("f", near)]));
  const nearBody = packed.slice(packed.indexOf("f:\n#####\n") + 9, packed.indexOf("\nEnd of Record\nRun Number"));
  equal(nearBody, near.replace(/\\\\End of Record$/, "\\\\\\End of Record"));
  equal(td.decode(unpackBlob(te.encode(packed)).files[0].data), near);
});

Deno.test("bytes: UTF-8 is copied exactly (BOM, NFC/NFD kept) and non-UTF-8 bytes survive", () => {
  const utf8 = te.encode("\uFEFFcafé cafe\u0301 ✓\n");
  const binary = new Uint8Array([0xff, 0xfe, 0x00, 0x0a, 0x23, 0x80]);
  const back = unpackBlob(packBlob(4, "4/c", STORED_AT, [{ path: "u", data: utf8 }, { path: "b", data: binary }]));
  deepEqual(back.files.find((f) => f.path === "u")!.data, utf8);
  deepEqual(back.files.find((f) => f.path === "b")!.data, binary);
});

Deno.test("pack rejects what cannot be archived faithfully, naming the run and file", () => {
  const ok = [file("a.fcl", "x")];
  throws(() => packBlob(1, "c", STORED_AT, []), /run 1: no files to pack/);
  throws(() => packBlob(1, "c", STORED_AT, [file("a.fcl", ""), file("a.fcl", "")]), /file 'a.fcl' is given twice/);
  for (const bad of ["/abs.fcl", "../up.fcl", "a//b", "./a", "line\nbreak", ""]) {
    throws(() => packBlob(1, "c", STORED_AT, [file(bad, "")]), RunInputError, JSON.stringify(bad));
  }
  throws(() => packBlob(1, "c\n#####", STORED_AT, ok), /configuration .* must be one line/);
  throws(() => packBlob(1, "c", "yesterday", ok), /storedAt 'yesterday' is not an ISO 8601 time/);
  throws(() => packBlob(-1, "c", STORED_AT, ok), /not a run number/);
});

Deno.test("unpack rejects truncated, altered or foreign bytes", () => {
  const blob = packBlob(9, "9/c", STORED_AT, [file("a", "1\n"), file("b", "2\n")]);
  throws(() => unpackBlob(blob.subarray(0, blob.length - 3)), BlobFormatError);
  const altered = td.decode(blob).replace(/Run Number: 9\nPacked on (.*)\n$/, "Run Number: 8\nPacked on $1\n");
  throws(() => unpackBlob(te.encode(altered)), /footer missing or not matching/);
  throws(() => unpackBlob(te.encode("hello")), BlobFormatError);
  throws(() => unpackBlob(te.encode("Start of Record\nRun Number: x\n\n#####\na:\n#####\n")), /Run Number/);
  const twice = td.decode(blob).replace("\nb:\n", "\na:\n");
  throws(() => unpackBlob(te.encode(twice)), /appears twice/);
});

Deno.test("legacy: a Python archiver blob (§7.1 example) unpacks like its extractor did", () => {
  const python = "Start of Record\nRun Number: 12345\nPacked on Nov 29 14:01 UTC\n" +
    "\n#####\nAlpha.fcl:\n#####\na: 1\n" +
    '\n#####\nRunHistory2.fcl:\n#####\nDAQInterface_stop_time: "t"' +
    "\nEnd of Record\nRun Number: 12345\nPacked on Nov 29 14:01 UTC\n";
  const back = unpackBlob(te.encode(python));
  equal(back.legacy, true);
  equal(back.run, 12345);
  deepEqual(back.files.map((f) => [f.path, td.decode(f.data)]), [
    ["Alpha.fcl", "a: 1\n"],
    ["RunHistory2.fcl", 'DAQInterface_stop_time: "t"'],
  ]);
});

Deno.test("packedOn formats like Python's %b %d %H:%M in UTC", () => {
  equal(packedOn("2026-01-05T23:59:59.999+02:00"), "Jan 05 21:59");
  equal(packedOn("2026-10-06T14:30:00Z"), "Oct 06 14:30");
});

Deno.test("adler32 matches zlib (known vectors, chunked updates, long input)", () => {
  equal(adler32(new Uint8Array()), "1");
  equal(adler32(te.encode("Wikipedia")), "300286872");
  // zlib.adler32(b"\xff" * 1_000_000) & 0xffffffff
  equal(adler32(new Uint8Array(1_000_000).fill(0xff)), "943972798");
  const data = new Uint8Array(100_003).map((_, i) => (i * 7919) & 0xff);
  const sum = new Adler32();
  for (let i = 0; i < data.length; i += 4096) sum.update(data.subarray(i, i + 4096));
  equal(sum.digest(), adler32(data));
  // Against the definition, byte by byte, for every length around the 8-byte steps and odd chunk sizes.
  const definition = (bytes: Uint8Array): string => {
    let a = 1, b = 0;
    for (const x of bytes) {
      a = (a + x) % 65521;
      b = (b + a) % 65521;
    }
    return String((b * 65536 + a) >>> 0);
  };
  for (let n = 0; n < 40; n++) {
    const bytes = data.subarray(n, 2 * n + 5);
    equal(adler32(bytes), definition(bytes), `length ${bytes.length}`);
    const chunked = new Adler32();
    for (let i = 0; i < bytes.length; i += n + 1) chunked.update(bytes.subarray(i, i + n + 1));
    equal(chunked.digest(), definition(bytes), `length ${bytes.length} in chunks of ${n + 1}`);
  }
  equal(adler32(data.subarray(5)), definition(data.subarray(5)));
});
