// Domain errors: what went wrong, as a code and one clear message. They know nothing about exit
// statuses or how they are shown — the table at the edges (lib/cli/error-table.ts) decides that, so
// a new failure is one code here and one row there. Never put a secret in a message.

/** Every code a DomainError can carry. The error table must have a row for each (a test checks). */
export const ERROR_CODES = [
  "usage", // a bad flag, argument or name
  "config-invalid", // config.json or a CODEX_AUTH_* variable
  "unsafe-path", // a file or directory of ours that is not ours alone (owner, mode, symlink)
  "codex-home-missing", // CODEX_HOME names a directory that does not exist
  "record-corrupt", // a job's record or side file cannot be used (kept as is)
  "accounts-store-invalid",
  "foreign-login", // CODEX_HOME/auth.json holds a login of no stored account
  "unreadable-login", // CODEX_HOME/auth.json cannot be read (may hold the only refresh token)
  "file-write-failed",
  "file-access-failed", // a read, listing or removal failed (names the path)
  "event-log-write-failed",
  "lock-timeout",
  "lock-lost",
  "lock-unavailable", // the storage lock could not even be attempted
  "codex-not-found",
  "codex-is-shim", // a configured "real codex" is our own shim
  "supervisor-unavailable", // the shim could not load the supervisor
  "job-state", // the job is not in a state that allows this
  "job-start-failed",
  "stop-failed",
  "restart-failed",
  "environment", // the system does not give us what we need (/proc)
  "login-failed", // `codex login` failed or wrote nothing usable
  "no-login", // there is no login where one was to be taken (CODEX_HOME/auth.json missing)
  "integrity", // a safety check refused a write that would be wrong (a bug of ours); nothing was changed
  "interrupted", // stopped by a signal (details.signal): a shell's 128 + its number
  "demo-failed",
  "no-terminal", // an interactive command without a TTY
  "unsupported-platform", // no process table we can read (neither Linux nor macOS)
  "process-tool-failed", // ps, sysctl or lsof could not be run or failed (macOS)
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** Facts the edge may need to pick a status (e.g. the status `codex login` exited with). */
interface ErrorDetails {
  childStatus?: number;
  signal?: NodeJS.Signals;
}

export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: ErrorDetails = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "DomainError";
  }
}

/** Bad flag, bad argument, bad name: the message names the flag, field or file. */
export class UsageError extends DomainError {
  constructor(message: string) {
    super("usage", message);
    this.name = "UsageError";
  }
}
