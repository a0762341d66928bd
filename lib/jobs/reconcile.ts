// Reconciliation (pure): what a record should say given what is actually running. The I/O side —
// probing processes and persisting the verdict — is lib/jobs/reconcile-io.ts.
//
// The rule: only an active record (starting/running/restarting) can change, and only to `lost`, and
// only when its supervisor is verified gone AND no child of it is alive. A pid that now belongs to
// another process (identity mismatch) counts as gone, never as alive. A live supervisor is the
// authority on its own record, so nothing is changed while it lives.
import { isActiveStatus, type JobRecord } from "./record.js";

/** What the system says about one recorded process. `reused` = the pid exists but is another process. */
export type ProcState = "alive" | "gone" | "reused";

export interface Liveness {
  supervisor: ProcState;
  /** `none` when the record has no child. */
  child: ProcState | "none";
}

interface ReconcileResult {
  record: JobRecord;
  /** True when `record` differs from the input and must be written back. */
  changed: boolean;
  /** Why the record changed, or a note on an unusual but unchanged state (an orphaned child); else null. */
  reason: string | null;
}


const pad = (n: number) => String(n).padStart(2, "0");

/** Local `YYYY-MM-DD HH:MM:SS` (what a person compares with their clock). */
export function formatLocalTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

function describeSupervisor(r: JobRecord, s: ProcState): string {
  const since = `last update ${formatLocalTime(r.updatedAt)}`;
  return s === "reused"
    ? `supervisor pid ${r.supervisor.pid} is gone (the pid now belongs to another process; ${since})`
    : `supervisor pid ${r.supervisor.pid} is gone (${since})`;
}

function describeChild(r: JobRecord, c: ProcState | "none"): string {
  if (c === "none" || !r.child) return "no child process was recorded";
  return c === "reused" ? `child pid ${r.child.pid} is gone (the pid now belongs to another process)` : `child pid ${r.child.pid} is gone`;
}

export function reconcile(record: JobRecord, liveness: Liveness, now: Date = new Date()): ReconcileResult {
  if (!isActiveStatus(record.status) || liveness.supervisor === "alive") {
    return { record, changed: false, reason: null };
  }
  if (liveness.child === "alive" && record.child) {
    // The codex tree outlived its supervisor: still running, so not lost; `stop`/`reap` can end it.
    return {
      record,
      changed: false,
      reason: `${describeSupervisor(record, liveness.supervisor)}; child pid ${record.child.pid} is still running without it (\`codex-supervisor stop ${record.id}\` or \`reap\` ends it)`,
    };
  }
  const reason = `${describeSupervisor(record, liveness.supervisor)}; ${describeChild(record, liveness.child)}`;
  const t = now.toISOString();
  return {
    record: { ...record, status: "lost", reason, endedAt: record.endedAt ?? t, updatedAt: t, rev: record.rev + 1 },
    changed: true,
    reason,
  };
}
