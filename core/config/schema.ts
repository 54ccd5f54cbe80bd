/**
 * The one description of every configuration key: type, default, range, whether it is a secret, and a short
 * meaning. The loader (defaults, coercion, range checks, unknown-key warnings, secret registration) and the
 * documentation test both read it, so the code and docs/configuration.md cannot drift apart.
 *
 * @module
 */

/** How a key's value is read. `path` values are resolved against the config file's directory. */
export type KeyType = "string" | "path" | "int" | "number" | "bool" | "enum" | "string-list" | "bool-or-string";

/** What kind of secret a key holds: a plain secret, or a URI whose credentials are secret. */
export type SecretKind = "plain" | "uri";

/** Description of one key. */
export interface KeySpec {
  /** How the value is read. */
  type: KeyType;
  /** Default when absent; a function derives it from the already-resolved section (e.g. paths under work_dir). */
  default?: unknown | ((section: Record<string, unknown>) => unknown);
  /** A missing key is an error. */
  required?: boolean;
  /** `null` is an accepted value. */
  nullable?: boolean;
  /** Inclusive numeric bounds. */
  min?: number;
  /** Inclusive upper bound. */
  max?: number;
  /** Accepted values of an `enum` (compared case-insensitively when `upper` is set, then upper-cased). */
  values?: readonly string[];
  /** Accept any case and compare upper-cased (log levels). */
  upper?: boolean;
  /** Registered with the redaction layer when set. */
  secret?: SecretKind;
  /** True for keys this implementation adds to the Python archiver's configuration. */
  added?: boolean;
  /** One-line meaning, used by messages. */
  doc: string;
}

/** A section: its keys, and whether the section must be present. */
export interface SectionSpec {
  /** The section must be present. */
  required?: boolean;
  /** True for sections this implementation adds. */
  added?: boolean;
  /** Key name → description. */
  keys: Record<string, KeySpec>;
}

const under = (name: string) => (section: Record<string, unknown>) => `${section.work_dir}/${name}`;

/** The Python archiver's log level names. */
export const LOG_LEVELS = ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] as const;

/** Every section except `reporting` (nested, see REPORTING_SECTIONS) and `fhiclize_generate` (a list). */
export const SECTIONS: Record<string, SectionSpec> = {
  app: {
    keys: {
      work_dir: { type: "path", default: "/tmp/run_record_archiver", doc: "work directory, created at startup" },
      import_state_file: { type: "path", default: under("importer_state.json"), doc: "import state JSON" },
      import_failure_log: { type: "path", default: under("import_failures.log"), doc: "import failure list" },
      migrate_state_file: { type: "path", default: under("migrator_state.json"), doc: "migration state JSON" },
      migrate_failure_log: { type: "path", default: under("migrate_failures.log"), doc: "migration failure list" },
      lock_file: { type: "path", default: under(".archiver.lock"), doc: "single-instance lock file" },
      batch_size: { type: "int", default: 5, min: 1, doc: "runs per stage per invocation (full mode: x10)" },
      parallel_workers: { type: "int", default: 2, min: 1, max: 64, doc: "runs processed at a time" },
      run_process_retries: { type: "int", default: 2, min: 0, max: 100, doc: "extra attempts per run" },
      retry_delay_seconds: { type: "number", default: 3, min: 0, doc: "base delay between attempts" },
      log_level: { type: "enum", values: LOG_LEVELS, upper: true, default: "INFO", doc: "log level" },
      log_file: { type: "path", nullable: true, default: null, doc: "log file with size rotation" },
      log_format: { type: "enum", values: ["text", "json"], default: "text", added: true, doc: "log line format" },
      log_max_bytes: {
        type: "int",
        default: 500 * 1024 * 1024,
        min: 1024,
        added: true,
        doc: "log file size that triggers rotation",
      },
      log_backups: { type: "int", default: 5, min: 0, max: 100, added: true, doc: "rotated log files kept" },
      retry_max_delay_seconds: {
        type: "number",
        default: 60,
        min: 0,
        added: true,
        doc: "upper bound of the retry backoff",
      },
      run_timeout_seconds: {
        type: "number",
        default: 600,
        min: 0,
        added: true,
        doc: "time limit of one run attempt (0 = none)",
      },
      watch_interval_seconds: {
        type: "number",
        default: 60,
        min: 1,
        added: true,
        doc: "poll interval of --watch",
      },
    },
  },
  app_fuzz: {
    keys: {
      random_skip_percent: { type: "int", default: 0, min: 0, max: 100, doc: "percent of runs skipped" },
      random_skip_retry: { type: "bool", default: false, doc: "retry a skipped run" },
      random_error_percent: { type: "int", default: 0, min: 0, max: 100, doc: "percent of runs failed on purpose" },
      random_error_retry: { type: "bool", default: false, doc: "retry a fuzz error" },
    },
  },
  source_files: {
    required: true,
    keys: {
      run_records_dir: { type: "path", required: true, doc: "directory of run records" },
      max_file_bytes: {
        type: "int",
        default: 16 * 1024 * 1024,
        min: 1,
        added: true,
        doc: "largest file of a run record",
      },
      max_run_bytes: {
        type: "int",
        default: 256 * 1024 * 1024,
        min: 1,
        added: true,
        doc: "largest run record",
      },
      incomplete_run_grace_seconds: {
        type: "number",
        default: 86400,
        min: 0,
        added: true,
        doc: "age after which a run without stop time is archived flagged incomplete",
      },
      validate_fhicl: {
        type: "bool",
        nullable: true,
        default: null,
        added: true,
        doc: "parse the run's own .fcl files before archiving; null: unless the native store parses them anyway",
      },
    },
  },
  artdaq_db: {
    required: true,
    keys: {
      fcl_conf_dir: { type: "path", required: true, doc: "directory holding schema.fcl" },
      database_uri: { type: "string", required: true, secret: "uri", doc: "filesystemdb:// or mongodb:// URI" },
      use_tools: { type: "bool", default: false, doc: "use bulkloader/bulkdownloader" },
      remote_host: { type: "string", nullable: true, default: null, doc: "host running the bulk tools over SSH" },
      tools_dir: {
        type: "string",
        nullable: true,
        default: null,
        added: true,
        doc: "directory of the bulk tools (on remote_host in remote mode; locally relative to the config file)",
      },
      bulkloader: {
        type: "string",
        nullable: true,
        default: null,
        added: true,
        doc: "the bulkloader executable (path or name); overrides tools_dir",
      },
      bulkdownloader: {
        type: "string",
        nullable: true,
        default: null,
        added: true,
        doc: "the bulkdownloader executable (path or name); overrides tools_dir",
      },
      threads: {
        type: "int",
        nullable: true,
        default: null,
        min: 1,
        max: 256,
        added: true,
        doc: "-t of every tool call; null: 1 on filesystemdb, else half the CPUs",
      },
      conversion_threads: {
        type: "int",
        nullable: true,
        default: null,
        min: 0,
        max: 64,
        added: true,
        doc: "threads converting runs of >= 1 MiB (native store, filesystemdb); 0: none; null: one per CPU, at most 4",
      },
      tools_timeout_seconds: {
        type: "number",
        default: 300,
        min: 1,
        added: true,
        doc: "timeout of one bulk tool run",
      },
      ssh_port: { type: "int", default: 22, min: 1, max: 65535, added: true, doc: "SSH port of remote_host" },
      ssh_key_file: { type: "path", nullable: true, default: null, added: true, doc: "SSH private key file" },
      ssh_known_hosts: {
        type: "path",
        nullable: true,
        default: null,
        added: true,
        doc: "known_hosts file (null: ~/.ssh/known_hosts)",
      },
      ssh_host_fingerprint: {
        type: "string",
        nullable: true,
        default: null,
        added: true,
        doc: "pinned SHA256 host key fingerprint",
      },
      ssh_agent: {
        type: "bool-or-string",
        nullable: true,
        default: null,
        added: true,
        doc: "SSH agent socket; true: SSH_AUTH_SOCK; null: the agent only without a key file",
      },
      remote_tmp_dir: {
        type: "string",
        default: "/tmp",
        added: true,
        doc: "directory on remote_host for each call's temporary directory (always removed)",
      },
      remote_setup: {
        type: "string",
        nullable: true,
        default: null,
        added: true,
        doc: "shell file sourced on remote_host before each tool runs",
      },
    },
  },
  ucon_db: {
    required: true,
    keys: {
      server_url: { type: "string", required: true, secret: "uri", doc: "UconDB base URL or embedded:<dir>" },
      folder_name: { type: "string", required: true, doc: "UconDB folder" },
      object_name: { type: "string", required: true, doc: "UconDB object" },
      writer_user: { type: "string", required: true, doc: "HTTP Digest user" },
      writer_password: { type: "string", required: true, secret: "plain", doc: "HTTP Digest password" },
      timeout_seconds: { type: "number", default: 10, min: 0.1, doc: "timeout of every request" },
      ca_file: { type: "path", nullable: true, default: null, added: true, doc: "CA bundle for HTTPS" },
      insecure_skip_verify: { type: "bool", default: false, added: true, doc: "skip TLS verification (warned)" },
      retries: {
        type: "int",
        default: 4,
        min: 0,
        max: 20,
        added: true,
        doc: "extra attempts on 5xx/network errors (exponential backoff with jitter)",
      },
      verify: { type: "enum", values: ["meta", "full"], default: "meta", added: true, doc: "verification after put" },
    },
  },
  carbon: {
    keys: {
      enabled: { type: "bool", default: false, doc: "send metrics to Carbon" },
      host: { type: "string", nullable: true, default: null, doc: "Carbon host" },
      port: { type: "int", default: 2003, min: 1, max: 65535, doc: "Carbon plaintext port" },
      metric_prefix: { type: "string", nullable: true, default: null, doc: "metric path prefix" },
      batch_size: { type: "int", default: 500, min: 1, added: true, doc: "lines per TCP write" },
      queue_size: { type: "int", default: 10000, min: 1, added: true, doc: "lines held while Carbon is away" },
      flush_interval_seconds: {
        type: "number",
        default: 1,
        min: 0.01,
        added: true,
        doc: "queued lines written at least this often",
      },
      timeout_seconds: { type: "number", default: 2, min: 0.01, added: true, doc: "connect and write timeout" },
      reconnect_min_seconds: {
        type: "number",
        default: 0.25,
        min: 0,
        added: true,
        doc: "first reconnect delay",
      },
      reconnect_max_seconds: {
        type: "number",
        default: 30,
        min: 0,
        added: true,
        doc: "upper bound of the reconnect delay",
      },
      close_timeout_seconds: {
        type: "number",
        default: 2,
        min: 0,
        added: true,
        doc: "longest wait for queued lines at shutdown",
      },
    },
  },
  status_server: {
    added: true,
    keys: {
      host: { type: "string", default: "127.0.0.1", doc: "bind address of the status server" },
      port: { type: "int", default: 8080, min: 0, max: 65535, doc: "port of the status server" },
      token: { type: "string", nullable: true, default: null, secret: "plain", doc: "bearer token" },
    },
  },
  plugins: {
    added: true,
    keys: {
      source: { type: "string", nullable: true, doc: "source plugin name or module" },
      store: { type: "string", nullable: true, doc: "store plugin name or module" },
      sink: { type: "string", nullable: true, doc: "sink plugin name or module" },
      metrics: { type: "string", nullable: true, doc: "metrics plugin name or module" },
      notifiers: { type: "string-list", nullable: true, doc: "extra notifier plugin names or modules" },
    },
  },
};

/** The sub-sections of `reporting`. */
export const REPORTING_SECTIONS: Record<"email" | "slack", SectionSpec> = {
  email: {
    keys: {
      enabled: { type: "bool", default: false, doc: "send failure emails" },
      recipient_email: { type: "string", nullable: true, default: null, doc: "To: (comma-separated)" },
      sender_email: { type: "string", nullable: true, default: null, doc: "From:" },
      smtp_host: { type: "string", nullable: true, default: null, doc: "SMTP server" },
      smtp_port: { type: "int", default: 25, min: 1, max: 65535, doc: "SMTP port" },
      smtp_use_tls: { type: "bool", default: false, doc: "STARTTLS" },
      smtp_user: { type: "string", nullable: true, default: null, doc: "SMTP login user" },
      smtp_password: { type: "string", nullable: true, default: null, secret: "plain", doc: "SMTP password" },
      smtp_use_ssl: {
        type: "bool",
        nullable: true,
        default: null,
        added: true,
        doc: "implicit TLS (SMTPS); null = on for port 465 only",
      },
      smtp_timeout_seconds: {
        type: "number",
        default: 10,
        min: 0.1,
        added: true,
        doc: "connect, greeting and socket timeout",
      },
      smtp_ca_file: { type: "path", nullable: true, default: null, added: true, doc: "CA bundle for SMTP TLS" },
    },
  },
  slack: {
    keys: {
      enabled: { type: "bool", default: false, doc: "post failures to Slack" },
      bot_token: { type: "string", nullable: true, default: null, secret: "plain", doc: "xoxb- bot token" },
      channel: { type: "string", nullable: true, default: null, doc: "channel name or ID" },
      mention_users: { type: "string", nullable: true, default: null, doc: "user IDs to mention" },
      api_url: {
        type: "string",
        default: "https://slack.com/api",
        added: true,
        doc: "Slack Web API base URL",
      },
      timeout_seconds: { type: "number", default: 10, min: 0.1, added: true, doc: "request timeout" },
    },
  },
};

/**
 * The deprecated flat email keys directly under `reporting` (read only when `send_email_on_error` is present and
 * `reporting.email` is empty), with the defaults the Python archiver used for them.
 */
export const LEGACY_REPORTING_KEYS: Record<string, KeySpec> = {
  send_email_on_error: { type: "bool", default: false, doc: "deprecated: reporting.email.enabled" },
  recipient_email: { type: "string", nullable: true, default: null, doc: "deprecated: reporting.email" },
  sender_email: { type: "string", nullable: true, default: null, doc: "deprecated: reporting.email" },
  smtp_host: { type: "string", nullable: true, default: null, doc: "deprecated: reporting.email" },
  smtp_port: { type: "int", default: 587, min: 1, max: 65535, doc: "deprecated: reporting.email" },
  smtp_use_tls: { type: "bool", default: true, doc: "deprecated: reporting.email" },
  smtp_user: { type: "string", nullable: true, default: null, doc: "deprecated: reporting.email" },
  smtp_password: { type: "string", nullable: true, default: null, secret: "plain", doc: "deprecated" },
};

/** Known converters (text files fhiclized) and generators (documents made) of `fhiclize_generate`. */
export const FHICLIZE_CONVERTERS = [
  "boot",
  "metadata",
  "known_boardreaders_list",
  "settings",
  "setup",
  "environment",
  "ranks",
] as const;
/** Known generators of `fhiclize_generate`. */
export const FHICLIZE_GENERATORS = ["RunHistory", "RunHistory2"] as const;

/** The default of a key, derived from the keys built so far when it is a function. */
export function defaultOf(spec: KeySpec, section: Record<string, unknown>): unknown {
  return typeof spec.default === "function" ? spec.default(section) : spec.default;
}

/**
 * The defaults of a section's keys that have one (required keys have none), in the section's key order, or only
 * of the keys named in `only`. Plugins take their `defaults` from here, so that each default is written once, in
 * this schema.
 *
 * @example
 * ```ts
 * import type { CarbonConfig } from "./types.ts";
 * const defaults = sectionDefaults<CarbonConfig>(SECTIONS.carbon);
 * defaults.port; // 2003
 * ```
 */
export function sectionDefaults<T extends object>(spec: SectionSpec, only?: readonly (keyof T & string)[]): T {
  const out: Record<string, unknown> = {};
  for (const [key, keySpec] of Object.entries(spec.keys)) {
    if (keySpec.default !== undefined) out[key] = defaultOf(keySpec, out);
  }
  // Picked after all are built: a derived default may read a key the caller does not want.
  return (only ? Object.fromEntries(only.filter((key) => key in out).map((key) => [key, out[key]])) : out) as T;
}

/** Every known top-level key. */
export const TOP_LEVEL_KEYS: readonly string[] = [...Object.keys(SECTIONS), "reporting", "fhiclize_generate"];

/**
 * Every documented key path (`app.work_dir`, `reporting.email.enabled`, `fhiclize_generate`, ...), legacy keys as
 * `reporting.<key>`. The documentation test compares docs/configuration.md against this list.
 */
export function allKeyPaths(): string[] {
  const paths: string[] = [];
  for (const [section, spec] of Object.entries(SECTIONS)) {
    for (const key of Object.keys(spec.keys)) paths.push(`${section}.${key}`);
  }
  for (const [sub, spec] of Object.entries(REPORTING_SECTIONS)) {
    for (const key of Object.keys(spec.keys)) paths.push(`reporting.${sub}.${key}`);
  }
  for (const key of Object.keys(LEGACY_REPORTING_KEYS)) paths.push(`reporting.${key}`);
  paths.push("fhiclize_generate");
  return paths;
}
