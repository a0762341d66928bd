// The one place that turns an error into what the user sees: an exit status and one clear line.
// Used at every edge — the CLI (main.ts), the shim (shim/main.ts) and the supervisor's door
// (supervisor/entry.ts). Domain errors carry a code (lib/errors.ts); anything else is a bug of
// ours: one line saying so, the stack saved to a file in the home, never printed.
import fs from "node:fs";
import os from "node:os";
import { DomainError, type ErrorCode } from "../errors.js";
import { ownProblem } from "../fs/trust.js";
import { internalErrorLog, supervisorHome, type Env } from "../paths.js";
import { redactString } from "../text/secrets.js";

interface Row {
  /** Exit status: 2 = the user must change something they gave us; 1 = it failed; others as codex does. */
  status: number | ((err: DomainError) => number);
}

export const ERROR_TABLE: Record<ErrorCode, Row> = {
  usage: { status: 2 },
  "config-invalid": { status: 2 },
  "unsafe-path": { status: 2 },
  "codex-home-missing": { status: 2 },
  "record-corrupt": { status: 2 },
  "accounts-store-invalid": { status: 2 },
  "foreign-login": { status: 2 },
  "unreadable-login": { status: 1 },
  "file-write-failed": { status: 1 },
  "file-access-failed": { status: 1 },
  "event-log-write-failed": { status: 1 },
  "lock-timeout": { status: 1 },
  "lock-lost": { status: 1 },
  "lock-unavailable": { status: 1 },
  "codex-not-found": { status: 127 }, // as a shell says for a missing command
  "codex-is-shim": { status: 2 },
  "supervisor-unavailable": { status: 1 },
  "job-state": { status: 1 },
  "job-start-failed": { status: 1 },
  "stop-failed": { status: 1 },
  "restart-failed": { status: 1 },
  environment: { status: 1 },
  "unsupported-platform": { status: 1 },
  "process-tool-failed": { status: 1 },
  // `codex login` failed: its own status when it gave one.
  "login-failed": { status: (e) => (e.details.childStatus !== undefined && e.details.childStatus > 0 ? e.details.childStatus : 1) },
  "no-login": { status: 1 },
  integrity: { status: 1 },
  interrupted: { status: (e) => 128 + (e.details.signal ? (os.constants.signals[e.details.signal] ?? 0) : 0) },
  "demo-failed": { status: 1 },
  "no-terminal": { status: 2 },
};

interface ErrorReport {
  status: number;
  /** What to write to stderr: `codex-supervisor: …` and a newline. */
  text: string;
}

const PREFIX = "codex-supervisor: ";
const MAX_SHOWN = 300;
/** The details file is cut back to nothing when it grows past this (it is for the latest failures). */
const MAX_LOG_BYTES = 1024 * 1024;

/** The status and the line for `err`. An unknown error's details go to the home's internal-errors.log. */
export function errorReport(err: unknown, env: Env = process.env): ErrorReport {
  if (err instanceof DomainError) {
    const row = ERROR_TABLE[err.code];
    const status = typeof row.status === "function" ? row.status(err) : row.status;
    return { status, text: `${PREFIX}${redactString(err.message)}\n` };
  }
  const message = err instanceof Error ? err.message : String(err);
  const first = redactString(message.split("\n", 1)[0] ?? "");
  const shown = first.length > MAX_SHOWN ? `${first.slice(0, MAX_SHOWN)}…` : first;
  return { status: 1, text: `${PREFIX}internal error: ${shown}; ${saveDetails(err, env)}\n` };
}

/** Append the error's stack to the home's log, if the home is ours; say where (or why not). */
function saveDetails(err: unknown, env: Env): string {
  let file: string;
  try {
    const home = supervisorHome(env);
    const st = fs.lstatSync(home, { throwIfNoEntry: false });
    if (!st || ownProblem(st, "dir", home)) return "this is a bug in codex-supervisor (no safe place to save its details)";
    file = internalErrorLog(home);
    const stack = err instanceof Error ? (err.stack ?? err.message) : String(err);
    const fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_CREAT | fs.constants.O_NOFOLLOW, 0o600);
    try {
      if (fs.fstatSync(fd).size > MAX_LOG_BYTES) fs.ftruncateSync(fd, 0);
      // The command's name only: the rest of a command line may hold a key.
      const command = /^[a-z_-]{1,20}$/.test(process.argv[2] ?? "") ? ` ${process.argv[2]}` : "";
      fs.writeSync(fd, `${new Date().toISOString()} pid ${process.pid}${command}\n${redactString(stack)}\n\n`);
    } finally {
      fs.closeSync(fd);
    }
  } catch (e) {
    return `this is a bug in codex-supervisor (its details could not be saved: ${(e as Error).message.split("\n", 1)[0]})`;
  }
  return `this is a bug in codex-supervisor; details in ${file}`;
}
