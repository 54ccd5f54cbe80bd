/**
 * artdaq_database timestamps (artdaq-database.md §3.1): local time as `YYYY-MM-DDTHH:MM:SS.mmm±hhmm`. The C++
 * readers parse them at fixed offsets (`findconfigs` calls `at(20)` and `strptime`), so the layout is exact: no
 * `Z`, no colon in the offset, always three millisecond digits.
 *
 * @module
 */

import { artdaqTimestamp } from "../../core/fhicl/mod.ts";

/** A function returning the timestamp text to stamp on documents; injectable so tests are deterministic. */
export type Clock = () => string;

const ARTDAQ_TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.(\d{3})([+-])(\d{2})(\d{2})$/;

/** The default clock: the current local time, formatted by the FHiCL engine's `artdaqTimestamp`. */
export const systemClock: Clock = () => artdaqTimestamp(new Date());

/**
 * Converts a stored timestamp to UTC ISO 8601 (`2024-03-04T18:05:01.337Z`). Accepts the artdaq form and, for old
 * databases, the `Mon Feb  6 18:45:29 2017` form (read as local time, as the C++ overlay does). Returns null for
 * anything else.
 *
 * @example
 * ```ts
 * artdaqTimestampToIso("2024-03-04T12:05:01.337-0600"); // "2024-03-04T18:05:01.337Z"
 * ```
 */
export function artdaqTimestampToIso(text: string): string | null {
  const m = ARTDAQ_TIMESTAMP.exec(text);
  if (m) {
    const offset = (m[8] === "-" ? -1 : 1) * (Number(m[9]) * 60 + Number(m[10]));
    const utc = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6], +m[7]) - offset * 60_000;
    return Number.isFinite(utc) ? new Date(utc).toISOString() : null;
  }
  const legacy = /^[A-Z][a-z]{2} ([A-Z][a-z]{2}) +(\d{1,2}) (\d{2}):(\d{2}):(\d{2}) (\d{4})$/.exec(text.trim());
  if (legacy) {
    const month = MONTHS.indexOf(legacy[1]);
    if (month < 0) return null;
    const local = new Date(+legacy[6], month, +legacy[2], +legacy[3], +legacy[4], +legacy[5]);
    return Number.isFinite(local.getTime()) ? local.toISOString() : null;
  }
  return null;
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
