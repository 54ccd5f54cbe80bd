/**
 * One SSH connection to `remote_host` (npm:ssh2), opened on first use, verified against known_hosts or a pinned
 * fingerprint before any credential is sent, authenticated by key or agent, and shared by concurrent calls (one
 * exec channel each). A call returns the remote exit status, bounded stdout bytes and the tail of stderr; a
 * connection that drops before the exit status arrives is an error, never a success.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { readFile } from "node:fs/promises";
// @ts-types="@types/ssh2"
import type { Client, ClientChannel, ConnectConfig } from "ssh2";
import { ConfigurationError, StoreError, TransientError } from "../../core/errors.ts";
import type { Logger } from "../../core/roles.ts";
import { type HostKeyDecision, type HostKeyPolicy, knownHostsPolicy, pinnedFingerprint } from "./host_key.ts";
import type { SshSettings } from "./options.ts";
import { OutputBuffer } from "./output.ts";

/** The outcome of one remote command. */
export interface ExecResult {
  /** Exit status, or null when the command ended by a signal. */
  code: number | null;
  /** Signal name when the command was killed, else null. */
  signal: string | null;
  /** Everything the command wrote to stdout. */
  stdout: Uint8Array;
  /** The tail of the command's stderr. */
  stderr: string;
  /** True when the call was ended at the timeout. */
  timedOut: boolean;
}

/** Limits of one call. */
export interface ExecOptions {
  /** Bytes sent to the command's stdin, then EOF. */
  stdin: Uint8Array;
  /** Timeout of the whole call, ms. */
  timeoutMs: number;
  /** Largest stdout kept; more is an error (a tar stream bigger than any run). */
  maxStdoutBytes: number;
  /**
   * On timeout, a command to run on a second channel that terminates the first one's remote process (sshd refuses
   * SSH `signal` requests for sessions without privilege separation, e.g. root logins), or null.
   */
  terminateCommand?: (stderrHead: string) => string | null;
}

/** How long the handshake may take. */
const READY_TIMEOUT_MS = 20_000;
/** After a timeout, how long the channel gets to close after SIGTERM before the connection is dropped. */
const CLOSE_GRACE_MS = 5_000;

/** A lazily opened, shared SSH connection. */
export class SshConnection {
  readonly #settings: SshSettings;
  readonly #logger?: Logger;
  #client: Promise<Client> | null = null;

  /** A connection that opens on the first `exec`. */
  constructor(settings: SshSettings, logger?: Logger) {
    this.#settings = settings;
    this.#logger = logger;
  }

  /** `user@host:port`, for messages. */
  describe(): string {
    return `${this.#settings.username}@${this.#settings.host}:${this.#settings.port}`;
  }

  /**
   * Runs `command` (a string for the remote login shell), feeds `stdin`, collects output. Throws `StoreError` when
   * the host key is refused or authentication fails, `TransientError` when the connection cannot be made or drops.
   */
  async exec(command: string, options: ExecOptions): Promise<ExecResult> {
    const client = await this.#connect();
    const channel = await new Promise<ClientChannel>((resolve, reject) =>
      client.exec(command, (error, stream) => error ? reject(this.#lost(error)) : resolve(stream))
    );
    return await this.#collect(client, channel, options);
  }

  /** Closes the connection (running calls fail as "connection lost"). */
  async close(): Promise<void> {
    const pending = this.#client;
    this.#client = null;
    if (!pending) return;
    try {
      (await pending).end();
    } catch { /* a connection that never opened needs no closing */ }
  }

  #collect(client: Client, channel: ClientChannel, options: ExecOptions): Promise<ExecResult> {
    return new Promise<ExecResult>((resolve, reject) => {
      const stdout = new OutputBuffer(options.maxStdoutBytes);
      const stderr = new OutputBuffer(64 * 1024, true);
      let code: number | null = null;
      let signal: string | null = null;
      let exited = false;
      let timedOut = false;
      let settled = false;
      let overflow = false;
      /** The start of stderr, kept whole: the remote wrapper announces its pid there. */
      let stderrHead = "";
      const finish = (error?: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        clearTimeout(grace);
        client.off("close", onConnectionClose);
        if (error) reject(error);
        else resolve({ code, signal, stdout: stdout.bytes(), stderr: stderr.text(), timedOut });
      };
      const onConnectionClose = () => {
        if (!exited && !timedOut) {
          finish(new TransientError(`SSH connection to ${this.describe()} was lost before the remote command ended`));
        }
      };
      let grace: ReturnType<typeof setTimeout> | undefined;
      const timer = setTimeout(() => {
        timedOut = true;
        // SIGTERM makes the remote wrapper kill the tool and remove its temp dir, then exit: the channel closes.
        try {
          channel.signal("TERM");
        } catch { /* the channel may already be closing */ }
        const terminate = options.terminateCommand?.(stderrHead);
        if (terminate) {
          client.exec(terminate, (error, killer) => {
            if (error) return;
            killer.on("data", () => {}).on("close", () => {});
            killer.stderr.on("data", () => {});
            killer.end();
          });
        }
        grace = setTimeout(() => {
          // The channel did not close: drop the whole connection; the remote watchdog sees it and cleans up.
          this.#forget(client);
          client.end();
          finish();
        }, CLOSE_GRACE_MS);
      }, options.timeoutMs);
      client.on("close", onConnectionClose);
      channel.on("data", (chunk: Buffer) => {
        if (!stdout.push(chunk) && !overflow) {
          overflow = true;
          channel.close();
          finish(new StoreError(`remote output on ${this.describe()} exceeded ${options.maxStdoutBytes} bytes`));
        }
      });
      channel.stderr.on("data", (chunk: Buffer) => {
        if (stderrHead.length < 256) stderrHead += new TextDecoder().decode(chunk.subarray(0, 256));
        stderr.push(chunk);
      });
      channel.on("exit", (exitCode: number | null, signalName?: string) => {
        exited = true;
        code = typeof exitCode === "number" ? exitCode : null;
        signal = signalName ?? null;
      });
      channel.on("close", () => {
        if (!exited && !timedOut) {
          finish(new TransientError(`SSH channel to ${this.describe()} closed without an exit status`));
        } else finish();
      });
      channel.on("error", (error: Error) => finish(this.#lost(error)));
      channel.end(Buffer.from(options.stdin));
    });
  }

  #connect(): Promise<Client> {
    this.#client ??= this.#open();
    this.#client.catch(() => (this.#client = null));
    return this.#client;
  }

  #forget(client: Client): void {
    this.#client?.then((current) => current === client && (this.#client = null), () => {});
  }

  async #open(): Promise<Client> {
    const settings = this.#settings;
    const policy: HostKeyPolicy = settings.fingerprint
      ? pinnedFingerprint(settings.fingerprint)
      : await knownHostsPolicy(settings.knownHosts, settings.host, settings.port);
    let privateKey: Buffer | undefined;
    if (settings.keyFile) {
      try {
        privateKey = await readFile(settings.keyFile);
      } catch (error) {
        throw new ConfigurationError(
          `cannot read artdaq_db.ssh_key_file ${settings.keyFile}: ${(error as Error).message.split("\n")[0]}`,
        );
      }
    }
    let decision: HostKeyDecision | null = null;
    const config: ConnectConfig = {
      host: settings.host,
      port: settings.port,
      username: settings.username,
      privateKey,
      agent: settings.agent ?? undefined,
      readyTimeout: READY_TIMEOUT_MS,
      keepaliveInterval: 15_000,
      keepaliveCountMax: 4,
      hostVerifier: (key: Buffer) => {
        decision = policy.decide(key);
        return decision.accepted;
      },
    };
    if (policy.keyTypes) {
      // Ask for the key types known_hosts lists, so the server does not offer another (unlisted) key type.
      config.algorithms = {
        serverHostKey: policy.keyTypes as NonNullable<ConnectConfig["algorithms"]>["serverHostKey"],
      };
    }
    // Loaded here, not up front: only SSH users pay for the module (~6 MB, BENCHMARKS.md).
    const ssh2 = await import("ssh2");
    const client = new ssh2.Client();
    return await new Promise<Client>((resolve, reject) => {
      client.once("ready", () => {
        this.#logger?.debug(`SSH connected to ${this.describe()} (host key ${policy.describe()})`);
        client.on(
          "error",
          (error: Error) => this.#logger?.warn(`SSH connection to ${this.describe()}: ${error.message}`),
        );
        client.on("close", () => this.#forget(client));
        resolve(client);
      });
      client.once("error", (error: Error & { level?: string }) => {
        const refused = decision as HostKeyDecision | null;
        if (refused && !refused.accepted) {
          reject(new StoreError(`SSH host key of ${this.describe()} refused: ${refused.reason}`));
        } else if (error.level === "client-authentication") {
          reject(
            new StoreError(
              `SSH authentication to ${this.describe()} failed (${
                settings.keyFile ? `key ${settings.keyFile}` : "agent"
              }); check artdaq_db.ssh_key_file / ssh_agent and the remote authorized_keys`,
            ),
          );
        } else {
          reject(new TransientError(`cannot connect to ${this.describe()} over SSH: ${error.message}`));
        }
      });
      client.connect(config);
    });
  }

  #lost(error: Error): Error {
    return new TransientError(`SSH to ${this.describe()}: ${error.message}`);
  }
}
