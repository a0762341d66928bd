// Pure decision of `reap`: given every process that carries one of our job markers and what we know
// about each marked job, which processes are orphans to kill and why. No I/O here, so every rule is
// table-tested; lib/jobs/reap.ts gathers the facts and does the signalling.
import { sameHome } from "./marker.js";

/** Statuses after which no process of the job should be alive. */
const FINAL_STATUSES: ReadonlySet<string> = new Set(["exited", "stopped", "failed", "lost"]);

/** A process carrying CODEX_SUPERVISOR_JOB, with the identity read in the same scan. */
export interface MarkedProcess<Id = unknown> {
  pid: number;
  ppid: number;
  comm: string;
  /** The marker value (a job id as the process's environment claims it). */
  marker: string;
  /** CODEX_SUPERVISOR_HOME of the process: the home holding its record (null: untagged). */
  home: string | null;
  identity: Id;
}

/** What we know about the job a marker names. */
export type MarkedJobFacts =
  /** The marker is not a well-formed job id: never one of ours to trust as a path, but still ours to report. */
  | { kind: "malformed" }
  /** No record file for this id. */
  | { kind: "missing" }
  /** The record exists but cannot be parsed: we cannot know whether its supervisor lives, so we keep its processes. */
  | { kind: "unreadable"; error: string }
  | { kind: "record"; status: string; supervisorAlive: boolean; supervisorPid: number | null };

type ReapAction = "kill" | "keep";

export interface ReapDecision<Id = unknown> {
  proc: MarkedProcess<Id>;
  jobId: string;
  action: ReapAction;
  reason: string;
}

/**
 * One decision per marked process.
 * - `protectedPids` (ourselves and our ancestors) are always kept: a `reap` run from a shell inside an
 *   orphaned job must not kill the shell it runs in.
 * - A process tagged with another supervisor home: keep (that home's records judge it).
 * - A marker naming a live job whose supervisor lives: keep (that supervisor owns its tree).
 * - Job over (final status), supervisor gone: kill, with the reason.
 * - No record: an orphan if the process is tagged with our home (its record was removed, or never
 *   written); untagged, it may belong to another home, so keep it and say so.
 * - Unreadable record: keep and say so (we will not guess).
 */
export function decideReap<Id>(
  procs: MarkedProcess<Id>[],
  facts: ReadonlyMap<string, MarkedJobFacts>,
  protectedPids: ReadonlySet<number>,
  ourHome: string,
): ReapDecision<Id>[] {
  return procs.map((proc) => {
    const jobId = proc.marker;
    const keep = (reason: string): ReapDecision<Id> => ({ proc, jobId, action: "keep", reason });
    const kill = (reason: string): ReapDecision<Id> => ({ proc, jobId, action: "kill", reason });
    if (protectedPids.has(proc.pid)) return keep("this reap process or one of its ancestors");
    if (proc.home !== null && !sameHome(proc.home, ourHome)) return keep(`belongs to supervisor home ${proc.home}`);
    const tagged = proc.home !== null;
    const f = facts.get(jobId) ?? { kind: "missing" as const };
    switch (f.kind) {
      case "malformed":
        return tagged
          ? kill(`marker ${JSON.stringify(jobId.slice(0, 80))} is not a job id (orphan)`)
          : keep(`marker ${JSON.stringify(jobId.slice(0, 80))} is not a job id and the process has no home tag; not touched`);
      case "missing":
        return tagged ? kill(`no record for job ${jobId} (orphan)`) : keep(`no record for job ${jobId} here and no home tag (another supervisor home?); not touched`);
      case "unreadable":
        return keep(`record of job ${jobId} is unreadable (${f.error}); not touching its processes`);
      case "record":
        if (FINAL_STATUSES.has(f.status)) return kill(`job ${jobId} is ${f.status}`);
        if (!f.supervisorAlive) {
          const who = f.supervisorPid === null ? "no supervisor recorded" : `supervisor pid ${f.supervisorPid} is gone`;
          return kill(`job ${jobId} is ${f.status} but ${who}`);
        }
        return keep(`job ${jobId} is ${f.status} with a live supervisor (pid ${f.supervisorPid})`);
    }
  });
}
