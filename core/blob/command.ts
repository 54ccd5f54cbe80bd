/**
 * `deno task archive blob pack|unpack`: build a blob from a directory, or write a blob's files back out.
 *
 * ```
 * archive blob pack DIR [--run N] [--configuration C] [--stored-at T] > run.blob
 * archive blob unpack FILE|- --out DIR
 * ```
 *
 * `pack` takes every regular file under DIR (recursively, paths relative to DIR). `--run` defaults to DIR's name
 * when it is a number, `--configuration` to empty, `--stored-at` to the newest modification time of the files (so
 * the same files give the same blob). `unpack` writes each file under DIR (never overwriting one) and prints
 * `{"run", "configuration", "storedAt", "legacy", "files"}` as JSON, which are the `pack` flags that rebuild the
 * identical blob.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { basename, dirname, join, relative, sep } from "node:path";
import { ArchiverError, describeError, RunInputError, UsageError } from "../errors.ts";
import { redact } from "../redact.ts";
import type { ExportedFile } from "../roles.ts";
import { checkRelativePath, packBlobParts, unpackBlob } from "./format.ts";

const USAGE = `usage: archive blob pack DIR [--run N] [--configuration C] [--stored-at ISO-TIME] > FILE
       archive blob unpack FILE|- --out DIR`;

/**
 * Entry point of the `blob` subcommand; returns the exit code (0 ok, 1 bad input, 2 usage).
 *
 * @example
 * ```ts
 * const code = await main(["pack", "exported/100", "--configuration", "100/demo"]);
 * ```
 */
export async function main(args: string[]): Promise<number> {
  try {
    const [action, ...rest] = args;
    if (action === "pack") return await pack(rest);
    if (action === "unpack") return await unpack(rest);
    if (action === "--help" || action === "-h") {
      console.log(USAGE);
      return 0;
    }
    throw new UsageError(`unknown blob action '${action ?? ""}'\n${USAGE}`);
  } catch (error) {
    const code = error instanceof ArchiverError ? error.exitCode : 1;
    const text = error instanceof UsageError ? error.message : describeError(error);
    console.error(`error: ${redact(text)}`);
    return code;
  }
}

async function pack(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags(args, {
    run: { type: "string" },
    configuration: { type: "string", default: "" },
    "stored-at": { type: "string" },
  });
  if (positionals.length !== 1) throw new UsageError(`blob pack takes exactly one directory\n${USAGE}`);
  const dir = positionals[0];
  const runText = values.run ?? basename(dir);
  if (!/^\d+$/.test(runText)) {
    throw new UsageError(`blob pack: give --run N (the directory name '${basename(dir)}' is not a run number)`);
  }
  const { files, newestMtime } = await readTree(dir);
  const storedAt = values["stored-at"] ?? new Date(newestMtime).toISOString();
  const parts = packBlobParts(Number(runText), String(values.configuration), storedAt, files);
  for (const part of parts) await writeAll(Deno.stdout, part);
  return 0;
}

async function unpack(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags(args, { out: { type: "string" } });
  if (positionals.length !== 1 || !values.out) throw new UsageError(`blob unpack needs FILE and --out DIR\n${USAGE}`);
  const source = positionals[0];
  const bytes = source === "-" ? await readAllStdin() : await readInput(source);
  const blob = unpackBlob(bytes);
  const out = String(values.out);
  for (const file of blob.files) checkRelativePath(file.path, source);
  for (const file of blob.files) {
    const target = join(out, ...file.path.split("/"));
    await Deno.mkdir(dirname(target), { recursive: true });
    try {
      await Deno.writeFile(target, file.data, { createNew: true });
    } catch (error) {
      if (error instanceof Deno.errors.AlreadyExists) {
        throw new RunInputError(`${target} already exists; unpack into an empty directory`);
      }
      throw error;
    }
  }
  const summary = {
    run: blob.run,
    configuration: blob.configuration,
    storedAt: blob.storedAt,
    legacy: blob.legacy,
    files: blob.files.map((file) => file.path),
  };
  console.log(JSON.stringify(summary));
  return 0;
}

type FlagSpec = Record<string, { type: "string"; default?: string }>;

function parseFlags(args: string[], options: FlagSpec) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(`${describeError(error)}\n${USAGE}`);
  }
}

/** Every regular file under `dir` with its `/`-separated relative path, and the newest mtime (ms). */
async function readTree(dir: string): Promise<{ files: ExportedFile[]; newestMtime: number }> {
  const files: ExportedFile[] = [];
  let newestMtime = 0;
  const walk = async (current: string): Promise<void> => {
    let entries: Deno.DirEntry[];
    try {
      entries = await Array.fromAsync(Deno.readDir(current));
    } catch (error) {
      throw new RunInputError(`cannot read directory ${current}: ${describeError(error)}`);
    }
    for (const entry of entries) {
      const path = join(current, entry.name);
      if (entry.isSymlink) throw new RunInputError(`${path} is a symbolic link; blob pack archives regular files only`);
      if (entry.isDirectory) {
        await walk(path);
      } else if (entry.isFile) {
        const stat = await Deno.stat(path);
        newestMtime = Math.max(newestMtime, stat.mtime?.getTime() ?? 0);
        files.push({ path: relative(dir, path).split(sep).join("/"), data: await Deno.readFile(path) });
      }
    }
  };
  await walk(dir);
  if (files.length === 0) throw new RunInputError(`${dir} holds no files to pack`);
  return { files, newestMtime };
}

async function readInput(path: string): Promise<Uint8Array> {
  try {
    return await Deno.readFile(path);
  } catch (error) {
    throw new RunInputError(`cannot read blob ${path}: ${describeError(error)}`);
  }
}

async function readAllStdin(): Promise<Uint8Array> {
  return new Uint8Array(await new Response(Deno.stdin.readable).arrayBuffer());
}

async function writeAll(writer: { write(p: Uint8Array): Promise<number> }, bytes: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) offset += await writer.write(bytes.subarray(offset));
}
