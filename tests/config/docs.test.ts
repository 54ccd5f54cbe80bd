/**
 * docs/configuration.md must list every configuration key the code knows, no key the code does not know, and the
 * code's default of each key.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { REPO_ROOT } from "../../core/paths.ts";
import { allKeyPaths, LEGACY_REPORTING_KEYS, REPORTING_SECTIONS, SECTIONS } from "../../core/config/mod.ts";
import type { KeySpec } from "../../core/config/schema.ts";

/** Table cells of a Markdown row (an escaped `\\|` stays inside its cell). */
function cells(line: string): string[] {
  return line.split(/(?<!\\)\|/).slice(1, -1).map((cell) => cell.trim());
}

async function documentedRows(): Promise<Map<string, string>> {
  const text = await Deno.readTextFile(join(REPO_ROOT, "docs/configuration.md"));
  const rows = new Map<string, string>();
  for (const line of text.split("\n")) {
    const row = cells(line);
    const key = /^`([A-Za-z_][A-Za-z0-9_.]*)`$/.exec(row[0] ?? "")?.[1];
    if (!key || row.length !== 4 || (!key.includes(".") && key !== "fhiclize_generate")) continue;
    assert.equal(rows.has(key), false, `documented twice: ${key}`);
    rows.set(key, row[2]);
  }
  return rows;
}

function specs(): Map<string, KeySpec> {
  const out = new Map<string, KeySpec>();
  for (const [name, section] of Object.entries(SECTIONS)) {
    for (const [key, spec] of Object.entries(section.keys)) out.set(`${name}.${key}`, spec);
  }
  for (const [name, section] of Object.entries(REPORTING_SECTIONS)) {
    for (const [key, spec] of Object.entries(section.keys)) out.set(`reporting.${name}.${key}`, spec);
  }
  for (const [key, spec] of Object.entries(LEGACY_REPORTING_KEYS)) out.set(`reporting.${key}`, spec);
  return out;
}

Deno.test("docs/configuration.md documents exactly the keys the loader knows", async () => {
  const documented = [...(await documentedRows()).keys()].sort();
  assert.deepEqual(documented, allKeyPaths().sort());
});

Deno.test("docs/configuration.md states the code's default of every key", async () => {
  const rows = await documentedRows();
  for (const [path, spec] of specs()) {
    const cell = rows.get(path)!;
    if (spec.required) assert.equal(cell, "**required**", path);
    else if (typeof spec.default === "function") assert.match(cell, /^derived/, path);
    else if (spec.default === undefined) assert.equal(cell, "—", path);
    else assert.equal(cell, `\`${JSON.stringify(spec.default)}\``, path);
  }
});
