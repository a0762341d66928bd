// `codex-supervisor stop <id> [--timeout S]`: end a job's whole process tree; its session stays
// resumable (`codex resume <session id>` / `codex exec resume <session id>`).
//
// - Supervisor alive (identity-verified): ask it (control file "stop") and wait until its record is
//   no longer active; the supervisor runs the escalation and records `stopped`. We never signal a
//   live supervisor ourselves.
// - Supervisor gone: we run the whole-tree escalation from the recorded child identity (only if that
//   process still carries this job's marker, where its environment is readable) plus a scan for
//   every process carrying the marker, then record `stopped` with a compare-and-swap. A recorded pid
//   that now belongs to another process is never signalled; the record becomes `lost`.
// - Already ended: any leftover process still carrying the marker is ended the same way.
//
// Exit status: 0 the job is not running any more (stopped now, or had already ended);
// 1 it could not be stopped (timeout, processes left); 2 usage error.
import { setTimeout as sleep } from "node:timers/promises";
import { loadConfig } from "../../config/load.js";
import { DomainError } from "../../errors.js";
import { supervisorHome } from "../../paths.js";
import { requestControl } from "../../jobs/control.js";
import { isActiveStatus, type JobRecord } from "../../jobs/record.js";
import { probeProcess, readJobReconciled, storageLockFor } from "../../jobs/reconcile-io.js";
import { appendEvent } from "../../jobs/event-log.js";
import { updateJobIf } from "../../jobs/records.js";
import { escalateTree, type EscalationReport, type EscalationWaits } from "../../process/escalate.js";
import type { ProcessIdentity } from "../../process/identity.js";
import { JOB_MARKER_ENV, readMarkers } from "../../process/proc-table.js";
import { command, type Parsed } from "../argv.js";
import { JOB_NAME_OPTION, JOB_REF_ARGS, JOB_REF_SYNOPSIS, jobRefOf, parseSeconds, resolveJobArg } from "../job-args.js";

export const spec = command({
  name: "stop",
  synopsis: `${JOB_REF_SYNOPSIS} [--timeout S]`,
  about: `Stops the job's whole process tree (SIGINT, then SIGTERM, then SIGKILL, identity-checked). The
session stays resumable: \`codex resume <session id>\` or \`codex exec resume <session id> <prompt>\`.`,
  options: {
    timeout: { type: "string", value: "S", help: "how long to wait for the job's supervisor (default: the escalation waits + 10 s)" },
    name: JOB_NAME_OPTION,
  },
  args: JOB_REF_ARGS,
  footer: "Exit status: 0 the job is no longer running; 1 it could not be stopped; 2 usage error.",
});

/**
 * Does `pid` carry job `id`'s marker? Where the environment cannot be read (another user's process),
 * the identity check alone decides (true); where it can, it must say this job.
 */
function carriesMarkerOrUnreadable(pid: number, id: string): boolean {
  const markers = readMarkers(pid);
  return markers === null || markers.get(JOB_MARKER_ENV) === id;
}

interface OrphanStopResult {
  report: EscalationReport;
  /** Why the recorded child was not used as a root (not ours any more), or null. */
  childRejected: string | null;
}

/** The escalation a gone supervisor would have run: recorded child (if still ours) + marker scan. */
async function stopWithoutSupervisor(home: string, record: JobRecord, waits: Partial<EscalationWaits>): Promise<OrphanStopResult> {
  const roots: ProcessIdentity[] = [];
  let childRejected: string | null = null;
  if (record.child) {
    const state = probeProcess(record.child);
    if (state === "alive") {
      if (carriesMarkerOrUnreadable(record.child.pid, record.id)) roots.push(record.child.identity as ProcessIdentity);
      else childRejected = `child pid ${record.child.pid} does not carry the job's marker (it is another process); not touched`;
    } else if (state === "reused") {
      childRejected = `child pid ${record.child.pid} now belongs to another process; not touched`;
    }
  }
  const report = await escalateTree({
    identities: roots,
    marker: record.id,
    waits,
    onSignal: (id, signal) => appendEvent(home, record.id, { type: "signal", pid: id.pid, signal, by: "stop" }),
  });
  return { report, childRejected };
}


/** How long `stop` waits for a supervisor that has written its final record to exit. */
const SUPERVISOR_EXIT_WAIT_MS = 5_000;

function resumeHint(r: JobRecord): string {
  return r.sessionId ? `; resume with: codex resume ${r.sessionId} (or codex exec resume ${r.sessionId} "<prompt>")` : "";
}

export async function run(p: Parsed<typeof spec.options>): Promise<number> {
  const env = process.env;
  const config = loadConfig(env);
  const waits: Partial<EscalationWaits> = { sigintWaitMs: config.sigintWaitMs, sigtermWaitMs: config.sigtermWaitMs };
  const timeoutMs =
    p.values.timeout !== undefined ? parseSeconds("--timeout", p.values.timeout) * 1000 : config.sigintWaitMs + config.sigtermWaitMs + 2000 + 10_000;
  const home = supervisorHome(env);
  const id = resolveJobArg(home, jobRefOf("stop", p));
  let { record } = await readJobReconciled(home, id);

  if (!isActiveStatus(record.status)) {
    // Ended already; but a process of it may have survived (a supervisor killed with SIGKILL).
    const { report } = await stopWithoutSupervisor(home, { ...record, child: null }, waits);
    const extra = report.signalled.length > 0 ? `; ended ${new Set(report.signalled.map((s) => s.pid)).size} leftover process(es) carrying its marker` : "";
    process.stdout.write(`${id}: already ${record.status}${record.reason ? ` (${record.reason})` : ""}${extra}${resumeHint(record)}\n`);
    if (report.left.length > 0) throw new DomainError("stop-failed", `${id}: processes still running after SIGKILL: ${report.leftDetails.map((d) => `${d.pid} (${d.comm})`).join(", ")}`);
    return 0;
  }

  if (probeProcess(record.supervisor) === "alive") {
    const req = requestControl(home, id, "stop");
    appendEvent(home, id, { type: "control", action: "stop", nonce: req.nonce, by: process.pid });
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { record: now } = await readJobReconciled(home, id);
      if (!isActiveStatus(now.status)) {
        // The record is final a moment before its supervisor has finished: wait for it (bounded), so
        // that once `stop` returns nothing of the job runs any more.
        const gone = Date.now() + SUPERVISOR_EXIT_WAIT_MS;
        while (probeProcess(now.supervisor) === "alive" && Date.now() < gone) await sleep(20);
        process.stdout.write(`${id}: ${now.status}${now.reason ? ` (${now.reason})` : ""}${resumeHint(now)}\n`);
        return now.status === "stopped" || now.status === "exited" ? 0 : 1;
      }
      // The supervisor died while we waited (its codex may live on): finish the stop ourselves.
      if (probeProcess(now.supervisor) !== "alive") {
        record = now;
        break;
      }
      if (Date.now() > deadline) {
        throw new DomainError("stop-failed", `${id}: its supervisor (pid ${now.supervisor.pid}) did not stop the job within ${(timeoutMs / 1000).toFixed(0)} s; the stop request stays pending`);
      }
      await sleep(100);
    }
  }

  // The supervisor is gone: do its job.
  const { report, childRejected } = await stopWithoutSupervisor(home, record, waits);
  if (report.left.length > 0) {
    throw new DomainError("stop-failed", `${id}: processes still running after SIGKILL: ${report.leftDetails.map((d) => `${d.pid} (${d.comm})`).join(", ")}`);
  }
  const stoppedSomething = report.signalled.length > 0;
  const now = new Date().toISOString();
  const patch = stoppedSomething
    ? { status: "stopped" as const, child: null, reason: `stopped by \`codex-supervisor stop\` (its supervisor pid ${record.supervisor.pid} was gone)`, endedAt: now }
    : { status: "lost" as const, child: null, reason: `supervisor pid ${record.supervisor.pid} is gone and no process of the job was found${childRejected ? `; ${childRejected}` : ""}`, endedAt: now };
  const w = await updateJobIf(home, id, record.rev, patch, { withLock: storageLockFor(home) });
  const final = w.ok ? w.record : w.current;
  appendEvent(home, id, { type: "stop", by: process.pid, signalled: report.signalled.map((s) => s.pid), result: final.status });
  process.stdout.write(`${id}: ${final.status}${final.reason ? ` (${final.reason})` : ""}${resumeHint(final)}\n`);
  return isActiveStatus(final.status) ? 1 : 0;
}
