/**
 * Units of the bulk-tools store: tar both ways (also against the system's GNU tar), options, host-key policies,
 * the tools' command line and exit statuses, the remote wrapper script, and the stand-ins' command-line contract.
 */

import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { createHmac } from "node:crypto";
import { ConfigurationError, StoreError } from "../../core/errors.ts";
import { clearSecrets, registerSecret } from "../../core/redact.ts";
import { exitMeaning, localThreads, toolArguments } from "../../plugins/artdaqdb-bulktools/command.ts";
import { fingerprintOf, parseKnownHosts, pinnedFingerprint } from "../../plugins/artdaqdb-bulktools/host_key.ts";
import { resolveSettings } from "../../plugins/artdaqdb-bulktools/options.ts";
import { remoteScript, splitWrapperPid } from "../../plugins/artdaqdb-bulktools/remote_script.ts";
import { shellQuote } from "../../core/shell.ts";
import { toolFailure } from "../../plugins/artdaqdb-bulktools/runner.ts";
import { createTar, readTar } from "../../plugins/artdaqdb-bulktools/tar.ts";
import { BIN, scratch } from "./_env.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const runtime = (env: Record<string, string> = {}) => ({
  env: (name: string) => env[name],
  configDir: "/etc/archiver",
});

async function tar(args: string[], stdin?: Uint8Array): Promise<Uint8Array> {
  const child = new Deno.Command("tar", { args, stdin: stdin ? "piped" : "null", stdout: "piped", stderr: "piped" })
    .spawn();
  if (stdin) {
    const writer = child.stdin.getWriter();
    await writer.write(stdin);
    await writer.close();
  }
  const output = await child.output();
  assert.equal(output.code, 0, decoder.decode(output.stderr));
  return output.stdout;
}

Deno.test("tar: our archives unpack with the system tar, byte for byte, long names included", async () => {
  await using dir = await scratch();
  const long = `${"d".repeat(60)}/${"e".repeat(70)}/boot.fcl`;
  const files = [
    { path: "schema.fcl", data: encoder.encode("main: {}\n") },
    { path: "standard/boot.fcl", data: new Uint8Array(1500).map((_, i) => i % 251) },
    { path: long, data: encoder.encode("x: 1\n") },
    { path: "empty.fcl", data: new Uint8Array() },
  ];
  await tar(["-xf", "-", "-C", dir.dbPath], createTar(files));
  for (const file of files) assert.deepEqual(await Deno.readFile(`${dir.dbPath}/${file.path}`), file.data, file.path);
});

Deno.test("tar: archives of the system tar read back (directories, ./ prefixes, GNU long names)", async () => {
  await using dir = await scratch();
  const long = `${"a".repeat(120)}.fcl`;
  await Deno.mkdir(`${dir.dbPath}/standard`);
  await Deno.writeTextFile(`${dir.dbPath}/schema.fcl`, "main: {}\n");
  await Deno.writeTextFile(`${dir.dbPath}/standard/boot.fcl`, "a: 1\n");
  await Deno.writeTextFile(`${dir.dbPath}/standard/${long}`, "b: 2\n");
  for (const format of ["gnu", "posix", "ustar"]) {
    if (format === "ustar") await Deno.remove(`${dir.dbPath}/standard/${long}`);
    const files = readTar(await tar([`--format=${format}`, "-cf", "-", "-C", dir.dbPath, "."]), "test");
    const expected = ["schema.fcl", "standard/boot.fcl", ...(format === "ustar" ? [] : [`standard/${long}`])];
    assert.deepEqual(files.map((f) => f.path), expected.sort(), format);
    assert.equal(decoder.decode(files.find((f) => f.path === "standard/boot.fcl")!.data), "a: 1\n");
  }
});

Deno.test("tar: links, unsafe paths and truncated streams are refused", async () => {
  await using dir = await scratch();
  await Deno.symlink("/etc/passwd", `${dir.dbPath}/link.fcl`);
  await assert.rejects(
    async () => readTar(await tar(["-cf", "-", "-C", dir.dbPath, "."]), "download"),
    /download: '.\/link.fcl' is not a regular file/,
  );
  const good = createTar([{ path: "a.fcl", data: encoder.encode("a: 1\n") }]);
  assert.throws(() => readTar(good.subarray(0, 514), "download"), /cut short/);
  assert.throws(() => readTar(good.subarray(0, 1024), "download"), /without its end blocks/);
  assert.throws(() => readTar(new Uint8Array(), "download"), /empty tar stream/);
  const corrupt = good.slice();
  corrupt[0] = "b".charCodeAt(0);
  assert.throws(() => readTar(corrupt, "download"), /corrupt tar header/);
  assert.throws(() => createTar([{ path: "../x.fcl", data: new Uint8Array() }]), StoreError);
  assert.throws(() => createTar([{ path: "/abs.fcl", data: new Uint8Array() }]), StoreError);
});

Deno.test("options: thread count, timeout, tools and remote host are validated", () => {
  assert.throws(() => resolveSettings({ threads: 0 }, "mongo", runtime()), /threads is 0; it must be an integer ≥ 1/);
  assert.throws(() => resolveSettings({ threads: 1.5 }, "mongo", runtime()), ConfigurationError);
  assert.throws(() => resolveSettings({ tools_timeout_seconds: 0 }, "mongo", runtime()), /tools_timeout_seconds/);
  assert.equal(resolveSettings({}, "filesystem", runtime()).threads, 1, "filesystem: the tools' threads race");
  assert.equal(resolveSettings({}, "mongo", runtime()).threads, "auto");
  assert.equal(resolveSettings({ threads: 3 }, "filesystem", runtime()).threads, 3);
  const local = resolveSettings({ tools_dir: "/opt/adb/bin", bulkdownloader: "bin/dl" }, "mongo", runtime());
  assert.equal(local.bulkloader, "/opt/adb/bin/bulkloader");
  assert.equal(local.bulkdownloader, "/etc/archiver/bin/dl", "local relative paths resolve against the config dir");
  assert.equal(local.ssh, null);
  assert.equal(resolveSettings({}, "mongo", runtime()).bulkloader, "bulkloader", "bare name: PATH lookup");

  const remote = resolveSettings(
    { remote_host: "daq@[::1]:2200", ssh_key_file: "keys/id", ssh_port: 22 },
    "mongo",
    runtime({ HOME: "/home/arch" }),
  );
  assert.deepEqual(remote.ssh, {
    host: "::1",
    port: 2200,
    username: "daq",
    keyFile: "/etc/archiver/keys/id",
    agent: null,
    fingerprint: null,
    knownHosts: "/home/arch/.ssh/known_hosts",
  });
  const fromEnv = resolveSettings(
    { ssh_port: 2222, ssh_agent: true },
    "mongo",
    runtime({ ARTDAQ_DATABASE_REMOTEHOST: "gw01", USER: "op", SSH_AUTH_SOCK: "/run/agent.sock" }),
  );
  assert.equal(fromEnv.ssh?.host, "gw01");
  assert.equal(fromEnv.ssh?.port, 2222);
  assert.equal(fromEnv.ssh?.username, "op");
  assert.equal(fromEnv.ssh?.agent, "/run/agent.sock");
  assert.equal(fromEnv.bulkloader, "bulkloader", "remote paths are the remote host's");
  assert.throws(() => resolveSettings({ remote_host: "gw01" }, "mongo", runtime()), /no SSH credential is set/);
  assert.throws(() => resolveSettings({ remote_host: "a b" }, "mongo", runtime()), /not \[user@\]host\[:port\]/);
  assert.throws(
    () =>
      resolveSettings({ remote_host: "gw01", ssh_key_file: "/k", ssh_host_fingerprint: "MD5:aa" }, "mongo", runtime()),
    /ssh_host_fingerprint 'MD5:aa' is not SHA256/,
  );
  assert.throws(() => resolveSettings({ remote_tmp_dir: "tmp" }, "mongo", runtime()), /remote_tmp_dir/);
});

Deno.test("host keys: known_hosts entries (plain, [host]:port, wildcard, negation, hashed, revoked) and pins", () => {
  const key = Buffer.from("AAAAC3NzaC1lZDI1NTE5AAAAIDACib/uKhxQe9evuKmvQsCD5tl15b5La5+vJAIUxFvU", "base64");
  const other = Buffer.from("AAAAC3NzaC1lZDI1NTE5AAAAIA+other+key+bytes+for+the+test+0123456789ab", "base64");
  const b64 = (blob: Buffer) => blob.toString("base64");
  const salt = Buffer.from("0123456789abcdef0123");
  const hashed = `|1|${salt.toString("base64")}|${
    createHmac("sha1", salt).update("[db.example]:2222").digest("base64")
  }`;
  const text = [
    "# comment",
    `db.example ssh-ed25519 ${b64(other)}`,
    `[db.example]:2222 ssh-ed25519 ${b64(key)}`,
    `*.lab,!bad.lab ssh-ed25519 ${b64(key)}`,
    `${hashed} ssh-rsa ${b64(other)}`,
    `@revoked * ssh-ed25519 ${b64(other)}`,
    `@cert-authority * ssh-ed25519 ${b64(key)}`,
  ].join("\n");
  assert.deepEqual(parseKnownHosts(text, "[db.example]:2222").map((k) => [k.type, k.revoked]), [
    ["ssh-ed25519", false],
    ["ssh-rsa", false],
    ["ssh-ed25519", true],
  ]);
  assert.equal(parseKnownHosts(text, "db.example")[0].blob.equals(other), true);
  assert.equal(parseKnownHosts(text, "gw.lab").length, 2, "wildcard entry and the revoked one");
  assert.equal(parseKnownHosts(text, "bad.lab").length, 1, "negated: only the revoked entry");

  const fingerprint = fingerprintOf(key);
  assert.match(fingerprint, /^SHA256:[A-Za-z0-9+/]{43}$/);
  assert.equal(pinnedFingerprint(fingerprint).decide(key).accepted, true);
  const refused = pinnedFingerprint(fingerprint).decide(other);
  assert.equal(refused.accepted, false);
  assert.match(refused.reason, /is not the pinned artdaq_db\.ssh_host_fingerprint/);
});

Deno.test("command line: the documented argument order, -t never 0, exit statuses explained", () => {
  assert.deepEqual(toolArguments(12345, "standard00042", "/tmp/run12345", 4), [
    "-r",
    "12345",
    "-c",
    "standard00042",
    "-p",
    "/tmp/run12345",
    "-t",
    "4",
  ]);
  assert.throws(() => toolArguments(1, "std", "/x", 0), RangeError);
  assert.ok(localThreads("auto") >= 1);
  assert.equal(localThreads(7), 7);
  assert.match(exitMeaning("bulkloader", 136), /SIGFPE/);
  assert.match(exitMeaning("bulkloader", 130), /missing -c/);
  assert.match(exitMeaning("bulkdownloader", 1), /composition failed/);
});

Deno.test("tool failures: one line, redacted, silent bulkdownloader failures caught", () => {
  clearSecrets();
  registerSecret("pa55word");
  try {
    const call = { run: 7, configName: "std" };
    const base = { code: 0, signal: null, stdout: "", stderr: "", timedOut: false };
    assert.equal(toolFailure("bulkloader", call, "h", base, 1000), null);
    const failed = toolFailure("bulkloader", call, "h", {
      ...base,
      code: 1,
      stderr: "Failed loading file:/x/a.fcl\nError message:cannot connect mongodb://u:pa55word@db/x\n" +
        "Error: Failed to load 1 file(s).\n",
    }, 1000);
    assert.ok(failed instanceof StoreError);
    assert.equal(failed.message.includes("\n"), false);
    assert.doesNotMatch(failed.message, /pa55word/);
    assert.match(failed.message, /exit status 1 \(some files failed to load\): .*Failed to load 1 file/);
    const silent = toolFailure(
      "bulkdownloader",
      call,
      "h",
      { ...base, stderr: "Error: Failed to export 2file(s).\n" },
      1,
    );
    assert.match(silent?.message ?? "", /exited 0 but failed to export files/);
    assert.match(
      toolFailure("bulkloader", call, "h", { ...base, code: null, signal: "SIGKILL" }, 1)?.message ?? "",
      /SIGKILL/,
    );
  } finally {
    clearSecrets();
  }
});

Deno.test("remote wrapper: valid sh, no URI, quoted names, exit status propagated and temp dir removed", async () => {
  await using dir = await scratch();
  const call = {
    tool: "bulkloader" as const,
    executable: `${dir.root}/fake tool`,
    run: 5,
    configName: "it's",
    threads: "auto" as const,
    tmpBase: dir.remoteTmp,
    setup: null,
    deadlineSeconds: 30,
  };
  const script = remoteScript(call);
  assert.doesNotMatch(script, /ARTDAQ_DATABASE_URI=/, "the URI is read from stdin, never written into the script");
  assert.equal(shellQuote("it's"), `'it'\\''s'`);
  // A fake tool that reports what it got and exits 3: the wrapper must exit 3 and leave no temp dir.
  await Deno.writeTextFile(
    call.executable,
    `#!/bin/sh\necho "args:$*" >&2\necho "uri:$ARTDAQ_DATABASE_URI" >&2\nls "$6" >&2\nexit 3\n`,
  );
  await Deno.chmod(call.executable, 0o755);
  const child = new Deno.Command("/bin/sh", { args: ["-c", script], stdin: "piped", stderr: "piped", stdout: "piped" })
    .spawn();
  const writer = child.stdin.getWriter();
  await writer.write(encoder.encode("filesystemdb:///db\n"));
  await writer.write(createTar([{ path: "boot.fcl", data: encoder.encode("a: 1\n") }]));
  await writer.close();
  const output = await child.output();
  const { pid, rest } = splitWrapperPid(decoder.decode(output.stderr));
  assert.ok(pid !== null && pid > 0);
  assert.equal(output.code, 3, rest);
  assert.match(
    rest,
    /^args:-r 5 -c it's -p \S+\/bulkloader-5\.\w+ -t [1-9]\d*\nuri:filesystemdb:\/\/\/db\nboot\.fcl\n$/,
  );
  assert.deepEqual([...Deno.readDirSync(dir.remoteTmp)], []);
});

Deno.test("stand-ins: the documented command-line contract (missing options, bad syntax, -t 0, empty dir)", async () => {
  await using dir = await scratch();
  const run = async (tool: string, args: string[], env: Record<string, string> = {}) => {
    const output = await new Deno.Command(`${BIN}${tool}`, { args, env, stdout: "piped", stderr: "piped" }).output();
    return { code: output.code, stdout: decoder.decode(output.stdout), stderr: decoder.decode(output.stderr) };
  };
  const env = { ARTDAQ_DATABASE_URI: `filesystemdb://${dir.dbPath}` };
  for (const tool of ["bulkloader", "bulkdownloader"]) {
    assert.equal((await run(tool, ["-r", "1", "-c", "x"])).code, 129, `${tool}: no -p`);
    assert.equal((await run(tool, ["-r", "1", "-p", dir.root])).code, 130, `${tool}: no -c`);
    assert.equal((await run(tool, ["-c", "x", "-p", dir.root])).code, 131, `${tool}: no -r`);
    assert.equal((await run(tool, ["-r", "x1", "-c", "x", "-p", dir.root])).code, 128, `${tool}: -r not unsigned`);
    assert.equal((await run(tool, ["--bogus", "1"])).code, 128, `${tool}: unknown option`);
    assert.equal((await run(tool, ["-h"])).code, 1, `${tool}: --help`);
    assert.equal((await run(tool, ["-r", "1", "-c", "x", "-p", dir.root, "-t", "0"], env)).code, 136, `${tool}: -t 0`);
  }
  assert.equal((await run("bulkloader", ["-r", "1", "-c", "x", "-p", dir.dbPath, "-d", "maybe"])).code, 128);
  await Deno.mkdir(`${dir.root}/empty`);
  assert.equal((await run("bulkloader", ["-r", "1", "-c", "x", "-p", `${dir.root}/empty`, "-t", "2"], env)).code, 136);
  const missing = await run("bulkdownloader", ["--run=1", "--configuration=x", `--path=${dir.root}/out`], env);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /composition/);
  await Deno.writeTextFile(`${dir.root}/empty/boot.fcl`, "a: 1\n");
  await Deno.writeTextFile(`${dir.root}/empty/schema.fcl`, "main: {}\n");
  const loaded = await run("bulkloader", ["-r", "1", "-c", "x00001", "-p", `${dir.root}/empty`, "-t", "2"], env);
  assert.equal(loaded.code, 0, loaded.stderr);
  assert.match(
    loaded.stdout,
    /^Loaded 2 files with 2 threads in \d+ msecs\.\nAvarage file load time is [\d.]+ msecs\.\n$/,
  );
  const downloaded = await run("bulkdownloader", ["-r", "1", "-c", "x00001", "-p", `${dir.root}/out`, "-t", "1"], env);
  assert.equal(downloaded.code, 0, downloaded.stderr);
  assert.match(downloaded.stdout, /^Downloaded 2 files with 1 threads in \d+ msecs\.\n$/);
  assert.match(await Deno.readTextFile(`${dir.root}/out/x/boot.fcl`), /^\s*a: 1\s*$/);
  assert.ok((await Deno.stat(`${dir.root}/out/schema.fcl`)).isFile);
  assert.equal((await run("bulkloader", ["-r", "1", "-c", "x", "-p", `${dir.root}/empty`])).code, 144, "no URI");
});
