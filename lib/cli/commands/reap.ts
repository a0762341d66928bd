// `codex-supervisor reap [--dry-run] [--json]`: kill every process carrying one of our job markers
// whose job is over or whose supervisor is gone (lib/jobs/reap.ts), then reconcile those jobs'
// records so they say `lost` instead of `running`. --dry-run only lists what would be killed.
// Exit status: 0 nothing left behind (or dry run); 1 some target survived SIGKILL; 2 usage error.
import { loadConfig } from "../../config/load.js";
import { supervisorHome } from "../../paths.js";
import { isJobId } from "../../jobs/ids.js";
import { reap, type ReapOutcome } from "../../jobs/reap.js";
import { readJobReconciled } from "../../jobs/reconcile-io.js";
import { command, type Parsed } from "../argv.js";

export const spec = command({
  name: "reap",
  synopsis: "[--dry-run] [--json]",
  about: `Finds processes carrying a job marker (CODEX_SUPERVISOR_JOB) whose job has ended, whose supervisor
is gone (reparented or setsid'd ones included), or that have no job record at all, and ends them
(SIGINT, SIGTERM, SIGKILL; identity-checked before every signal). Processes of a live job with a
live supervisor are left alone.`,
  options: {
    "dry-run": { type: "boolean", short: "n", help: "list what would be killed, kill nothing" },
    json: { type: "boolean", help: "one JSON object: dryRun, outcomes (pid, comm, jobId, result, reason), left" },
  },
  footer: "Exit status: 0 done (or dry run); 1 something survived; 2 usage error.",
});

const VERB: Record<ReapOutcome["result"], string> = { killed: "killed", left: "FAILED to kill", kept: "kept", "would-kill": "would kill" };

/** One line per process (pure). */
function renderReap(outcomes: ReapOutcome[], dryRun: boolean): string {
  if (outcomes.length === 0) return "no process carries a job marker\n";
  const lines = outcomes.map((o) => `${VERB[o.result]} pid ${o.pid} (${o.comm}): ${o.reason}`);
  const targets = outcomes.filter((o) => o.result !== "kept").length;
  if (targets === 0) lines.push("nothing to reap");
  else if (dryRun) lines.push(`${targets} process(es) would be killed; run \`codex-supervisor reap\` to do it`);
  return lines.join("\n") + "\n";
}

export async function run(p: Parsed<typeof spec.options>): Promise<number> {
  const { "dry-run": dryRun, json } = p.values;
  const config = loadConfig(process.env);
  const home = supervisorHome(process.env);
  const report = await reap({ home, dryRun, waits: { sigintWaitMs: config.sigintWaitMs, sigtermWaitMs: config.sigtermWaitMs } });
  if (!dryRun) {
    // The processes are gone now: let the records say so (only active ones can change; never throws here).
    const jobs = new Set(report.outcomes.filter((o) => o.result === "killed" && isJobId(o.jobId)).map((o) => o.jobId));
    for (const id of jobs) {
      try {
        await readJobReconciled(home, id);
      } catch {
        /* no record (an orphan marker) or unreadable: nothing to update */
      }
    }
  }
  process.stdout.write(json ? JSON.stringify({ dryRun, outcomes: report.outcomes, left: report.left }, null, 2) + "\n" : renderReap(report.outcomes, dryRun));
  return report.left > 0 ? 1 : 0;
}
