/**
 * Test helpers: the real FHiCL corpus under ../shared/fixtures/real (or `$REAL_FIXTURES`) and this area's
 * artdaq_database fixtures.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { realFixturesDir } from "../../core/paths.ts";

export { listFcl } from "../../core/fhicl/fuzz.ts";

/** Root of the shared real fixtures. */
export const REAL_FIXTURES: string = realFixturesDir();

/** Directory of the artdaq_database fcl2dbjson fixtures kept with these tests. */
export const FCL2DBJSON: string = fileURLToPath(new URL("./fixtures/fcl2dbjson/", import.meta.url));

/** The fixed origin timestamp of the upstream fixtures. */
export const FIXTURE_TIMESTAMP = "2017-07-18T12:48:10.123-0500";
