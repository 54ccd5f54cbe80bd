/**
 * The bad-input corpus of issue 12 (fixtures/bad/run_records, see its README.md) and the cases generated at run
 * time (50 MB file, run over its limit, permission denied, FIFO): every bad run fails alone with a one-line
 * RunInputError naming the run and the file; the good runs of the same directory still prepare.
 */
import { deepStrictEqual as assertEquals, ok, rejects } from "node:assert/strict";
import { join } from "node:path";
import { RunInputError } from "../../core/errors.ts";
import { runRecords } from "../../plugins/run-records/mod.ts";
import { firstBinaryByte, readRunFile } from "../../plugins/run-records/reader.ts";
import { tempDir } from "../_helpers/peers.ts";
import { RecordingLogger } from "../_helpers/recorders.ts";
import { BAD_RECORDS } from "./_corpus.ts";
import { metadataText, PROCESS_FHICL, writeRun } from "./_runs.ts";

/** A RunInputError about `run` whose single-line message matches `pattern`. */
function runError(run: number, pattern: RegExp) {
  return (error: Error) => {
    ok(error instanceof RunInputError, `${error.name}: ${error.message}`);
    ok(!error.message.includes("\n"), "one line");
    ok(error.message.startsWith(`run ${run}: `), error.message);
    ok(pattern.test(error.message), error.message);
    assertEquals((error as RunInputError).run, run);
    return true;
  };
}

Deno.test("bad corpus: listing ignores non-runs, reads zero-padded names, reports the 64-bit run number", async () => {
  const logger = new RecordingLogger();
  const source = runRecords({ run_records_dir: BAD_RECORDS, logger });
  const runs = await source.listRuns();
  assertEquals(runs.map((r) => r.run), [12000, 12001, 12002, 12003, 12004, 12005, 12006, 12007, 12008]);
  assertEquals(runs.find((r) => r.run === 12006)!.dirName, "0012006");
  const warnings = logger.at("warn");
  assertEquals(warnings.length, 1);
  ok(/99999999999 skipped: run number 99999999999 is larger than 4294967295/.test(warnings[0]), warnings[0]);
});

Deno.test("bad corpus: each bad run fails alone with a clear one-line error; the good ones prepare", async () => {
  const source = runRecords({ run_records_dir: BAD_RECORDS });
  await rejects(
    source.prepare(12001),
    runError(12001, /12001\/EventBuilder1\.fcl is not valid FHiCL \(EventBuilder1\.fcl:\d+:\d+: /),
  );
  await rejects(source.prepare(12002), runError(12002, /12002\/tpc01\.fcl contains binary data \(control byte 0x00/));
  await rejects(
    source.prepare(12003),
    runError(12003, /12003\/metadata\.txt is not UTF-8 text \(byte 14\); convert it/),
  );
  await rejects(source.isComplete(12003), runError(12003, /12003\/metadata\.txt is not UTF-8 text \(byte 14\)/));
  await rejects(
    source.prepare(12004),
    runError(12004, /12004\/settings\.txt is a symlink to .*\/shared_settings\.txt, outside the run directory/),
  );
  await rejects(source.prepare(12007), runError(12007, /several directories name this run \(012007, 12007 in /));
  await rejects(source.prepare(12008), runError(12008, /12008\/boot\.txt is not UTF-8 text \(byte 1\)/));

  assertEquals((await source.prepare(12000)).configName, "good");
  const noMetadata = await source.prepare(12005);
  assertEquals([noMetadata.configName, noMetadata.complete], ["standard", false]);
  const padded = await source.prepare(12006);
  assertEquals([padded.run, padded.configName], [12006, "padded"]);
  await rejects(source.prepare(99999999999), runError(99999999999, /no directory for this run/));
});

Deno.test("generated: a 50 MB file and a run over max_run_bytes are refused before reading", async () => {
  await using tmp = await tempDir();
  const dir = await writeRun(tmp.path, "13001", { "metadata.txt": metadataText("big"), "tpc01.fcl": PROCESS_FHICL });
  using file = await Deno.open(join(dir, "huge.fcl"), { create: true, write: true });
  await file.truncate(50 * 1024 * 1024);
  const source = runRecords({ run_records_dir: tmp.path });
  await rejects(
    source.prepare(13001),
    runError(13001, /huge\.fcl is 52428800 bytes, more than max_file_bytes \(16777216\)/),
  );
  await Deno.remove(join(dir, "huge.fcl"));
  const small = runRecords({ run_records_dir: tmp.path, max_run_bytes: 100 });
  await rejects(small.prepare(13001), runError(13001, /holds \d+ bytes, more than max_run_bytes \(100\)/));
});

Deno.test("generated: a FIFO in a run directory is refused (reading it would hang)", async () => {
  await using tmp = await tempDir();
  const dir = await writeRun(tmp.path, "13002", { "metadata.txt": metadataText("fifo") });
  const made = await new Deno.Command("mkfifo", { args: [join(dir, "pipe.fcl")] }).output();
  ok(made.success, "mkfifo");
  await rejects(
    runRecords({ run_records_dir: tmp.path }).prepare(13002),
    runError(13002, /pipe\.fcl is not a regular file \(FIFO, socket or device\)/),
  );
});

Deno.test("generated: a file the archiver may not read → permission denied, with what to do", async () => {
  await using tmp = await tempDir();
  await Deno.chmod(tmp.path, 0o755);
  const dir = await writeRun(tmp.path, "13003", { "metadata.txt": metadataText("locked"), "tpc01.fcl": PROCESS_FHICL });
  await Deno.chmod(dir, 0o755);
  await Deno.chmod(join(dir, "metadata.txt"), 0o644);
  await Deno.chmod(join(dir, "tpc01.fcl"), 0o000);
  const expected = /^run 13003: cannot read .*13003\/tpc01\.fcl: permission denied; make it readable/;
  if (Deno.uid() !== 0) {
    await rejects(runRecords({ run_records_dir: tmp.path }).prepare(13003), runError(13003, expected));
    return;
  }
  // root reads every file: show the real EACCES from an unprivileged account (nobody).
  await using denoDir = await tempDir();
  await Deno.chmod(denoDir.path, 0o777);
  const script = new URL("./_prepare_one.ts", import.meta.url).pathname;
  const output = await new Deno.Command("setpriv", {
    args: [
      "--reuid=65534",
      "--regid=65534",
      "--clear-groups",
      Deno.execPath(),
      "run",
      "--no-config",
      "--no-lock",
      "--allow-read",
      "--allow-env",
      script,
      tmp.path,
      "13003",
    ],
    env: { DENO_DIR: denoDir.path, HOME: denoDir.path, NO_COLOR: "1" },
  }).output();
  const stdout = new TextDecoder().decode(output.stdout).trim();
  ok(output.success, new TextDecoder().decode(output.stderr));
  const result = JSON.parse(stdout.split("\n").pop()!);
  assertEquals([result.ok, result.name], [false, "RunInputError"]);
  ok(expected.test(result.message), result.message);
});

Deno.test("binary check on the bytes: the first control byte of the regex's set, found four bytes at a time", () => {
  // The definition it replaces: decoded, then /[\u0000-\u0008\u000e-\u001a\u001c-\u001f]/ on the text.
  // deno-lint-ignore no-control-regex
  const reference = /[\u0000-\u0008\u000e-\u001a\u001c-\u001f]/;
  const decoder = new TextDecoder("utf-8", { ignoreBOM: true });
  const encoder = new TextEncoder();
  const pieces = ["a", "b: 1\n", "\t", "\r\n", "\x1b[0m", "é", "\u{1f600}", "\x0b\x0c", "\x00", "\x07", "\x1f", "\x0e"];
  let seed = 7;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  let found = 0;
  for (let i = 0; i < 3000; i++) {
    let text = "";
    const length = Math.floor(random() * 40);
    for (let k = 0; k < length; k++) {
      const piece = pieces[Math.floor(random() * pieces.length)];
      text += piece.charCodeAt(0) < 0x20 && piece !== "\t" && random() < 0.8 ? "x" : piece;
    }
    // At every byte offset of its buffer (the words are read only from an aligned start).
    const shift = Math.floor(random() * 4);
    const buffer = new Uint8Array(shift + text.length * 4);
    const written = encoder.encodeInto(text, buffer.subarray(shift)).written;
    const bytes = buffer.subarray(shift, shift + written);
    const at = firstBinaryByte(bytes);
    const match = reference.exec(text);
    assertEquals(at < 0 ? null : decoder.decode(bytes.subarray(0, at)).length, match ? match.index : null, text);
    if (match) {
      assertEquals(bytes[at], match[0].charCodeAt(0));
      found++;
    }
  }
  ok(found > 500 && found < 2500, `${found} of 3000 texts hold a control byte`);
});

Deno.test("binary check: the message names the character (byte-order mark and multi-byte characters counted)", async () => {
  await using dir = await tempDir("binary-check-");
  const path = "boot.fcl";
  await Deno.writeTextFile(join(dir.path, path), '\ufeffa: "é\u{1f600}"\n\x00b: 1\n');
  await rejects(
    readRunFile(dir.path, path, 12009, 1 << 20),
    runError(12009, /boot\.fcl contains binary data \(control byte 0x00 at character 10\)/),
  );
});

Deno.test("text check once per content: a file read again is refused again; good content checked once stays good", async () => {
  await using dir = await tempDir("checked-once-");
  await Deno.writeTextFile(join(dir.path, "good.fcl"), "a: 1\n");
  await Deno.writeTextFile(join(dir.path, "bad.fcl"), "a: 1\n\x00");
  for (let i = 0; i < 2; i++) {
    assertEquals((await readRunFile(dir.path, "good.fcl", 12010, 1 << 20))?.text, "a: 1\n");
    await rejects(readRunFile(dir.path, "bad.fcl", 12010, 1 << 20), runError(12010, /bad\.fcl contains binary data/));
  }
  // The good file's name with bad content: the content is checked, not the name.
  await Deno.writeTextFile(join(dir.path, "good.fcl"), "a: 1\n\x01");
  await rejects(readRunFile(dir.path, "good.fcl", 12010, 1 << 20), runError(12010, /good\.fcl contains binary data/));
});
