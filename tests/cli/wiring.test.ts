import assert from "node:assert/strict";
import { join } from "node:path";
import { definePlugin, type Plugin, Registry } from "../../core/registry.ts";
import type { Logger, RoleName } from "../../core/roles.ts";
import { silentLogger } from "../../core/log/mod.ts";
import { noopMetrics } from "../../core/measure.ts";
import { createRoles } from "../../core/wiring.ts";
import { tempDir } from "../_helpers/peers.ts";
import { load, MINIMAL } from "../config/_write.ts";

interface Made {
  role: RoleName;
  name: string;
  options: Record<string, unknown>;
  closed: boolean;
}

/** Fake plugins for every built-in name; each instance records its options and whether it was closed. */
function fakeRegistry(made: Made[], sent: string[], failOn?: string) {
  const plugin = (role: RoleName, name: string): Plugin<RoleName, never> =>
    definePlugin({
      role,
      name,
      defaults: { from_defaults: true },
      create(options: Record<string, unknown>) {
        if (name === failOn) throw new Error(`${name} failed`);
        const record: Made = { role, name, options, closed: false };
        made.push(record);
        const instance = {
          kind: name,
          listRuns: () => Promise.resolve([1, 2]),
          send: (path: string) => void sent.push(path),
          flush: () => Promise.resolve(),
          close: () => {
            record.closed = true;
            return Promise.resolve();
          },
        };
        return instance as never;
      },
    }) as unknown as Plugin<RoleName, never>;
  return new Registry([
    plugin("source", "run-records"),
    plugin("store", "artdaqdb-conftool"),
    plugin("store", "artdaqdb-bulktools"),
    plugin("sink", "ucondb"),
    plugin("metrics", "carbon"),
    plugin("notifier", "email"),
    plugin("notifier", "slack"),
  ]);
}

const context = (configDir: string) => ({ logger: silentLogger as Logger, workDir: configDir, configDir });

Deno.test("default choice: conftool store, ucondb sink, run-records source, no-op metrics, no notifiers", async () => {
  await using dir = await tempDir();
  const { config } = await load(dir.path, MINIMAL);
  const made: Made[] = [];
  const roles = await createRoles(config, fakeRegistry(made, []), context(dir.path));
  assert.deepEqual(made.map((m) => `${m.role}/${m.name}`), [
    "source/run-records",
    "store/artdaqdb-conftool",
    "sink/ucondb",
  ]);
  assert.deepEqual(roles.notifiers, []);
  const source = made[0].options;
  assert.equal(source.run_records_dir, "/data/runs");
  assert.equal(source.fcl_conf_dir, "/data/conf");
  assert.equal((source.fhiclize_generate as string[]).length, 9);
  assert.equal(source.from_defaults, true, "plugin defaults are merged under the section");
  assert.equal(source.validate_fhicl, false, "the native store parses every document itself: not parsed twice");
  assert.equal(made[1].options.database_uri, "filesystemdb:///data/db");
  assert.equal(made[2].options.folder_name, "f");
  await roles.close();
  assert.ok(made.every((m) => m.closed));
});

Deno.test("use_tools, carbon, email and slack pick their plugins; every call is measured into the metrics", async () => {
  await using dir = await tempDir();
  const yaml = MINIMAL.replace("  database_uri:", "  use_tools: true\n  database_uri:") +
    `carbon:\n  enabled: true\n  host: h\n  metric_prefix: p\nreporting:\n  email:\n    enabled: true\n` +
    `    recipient_email: a@b\n    sender_email: c@d\n    smtp_host: m\n  slack:\n    enabled: true\n` +
    `    bot_token: xoxb-123\n    channel: "#c"\n`;
  const { config } = await load(dir.path, yaml);
  const made: Made[] = [];
  const sent: string[] = [];
  const roles = await createRoles(config, fakeRegistry(made, sent), context(dir.path));
  assert.deepEqual(made.map((m) => m.name), [
    "carbon",
    "run-records",
    "artdaqdb-bulktools",
    "ucondb",
    "email",
    "slack",
  ]);
  assert.equal(made.find((m) => m.name === "run-records")!.options.validate_fhicl, true, "the bulk tools need it");
  assert.equal(made.find((m) => m.name === "email")!.options.smtp_host, "m");
  assert.equal(made.find((m) => m.name === "slack")!.options.channel, "#c");
  assert.deepEqual(await roles.store.listRuns(), [1, 2]);
  assert.ok(sent.some((path) => path.endsWith("listRuns.duration_ms")), sent.join(","));
  await roles.close();
  assert.ok(made.every((m) => m.closed));
});

Deno.test("the plugins section overrides a role with a module path relative to the config file", async () => {
  await using dir = await tempDir();
  await Deno.writeTextFile(
    join(dir.path, "my-store.ts"),
    `export default { role: "store", name: "site-store", defaults: {}, create: (o) => ({ kind: "site", ` +
      `listRuns: async () => [o.database_uri], close: async () => {} }) };\n`,
  );
  const { config } = await load(dir.path, `${MINIMAL}plugins:\n  store: ./my-store.ts\n`);
  const made: Made[] = [];
  const roles = await createRoles(config, fakeRegistry(made, []), context(dir.path));
  assert.equal(roles.store.kind, "site");
  assert.equal(made.find((m) => m.name === "run-records")!.options.validate_fhicl, true, "another store: checked");
  assert.deepEqual(await roles.store.listRuns(), ["filesystemdb:///data/db"]);
  await roles.close();
});

Deno.test("source_files.validate_fhicl set explicitly is passed as is", async () => {
  await using dir = await tempDir();
  for (const value of [true, false]) {
    const yaml = MINIMAL.replace("source_files:\n", `source_files:\n  validate_fhicl: ${value}\n`);
    const { config } = await load(dir.path, yaml);
    const made: Made[] = [];
    const roles = await createRoles(config, fakeRegistry(made, []), context(dir.path));
    assert.equal(made[0].options.validate_fhicl, value);
    await roles.close();
  }
});

Deno.test("a failing plugin closes what was already created", async () => {
  await using dir = await tempDir();
  const { config } = await load(dir.path, MINIMAL);
  const made: Made[] = [];
  await assert.rejects(createRoles(config, fakeRegistry(made, [], "ucondb"), context(dir.path)), /ucondb failed/);
  assert.equal(made.length, 2);
  assert.ok(made.every((m) => m.closed));
});

Deno.test("a given Metrics is used as is", async () => {
  await using dir = await tempDir();
  const { config } = await load(dir.path, MINIMAL);
  const metrics = noopMetrics();
  const roles = await createRoles(config, fakeRegistry([], []), { ...context(dir.path), metrics });
  assert.equal(roles.metrics, metrics);
  await roles.close();
});
