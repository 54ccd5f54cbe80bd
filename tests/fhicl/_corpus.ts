/**
 * Test helpers: the real FHiCL corpus under ../shared/fixtures/real (or `$REAL_FIXTURES`) and this area's
 * artdaq_database fixtures.
 *
 * @module
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { realFixturesDir } from "../../core/paths.ts";

/** Root of the shared real fixtures. */
export const REAL_FIXTURES: string = realFixturesDir();

/** Directory of the artdaq_database fcl2dbjson fixtures kept with these tests. */
export const FCL2DBJSON: string = fileURLToPath(new URL("./fixtures/fcl2dbjson/", import.meta.url));

/** Every `.fcl` file under `dir`, sorted. */
export function listFcl(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const entry of Deno.readDirSync(d)) {
      const path = join(d, entry.name);
      if (entry.isDirectory) walk(path);
      else if (entry.isFile && entry.name.endsWith(".fcl")) out.push(path);
    }
  };
  walk(dir);
  return out.sort();
}

/** The fixed origin timestamp of the upstream fixtures. */
export const FIXTURE_TIMESTAMP = "2017-07-18T12:48:10.123-0500";
