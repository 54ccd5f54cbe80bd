import assert from "node:assert/strict";
import { join } from "node:path";
import { loadConfig } from "../../core/config/mod.ts";
import { tempDir } from "../_helpers/peers.ts";
import { load, loadError, MINIMAL } from "./_write.ts";

const TEMPLATE = new URL("../fixtures-config/config.yaml.template", import.meta.url).pathname;

Deno.test("C5: the template loads with the Python archiver's values when no env var is set", async () => {
  const config = await loadConfig(TEMPLATE, { env: {}, onWarning: (w) => assert.fail(w) });
  assert.deepEqual(config.app.work_dir, "/tmp/run_record_archiver");
  assert.deepEqual(config.app.import_state_file, "/tmp/run_record_archiver/importer_state.json");
  assert.deepEqual(config.app.import_failure_log, "/tmp/run_record_archiver/import_failures.log");
  assert.deepEqual(config.app.migrate_state_file, "/tmp/run_record_archiver/migrator_state.json");
  assert.deepEqual(config.app.migrate_failure_log, "/tmp/run_record_archiver/migrate_failures.log");
  assert.deepEqual(config.app.lock_file, "/tmp/run_record_archiver/.archiver.lock");
  assert.deepEqual(config.app.log_file, "/tmp/run_record_archiver/archiver.log");
  assert.deepEqual(
    [config.app.batch_size, config.app.parallel_workers, config.app.run_process_retries],
    [5, 2, 2],
  );
  assert.deepEqual(config.app.retry_delay_seconds, 3);
  assert.deepEqual(config.app.log_level, "INFO");
  assert.deepEqual(config.fhiclize_generate.length, 9);
  assert.deepEqual(config.app_fuzz, {
    random_skip_percent: 0,
    random_skip_retry: false,
    random_error_percent: 0,
    random_error_retry: false,
  });
  assert.deepEqual(config.source_files.run_records_dir, "/daq/run_records");
  assert.deepEqual(config.artdaq_db.fcl_conf_dir, "/path/to/artdaq_database/conf");
  assert.deepEqual(config.artdaq_db.database_uri, "filesystemdb:///path/to/your/filesystem/db_archive");
  assert.deepEqual(config.artdaq_db.use_tools, true);
  assert.deepEqual(config.artdaq_db.remote_host, null);
  assert.deepEqual(config.ucon_db.server_url, "https://your-ucondb-host.example.com:9443/ucondb-instance/app");
  assert.deepEqual([config.ucon_db.folder_name, config.ucon_db.object_name], ["test01", "configuration"]);
  assert.deepEqual(config.ucon_db.timeout_seconds, 10);
  assert.deepEqual([config.ucon_db.writer_user, config.ucon_db.writer_password], ["your_username", "your_password"]);
  assert.deepEqual([config.reporting.email.enabled, config.reporting.slack.enabled], [false, false]);
  assert.deepEqual([config.carbon.enabled, config.carbon.port], [false, 2003]);
  assert.deepEqual(config.carbon.metric_prefix, "demo.run_archiver.dev");
});

Deno.test("C6: WORK_DIR moves every derived path", async () => {
  const config = await loadConfig(TEMPLATE, { env: { WORK_DIR: "/w", EXPERIMENT_NAME: "sbnd" } });
  for (
    const path of [
      config.app.work_dir,
      config.app.import_state_file,
      config.app.migrate_state_file,
      config.app.lock_file,
      config.app.log_file,
    ]
  ) assert.ok(path!.startsWith("/w"), path!);
  assert.deepEqual(config.carbon.metric_prefix, "sbnd.run_archiver.dev");
});

Deno.test("defaults of the Python code when app is absent; derived paths follow work_dir", async () => {
  await using dir = await tempDir();
  const { config } = await load(dir.path, `app:\n  work_dir: /srv/arch\n${MINIMAL}`);
  assert.deepEqual(config.app.lock_file, "/srv/arch/.archiver.lock");
  assert.deepEqual(config.app.log_file, null);
  assert.deepEqual(config.ucon_db.timeout_seconds, 10);
  assert.deepEqual(config.reporting.email.smtp_port, 25);
  const bare = await load(dir.path, MINIMAL);
  assert.deepEqual(bare.config.app.work_dir, "/tmp/run_record_archiver");
  assert.deepEqual(bare.config.artdaq_db.use_tools, false);
});

Deno.test("C3: a missing file is the Python archiver's message", async () => {
  try {
    await loadConfig("missing.yaml", { env: {} });
    assert.fail("no error");
  } catch (error) {
    assert.deepEqual((error as Error).message, "Configuration file not found at 'missing.yaml'.");
  }
});

Deno.test("C4: a missing required section names it", async () => {
  await using dir = await tempDir();
  const yaml = MINIMAL.split("ucon_db:")[0];
  assert.match(
    await loadError(dir.path, yaml),
    /config\.yaml:1: ucon_db: Top-level configuration key missing: 'ucon_db'/,
  );
});

Deno.test("a missing required key names the section's line", async () => {
  await using dir = await tempDir();
  const message = await loadError(dir.path, MINIMAL.replace("  folder_name: f\n", ""));
  assert.match(message, /config\.yaml:6: ucon_db: UconDB config missing required key: 'folder_name'$/);
});

Deno.test("C7 (improved): an unset variable without default is an error naming key and line", async () => {
  await using dir = await tempDir();
  const message = await loadError(dir.path, `${MINIMAL}carbon:\n  host: "\${UNSET_VAR}"\n`);
  assert.match(message, /config\.yaml:13: carbon\.host: environment variable UNSET_VAR is not set/);
  assert.deepEqual(message.split("\n").length, 1);
});

Deno.test("C8 (improved): booleans and numbers from the environment have their types", async () => {
  await using dir = await tempDir();
  const yaml = MINIMAL.replace("  database_uri:", '  use_tools: "${USE_TOOLS}"\n  database_uri:') +
    'app:\n  batch_size: "${BATCH}"\n  retry_delay_seconds: "${DELAY:-0.5}"\n';
  const { config } = await load(dir.path, yaml, { USE_TOOLS: "false", BATCH: "12" });
  assert.deepEqual(config.artdaq_db.use_tools, false);
  assert.deepEqual(config.app.batch_size, 12);
  assert.deepEqual(config.app.retry_delay_seconds, 0.5);
  const yes = await load(dir.path, yaml, { USE_TOOLS: "yes", BATCH: "1" });
  assert.deepEqual(yes.config.artdaq_db.use_tools, true);
});

Deno.test("C9: a self reference is a circular reference", async () => {
  await using dir = await tempDir();
  const message = await loadError(dir.path, `app:\n  work_dir: "\${work_dir}/x"\n${MINIMAL}`);
  assert.match(message, /config\.yaml:2: app\.work_dir: Circular reference detected: app\.work_dir/);
  const indirect = await loadError(
    dir.path,
    `app:\n  work_dir: "\${lock_file}"\n  lock_file: "\${work_dir}"\n${MINIMAL}`,
  );
  assert.match(indirect, /Circular reference detected: app\.(work_dir|lock_file)/);
});

Deno.test("C10: email enabled without smtp_host", async () => {
  await using dir = await tempDir();
  const yaml = `${MINIMAL}reporting:\n  email:\n    enabled: true\n    recipient_email: a@b\n    sender_email: c@d\n`;
  assert.match(
    await loadError(dir.path, yaml),
    /reporting\.email: Email config: 'recipient_email', 'sender_email', and 'smtp_host' are required when enabled is true\./,
  );
});

Deno.test("slack and carbon validations keep the Python messages", async () => {
  await using dir = await tempDir();
  assert.match(
    await loadError(dir.path, `${MINIMAL}reporting:\n  slack:\n    enabled: true\n    channel: "#x"\n`),
    /Slack config: 'bot_token' and 'channel' are required when enabled is true\./,
  );
  assert.match(
    await loadError(dir.path, `${MINIMAL}carbon:\n  enabled: true\n  host: h\n`),
    /carbon: Carbon config: 'host' and 'metric_prefix' are required when enabled\./,
  );
});

Deno.test("C11: fhiclize_generate names, suffixes, unknown names, mapping form, bad type", async () => {
  await using dir = await tempDir();
  assert.match(
    await loadError(dir.path, `${MINIMAL}fhiclize_generate: [metadata.txt, foo]\n`),
    /fhiclize_generate: Unknown fhiclize_generate names: \{'foo'\}/,
  );
  const { config } = await load(dir.path, `${MINIMAL}fhiclize_generate: [metadata.txt, RunHistory.fcl, boot]\n`);
  assert.deepEqual(config.fhiclize_generate, ["metadata", "RunHistory", "boot"]);
  const files = await load(dir.path, `${MINIMAL}fhiclize_generate:\n  files: [ranks]\n`);
  assert.deepEqual(files.config.fhiclize_generate, ["ranks"]);
  const empty = await load(dir.path, `${MINIMAL}fhiclize_generate: []\n`);
  assert.deepEqual(empty.config.fhiclize_generate, []);
  const none = await load(dir.path, `${MINIMAL}fhiclize_generate:\n`);
  assert.deepEqual(none.config.fhiclize_generate.length, 9);
  assert.match(
    await loadError(dir.path, `${MINIMAL}fhiclize_generate: boot\n`),
    /Invalid fhiclize_generate config type: str\. Expected list, dict, or None\./,
  );
  assert.match(
    await loadError(dir.path, `${MINIMAL}fhiclize_generate:\n  converters: [boot]\n`),
    /a mapping needs the key 'files'/,
  );
});

Deno.test("YAML syntax error, empty file and non-mapping documents", async () => {
  await using dir = await tempDir();
  assert.match(
    await loadError(dir.path, `${MINIMAL}app:\n  batch_size: [1, 2\n`),
    /^.*config\.yaml:\d+: Error parsing configuration file '.*config\.yaml': /,
  );
  assert.match(await loadError(dir.path, ""), /Configuration file '.*config\.yaml' is invalid or empty\./);
  assert.match(await loadError(dir.path, "- a\n- b\n"), /is invalid or empty\./);
  assert.match(await loadError(dir.path, `${MINIMAL}app:\n  batch_size: 1\n  batch_size: 2\n`), /config\.yaml:1[45]:/);
});

Deno.test("ranges and types are checked with file, key path and line", async () => {
  await using dir = await tempDir();
  const cases: [string, RegExp][] = [
    ["app:\n  parallel_workers: 0\n", /config\.yaml:2: app\.parallel_workers: must be >= 1, got 0/],
    ["app:\n  run_process_retries: -1\n", /app\.run_process_retries: must be >= 0, got -1/],
    ["app:\n  batch_size: abc\n", /app\.batch_size: expected a number, got 'abc'/],
    ["app:\n  batch_size: 1.9\n", /app\.batch_size: expected a whole number, got 1\.9/],
    ["app_fuzz:\n  random_error_percent: 101\n", /app_fuzz\.random_error_percent: must be <= 100/],
    ["app:\n  log_level: LOUD\n", /app\.log_level: expected one of DEBUG, INFO, WARNING, ERROR, CRITICAL/],
    ["carbon:\n  enabled: maybe\n", /carbon\.enabled: expected true or false, got 'maybe'/],
    ["carbon:\n  port: 70000\n", /carbon\.port: must be <= 65535/],
    ["app: [1, 2]\n", /app: section 'app' must be a mapping of keys/],
    ["app:\n  work_dir: {a: 1}\n", /app\.work_dir: expected a single value, got a mapping/],
  ];
  for (const [extra, pattern] of cases) {
    const message = await loadError(dir.path, extra + MINIMAL);
    assert.match(message, pattern);
    assert.deepEqual(message.includes("\n"), false);
  }
});

Deno.test("null sections: optional ones take defaults, required ones are an error", async () => {
  await using dir = await tempDir();
  const { config } = await load(dir.path, `${MINIMAL}carbon:\nreporting:\napp:\n`);
  assert.deepEqual(config.carbon.port, 2003);
  assert.deepEqual(config.reporting.email.enabled, false);
  assert.match(
    await loadError(dir.path, MINIMAL.replace("source_files:\n  run_records_dir: /data/runs\n", "source_files:\n")),
    /config\.yaml:1: source_files: section 'source_files' is empty/,
  );
});

Deno.test("unknown keys warn with the nearest known key and are ignored", async () => {
  await using dir = await tempDir();
  const { warnings } = await load(
    dir.path,
    `${MINIMAL}app:\n  parallel_worker: 3\ncarbonn:\n  enabled: false\nreporting:\n  emial: {}\n`,
  );
  assert.deepEqual(warnings.length, 3);
  assert.match(warnings[0], /config\.yaml:14: carbonn: unknown key 'carbonn' is ignored; did you mean 'carbon'\?/);
  assert.match(warnings[1], /config\.yaml:13: app\.parallel_worker: .*did you mean 'parallel_workers'\?/);
  assert.match(warnings[2], /reporting\.emial: .*did you mean 'email'\?/);
});

Deno.test("§3.3 environment expansion: nesting, defaults, empty values, no-brace forms", async () => {
  await using dir = await tempDir();
  const yaml = `${MINIMAL}carbon:
  host: "pre\${SETV}post\${UNSETV:-z}"
  metric_prefix: "\${UNSETV:-a:-b}"
status_server:
  host: "\${UNSETV:-\${SETV}}"
  token: "$SETV and \${EMPTYV:-def}"
`;
  const { config } = await load(dir.path, yaml, { SETV: "val", EMPTYV: "" });
  assert.deepEqual(config.carbon.host, "prevalpostz");
  assert.deepEqual(config.carbon.metric_prefix, "a:-b");
  assert.deepEqual(config.status_server.host, "val");
  // An empty variable falls back to its default as in the shell (the Python archiver kept "").
  assert.deepEqual(config.status_server.token, "$SETV and def");
  const nested = await load(dir.path, `${MINIMAL}carbon:\n  host: "\${OUTER}"\n`, { OUTER: "x-${INNER}", INNER: "i" });
  assert.deepEqual(nested.config.carbon.host, "x-i");
});

Deno.test("§3.4 parameter references: same section, other section, defaults, absent keys, unresolvable", async () => {
  await using dir = await tempDir();
  const yaml = `app:
  work_dir: /srv/a
  log_file: "\${work_dir}/log/\${app_fuzz.random_skip_percent}.log"
app_fuzz:
  random_skip_percent: 7
${MINIMAL}carbon:
  metric_prefix: "\${ucon_db.folder_name}.\${nope:-dflt}"
  host: "\${app.log_level}"
`;
  const { config } = await load(dir.path, yaml);
  assert.deepEqual(config.app.log_file, "/srv/a/log/7.log");
  assert.deepEqual(config.carbon.metric_prefix, "f.dflt");
  assert.deepEqual(config.carbon.host, "INFO", "an absent key resolves to its documented default");
  assert.match(
    await loadError(dir.path, `${MINIMAL}carbon:\n  host: "\${nope}"\n`),
    /config\.yaml:13: carbon\.host: cannot resolve \$\{nope\}: no key carbon\.nope/,
  );
  assert.match(
    await loadError(dir.path, `${MINIMAL}fhiclize_generate: ["\${x}"]\n`),
    /fhiclize_generate\[0\]: cannot resolve \$\{x\}/,
  );
});

Deno.test("archiver.env beside the config: set -a semantics (overrides, quotes, earlier assignments)", async () => {
  await using dir = await tempDir();
  const envFile = `# comment
export WORK_DIR=/from/env-file
UCONDB_PASSWORD='p w'
LOGS="\${WORK_DIR}/logs"   # trailing comment
`;
  const yaml = `app:\n  work_dir: "\${WORK_DIR}"\n  log_file: "\${LOGS}/a.log"\n${
    MINIMAL.replace("pw-secret-1", '"${UCONDB_PASSWORD}"')
  }`;
  const { config } = await load(dir.path, yaml, { WORK_DIR: "/from/process" }, envFile);
  assert.deepEqual(config.app.work_dir, "/from/env-file");
  assert.deepEqual(config.app.log_file, "/from/env-file/logs/a.log");
  assert.deepEqual(config.ucon_db.writer_password, "p w");
  assert.deepEqual(config.envFile, join(dir.path, "archiver.env"));
});

Deno.test("archiver.env with shell commands is refused with file and line", async () => {
  await using dir = await tempDir();
  try {
    await load(dir.path, MINIMAL, {}, "A=1\nsource other.sh\n");
    assert.fail("no error");
  } catch (error) {
    assert.match((error as Error).message, /archiver\.env:2: unsupported line 'source other\.sh'/);
  }
});

Deno.test("relative paths and URIs resolve against the config directory; ~ expands", async () => {
  await using dir = await tempDir();
  const yaml = MINIMAL.replace("/data/runs", "runs").replace("filesystemdb:///data/db", "filesystemdb://db/x")
    .replace("https://ucon.example.com:9443/inst/app", "embedded:u") + "app:\n  work_dir: ~/w\n";
  const { config } = await load(dir.path, yaml, {});
  assert.deepEqual(config.source_files.run_records_dir, join(dir.path, "runs"));
  assert.deepEqual(config.artdaq_db.database_uri, `filesystemdb://${join(dir.path, "db/x")}`);
  assert.deepEqual(config.ucon_db.server_url, `embedded:${join(dir.path, "u")}`);
  assert.deepEqual(config.app.work_dir, join(Deno.env.get("HOME")!, "w"));
});

Deno.test("strings keep their source text; remote_host falls back to ARTDAQ_DATABASE_REMOTEHOST", async () => {
  await using dir = await tempDir();
  const { config } = await load(dir.path, MINIMAL.replace("folder_name: f", "folder_name: 0123"), {
    ARTDAQ_DATABASE_REMOTEHOST: "daq@host",
  });
  assert.deepEqual(config.ucon_db.folder_name, "0123");
  assert.deepEqual(config.artdaq_db.remote_host, "daq@host");
});

Deno.test("legacy flat email keys are folded into reporting.email with a deprecation warning", async () => {
  await using dir = await tempDir();
  const { config, warnings } = await load(
    dir.path,
    `${MINIMAL}reporting:\n  send_email_on_error: true\n  recipient_email: a@b\n  sender_email: c@d\n  smtp_host: mail\n`,
  );
  assert.deepEqual(config.reporting.email.enabled, true);
  assert.deepEqual(config.reporting.email.smtp_port, 587);
  assert.deepEqual(config.reporting.email.smtp_use_tls, true);
  assert.deepEqual(config.reporting.email.smtp_host, "mail");
  assert.match(warnings[0], /DEPRECATED: Top-level email config in 'reporting' section is deprecated\./);
});

Deno.test("the repository's archiver.yaml loads: the embedded default under .archiver/", async () => {
  const root = new URL("../../", import.meta.url).pathname.replace(/\/$/, "");
  const config = await loadConfig(join(root, "archiver.yaml"), { env: {}, loadEnvFile: false });
  assert.deepEqual(config.source_files.run_records_dir, join(root, "fixtures/run_records"));
  assert.deepEqual(config.artdaq_db.database_uri, `filesystemdb://${join(root, ".archiver/artdaqdb")}`);
  assert.deepEqual(config.ucon_db.server_url, `embedded:${join(root, ".archiver/ucondb")}`);
  assert.deepEqual(config.app.work_dir, join(root, ".archiver/work"));
});

Deno.test("a secret substituted into another key never appears in the error message", async () => {
  await using dir = await tempDir();
  const yaml = MINIMAL.replace("pw-secret-1", '"${UCONDB_PASSWORD}"') + 'app:\n  batch_size: "${UCONDB_PASSWORD}"\n';
  const message = await loadError(dir.path, yaml, { UCONDB_PASSWORD: "Very-Secret-77" });
  assert.match(message, /app\.batch_size: expected a number, got '\*\*\*'/);
  assert.equal(message.includes("Very-Secret-77"), false);
});
