// `reap`: find every process carrying one of our job markers (CODEX_SUPERVISOR_JOB) whose job is over
// or whose supervisor is gone — reparented to init or setsid()'d included, since the scan is over the
// whole process table, not a tree — and kill it with the verified whole-tree escalation.
//
// Safety: a process is only ever signalled through escalateTree, which re-reads the identity
// (pid + start ticks + boot id) right before every signal; processes of a live job with a live
// supervisor, this process and its ancestors are never candidates.
import { readJsonFile } from "../fs/atomic.js";
import { jobRecordFile, type Env } from "../paths.js";
import { escalateTree, type EscalationWaits } from "../process/escalate.js";
import { hostPlatform } from "../process/host.js";
import { isAlive, isExitedState, type ProcessIdentity } from "../process/identity.js";
import type { ProcessPlatform } from "../process/platform.js";
import { JOB_HOME_ENV, listMarked, markerOf } from "../process/proc-table.js";
import { selfAndAncestors } from "../process/tree.js";
import { isJobId } from "./ids.js";
import { parseJobRecord } from "./record.js";
import { decideReap, type MarkedJobFacts, type MarkedProcess, type ReapDecision } from "./reap-plan.js";

type ReapWaits = Partial<EscalationWaits>;

export interface ReapOutcome {
  pid: number;
  comm: string;
  jobId: string;
  reason: string;
  /** killed: gone after the escalation; left: still there (named in the error); kept: not a target; would-kill: dry run. */
  result: "killed" | "left" | "kept" | "would-kill";
}

interface ReapReport {
  outcomes: ReapOutcome[];
  /** Targets still alive after the escalation. */
  left: number;
}

/** What the record says about the job a marker names (the marker is untrusted: validated before it becomes a path). */
function jobFacts(home: string, marker: string, platform: ProcessPlatform = hostPlatform()): MarkedJobFacts {
  if (!isJobId(marker)) return { kind: "malformed" };
  const read = readJsonFile(jobRecordFile(home, marker));
  if (read.kind === "missing") return { kind: "missing" };
  if (read.kind === "corrupt") return { kind: "unreadable", error: String(read.error) };
  const parsed = parseJobRecord(read.value);
  if (!parsed.ok) return { kind: "unreadable", error: parsed.problem };
  const sup = parsed.record.supervisor;
  return {
    kind: "record",
    status: parsed.record.status,
    supervisorAlive: isAlive(sup.identity as ProcessIdentity, platform),
    supervisorPid: sup.pid,
  };
}

/** Read the process table once (markers included) and decide, without signalling anything. */
export function planReap(home: string, platform: ProcessPlatform = hostPlatform()): ReapDecision<ProcessIdentity>[] {
  const procs = listMarked(platform);
  const marked: MarkedProcess<ProcessIdentity>[] = [];
  for (const p of procs) {
    if (isExitedState(p.state)) continue; // a zombie has exited already; nothing to signal
    const marker = markerOf(p);
    if (marker !== null) marked.push({ pid: p.pid, ppid: p.ppid, comm: p.comm, marker, home: markerOf(p, JOB_HOME_ENV), identity: p.identity });
  }
  const facts = new Map<string, MarkedJobFacts>();
  for (const m of marked) if (!facts.has(m.marker)) facts.set(m.marker, jobFacts(home, m.marker, platform));
  return decideReap(marked, facts, selfAndAncestors(procs), home);
}

/**
 * Plan, then (unless dryRun) escalate each orphaned job's processes: SIGINT → SIGTERM → SIGKILL with
 * identity checks, re-scanning for that marker after each wait so a process forked meanwhile is not
 * missed. The marker re-scan is skipped for a job whose marker we (or an ancestor) carry.
 */
export async function reap(opts: { home: string; dryRun: boolean; waits: ReapWaits; env?: Env; platform?: ProcessPlatform }): Promise<ReapReport> {
  const platform = opts.platform ?? hostPlatform();
  const decisions = planReap(opts.home, platform);
  const outcomes: ReapOutcome[] = [];
  const byJob = new Map<string, ReapDecision<ProcessIdentity>[]>();
  for (const d of decisions) {
    if (d.action === "keep") {
      outcomes.push({ pid: d.proc.pid, comm: d.proc.comm, jobId: d.jobId, reason: d.reason, result: "kept" });
    } else if (opts.dryRun) {
      outcomes.push({ pid: d.proc.pid, comm: d.proc.comm, jobId: d.jobId, reason: d.reason, result: "would-kill" });
    } else {
      const list = byJob.get(d.jobId) ?? [];
      list.push(d);
      byJob.set(d.jobId, list);
    }
  }
  const keptMarkers = new Set(decisions.filter((d) => d.action === "keep").map((d) => d.jobId));
  let left = 0;
  for (const [jobId, list] of byJob) {
    const report = await escalateTree({
      identities: list.map((d) => d.proc.identity),
      // Re-scan by marker only when nothing carrying it is protected or kept.
      marker: keptMarkers.has(jobId) ? null : jobId,
      waits: opts.waits,
      platform,
    });
    const leftPids = new Set(report.left.map((i) => i.pid));
    const planned = new Set(list.map((d) => d.proc.pid));
    for (const d of list) {
      const stillThere = leftPids.has(d.proc.pid);
      if (stillThere) left++;
      outcomes.push({ pid: d.proc.pid, comm: d.proc.comm, jobId, reason: d.reason, result: stillThere ? "left" : "killed" });
    }
    // Carriers of the marker that appeared during the escalation (forked meanwhile) were killed too.
    const extra = new Map<number, string>();
    for (const s of report.signalled) if (!planned.has(s.pid)) extra.set(s.pid, s.comm);
    for (const [pid, comm] of extra) {
      const stillThere = leftPids.has(pid);
      if (stillThere) left++;
      outcomes.push({ pid, comm, jobId, reason: `carries the marker of job ${jobId} (found during the escalation)`, result: stillThere ? "left" : "killed" });
    }
  }
  return { outcomes, left };
}
