/**
 * Guarantee: no configured secret — UconDB writer password, SMTP password, Slack bot token, MongoDB credentials in
 * artdaq_db.database_uri, status server token — is ever shown. Every kind is configured and every output channel is
 * searched for it, as is and URL-encoded / base64 / as SMTP AUTH PLAIN (tests/reliability/_secrets.ts):
 *
 * - the CLI (a real subprocess, -v = DEBUG): text and JSON log lines (stdout/stderr), `--json` summaries,
 *   `--report-status` (text and `--json`), `--compare-state`, `--dry-run`, error messages of failed runs and of
 *   failed notifications;
 * - every file the archiver writes in its work directory (log file, state files, failure logs);
 * - what the notifiers sent: the email as received by an SMTP server (headers and body), the Slack requests
 *   (bodies and headers; the token belongs only in `Authorization`);
 * - the status server app (server.ts wiring, in process): every /api route, /metrics, the HTML pages and
 *   fragments, answers to missing and wrong tokens, and its log file;
 * - a store that cannot be reached with credentials in its mongodb:// URI: the error, the report, the JSON output;
 * - a UconDB server that rejects the writer's password: the error of every failed run, the state, the report;
 * - the argument lists of spawned processes: the bulk tools run locally and over SSH by the bulk-tools store's
 *   runners, with a stand-in tool that records its own /proc/<pid>/cmdline and those of its parents.
 *
 * Each test also proves that the secret was really in play (the SMTP server authenticated it, the Slack request
 * carried it in its header, the tool received the URI in its environment), so a "no leak" cannot be vacuous.
 */
import { deepStrictEqual as assertEquals, ok } from "node:assert/strict";
import { join } from "node:path";
import { loadConfig } from "../../core/config/mod.ts";
import { REPO_ROOT } from "../../core/paths.ts";
import { createLogger } from "../../core/log/mod.ts";
import { createApp } from "../../core/server/app.ts";
import { StatusService } from "../../core/server/service.ts";
import { openReadRoles } from "../../core/status/read_roles.ts";
import { openStateView } from "../../core/status/state_view.ts";
import { ThroughputHistory } from "../../core/status/throughput.ts";
import { LocalRunner } from "../../plugins/artdaqdb-bulktools/local.ts";
import { RemoteRunner } from "../../plugins/artdaqdb-bulktools/remote.ts";
import { builtinRegistry } from "../../plugins/mod.ts";
import { startUconDBServer } from "../../plugins/ucondb/mod.ts";
import { sshPeer } from "../artdaqdb-bulktools/_env.ts";
import { freePort, requirePeer, tempDir } from "../_helpers/peers.ts";
import { smtpPeer } from "../_helpers/smtp.ts";
import { LeakSearch, MONGO_USER, SECRETS, SMTP_USER } from "./_secrets.ts";
import { addRun, cli, makeSite, setSink, type Site } from "./_site.ts";

const UCON = SECRETS["ucon_db.writer_password"];
const SMTP = SECRETS["reporting.email.smtp_password"];
const SLACK = SECRETS["reporting.slack.bot_token"];
const MONGO = SECRETS["artdaq_db.database_uri password (mongodb)"];
const STATUS = SECRETS["status_server.token"];

/** A fake Slack Web API: records each request, answers `invalid_auth` (so the error path runs too). */
function slackServer(): { url: string; requests: { authorization: string | null; text: string }[] } & AsyncDisposable {
  const requests: { authorization: string | null; text: string }[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (request) => {
    const headers = [...request.headers].filter(([name]) => name !== "authorization").map((h) => h.join(": "));
    requests.push({
      authorization: request.headers.get("authorization"),
      text: `${request.method} ${request.url}\n${headers.join("\n")}\n\n${await request.text()}`,
    });
    return Response.json({ ok: false, error: "invalid_auth" });
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}/api`,
    requests,
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

/** The site's config with every secret: UconDB writer, SMTP, Slack, status token, log file. */
async function configureSecrets(site: Site, smtpPort: number, slackUrl: string): Promise<void> {
  const text = (await Deno.readTextFile(site.config)).replace(
    "writer_password: e2e-secret-pw",
    `writer_password: ${UCON}`,
  );
  ok(text.includes(UCON), "the UconDB password was not placed");
  await Deno.writeTextFile(
    site.config,
    `${text}reporting:
  email:
    enabled: true
    recipient_email: daq-experts@example.org
    sender_email: archiver@example.org
    smtp_host: 127.0.0.1
    smtp_port: ${smtpPort}
    smtp_use_tls: false
    smtp_user: ${SMTP_USER}
    smtp_password: ${SMTP}
  slack:
    enabled: true
    bot_token: ${SLACK}
    channel: "#daq-alerts"
    api_url: ${slackUrl}
status_server:
  token: ${STATUS}
`,
  );
}

/** Every file under `dir`, searched (log file, state files, failure logs, ...). */
async function searchFiles(search: LeakSearch, dir: string, label: string): Promise<void> {
  for await (const entry of Deno.readDir(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) await searchFiles(search, path, `${label}/${entry.name}`);
    else if (entry.isFile) search.search(`${label}/${entry.name}`, await Deno.readTextFile(path));
  }
}

Deno.test("secrets: CLI logs (text, JSON), --json, reports, errors, log file, email, Slack and the status API never show a secret", async () => {
  await using dir = await tempDir();
  // Plain connection, AUTH required: the password crosses the wire and the server checks it.
  await using smtp = await smtpPeer({ starttls: false, auth: { user: SMTP_USER, password: SMTP } });
  await using slack = slackServer();
  const site = await makeSite(dir.path, [101, 102], { log_file: join(dir.path, "work/log/archiver.log") });
  await addRun(site, 103, "11001");
  // Truncated FHiCL: a failed run, so notifications go out and errors are printed.
  await Deno.writeTextFile(join(site.records, "103/tpc01.fcl"), "daq: { fragment_receiver: {\n");
  await configureSecrets(site, smtp.port, slack.url);
  const search = new LeakSearch();
  // The search itself works: the config file holds four of the five kinds (the mongodb one is the next test's).
  const canary = new LeakSearch();
  canary.search("config file", await Deno.readTextFile(site.config));
  assertEquals(canary.leaks.length, 4, canary.leaks.join("\n"));

  const invocations: [string[], number][] = [
    [["-v"], 1],
    [["-v", "--log-format", "json", "--retry-failed-import"], 1],
    [["-v", "--json"], 1],
    [["--report-status"], 0],
    [["--report-status", "--json"], 0],
    [["--compare-state"], 0],
    [["-v", "--dry-run"], 0],
  ];
  for (const [flags, expected] of invocations) {
    const result = await cli(site, ...flags);
    assertEquals(result.code, expected, `${flags.join(" ")}:\n${result.out.slice(-2000)}`);
    search.search(`cli ${flags.join(" ")}`, result.out);
  }
  await searchFiles(search, site.work, "work");

  // The secrets were in play: the SMTP server authenticated the password, Slack got the token in its header.
  ok(smtp.mails.length > 0 && smtp.mails.every((mail) => mail.user === SMTP_USER), "no email was sent");
  smtp.mails.forEach((mail, i) => {
    const headers = Object.entries(mail.headers).map(([name, value]) => `${name}: ${value}`).join("\n");
    search.search(`email ${i + 1} as received`, `${headers}\n\n${mail.body}`);
  });
  ok(slack.requests.length > 0, "no Slack request");
  for (const [i, request] of slack.requests.entries()) {
    assertEquals(request.authorization, `Bearer ${SLACK}`);
    search.search(`Slack request ${i + 1} (all but the Authorization header)`, request.text);
  }

  await searchStatusApi(search, site);
  assertEquals(search.leaks, []);
  console.log(`secrets (CLI, files, email, Slack, status API): ${search.summary()}`);
});

/** The status server's app, wired as server.ts wires it, asked every route with, without and with a wrong token. */
async function searchStatusApi(search: LeakSearch, site: Site): Promise<void> {
  const config = await loadConfig(site.config, { env: {}, loadEnvFile: false, onWarning: () => {} });
  const logFile = join(site.dir, "status-server.log");
  const terminal: string[] = [];
  const logger = createLogger({
    level: "debug",
    format: "text",
    file: logFile,
    name: "status-server",
    terminal: (line) => void terminal.push(line),
  });
  const roles = await openReadRoles(config, builtinRegistry(), logger);
  const service = new StatusService({
    roles,
    state: openStateView(config),
    configFile: site.config,
    history: await ThroughputHistory.open(join(site.dir, "status_history.jsonl")),
    logger,
    lockFile: config.app.lock_file,
  });
  try {
    await service.refresh();
    const app = createApp({ service, token: config.status_server.token });
    const statuses: Record<string, number> = {};
    const ask = async (path: string, token: string | null = STATUS) => {
      const headers = token ? { authorization: `Bearer ${token}` } : undefined;
      const response = await app.fetch(new Request(`http://status.local${path}`, { headers }));
      const head = [...response.headers].map((h) => h.join(": ")).join("\n");
      const body = await response.text();
      if (token === STATUS) statuses[path] = response.status;
      search.search(`status ${path}${token === STATUS ? "" : token ? " (wrong token)" : " (no token)"}`, head + body);
      return { status: response.status, body };
    };
    const api = await ask("/api/runs/101");
    assertEquals(api.status, 200, api.body);
    const file = /"([^"]+\.fcl)"/.exec(api.body)?.[1];
    ok(file, `no file listed for run 101: ${api.body.slice(0, 500)}`);
    for (
      const path of [
        "/",
        "/healthz",
        "/api/status",
        "/api/runs",
        "/api/runs?state=failed",
        "/api/runs/103",
        `/api/runs/101/files/${file}`,
        "/api/runs/101/compare",
        "/runs/101",
        "/runs/103",
        "/runs/101/compare",
        "/fragments/summary",
        "/fragments/runs",
        "/metrics",
        "/static/app.js",
        "/api/runs/999999",
      ]
    ) await ask(path);
    for (const path of ["/", "/api/status", "/api/runs", "/metrics", "/runs/101", "/fragments/summary"]) {
      assertEquals(statuses[path], 200, `${path}: ${JSON.stringify(statuses)}`);
    }
    const denied = await ask("/api/status", null);
    assertEquals(denied.status, 401);
    await ask("/metrics", "wrong-token");
    await ask("/", "wrong-token");
  } finally {
    await service.close();
    await roles.close();
    logger.close();
  }
  search.search("status server log file", await Deno.readTextFile(logFile).catch(() => ""));
  search.search("status server terminal log", terminal.join("\n"));
}

Deno.test("secrets: MongoDB credentials in an unreachable store's URI never show (error, report, JSON, status)", async () => {
  await using dir = await tempDir();
  const site = await makeSite(dir.path, [101], { log_file: join(dir.path, "work/archiver.log") });
  const closedPort = freePort();
  const uri = `mongodb://${MONGO_USER}:${MONGO}@127.0.0.1:${closedPort}/artdaqdb?serverSelectionTimeoutMS=1500`;
  const text = await Deno.readTextFile(site.config);
  await Deno.writeTextFile(site.config, text.replace(/database_uri: \S+/, `database_uri: "${uri}"`));
  const search = new LeakSearch();
  for (
    const flags of [["-v"], ["-v", "--log-format", "json"], ["--json"], ["--report-status"], [
      "--report-status",
      "--json",
    ], ["--dry-run"]]
  ) {
    const result = await cli(site, ...flags);
    search.search(`cli ${flags.join(" ")}`, result.out);
    // The failure names the database (user and host, password masked), so the operator knows which one.
    if (flags[0] === "-v") {
      ok(result.code !== 0 && result.out.includes(`127.0.0.1:${closedPort}`), result.out.slice(-1500));
    }
  }
  await searchFiles(search, site.work, "work");
  assertEquals(search.leaks, []);
  console.log(`secrets (unreachable mongodb:// store): ${search.summary()}`);
});

Deno.test("secrets: a UconDB that rejects the writer's password → the error names the user, never the password", async () => {
  await using dir = await tempDir();
  const site = await makeSite(dir.path, [101], { log_file: join(dir.path, "work/archiver.log") });
  const text = (await Deno.readTextFile(site.config)).replace(
    "writer_password: e2e-secret-pw",
    `writer_password: ${UCON}`,
  );
  await Deno.writeTextFile(site.config, text);
  const server = await startUconDBServer({
    dir: join(dir.path, "ucondb"),
    users: { archiver: "the-server-knows-another-one" },
    folders: ["run_records"],
  });
  const search = new LeakSearch();
  try {
    await setSink(site, server.url);
    for (const flags of [["-v"], ["-v", "--log-format", "json", "--retry-failed-migrate"], ["--report-status"]]) {
      const result = await cli(site, ...flags);
      search.search(`cli ${flags.join(" ")}`, result.out);
      if (flags.join(" ") === "-v") {
        assertEquals(result.code, 1, result.out.slice(-2000));
        ok(/rejected the credentials of user 'archiver'/.test(result.out), result.out.slice(-2000));
      }
    }
  } finally {
    await server.close();
  }
  await searchFiles(search, site.work, "work");
  assertEquals(search.leaks, []);
  console.log(`secrets (UconDB rejects the password): ${search.summary()}`);
});

Deno.test("secrets: ucondb-server (a real subprocess) takes the writer password from a file — not in its argv or output; the archiver puts through it", async () => {
  await using dir = await tempDir();
  const site = await makeSite(dir.path, [101]);
  const text = (await Deno.readTextFile(site.config)).replace(
    "writer_password: e2e-secret-pw",
    `writer_password: ${UCON}`,
  );
  await Deno.writeTextFile(site.config, text);
  const passwordFile = join(dir.path, "ucondb.password");
  await Deno.writeTextFile(passwordFile, `${UCON}\n`, { mode: 0o600 });
  const server = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      join(REPO_ROOT, "cli.ts"),
      "ucondb-server",
      "--dir",
      join(dir.path, "ucondb"),
      "--port",
      "0",
      "--user",
      "archiver",
      "--password-file",
      passwordFile,
      "--folder",
      "run_records",
    ],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const search = new LeakSearch();
  const output = collectOutput(server);
  try {
    const url = await output.match(/listening on (http:\/\/\S+)/);
    search.search("ucondb-server /proc/<pid>/cmdline", await procCmdline(server.pid));
    await setSink(site, url);
    const result = await cli(site, "-v");
    assertEquals(result.code, 0, result.out.slice(-2000));
    ok(result.out.includes("Run 101 migrated and verified"), "the put through ucondb-server did not happen");
    search.search("cli -v (through ucondb-server)", result.out);
  } finally {
    server.kill("SIGTERM");
    await server.status;
  }
  search.search("ucondb-server stdout+stderr", await output.all);
  assertEquals(search.leaks, []);
  console.log(`secrets (ucondb-server subprocess): ${search.summary()}`);
});

/** The command line of a process as `ps` shows it (NUL-separated arguments joined by spaces). */
async function procCmdline(pid: number): Promise<string> {
  return (await Deno.readTextFile(`/proc/${pid}/cmdline`)).replaceAll("\0", " ");
}

/** A child's stdout and stderr, accumulated; `match` waits for the first match of a pattern in them. */
function collectOutput(child: Deno.ChildProcess): { match(pattern: RegExp): Promise<string>; all: Promise<string> } {
  let text = "";
  const waiting: { pattern: RegExp; resolve: (value: string) => void }[] = [];
  const decoder = new TextDecoder();
  const all = Promise.all([child.stdout, child.stderr].map(async (stream) => {
    for await (const chunk of stream) {
      text += decoder.decode(chunk, { stream: true });
      for (const wait of [...waiting]) {
        const found = wait.pattern.exec(text);
        if (!found) continue;
        waiting.splice(waiting.indexOf(wait), 1);
        wait.resolve(found[1]);
      }
    }
  })).then(() => text);
  return {
    all,
    match: (pattern) =>
      new Promise((resolve, reject) => {
        const found = pattern.exec(text);
        if (found) return resolve(found[1]);
        waiting.push({ pattern, resolve });
        all.then(() => reject(new Error(`output ended without ${pattern}:\n${text}`)));
      }),
  };
}

/**
 * A stand-in bulk tool that appends its argv, the command lines of itself and its two parents (from /proc, what
 * `ps` shows every user) and the URI it received in its environment to `record`; exits 0.
 */
async function recordingTool(dir: string, record: string): Promise<string> {
  const path = join(dir, "record-tool");
  await Deno.writeTextFile(
    path,
    `#!/bin/sh
{
  printf 'argv:'; printf ' %s' "$@"; printf '\\n'
  pid=$$
  for depth in 0 1 2; do
    printf 'cmdline[%s] %s:' "$depth" "$pid"; tr '\\0' ' ' < /proc/$pid/cmdline; printf '\\n'
    pid=$(awk '/^PPid:/ {print $2}' /proc/$pid/status)
  done
  printf 'env-uri:%s\\n' "$ARTDAQ_DATABASE_URI"
} >> ${record}
`,
  );
  await Deno.chmod(path, 0o755);
  return path;
}

Deno.test("secrets: the bulk tools get the mongodb:// credentials only in their environment, never in an argument list (local and over SSH)", async () => {
  await using dir = await tempDir();
  await Deno.chmod(dir.path, 0o755);
  const record = join(dir.path, "record.txt");
  const tool = await recordingTool(dir.path, record);
  const uri = `mongodb://${MONGO_USER}:${MONGO}@db.example.org:27017/artdaqdb`;
  const common = { bulkloader: tool, bulkdownloader: tool, threads: 1, timeoutMs: 30_000, databaseUri: uri };
  const documents = [{ name: "tpc01.fcl", text: "a: 1\n" }] as never;
  const search = new LeakSearch();

  await new LocalRunner(common).load({ run: 101, configName: "standard" }, documents);
  const local = await Deno.readTextFile(record);
  ok(local.includes(`env-uri:${uri}`), `the tool did not get the URI in its environment:\n${local}`);
  search.search("local bulkloader: argv and /proc cmdlines", local.replace(`env-uri:${uri}`, ""));

  const peer = sshPeer();
  if (requirePeer("sshd", peer !== null, "start it with scripts/test-services.sh (SSH_HOST, SSH_PORT, ...)")) {
    await Deno.remove(record);
    const runner = new RemoteRunner({
      ...common,
      ssh: {
        host: peer!.host,
        port: peer!.port,
        username: peer!.user,
        keyFile: peer!.key,
        knownHosts: peer!.knownHosts,
        agent: null,
        fingerprint: null,
      },
      remoteTmpDir: dir.path,
      remoteSetup: null,
    });
    try {
      await runner.load({ run: 101, configName: "standard" }, documents);
    } finally {
      await runner.close();
    }
    const remote = await Deno.readTextFile(record);
    ok(remote.includes(`env-uri:${uri}`), `the remote tool did not get the URI:\n${remote}`);
    search.search(
      "remote bulkloader: argv and /proc cmdlines of tool, wrapper, shell",
      remote.replace(`env-uri:${uri}`, ""),
    );
  }
  assertEquals(search.leaks, []);
  console.log(`secrets (spawned bulk tools): ${search.summary()}`);
});
