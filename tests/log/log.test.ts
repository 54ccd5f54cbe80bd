import assert from "node:assert/strict";
import { join } from "node:path";
import { createLogger, formatJson, formatText } from "../../core/log/mod.ts";
import type { LogLevel } from "../../core/roles.ts";
import { tempDir } from "../_helpers/peers.ts";
import { load } from "../config/_write.ts";

function capture() {
  const lines: { line: string; level: LogLevel }[] = [];
  return { lines, terminal: (line: string, level: LogLevel) => lines.push({ line, level }) };
}

Deno.test("text lines have the Python archiver's layout", () => {
  const line = formatText({
    time: new Date(2025, 9, 24, 14, 32, 15, 123),
    level: "warn",
    name: "archiver.importer",
    message: "Found 3 run directories in filesystem",
    fields: { run: 5, note: "two words", skipped: undefined },
  });
  assert.equal(
    line,
    '2025-10-24 14:32:15,123 - archiver.importer - WARNING - Found 3 run directories in filesystem run=5 note="two words"',
  );
});

Deno.test("JSON lines carry time, level, logger, message and fields (which cannot overwrite them)", () => {
  const record = JSON.parse(formatJson({
    time: new Date("2025-10-24T14:32:15.123Z"),
    level: "error",
    name: "archiver",
    message: "boom",
    fields: { run: 7, message: "spoof", error: new Error("first line\nsecond") },
  }));
  assert.deepEqual(record, {
    time: "2025-10-24T14:32:15.123Z",
    level: "error",
    logger: "archiver",
    message: "boom",
    run: 7,
    error: "first line",
  });
});

Deno.test("fields that JSON cannot encode never make a log call fail", () => {
  const cyclic: Record<string, unknown> = { n: 1n };
  cyclic.self = cyclic;
  const fields = { big: 2n ** 70n, cyclic, nested: { error: new Error("inner") } };
  const json = JSON.parse(formatJson({ time: new Date(0), level: "info", name: "a", message: "m", fields }));
  assert.deepEqual(json.cyclic, { n: "1", self: "[circular]" });
  assert.equal(json.big, "1180591620717411303424");
  assert.equal(json.nested.error, "inner");
  assert.match(
    formatText({ time: new Date(0), level: "info", name: "a", message: "m", fields }),
    /big=1180591620717411303424 cyclic=\{"n":"1","self":"\[circular\]"\}/,
  );
});

Deno.test("levels, child names and quiet mode", () => {
  const out = capture();
  const log = createLogger({ level: "info", format: "text", terminal: out.terminal });
  log.debug("hidden");
  log.child("migrator").child("ucondb").info("shown");
  assert.equal(out.lines.length, 1);
  assert.match(out.lines[0].line, / - archiver\.migrator\.ucondb - INFO - shown$/);
  const quiet = capture();
  const q = createLogger({ level: "debug", format: "json", quiet: true, terminal: quiet.terminal });
  q.info("not on terminal");
  q.warn("on terminal");
  q.critical("also");
  assert.deepEqual(quiet.lines.map((l) => JSON.parse(l.line).message), ["on terminal", "also"]);
});

Deno.test("the log file keeps the level, rotates by size and keeps N backups", async () => {
  await using dir = await tempDir();
  const file = join(dir.path, "logs", "archiver.log");
  const out = capture();
  const log = createLogger({
    level: "debug",
    format: "text",
    quiet: true,
    file,
    rotation: { maxBytes: 2000, backups: 5 },
    terminal: out.terminal,
  });
  for (let i = 0; i < 400; i++) log.debug(`line ${i} ${"x".repeat(40)}`);
  log.close();
  assert.equal(out.lines.length, 0);
  const names = [...Deno.readDirSync(join(dir.path, "logs"))].map((e) => e.name).sort();
  assert.deepEqual(names, ["archiver.log", ...[1, 2, 3, 4, 5].map((n) => `archiver.log.${n}`)]);
  for (const name of names) assert.ok(Deno.statSync(join(dir.path, "logs", name)).size <= 2000, name);
  const newest = Deno.readTextFileSync(file).trim().split("\n").at(-1)!;
  assert.match(newest, /line 399 /);
  assert.match(Deno.readTextFileSync(`${file}.1`), /line 3\d\d /);
});

Deno.test("a log file that cannot be opened is reported and the terminal keeps working", () => {
  const out = capture();
  const log = createLogger({ level: "info", format: "text", file: "/proc/no/such/dir/a.log", terminal: out.terminal });
  log.info("still here");
  log.close();
  assert.match(out.lines[0].line, /ERROR - Cannot open log file '\/proc\/no\/such\/dir\/a\.log'/);
  assert.match(out.lines[1].line, /still here$/);
});

Deno.test("every configured secret kind is redacted in text lines, JSON lines and the log file", async () => {
  await using dir = await tempDir();
  const secrets = {
    ucon: "UconPw-91!x",
    smtp: "SmtpPw-7731",
    slack: "xoxb-1111-2222-slacktoken",
    mongo: "m0ngo:pass/word",
    token: "status-bearer-5150",
    basic: "httpbasicpw",
  };
  const yaml = `source_files:
  run_records_dir: /data
artdaq_db:
  fcl_conf_dir: /conf
  database_uri: "mongodb://archiver:${encodeURIComponent(secrets.mongo)}@db.example.com:27017/db_archive"
ucon_db:
  server_url: "https://reader:${secrets.basic}@ucon.example.com/app"
  folder_name: f
  object_name: o
  writer_user: u
  writer_password: "\${UCONDB_PASSWORD}"
reporting:
  email:
    smtp_password: "${secrets.smtp}"
  slack:
    bot_token: "${secrets.slack}"
status_server:
  token: "${secrets.token}"
`;
  await load(dir.path, yaml, { UCONDB_PASSWORD: secrets.ucon });
  for (const format of ["text", "json"] as const) {
    const file = join(dir.path, `${format}.log`);
    const out = capture();
    const log = createLogger({ level: "debug", format, file, terminal: out.terminal });
    for (const secret of Object.values(secrets)) {
      log.info(`message with ${secret} inside`, { field: secret, nested: { deep: secret } });
      log.child("plugins.ucondb").error(`uri mongodb://archiver:${encodeURIComponent(secret)}@host/db`);
      log.warn("error field", { error: new Error(`failed: ${secret}`) });
    }
    log.close();
    const written = [out.lines.map((l) => l.line).join("\n"), Deno.readTextFileSync(file)];
    for (const text of written) {
      assert.ok(text.includes("***"));
      for (const secret of Object.values(secrets)) {
        assert.equal(text.includes(secret), false, `${format}: ${secret} leaked`);
        assert.equal(text.includes(encodeURIComponent(secret)), false, `${format}: encoded ${secret} leaked`);
      }
    }
    if (format === "json") { for (const line of out.lines) JSON.parse(line.line); }
  }
});

Deno.test("two writers of one log file: a rotation by one is noticed by the other, no line is lost", async () => {
  await using dir = await tempDir();
  const file = join(dir.path, "shared.log");
  const rotation = { maxBytes: 4000, backups: 20 };
  const a = createLogger({ level: "info", format: "text", quiet: true, file, rotation, terminal: () => {} });
  const b = createLogger({ level: "info", format: "text", quiet: true, file, rotation, terminal: () => {} });
  for (let i = 0; i < 300; i++) {
    a.error(`a-${i} ${"x".repeat(20)}`);
    b.error(`b-${i} ${"y".repeat(20)}`);
  }
  a.close();
  b.close();
  const text = [...Deno.readDirSync(dir.path)].map((e) => Deno.readTextFileSync(join(dir.path, e.name))).join("");
  for (let i = 0; i < 300; i++) {
    assert.ok(text.includes(` a-${i} `), `a-${i}`);
    assert.ok(text.includes(` b-${i} `), `b-${i}`);
  }
  for (const entry of Deno.readDirSync(dir.path)) {
    assert.ok(Deno.statSync(join(dir.path, entry.name)).size <= 2 * rotation.maxBytes, entry.name);
  }
});

Deno.test("a writer follows a rotation made by another process within a second", async () => {
  await using dir = await tempDir();
  const file = join(dir.path, "shared.log");
  const rotation = { maxBytes: 2000, backups: 5 };
  const a = createLogger({ level: "info", format: "text", quiet: true, file, rotation, terminal: () => {} });
  const b = createLogger({ level: "info", format: "text", quiet: true, file, rotation, terminal: () => {} });
  b.error("b-first");
  for (let i = 0; i < 60; i++) a.error(`a-${i} ${"x".repeat(40)}`);
  assert.ok(Deno.statSync(`${file}.1`).isFile, "a rotated");
  await new Promise((resolve) => setTimeout(resolve, 1100));
  b.error("b-marker");
  a.close();
  b.close();
  assert.match(Deno.readTextFileSync(file), /b-marker/);
});
