/**
 * The archiver's configuration, as loaded from `config.yaml` (keys in snake_case exactly as in YAML).
 *
 * Every section and key of the Python archiver's configuration is here with the default its code really uses;
 * keys marked "new" are additions of this implementation (an existing Python `config.yaml` loads unchanged).
 * `loadConfig` (core/config/mod.ts) returns a fully resolved `ArchiverConfig`: every default filled in, every
 * `${...}` expanded, every path absolute.
 *
 * Plugins receive their section verbatim (the ucondb plugin takes `config.ucon_db`, the carbon plugin
 * `config.carbon`, ...).
 *
 * @module
 */
import type { FHICLIZE_CONVERTERS, FHICLIZE_GENERATORS, LOG_LEVELS } from "./schema.ts";

/** Log level names accepted in `app.log_level` (case-insensitive in YAML, upper-case here as in Python). */
export type ConfigLogLevel = typeof LOG_LEVELS[number];

/** Output format of log lines. */
export type LogFormat = "text" | "json";

/** Blob verification after upload: server metadata (size + adler32) or a full byte compare. */
export type VerifyMode = "meta" | "full";

/** Section `app`: work directory, state files, batching, retries, logging. */
export interface AppConfig {
  /** Created at startup; base of every default path below. Default `/tmp/run_record_archiver`. */
  work_dir: string;
  /** Import state JSON. Default `<work_dir>/importer_state.json`. */
  import_state_file: string;
  /** Import failure list. Default `<work_dir>/import_failures.log`. */
  import_failure_log: string;
  /** Migration state JSON. Default `<work_dir>/migrator_state.json`. */
  migrate_state_file: string;
  /** Migration failure list. Default `<work_dir>/migrate_failures.log`. */
  migrate_failure_log: string;
  /** Single-instance lock. Default `<work_dir>/.archiver.lock`. */
  lock_file: string;
  /** Incremental: max runs per stage per invocation; full mode: `batch_size*10`. Default 5, range >= 1. */
  batch_size: number;
  /** Runs processed at a time per stage. Default 2, range >= 1. */
  parallel_workers: number;
  /** Extra attempts per run (attempts = value + 1). Default 2, range >= 0. */
  run_process_retries: number;
  /** Base delay between attempts, seconds. Default 3, range >= 0. */
  retry_delay_seconds: number;
  /** Log level; `-v` forces DEBUG. Default `INFO`. */
  log_level: ConfigLogLevel;
  /** Log file (rotated by size), or null for stdout/stderr only. Default null. */
  log_file: string | null;
  /** New: log line format on the terminal and in the log file. Default `text`; `--log-format` overrides. */
  log_format: LogFormat;
  /** New: rotate the log file when it reaches this size in bytes. Default 500 MiB (the Python archiver's value). */
  log_max_bytes: number;
  /** New: rotated log files kept (`<file>.1` … `<file>.N`). Default 5. */
  log_backups: number;
  /** New: upper bound of the exponential backoff between attempts, seconds. Default 60. */
  retry_max_delay_seconds: number;
  /** New: a run's import or migration attempt is abandoned after this many seconds (0 = no limit). Default 600. */
  run_timeout_seconds: number;
  /** New: poll interval of `--watch` when no interval is given on the command line, seconds. Default 60. */
  watch_interval_seconds: number;
}

/** Section `app_fuzz`: random skips and errors for testing (§13); off in incremental mode. */
export interface AppFuzzConfig {
  /** Percent of runs skipped (0–100). Default 0. */
  random_skip_percent: number;
  /** Whether a skipped run is retried. Default false. */
  random_skip_retry: boolean;
  /** Percent of runs failed on purpose (0–100). Default 0. */
  random_error_percent: number;
  /** Whether a fuzz error is retried. Default false. */
  random_error_retry: boolean;
}

/** Section `source_files` (required): where run records are. */
export interface SourceFilesConfig {
  /** Directory holding one sub-directory per run (required). */
  run_records_dir: string;
  /** New: largest single file of a run record, bytes. Default 16 MiB (the largest real document is ~120 kB). */
  max_file_bytes: number;
  /** New: largest total of a run record, bytes. Default 256 MiB (a 110-file protoDUNE run is 12 MB). */
  max_run_bytes: number;
  /**
   * New: a run without stop time is deferred until it is older than this many seconds, then archived flagged
   * incomplete (its stop-time update follows when the stop time appears). Default 86400 (one day).
   */
  incomplete_run_grace_seconds: number;
  /**
   * New: parse the run's own `.fcl` files before archiving (generated documents are always parsed); null → only
   * when the store does not convert every document itself before writing (the native artdaqdb-conftool store
   * does, with the same message for a bad file). Default null.
   */
  validate_fhicl: boolean | null;
}

/** Section `artdaq_db` (required): the intermediate configuration database. */
export interface ArtdaqDbConfig {
  /** Directory with `schema.fcl` (required; must exist when a run is imported). */
  fcl_conf_dir: string;
  /** `filesystemdb:///abs/path` or `mongodb://user:pass@host:port/db` (required; credentials are secrets). */
  database_uri: string;
  /** true → bulkloader/bulkdownloader (artdaqdb-bulktools), false → native store (artdaqdb-conftool). Default false. */
  use_tools: boolean;
  /** Host (`user@host` allowed) on which the bulk tools run over SSH; null → env `ARTDAQ_DATABASE_REMOTEHOST`. */
  remote_host: string | null;
  /**
   * New: directory of the `bulkloader`/`bulkdownloader` executables (on `remote_host` in remote mode; locally a
   * relative directory is relative to the config file); null → `PATH`. Default null.
   */
  tools_dir: string | null;
  /** New: the bulkloader executable (path or name); overrides `tools_dir`. Default null. */
  bulkloader: string | null;
  /** New: the bulkdownloader executable (path or name); overrides `tools_dir`. Default null. */
  bulkdownloader: string | null;
  /** New: `-t` of every tool call (>= 1); null → 1 on filesystemdb, else half the CPUs. Default null. */
  threads: number | null;
  /**
   * New: threads that convert large runs (>= 1 MiB of FHiCL or stored JSON) beside the main thread, native store on
   * filesystemdb only; 0 → every run on the main thread; null → one per CPU, at most 4. Default null.
   */
  conversion_threads: number | null;
  /** New: timeout of one bulk tool invocation, seconds. Default 300 (the Python archiver's fixed value). */
  tools_timeout_seconds: number;
  /** New: SSH port of `remote_host`. Default 22. */
  ssh_port: number;
  /** New: private key file for SSH; null → the SSH agent (`SSH_AUTH_SOCK`). Default null. */
  ssh_key_file: string | null;
  /** New: known_hosts file used to verify the remote host key. Default `~/.ssh/known_hosts`. */
  ssh_known_hosts: string | null;
  /** New: pinned host key fingerprint (`SHA256:...`), checked instead of known_hosts when set. Default null. */
  ssh_host_fingerprint: string | null;
  /** New: SSH agent socket path; true → `SSH_AUTH_SOCK`; null → the agent only when no key file is set. */
  ssh_agent: string | boolean | null;
  /** New: directory on the remote host for each call's own temporary directory (always removed). Default `/tmp`. */
  remote_tmp_dir: string;
  /** New: shell file sourced on the remote host before each tool runs. Default null. */
  remote_setup: string | null;
}

/** Section `ucon_db` (required): the permanent archive (the options of the ucondb plugin). */
export interface UconDbConfig {
  /**
   * Base URL ending in `/app` (`https://host:9443/<instance>/app`), or `embedded:<dir>` for the in-process
   * UconDB-compatible server (relative dirs resolve against the config file's directory; `embedded:` alone =
   * `<work_dir>/ucondb`) (required).
   */
  server_url: string;
  /** UconDB folder: letters, digits, `_`, at most one `.` (required). */
  folder_name: string;
  /** UconDB object holding one version per run (required). */
  object_name: string;
  /** HTTP Digest user for uploads (required). */
  writer_user: string;
  /** HTTP Digest password (required; a secret). */
  writer_password: string;
  /** Timeout of every request, seconds. Default 10. */
  timeout_seconds: number;
  /** New: CA bundle (PEM) to trust for HTTPS, relative to the config file; null → system roots. Default null. */
  ca_file: string | null;
  /** New: skip TLS verification (loud warning at startup). Default false. */
  insecure_skip_verify: boolean;
  /** New: extra attempts of a request after a 5xx or network error (exponential backoff with jitter). Default 4. */
  retries: number;
  /** New: verification after put; `--verify` overrides. Default `meta`. */
  verify: VerifyMode;
}

/** Section `reporting.email` (the options of the email plugin). */
export interface EmailConfig {
  /** Send failure emails. Default false. */
  enabled: boolean;
  /** `To:` header, verbatim (comma-separated list allowed). Required when enabled. */
  recipient_email: string | null;
  /** `From:` header. Required when enabled. */
  sender_email: string | null;
  /** SMTP server. Required when enabled. */
  smtp_host: string | null;
  /** Default 25. */
  smtp_port: number;
  /** STARTTLS, mandatory when true. Default false. */
  smtp_use_tls: boolean;
  /** Login user; login happens only when user and password are both set. */
  smtp_user: string | null;
  /** Login password (a secret). */
  smtp_password: string | null;
  /** New: implicit TLS from the first byte (SMTPS); null = on for port 465 only. Default null. */
  smtp_use_ssl: boolean | null;
  /** New: connect, greeting and socket timeout, seconds. Default 10. */
  smtp_timeout_seconds: number;
  /** New: PEM file of CA certificates to trust for SMTP TLS; relative to the config file. Default null (system roots). */
  smtp_ca_file: string | null;
}

/** Section `reporting.slack` (the options of the slack plugin). */
export interface SlackConfig {
  /** Post failures to Slack. Default false. */
  enabled: boolean;
  /** Bot token `xoxb-…` (a secret). Required when enabled. */
  bot_token: string | null;
  /** `#name` or channel ID. Required when enabled. */
  channel: string | null;
  /** Comma-separated Slack user IDs mentioned in the message's text. */
  mention_users: string | null;
  /** New: Slack Web API base URL (tests point it at a local peer). Default `https://slack.com/api`. */
  api_url: string;
  /** New: request timeout, seconds. Default 10. */
  timeout_seconds: number;
}

/** Section `reporting`. The legacy flat email keys are folded into `email` by the loader (with a warning). */
export interface ReportingConfig {
  /** Failure emails. */
  email: EmailConfig;
  /** Failure messages to Slack. */
  slack: SlackConfig;
}

/** Section `carbon`: Graphite plaintext metrics (the options of the carbon plugin). */
export interface CarbonConfig {
  /** Post metrics at all. Default false. */
  enabled: boolean;
  /** Carbon host (required when enabled). */
  host: string | null;
  /** Plaintext receiver port. Default 2003. */
  port: number;
  /** Prepended to every metric path (required when enabled), e.g. `sbnd.run_archiver.prod`. */
  metric_prefix: string | null;
  /** New: lines per TCP write. Default 500. */
  batch_size: number;
  /** New: lines held while Carbon is unreachable; the oldest are dropped beyond it. Default 10000. */
  queue_size: number;
  /** New: queued lines are written at least this often, seconds. Default 1. */
  flush_interval_seconds: number;
  /** New: connect and write timeout, seconds. Default 2 (the Python client's socket timeout). */
  timeout_seconds: number;
  /** New: first reconnect delay after a failure, seconds; doubles per failure. Default 0.25. */
  reconnect_min_seconds: number;
  /** New: upper bound of the reconnect delay, seconds. Default 30. */
  reconnect_max_seconds: number;
  /** New: longest wait for queued lines at flush/shutdown, seconds. Default 2. */
  close_timeout_seconds: number;
}

/** New section `status_server`: the Hono status server (`deno task serve`). */
export interface StatusServerConfig {
  /** Bind address. Default `127.0.0.1` (loopback only). */
  host: string;
  /** Port. Default 8080. */
  port: number;
  /** Optional bearer token required on every request (a secret). Default null = no token. */
  token: string | null;
}

/**
 * New section `plugins`: which plugin fills a role, by built-in name or module specifier (resolved against the
 * config file's directory). Absent keys keep the defaults chosen from the other sections.
 */
export interface PluginsConfig {
  /** Source plugin (default `run-records`). */
  source?: string;
  /** Store plugin (default by `artdaq_db.use_tools`). */
  store?: string;
  /** Sink plugin (default `ucondb`). */
  sink?: string;
  /** Metrics plugin (default `carbon` when `carbon.enabled`, else none). */
  metrics?: string;
  /** Extra notifiers besides the email/slack ones enabled under `reporting`. */
  notifiers?: string[];
}

/** The nine converter/generator names of `fhiclize_generate`. */
export type FhiclizeName = typeof FHICLIZE_CONVERTERS[number] | typeof FHICLIZE_GENERATORS[number];

/** The whole configuration, resolved. */
export interface ArchiverConfig {
  /** Section `app`. */
  app: AppConfig;
  /** Section `app_fuzz`. */
  app_fuzz: AppFuzzConfig;
  /** Section `source_files`. */
  source_files: SourceFilesConfig;
  /** Section `artdaq_db`. */
  artdaq_db: ArtdaqDbConfig;
  /** Section `ucon_db`. */
  ucon_db: UconDbConfig;
  /** Section `reporting`. */
  reporting: ReportingConfig;
  /** Section `carbon`. */
  carbon: CarbonConfig;
  /** Enabled converters/generators (suffix `.txt`/`.fcl` stripped); absent/null in YAML → all nine. */
  fhiclize_generate: FhiclizeName[];
  /** New section `status_server`. */
  status_server: StatusServerConfig;
  /** New section `plugins`. */
  plugins: PluginsConfig;
  /** Absolute path of the file loaded (for messages and reports). */
  readonly configFile: string;
  /** Directory of the file loaded: relative plugin specifiers and paths resolve against it. */
  readonly configDir: string;
  /** The `archiver.env` that was read beside the config file, or null when there was none. */
  readonly envFile: string | null;
}

/** Options of `loadConfig`. */
export interface LoadConfigOptions {
  /** Environment used for `${VAR}` expansion. Default: the process environment plus `archiver.env`. */
  env?: Record<string, string>;
  /** Load `archiver.env` beside the config file (default true). */
  loadEnvFile?: boolean;
  /** Also set `archiver.env`'s variables in the process environment, as the launcher's `set -a` did (CLI). */
  exportEnvFile?: boolean;
  /** Called for every warning (unknown key, deprecated key). Default: written to stderr. */
  onWarning?: (message: string) => void;
}
