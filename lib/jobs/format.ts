// Human-readable renderings of job records for `ls` and `status` (pure).
import { formatLocalTime } from "./reconcile.js";
import type { JobRecord } from "./record.js";

/** "45s", "12m", "3h", "5d" — the age of `iso` at `now`. */
export function formatAge(iso: string, now: Date): string {
  const s = Math.max(0, Math.round((now.getTime() - Date.parse(iso)) / 1000));
  if (s < 90) return `${s}s`;
  if (s < 90 * 60) return `${Math.round(s / 60)}m`;
  if (s < 36 * 3600) return `${Math.round(s / 3600)}h`;
  return `${Math.round(s / 86400)}d`;
}

/** Shell-like rendering of argv, shortened to `max` characters. */
export function formatArgv(argv: string[], max = 60): string {
  const s = argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a))).join(" ");
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/** How it ended, in a few words: "exit 0", "SIGKILL", "lost". */
export function formatOutcome(r: JobRecord): string {
  if (r.signal) return r.signal;
  if (r.exitCode !== null) return `exit ${r.exitCode}`;
  return "";
}

const COLUMNS = ["ID", "KIND", "STATUS", "STARTED", "UPDATED", "RESTARTS", "PID", "CODEX", "SESSION", "COMMAND"] as const;

/** The `ls` table: one line per record, columns padded to their widest cell. */
export function formatJobTable(records: JobRecord[], now: Date): string {
  if (records.length === 0) return "";
  const rows: string[][] = [COLUMNS.slice()];
  for (const r of records) {
    const outcome = formatOutcome(r);
    rows.push([
      r.id,
      r.kind,
      outcome ? `${r.status} (${outcome})` : r.status,
      formatLocalTime(r.createdAt).slice(0, 16),
      `${formatAge(r.updatedAt, now)} ago`,
      String(r.restarts),
      String(r.supervisor.pid),
      r.child ? String(r.child.pid) : "-",
      r.sessionId ? r.sessionId.slice(0, 8) : "-",
      (r.name ? `[${r.name}] ` : "") + formatArgv(["codex", ...r.argv]),
    ]);
  }
  const widths = COLUMNS.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join("  ")).join("\n") + "\n";
}

/** The `status` block: one `key: value` line per fact. */
export function formatJobStatus(r: JobRecord, now: Date): string {
  const lines: [string, string][] = [
    ["id", r.id + (r.name ? ` (${r.name})` : "")],
    ["kind", r.kind],
    ["status", r.status + (formatOutcome(r) ? ` (${formatOutcome(r)})` : "")],
  ];
  if (r.reason) lines.push(["reason", r.reason]);
  lines.push(["supervisor", `pid ${r.supervisor.pid}`]);
  lines.push(["codex", r.child ? `pid ${r.child.pid}` : "-"]);
  lines.push(["session", r.sessionId ?? (r.endedAt ? "- (none recorded)" : "- (not bound yet)")]);
  if (r.account) lines.push(["account", r.account]);
  lines.push(["restarts", String(r.restarts)]);
  lines.push(["cwd", r.cwd]);
  lines.push(["command", formatArgv(["codex", ...r.argv], 200)]);
  lines.push(["started", `${formatLocalTime(r.createdAt)} (${formatAge(r.createdAt, now)} ago)`]);
  lines.push(["updated", `${formatLocalTime(r.updatedAt)} (${formatAge(r.updatedAt, now)} ago)`]);
  if (r.endedAt) lines.push(["ended", `${formatLocalTime(r.endedAt)} (${formatAge(r.endedAt, now)} ago)`]);
  const w = Math.max(...lines.map(([k]) => k.length)) + 1;
  return lines.map(([k, v]) => `${(k + ":").padEnd(w)} ${v}`).join("\n") + "\n";
}

/** "7d", "12h", "30m", "45s", "2w" → milliseconds; null when malformed. */
export function parseAge(s: string): number | null {
  const m = /^(\d+(?:\.\d+)?)(s|m|h|d|w)$/.exec(s.trim());
  if (!m) return null;
  const unit = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[m[2] as "s" | "m" | "h" | "d" | "w"];
  return Number(m[1]) * unit;
}
