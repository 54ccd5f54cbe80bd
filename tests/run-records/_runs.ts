/**
 * Builds small run-record directories in a temp dir for the source tests.
 *
 * @module
 */
import { join } from "node:path";

/** Write `files` (relative path → text or bytes) into `<root>/<dirName>/`. */
export async function writeRun(root: string, dirName: string, files: Record<string, string | Uint8Array>) {
  const dir = join(root, dirName);
  await Deno.mkdir(dir, { recursive: true });
  for (const [name, content] of Object.entries(files)) {
    await Deno.mkdir(join(dir, name, ".."), { recursive: true });
    if (typeof content === "string") await Deno.writeTextFile(join(dir, name), content);
    else await Deno.writeFile(join(dir, name), content);
  }
  return dir;
}

/** A metadata.txt in the DAQInterface v3_14 layout with optional start/stop lines. */
export function metadataText(config: string, times: { start?: string; stop?: string } = {}): string {
  let text = `Config name: ${config}\nComponent #0: tpc01\nDAQInterface directory: daq01:/home/daq\n\n` +
    "process management method: direct\n\n\nboardreader logfiles: \ndaq01:/log/tpc01.log\n";
  if (times.start) text += `\nDAQInterface start time: ${times.start}\n`;
  if (times.stop) text += `\nDAQInterface stop time: ${times.stop}\n`;
  return text;
}

/** A minimal valid per-process FHiCL document. */
export const PROCESS_FHICL = "daq: {\n   fragment_receiver: {\n      fragment_id: 3\n   }\n}\n";
