/**
 * Runs the tools on this host: a private temp dir per call (removed afterwards whatever happens), the documented
 * argument vector passed directly (no shell, so no quoting issue), and the database URI in the child's
 * environment only (`ARTDAQ_DATABASE_URI`), never in its arguments where `ps` would show it (§16.2). A call that
 * outlives the timeout is sent SIGTERM, then SIGKILL.
 *
 * @module
 */

import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { StoreError } from "../../core/errors.ts";
import type { ExportedFile, PreparedDocument } from "../../core/roles.ts";
import { sortByPath } from "../artdaqdb-conftool/export.ts";
import { localThreads, toolArguments, type ToolName } from "./command.ts";
import { drain, OutputBuffer } from "./output.ts";
import { MAX_DOWNLOAD_BYTES, type ToolCall, toolFailure, type ToolOutcome, type ToolRunner } from "./runner.ts";

/** What the local runner needs. */
export interface LocalRunnerSettings {
  /** The bulkloader executable (path or PATH name). */
  bulkloader: string;
  /** The bulkdownloader executable (path or PATH name). */
  bulkdownloader: string;
  /** `-t`: a count ≥ 1, or "auto" (half the CPUs, at least 1). */
  threads: number | "auto";
  /** Timeout of one call, ms. */
  timeoutMs: number;
  /** The URI handed to the tools through their environment. */
  databaseUri: string;
  /** Parent of the per-call temp dirs (default: the system temp dir). */
  tmpDir?: string;
}

/** How long a tool gets between SIGTERM and SIGKILL. */
const KILL_GRACE_MS = 3_000;

/** The tools as local child processes. */
export class LocalRunner implements ToolRunner {
  readonly #settings: LocalRunnerSettings;

  /** A runner with validated settings (see `resolveSettings`). */
  constructor(settings: LocalRunnerSettings) {
    this.#settings = settings;
  }

  /** Always `local`. */
  describe(): string {
    return "local";
  }

  /** Writes the documents into a private temp dir and runs bulkloader on it. */
  async load(call: ToolCall, documents: readonly PreparedDocument[]): Promise<void> {
    await this.#withTempDir("bulkloader", call, async (dir) => {
      for (const document of documents) {
        const path = join(dir, document.name);
        await mkdir(dirname(path), { recursive: true });
        await writeFile(path, document.text);
      }
      await this.#run("bulkloader", call, dir);
    });
  }

  /** Runs bulkdownloader into a private temp dir and reads what it wrote. */
  download(call: ToolCall): Promise<ExportedFile[]> {
    return this.#withTempDir("bulkdownloader", call, async (dir) => {
      await this.#run("bulkdownloader", call, dir);
      return await readTree(dir, call);
    });
  }

  /** Nothing to release. */
  close(): Promise<void> {
    return Promise.resolve();
  }

  async #withTempDir<T>(tool: ToolName, call: ToolCall, body: (dir: string) => Promise<T>): Promise<T> {
    const dir = await mkdtemp(join(this.#settings.tmpDir ?? tmpdir(), `${tool}-${call.run}-`));
    try {
      return await body(dir);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  async #run(tool: ToolName, call: ToolCall, dir: string): Promise<void> {
    const settings = this.#settings;
    const executable = tool === "bulkloader" ? settings.bulkloader : settings.bulkdownloader;
    const args = toolArguments(call.run, call.configName, dir, localThreads(settings.threads));
    let child: Deno.ChildProcess;
    try {
      child = new Deno.Command(executable, {
        args,
        cwd: dir,
        env: { ARTDAQ_DATABASE_URI: settings.databaseUri },
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
    } catch (error) {
      const reason = error instanceof Deno.errors.NotFound
        ? "not found; set artdaq_db.tools_dir or artdaq_db." + tool
        : (error as Error).message.split("\n")[0];
      throw new StoreError(`cannot start ${tool} (${executable}) for run ${call.run}: ${reason}`, { run: call.run });
    }
    let timedOut = false;
    let killer: ReturnType<typeof setTimeout> | undefined;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGTERM");
      killer = setTimeout(() => child.kill("SIGKILL"), KILL_GRACE_MS);
    }, settings.timeoutMs);
    const stdout = new OutputBuffer(64 * 1024, true);
    const stderr = new OutputBuffer(64 * 1024, true);
    try {
      const [status] = await Promise.all([child.status, drain(child.stdout, stdout), drain(child.stderr, stderr)]);
      const outcome: ToolOutcome = {
        code: status.signal ? null : status.code,
        signal: status.signal,
        stdout: stdout.text(),
        stderr: stderr.text(),
        timedOut,
      };
      const failure = toolFailure(tool, call, "this host", outcome, settings.timeoutMs);
      if (failure) throw failure;
    } finally {
      clearTimeout(timer);
      clearTimeout(killer);
    }
  }
}

/** Every regular file under `root`, relative paths, sorted; bounded by {@link MAX_DOWNLOAD_BYTES}. */
async function readTree(root: string, call: ToolCall): Promise<ExportedFile[]> {
  const files: ExportedFile[] = [];
  let total = 0;
  const walk = async (relative: string) => {
    for (const entry of await readdir(join(root, relative), { withFileTypes: true })) {
      const path = relative ? `${relative}/${entry.name}` : entry.name;
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile()) {
        const data = await readFile(join(root, path));
        total += data.length;
        if (total > MAX_DOWNLOAD_BYTES) {
          throw new StoreError(`bulkdownloader for run ${call.run} wrote more than ${MAX_DOWNLOAD_BYTES} bytes`, {
            run: call.run,
          });
        }
        files.push({ path, data: new Uint8Array(data.buffer, data.byteOffset, data.length) });
      } else {
        throw new StoreError(`bulkdownloader for run ${call.run} wrote '${path}', which is not a regular file`, {
          run: call.run,
        });
      }
    }
  };
  await walk("");
  return sortByPath(files);
}
