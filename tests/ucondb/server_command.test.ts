/** `archive ucondb-server` as a process: password from a file, serves puts, stops cleanly on SIGTERM. */
import { deepEqual, equal, match, ok } from "node:assert/strict";
import { join } from "node:path";
import { UconDBClient } from "../../plugins/ucondb/client.ts";
import { tempDir } from "../_helpers/peers.ts";

const COMMAND = new URL("../../plugins/ucondb/server_command.ts", import.meta.url).href;

function spawn(args: string[]) {
  return new Deno.Command(Deno.execPath(), {
    args: ["eval", `import { main } from ${JSON.stringify(COMMAND)}; Deno.exit(await main(Deno.args));`, ...args],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

/** The first stdout line (the listening URL). */
async function firstLine(stream: ReadableStream<Uint8Array>): Promise<{ line: string; rest: Promise<string> }> {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
  }
  const rest = (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return text;
      text += value;
    }
  })();
  return { line: text.split("\n")[0], rest };
}

Deno.test("ucondb-server: --password-file, --folder, serves the client, exits 0 on SIGTERM", async () => {
  await using tmp = await tempDir("ucondb-command-");
  const passwordFile = join(tmp.path, "pw");
  await Deno.writeTextFile(passwordFile, "command-secret-pw\n");
  const child = spawn([
    "--dir",
    join(tmp.path, "data"),
    "--port",
    "0",
    "--user",
    "writer",
    "--password-file",
    passwordFile,
    "--folder",
    "run_records",
  ]);
  const { line, rest } = await firstLine(child.stdout);
  const url = /listening on (http:\/\/127\.0\.0\.1:\d+)$/.exec(line)?.[1];
  ok(url, line);
  const client = new UconDBClient({
    serverUrl: url,
    folder: "run_records",
    user: "writer",
    password: "command-secret-pw",
    timeoutSeconds: 5,
  });
  const meta = await client.put("configuration", new TextEncoder().encode("blob"), { key: "1" });
  equal(meta.key, "1");
  deepEqual(await client.getByKey("configuration", "1"), new TextEncoder().encode("blob"));
  client.close();
  child.kill("SIGTERM");
  const status = await child.status;
  await rest;
  const stderr = new TextDecoder().decode(await new Response(child.stderr).arrayBuffer());
  equal(status.code, 0, stderr);
  ok(!stderr.includes("command-secret-pw"));
});

Deno.test("ucondb-server: usage errors exit 2, a password on the command line is not accepted", async () => {
  for (
    const args of [[], ["--dir", "x", "--user", "writer"], ["--dir", "x", "--password", "pw"], [
      "--dir",
      "x",
      "--port",
      "http",
    ]]
  ) {
    const child = spawn(args);
    const { code, stderr } = await child.output();
    equal(code, 2, args.join(" "));
    match(new TextDecoder().decode(stderr), /usage: archive ucondb-server/);
  }
});
