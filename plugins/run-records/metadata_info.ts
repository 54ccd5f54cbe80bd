/**
 * What the archiver needs from `metadata.txt` besides its conversion: configuration name, components, start and
 * stop times (both the `DAQInterface start time:` keys of 2019+ and the `Start time:` keys of 2017-2019).
 *
 * @module
 */
import { splitLines } from "./converters/text.ts";

/** A start/stop-time line of metadata.txt, in file order. */
export interface TimeLine {
  kind: "start" | "stop";
  /** The value exactly as written after `<key>:` and the whitespace after it (the raw `date --utc` output). */
  value: string;
  /** True for the 2017-2019 `Start time:`/`Stop time:` keys. */
  legacy: boolean;
}

/** Facts read from metadata.txt. */
export interface MetadataInfo {
  /** `Config name` as written (first non-empty one), or undefined. */
  configName?: string;
  /** Start/stop-time lines in file order. */
  times: TimeLine[];
  /** Last start time, last stop time (verbatim), when present. */
  startTime?: string;
  stopTime?: string;
}

const TIME_LINE = /^(DAQInterface start time|DAQInterface stop time|Start time|Stop time):\s+(.*)$/;

/**
 * Read the configuration name and the start/stop times from the text of metadata.txt. A time counts only when its
 * value is not blank; the value keeps its trailing characters, as the Python archiver kept them.
 *
 * @example
 * ```ts
 * readMetadataInfo("Config name: demo\n\nDAQInterface stop time: Tue Oct 15 09:41:02 PM UTC 2024\n").stopTime;
 * // "Tue Oct 15 09:41:02 PM UTC 2024"
 * ```
 */
export function readMetadataInfo(text: string): MetadataInfo {
  const info: MetadataInfo = { times: [] };
  for (const line of splitLines(text)) {
    if (info.configName === undefined) {
      const config = /^Config name:\s+(.*)$/.exec(line);
      if (config && config[1].trim() !== "") info.configName = config[1].trim();
    }
    const time = TIME_LINE.exec(line);
    if (time && time[2].trim() !== "") {
      const kind = time[1].toLowerCase().includes("start") ? "start" : "stop";
      info.times.push({ kind, value: time[2], legacy: !time[1].startsWith("DAQInterface") });
      if (kind === "start") info.startTime = time[2];
      else info.stopTime = time[2];
    }
  }
  return info;
}

/**
 * The artdaqDB configuration name of a run (original-archiver.md §5.4): the first non-empty `Config name:` value,
 * every `/` replaced by `_` (spaces kept), else `standard`.
 *
 * @example
 * ```ts
 * configurationName({ configName: "std/sub cfg", times: [] }); // "std_sub cfg"
 * ```
 */
export function configurationName(info: MetadataInfo | null): string {
  return info?.configName?.replace(/\//g, "_") ?? "standard";
}

const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const ZONES: Record<string, number> = {
  UTC: 0,
  GMT: 0,
  Z: 0,
  EST: -5,
  EDT: -4,
  CST: -6,
  CDT: -5,
  MST: -7,
  MDT: -6,
  PST: -8,
  PDT: -7,
  CET: 1,
  CEST: 2,
};

/**
 * Milliseconds since the epoch of a `date --utc` string as DAQInterface wrote it, in the C/POSIX form
 * (`Tue Oct 15 19:07:31 UTC 2024`, `Wed Oct  2 04:05:06 UTC 2024`) or the 12-hour en_US form of glibc ≥ 2.29
 * (`Tue Oct 15 07:07:31 PM UTC 2024`); null for any other form (other locales are kept verbatim, never guessed).
 *
 * @example
 * ```ts
 * new Date(parseDaqDate("Tue Oct 15 07:07:31 PM UTC 2024")!).toISOString(); // "2024-10-15T19:07:31.000Z"
 * ```
 */
export function parseDaqDate(value: string): number | null {
  const match =
    /^\s*[A-Za-z]{3}\s+([A-Za-z]{3})\s+(\d{1,2})\s+(\d{1,2}):(\d{2}):(\d{2})(?:\s+([AaPp][Mm]))?\s+([A-Z]{1,5})\s+(\d{4})\s*$/
      .exec(value);
  if (!match) return null;
  const [, monthName, day, hourText, minute, second, meridiem, zone, year] = match;
  const month = MONTHS.indexOf(monthName.toLowerCase());
  const offset = ZONES[zone];
  let hour = Number(hourText);
  if (month < 0 || offset === undefined || hour > 23) return null;
  if (meridiem !== undefined) {
    if (hour < 1 || hour > 12) return null;
    hour = (hour % 12) + (meridiem.toUpperCase() === "PM" ? 12 : 0);
  }
  return Date.UTC(Number(year), month, Number(day), hour - offset, Number(minute), Number(second));
}
