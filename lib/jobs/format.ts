// Human renderings of job records for `ls` and `status` (pure). One time style — relative, in words
// (lib/terminal/duration.ts); absolute times are in --json. Ids are shown by their distinctive part
// (the date is in STARTED), whole with --wide; every shown part is accepted back as a reference.
import { formatDuration, formatRelative, humaniseText } from "../terminal/duration.js";
import type { Paint } from "../terminal/style.js";
import { renderTable, type Column } from "../terminal/table.js";
import { isActiveStatus, type JobRecord, type JobStatus } from "./record.js";
import { formatLocalTime } from "./reconcile.js";

/** "45s", "12m", "3h 05m" — how long ago `iso` was at `now`. */
export function formatAge(iso: string, now: Date): string {
  return formatDuration(now.getTime() - Date.parse(iso));
}

/** Shell-like rendering of argv, shortened to `max` characters. */
function formatArgv(argv: string[], max = 60): string {
  const s = argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a))).join(" ");
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/** How it ended, in a few words: "exit 0", "SIGKILL", "". */
function formatOutcome(r: JobRecord): string {
  if (r.signal) return r.signal;
  if (r.exitCode !== null) return `exit ${r.exitCode}`;
  return "";
}

/** `s-1a2b3c4d` for `s-20261202-1a2b3c4d`: the kind and the random part (the date is in STARTED). */
function shortJobId(id: string): string {
  const m = /^([sj])-\d{8}-([0-9a-f]{8})$/.exec(id);
  return m ? `${m[1]}-${m[2]}` : id;
}

/**
 * The part of a codex session id that tells sessions apart. A UUIDv7 starts with a millisecond
 * timestamp (identical for every session started in the same minute), so its last 8 hex digits
 * (random) are shown; any other id by its first 8 characters.
 */
function shortSessionId(sessionId: string): string {
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(sessionId)) return sessionId.slice(-8);
  return sessionId.slice(0, 8);
}

/** The STATUS cell: the status, how it ended ("exited 0", "stopped SIGTERM"), and restarts if any. */
function statusCell(r: JobRecord, withRestarts: boolean): string {
  const how = isActiveStatus(r.status) ? "" : (r.signal ?? (r.exitCode !== null ? String(r.exitCode) : ""));
  const restarts = withRestarts && r.restarts > 0 ? ` (${r.restarts} restart${r.restarts === 1 ? "" : "s"})` : "";
  return `${r.status}${how ? ` ${how}` : ""}${restarts}`;
}

/** The colour of a status: live green, in between yellow, failed and lost red, ended well dim. */
function statusTone(r: JobRecord): Parameters<Paint>[0] {
  const tones: Record<JobStatus, Parameters<Paint>[0]> = {
    running: "green",
    starting: "yellow",
    restarting: "yellow",
    exited: r.exitCode === 0 && r.signal === null ? "dim" : "red",
    stopped: "dim",
    failed: "red",
    lost: "magenta",
  };
  return tones[r.status];
}

interface JobTableOptions {
  /** The terminal's width; null = no limit. */
  width: number | null;
  /** Whole ids, both pids, no truncation. */
  wide: boolean;
  paint: Paint;
}

export function formatJobTable(records: JobRecord[], now: Date, opts: JobTableOptions): string {
  if (records.length === 0) return "";
  const columns: (Column & { cell: (r: JobRecord) => string })[] = [
    { header: "ID", cell: (r) => (opts.wide ? r.id : shortJobId(r.id)) },
    { header: "STATUS", cell: (r) => statusCell(r, !opts.wide) },
    { header: "ACCOUNT", flex: true, min: 7, cell: (r) => r.account ?? "-" },
    { header: "SESSION", cell: (r) => (r.sessionId ? (opts.wide ? r.sessionId : shortSessionId(r.sessionId)) : "-") },
    { header: "STARTED", cell: (r) => formatRelative(r.createdAt, now.getTime()) },
    ...(opts.wide ? [{ header: "RESTARTS", align: "right" as const, cell: (r: JobRecord) => String(r.restarts) }] : []),
    // Pids only while they mean something: an ended job's pid may belong to another process now.
    { header: "PID", align: "right", cell: (r) => (isActiveStatus(r.status) ? String(r.supervisor.pid) : "-") },
    ...(opts.wide ? [{ header: "CODEX", align: "right" as const, cell: (r: JobRecord) => (isActiveStatus(r.status) && r.child ? String(r.child.pid) : "-") }] : []),
    { header: "COMMAND", flex: true, min: 12, cell: (r) => (r.name ? `[${r.name}] ` : "") + formatArgv(["codex", ...r.argv], opts.wide ? 10_000 : 200) },
  ];
  const rows = records.map((r) => columns.map((c) => c.cell(r)));
  const statusCol = 1;
  return renderTable(columns, rows, {
    width: opts.wide ? null : opts.width,
    decorate: (row, col, text) => (col === statusCol ? opts.paint(statusTone(records[row]!), text) : text),
  });
}

/** A time for the status block: relative, with the local clock time for reference. */
function when(iso: string, now: Date): string {
  return `${formatRelative(iso, now.getTime())} (${formatLocalTime(iso)})`;
}

/** The `status` block: one `key: value` line per fact. */
export function formatJobStatus(r: JobRecord, now: Date, paint: Paint = (_f, t) => t): string {
  const live = isActiveStatus(r.status);
  const lines: [string, string][] = [
    ["id", r.id + (r.name ? ` (${r.name})` : "")],
    ["kind", r.kind],
    ["status", paint(statusTone(r), r.status + (formatOutcome(r) ? ` (${formatOutcome(r)})` : ""))],
  ];
  if (r.reason) lines.push(["reason", humaniseText(r.reason)]);
  if (live) {
    lines.push(["supervisor", `pid ${r.supervisor.pid}`]);
    lines.push(["codex", r.child ? `pid ${r.child.pid}` : "-"]);
  }
  lines.push(["session", r.sessionId ?? (r.endedAt ? "- (none recorded)" : "- (not bound yet)")]);
  if (r.account) lines.push(["account", r.account]);
  lines.push(["restarts", String(r.restarts)]);
  lines.push(["cwd", r.cwd]);
  lines.push(["command", formatArgv(["codex", ...r.argv], 200)]);
  lines.push(["started", when(r.createdAt, now)]);
  lines.push(["updated", when(r.updatedAt, now)]);
  if (r.endedAt) lines.push(["ended", `${when(r.endedAt, now)}, after ${formatDuration(Date.parse(r.endedAt) - Date.parse(r.createdAt))}`]);
  const w = Math.max(...lines.map(([k]) => k.length)) + 1;
  return lines.map(([k, v]) => `${(k + ":").padEnd(w)} ${v}`).join("\n") + "\n";
}

/** `status --wait`'s progress line: "waiting for s-1a2b3c4d: restarting on work (waiting for a quota reset), 2m 10s so far". */
export function formatWaitLine(r: JobRecord, waitedMs: number): string {
  const on = r.account ? ` on ${r.account}` : "";
  const why = r.reason ? ` (${r.reason})` : "";
  return `waiting for ${shortJobId(r.id)}: ${r.status}${on}${why}, ${formatDuration(waitedMs)} so far (Ctrl+C stops waiting, not the job)`;
}

/** "7d", "12h", "30m", "45s", "2w" → milliseconds; null when malformed. */
export function parseAge(s: string): number | null {
  const m = /^(\d+(?:\.\d+)?)(s|m|h|d|w)$/.exec(s.trim());
  if (!m) return null;
  const unit = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[m[2] as "s" | "m" | "h" | "d" | "w"];
  return Number(m[1]) * unit;
}
