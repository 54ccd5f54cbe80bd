/**
 * Names of archived runs in artdaq_database (artdaq-database.md §2.1, §8): configuration `<run>/<configName>`,
 * version `<run>/<configName>` for the initial archive and `<run>/<configName>v<N>` for the N-th stop-time
 * update.
 *
 * @module
 */

/**
 * The configuration (and initial version) name of a run.
 *
 * @example
 * ```ts
 * configurationOf(12345, "standard00042"); // "12345/standard00042"
 * ```
 */
export function configurationOf(run: number, configName: string): string {
  return `${run}/${configName}`;
}

/**
 * Run number of a configuration name `<run>/<name>` (leading spaces allowed, as the Python archiver parses it
 * with `^\s*(\d+)/`), or null.
 *
 * @example
 * ```ts
 * runOfConfiguration("12345/standard"); // 12345
 * runOfConfiguration("demo00001"); // null
 * ```
 */
export function runOfConfiguration(name: string): number | null {
  // A character loop, not a RegExp: this runs once per configuration when 100,000 runs are listed.
  let i = 0;
  while (i < name.length && /\s/.test(name[i])) i++;
  const start = i;
  let run = 0;
  for (let c = name.charCodeAt(i); c >= 48 && c <= 57; c = name.charCodeAt(++i)) run = run * 10 + (c - 48);
  if (i === start || name.charCodeAt(i) !== 47) return null;
  return Number.isSafeInteger(run) ? run : null;
}

/**
 * The version of the N-th update (N ≥ 1).
 *
 * @example
 * ```ts
 * updateVersion("12345/standard", 1); // "12345/standardv1"
 * ```
 */
export function updateVersion(configuration: string, n: number): string {
  return `${configuration}v${n}`;
}

/**
 * N when `version` is exactly `<configuration>v<N>`, 0 for the initial version, null otherwise (a prefix match
 * is not enough: `12345/std` must not claim `12345/std_long`, original-archiver.md §16.1-17).
 *
 * @example
 * ```ts
 * updateNumber("12345/stdv2", "12345/std"); // 2
 * updateNumber("12345/std", "12345/std"); // 0
 * updateNumber("12345/std_longv1", "12345/std"); // null
 * ```
 */
export function updateNumber(version: string, configuration: string): number | null {
  if (version === configuration) return 0;
  if (!version.startsWith(configuration + "v")) return null;
  const digits = version.slice(configuration.length + 1);
  return /^\d+$/.test(digits) ? Number(digits) : null;
}
