/**
 * Every key the schema knows is read from the file and reaches the resolved configuration with its value (no key
 * silently dropped, none renamed between schema and types), with no unknown-key warning.
 */
import assert from "node:assert/strict";
import { stringify } from "yaml";
import { REPORTING_SECTIONS, SECTIONS } from "../../core/config/mod.ts";
import type { KeySpec } from "../../core/config/schema.ts";
import { tempDir } from "../_helpers/peers.ts";
import { load } from "./_write.ts";

/** A valid value different from the default. */
function sample(path: string, spec: KeySpec): unknown {
  switch (spec.type) {
    case "bool":
      return spec.default !== true;
    case "int":
    case "number": {
      const base = typeof spec.default === "number" ? spec.default : (spec.min ?? 0);
      const next = base + 1;
      return spec.max !== undefined && next > spec.max ? base - 1 : next;
    }
    case "enum":
      return spec.values!.find((v) => v !== spec.default);
    case "path":
      return `/p/${path}`;
    case "string":
      return `s-${path}`;
    case "string-list":
      return [`l-${path}`];
    case "bool-or-string":
      return `/run/${path}.sock`;
  }
}

Deno.test("every key of every section is read with its value", async () => {
  await using dir = await tempDir();
  const tree: Record<string, Record<string, unknown>> = {};
  const expected = new Map<string, unknown>();
  for (const [name, section] of Object.entries(SECTIONS)) {
    tree[name] = {};
    for (const [key, spec] of Object.entries(section.keys)) {
      let value = sample(`${name}.${key}`, spec);
      if (name === "artdaq_db" && key === "database_uri") value = "filesystemdb:///db";
      if (name === "ucon_db" && key === "server_url") value = "https://ucon.example.com/app";
      if (name === "plugins" && key !== "notifiers") value = `./${key}.ts`;
      tree[name][key] = value;
      expected.set(`${name}.${key}`, name === "plugins" && key !== "notifiers" ? `./${key}.ts` : value);
    }
  }
  tree.reporting = {};
  for (const [name, section] of Object.entries(REPORTING_SECTIONS)) {
    const body: Record<string, unknown> = {};
    for (const [key, spec] of Object.entries(section.keys)) {
      body[key] = sample(`reporting.${name}.${key}`, spec);
      expected.set(`reporting.${name}.${key}`, body[key]);
    }
    (tree.reporting as Record<string, unknown>)[name] = body;
  }
  const { config, warnings } = await load(dir.path, stringify(tree));
  assert.deepEqual(warnings, []);
  for (const [path, value] of expected) {
    const actual = path.split(".").reduce<unknown>((node, part) => (node as Record<string, unknown>)[part], config);
    assert.deepEqual(actual, value, path);
  }
});
