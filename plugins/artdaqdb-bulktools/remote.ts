/**
 * Runs the tools on `remote_host` over SSH: one exec channel per call running the wrapper of `remote_script.ts`.
 * The database URI is the first line of the channel's stdin; the documents follow as a tar stream (load), or the
 * downloaded files come back as a tar stream on stdout (download). Nothing is written to disk on this host, and the
 * remote temp dir is removed by the wrapper whatever happens. The remote exit status decides success.
 *
 * @module
 */

import { concatBytes } from "../../core/blob/bytes.ts";
import { StoreError } from "../../core/errors.ts";
import type { ExportedFile, Logger, PreparedDocument } from "../../core/roles.ts";
import type { ToolName } from "./command.ts";
import type { SshSettings } from "./options.ts";
import { remoteCommand, splitWrapperPid } from "./remote_script.ts";
import { MAX_DOWNLOAD_BYTES, type ToolCall, toolFailure, type ToolRunner } from "./runner.ts";
import { type ExecResult, SshConnection } from "./ssh.ts";
import { createTar, readTar } from "./tar.ts";

/** What the remote runner needs. */
export interface RemoteRunnerSettings {
  /** Host, port, user, credentials and host key policy. */
  ssh: SshSettings;
  /** The bulkloader executable on the remote host. */
  bulkloader: string;
  /** The bulkdownloader executable on the remote host. */
  bulkdownloader: string;
  /** `-t`: a count ≥ 1, or "auto" (half the remote CPUs, at least 1). */
  threads: number | "auto";
  /** Timeout of one call, transfer included, ms. */
  timeoutMs: number;
  /** Sent as the first stdin line, exported to the tool by the wrapper. */
  databaseUri: string;
  /** Parent of the per-call remote temp dirs. */
  remoteTmpDir: string;
  /** Shell file sourced before the tool, or null. */
  remoteSetup: string | null;
}

/** Extra time the remote watchdog allows beyond the client's timeout before it kills the tool itself. */
const WATCHDOG_MARGIN_SECONDS = 30;
/** Calls in flight on the one connection (OpenSSH's default MaxSessions is 10). */
const MAX_CHANNELS = 8;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The tools on a remote host. */
export class RemoteRunner implements ToolRunner {
  readonly #settings: RemoteRunnerSettings;
  readonly #connection: SshConnection;
  #active = 0;
  readonly #waiting: Array<() => void> = [];

  /** A runner; the connection opens on the first call. */
  constructor(settings: RemoteRunnerSettings, logger?: Logger) {
    if (/[\r\n]/.test(settings.databaseUri)) {
      throw new StoreError("artdaq_db.database_uri contains a line break; it cannot be sent to the remote host");
    }
    this.#settings = settings;
    this.#connection = new SshConnection(settings.ssh, logger);
  }

  /** `user@host:port`. */
  describe(): string {
    return this.#connection.describe();
  }

  /** Streams the documents as tar to the remote wrapper, which runs bulkloader on them. */
  async load(call: ToolCall, documents: readonly PreparedDocument[]): Promise<void> {
    const tar = createTar(documents.map((document) => ({ path: document.name, data: encoder.encode(document.text) })));
    const result = await this.#exec("bulkloader", call, tar);
    this.#check("bulkloader", call, result);
  }

  /** Runs bulkdownloader remotely and unpacks the tar stream it sends back. */
  async download(call: ToolCall): Promise<ExportedFile[]> {
    const result = await this.#exec("bulkdownloader", call, new Uint8Array());
    this.#check("bulkdownloader", call, result);
    return readTar(result.stdout, `bulkdownloader output for run ${call.run} from ${this.describe()}`);
  }

  /** Closes the SSH connection. */
  close(): Promise<void> {
    return this.#connection.close();
  }

  async #exec(tool: ToolName, call: ToolCall, payload: Uint8Array): Promise<ExecResult> {
    const settings = this.#settings;
    const command = remoteCommand({
      tool,
      executable: tool === "bulkloader" ? settings.bulkloader : settings.bulkdownloader,
      run: call.run,
      configName: call.configName,
      threads: settings.threads,
      tmpBase: settings.remoteTmpDir,
      setup: settings.remoteSetup,
      deadlineSeconds: Math.ceil(settings.timeoutMs / 1000) + WATCHDOG_MARGIN_SECONDS,
    });
    const stdin = concatBytes([encoder.encode(settings.databaseUri + "\n"), payload]);
    await this.#acquire();
    try {
      return await this.#connection.exec(command, {
        stdin,
        timeoutMs: settings.timeoutMs,
        maxStdoutBytes: tool === "bulkdownloader" ? MAX_DOWNLOAD_BYTES : 1024 * 1024,
        terminateCommand: (stderrHead) => {
          const pid = splitWrapperPid(stderrHead).pid;
          return pid === null ? null : `kill -TERM ${pid}`;
        },
      });
    } finally {
      this.#release();
    }
  }

  #check(tool: ToolName, call: ToolCall, result: ExecResult): void {
    const failure = toolFailure(
      tool,
      call,
      this.describe(),
      {
        code: result.code,
        signal: result.signal,
        // The loader's stdout is its report; the downloader's stdout is the tar stream (its report is on stderr).
        stdout: tool === "bulkloader" ? decoder.decode(result.stdout) : "",
        stderr: splitWrapperPid(result.stderr).rest,
        timedOut: result.timedOut,
      },
      this.#settings.timeoutMs,
    );
    if (failure) throw failure;
  }

  async #acquire(): Promise<void> {
    if (this.#active < MAX_CHANNELS) {
      this.#active++;
      return;
    }
    await new Promise<void>((resolve) => this.#waiting.push(resolve));
  }

  #release(): void {
    const next = this.#waiting.shift();
    if (next) next();
    else this.#active--;
  }
}
