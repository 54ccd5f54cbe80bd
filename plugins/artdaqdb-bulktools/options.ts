/**
 * Options of the bulk-tools store (the `artdaq_db` configuration section, keys verbatim) and their validation
 * into {@link Settings}: where the tools are, how many threads they get, and how to reach `remote_host` over SSH.
 *
 * @module
 */

import { homedir, userInfo } from "node:os";
import { isAbsolute, join, resolve } from "node:path";
import { ConfigurationError } from "../../core/errors.ts";

/** Options: the `artdaq_db` section. Keys the plugin does not use (`fcl_conf_dir`, `use_tools`) are ignored. */
export interface Options {
  /** `filesystemdb:///abs/path` or `mongodb://[user:pass@]host[:port]/db`; empty → `ARTDAQ_DATABASE_URI`. */
  database_uri?: string | null;
  /** `[user@]host[:port]` on which the tools run over SSH; null/empty → env `ARTDAQ_DATABASE_REMOTEHOST`; none → local. */
  remote_host?: string | null;
  /** Directory of `bulkloader`/`bulkdownloader` (on the remote host in remote mode); null → `PATH`. */
  tools_dir?: string | null;
  /** New: the bulkloader executable (path or name); overrides `tools_dir`. */
  bulkloader?: string | null;
  /** New: the bulkdownloader executable (path or name); overrides `tools_dir`. */
  bulkdownloader?: string | null;
  /** New: `-t` of every call (≥ 1). null → 1 on a filesystem database (its tools race on index.json), else half the CPUs, at least 1. */
  threads?: number | null;
  /** Timeout of one tool invocation, transfer included, seconds (the Python archiver's fixed 300). */
  tools_timeout_seconds?: number;
  /** SSH port when `remote_host` names none. */
  ssh_port?: number;
  /** Private key for SSH (OpenSSH or PEM format, unencrypted). */
  ssh_key_file?: string | null;
  /** known_hosts file the host key must be listed in; null → `~/.ssh/known_hosts`. */
  ssh_known_hosts?: string | null;
  /** Pinned host key fingerprint `SHA256:…` (as `ssh-keygen -lf` prints it), checked instead of known_hosts. */
  ssh_host_fingerprint?: string | null;
  /** New: SSH agent socket; true → `SSH_AUTH_SOCK`; null → the agent only when no key file is set. */
  ssh_agent?: string | boolean | null;
  /** New: directory on the remote host under which each call makes (and always removes) its own temp dir. */
  remote_tmp_dir?: string;
  /** New: a shell file sourced on the remote host before each tool runs (the tools' PATH/LD_LIBRARY_PATH setup). */
  remote_setup?: string | null;
  /** Other keys of the section (`fcl_conf_dir`, `use_tools`): ignored. */
  [key: string]: unknown;
}

/** Defaults of {@link Options}. */
export const defaults: Options = {
  database_uri: "",
  remote_host: null,
  tools_dir: null,
  bulkloader: null,
  bulkdownloader: null,
  threads: null,
  tools_timeout_seconds: 300,
  ssh_port: 22,
  ssh_key_file: null,
  ssh_known_hosts: null,
  ssh_host_fingerprint: null,
  ssh_agent: null,
  remote_tmp_dir: "/tmp",
  remote_setup: null,
};

/** The remote host and how to authenticate to it and verify it. */
export interface SshSettings {
  /** Host name or address (IPv6 without brackets). */
  host: string;
  /** SSH port. */
  port: number;
  /** Login name. */
  username: string;
  /** Private key file, or null. */
  keyFile: string | null;
  /** Agent socket path, or null. */
  agent: string | null;
  /** Pinned `SHA256:…` fingerprint, or null when known_hosts is used. */
  fingerprint: string | null;
  /** known_hosts file (used when no fingerprint is pinned). */
  knownHosts: string;
}

/** Validated settings. */
export interface Settings {
  /** The bulkloader executable. */
  bulkloader: string;
  /** The bulkdownloader executable. */
  bulkdownloader: string;
  /** A fixed thread count ≥ 1, or "auto" (half the CPUs of the host that runs the tool, at least 1). */
  threads: number | "auto";
  /** Timeout of one call, ms. */
  timeoutMs: number;
  /** Null in local mode. */
  ssh: SshSettings | null;
  /** Parent of the remote per-call temp dirs. */
  remoteTmpDir: string;
  /** Shell file sourced on the remote host before each tool, or null. */
  remoteSetup: string | null;
}

/** The environment variable the Python archiver and conftool.py read the remote host from. */
export const REMOTE_HOST_ENV = "ARTDAQ_DATABASE_REMOTEHOST";

/**
 * Validates options. `provider` is the database's provider: on a filesystem database the default thread count is
 * 1, because the real bulkloader's threads race on `index.json` (artdaq-database.md §4.5).
 *
 * @example
 * ```ts
 * const settings = resolveSettings({ remote_host: "daq@dbhost:2222", ssh_key_file: "/etc/archiver/id_ed25519" },
 *   "mongo", { env: (n) => Deno.env.get(n), configDir: "/etc/archiver" });
 * settings.ssh?.port; // 2222
 * ```
 */
export function resolveSettings(
  options: Options,
  provider: "filesystem" | "mongo",
  runtime: { env: (name: string) => string | undefined; configDir: string },
): Settings {
  const merged = { ...defaults, ...options };
  const remote = text(merged.remote_host) || text(runtime.env(REMOTE_HOST_ENV));
  const toolsDir = text(merged.tools_dir);
  const tool = (name: "bulkloader" | "bulkdownloader") => {
    const given = text(merged[name]);
    const path = given || (toolsDir ? join(toolsDir, name) : name);
    // Locally, a relative path with a directory part is relative to the config file; a bare name is a PATH lookup.
    return !remote && path.includes("/") && !isAbsolute(path) ? resolve(runtime.configDir, path) : path;
  };
  const threads = merged.threads;
  if (threads !== null && threads !== undefined && (!Number.isInteger(threads) || threads < 1)) {
    throw new ConfigurationError(
      `artdaq_db.threads is ${threads}; it must be an integer ≥ 1 (the bulk tools divide by zero with -t 0)`,
    );
  }
  const timeout = Number(merged.tools_timeout_seconds);
  if (!Number.isFinite(timeout) || timeout <= 0) {
    throw new ConfigurationError(
      `artdaq_db.tools_timeout_seconds is ${merged.tools_timeout_seconds}; give seconds > 0`,
    );
  }
  const remoteTmpDir = text(merged.remote_tmp_dir) || "/tmp";
  if (!remoteTmpDir.startsWith("/") || /[\s'"\\$`]/.test(remoteTmpDir)) {
    throw new ConfigurationError(
      `artdaq_db.remote_tmp_dir '${remoteTmpDir}' must be an absolute path without spaces, quotes or '$'`,
    );
  }
  return {
    bulkloader: tool("bulkloader"),
    bulkdownloader: tool("bulkdownloader"),
    threads: threads ?? (provider === "filesystem" ? 1 : "auto"),
    timeoutMs: Math.round(timeout * 1000),
    ssh: remote ? sshSettings(remote, merged, runtime) : null,
    remoteTmpDir,
    remoteSetup: text(merged.remote_setup) || null,
  };
}

function sshSettings(
  remote: string,
  options: Options,
  runtime: { env: (name: string) => string | undefined; configDir: string },
): SshSettings {
  const match = /^(?:([^@\s]+)@)?(\[[^\]\s]+\]|[^:@\s\[\]]+)(?::(\d+))?$/.exec(remote);
  if (!match) {
    throw new ConfigurationError(`artdaq_db.remote_host '${remote}' is not [user@]host[:port]`);
  }
  const port = Number(match[3] ?? options.ssh_port ?? 22);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new ConfigurationError(`artdaq_db.remote_host / ssh_port: port ${port} is not 1…65535`);
  }
  const home = runtime.env("HOME") || homedir();
  const path = (value: string) =>
    value === "~" || value.startsWith("~/")
      ? home + value.slice(1)
      : isAbsolute(value)
      ? value
      : resolve(runtime.configDir, value);
  const keyFile = text(options.ssh_key_file) ? path(text(options.ssh_key_file)) : null;
  const agentOption = options.ssh_agent;
  const agent = typeof agentOption === "string" && agentOption.trim()
    ? path(agentOption.trim())
    : agentOption === true || (agentOption !== false && !keyFile)
    ? runtime.env("SSH_AUTH_SOCK") || null
    : null;
  if (!keyFile && !agent) {
    throw new ConfigurationError(
      `artdaq_db.remote_host is ${remote} but no SSH credential is set: give artdaq_db.ssh_key_file, or run an ` +
        `SSH agent (SSH_AUTH_SOCK) or set artdaq_db.ssh_agent to its socket`,
    );
  }
  const fingerprint = text(options.ssh_host_fingerprint) || null;
  if (fingerprint && !/^SHA256:[A-Za-z0-9+/]{43}=?$/.test(fingerprint)) {
    throw new ConfigurationError(
      `artdaq_db.ssh_host_fingerprint '${fingerprint}' is not SHA256:<43 base64 characters>; ` +
        `take it from ssh-keygen -lf <host key>.pub`,
    );
  }
  return {
    host: match[2].replace(/^\[(.*)\]$/, "$1"),
    port,
    username: match[1] ?? (runtime.env("USER") || userInfo().username),
    keyFile,
    agent,
    fingerprint: fingerprint?.replace(/=$/, "") ?? null,
    knownHosts: text(options.ssh_known_hosts) ? path(text(options.ssh_known_hosts)) : join(home, ".ssh", "known_hosts"),
  };
}

function text(value: unknown): string {
  return typeof value === "string" ? value.trim() : "";
}
