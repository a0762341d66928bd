// `codex-supervisor __supervise-job <id>` (internal): the supervisor of a background job, started
// detached by `run --detach`. It takes over the record from its launcher, then runs the supervisor
// loop (core.ts) in exec mode: crash resume and account rotation relaunch
// `codex [root options] exec [exec options] resume <session id> <continue prompt>`.
//
// `superviseJob` is also what a foreground `run` executes in-process, so both write the same records.
import { loadConfig } from "../../config/load.js";
import { DomainError, UsageError } from "../../errors.js";
import { codexHome, supervisorHome } from "../../paths.js";
import { isJobId } from "../../jobs/ids.js";
import { isActiveStatus, type JobRecord } from "../../jobs/record.js";
import { appendEvent } from "../../jobs/event-log.js";
import { jobLaunchArgv } from "../../jobs/launch-argv.js";
import { readJob, updateJob, updateJobIf } from "../../jobs/records.js";
import { isAlive, readIdentity, type ProcessIdentity } from "../../process/identity.js";
import { parseCodexArgv } from "../../codex/classify.js";
import { grammarOf } from "../../codex/learned-grammar.js";
import { execCdOptions, sessionCwd } from "../../codex/cd.js";
import { buildExecResumeArgv } from "../../session/resume-argv.js";
import { resolveRealCodex } from "../../codex/resolve-real-codex.js";
import type { SuperviseResult } from "../../supervisor/core.js";
import { launchSupervisor } from "../../supervisor/launch.js";
import { command, type Parsed } from "../argv.js";
import { ourShimFile } from "./doctor.js";
import { shellStatus } from "../../supervisor/exit-policy.js";

/** A detached job's own exit status (nobody mirrors a signal of a background job). */
function shellStatusOf(r: SuperviseResult): number {
  return r.exitAs.signal ? shellStatus({ code: null, signal: r.exitAs.signal }) : r.exitAs.code;
}

/** How long a freshly spawned supervisor waits for its launcher to hand the record over. */
const HANDOFF_WAIT_MS = 10_000;

/**
 * Become the record's owner. The launcher created the record naming itself as supervisor (so the id
 * was valid, and the job alive, from the first instant) and rewrites it with our pid right after the
 * spawn. We wait for that; if the launcher died first, we take over with a compare-and-swap.
 */
export async function claimSupervision(home: string, id: string, me: ProcessIdentity): Promise<JobRecord> {
  const deadline = Date.now() + HANDOFF_WAIT_MS;
  let waitLogged = false;
  for (;;) {
    const rec = readJob(home, id);
    if (rec.supervisor.pid === me.pid && rec.supervisor.identity.startTicks === me.startTicks) return rec;
    if (!isActiveStatus(rec.status)) throw new DomainError("job-state", `job ${id} is already ${rec.status}; not starting it`);
    if (!isAlive(rec.supervisor.identity as ProcessIdentity) || Date.now() > deadline) {
      const r = await updateJobIf(home, id, rec.rev, { supervisor: { pid: me.pid, identity: me } });
      if (r.ok) return r.record;
      continue; // someone wrote in between: look again
    }
    if (!waitLogged) {
      // Once: a job stuck in `starting` then shows whether its supervisor is up and waiting for whom.
      waitLogged = true;
      appendEvent(home, id, { type: "handoff-wait", pid: me.pid, owner: rec.supervisor.pid });
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

interface SuperviseJobOptions {
  /** Detached: codex's stdin is /dev/null and its output goes where ours goes (the .out file). */
  detached: boolean;
}

/** Run the job whose record we own until it ends for good; how it ended. */
export async function superviseJob(home: string, record: JobRecord, opts: SuperviseJobOptions): Promise<SuperviseResult> {
  const env = process.env;
  const id = record.id;
  try {
    const config = loadConfig(env);
    const real = resolveRealCodex({ env, shimFile: ourShimFile(), configRealCodexBin: config.realCodexBin });
    // The record's argv has secrets redacted; codex needs the command line as the user gave it.
    const argv = jobLaunchArgv(home, record);
    // By the installed codex's own grammar (a newer codex's value-taking option stays with its value).
    const grammar = await grammarOf(real, env, home);
    const parsed = parseCodexArgv(argv, grammar);
    if (parsed.subcommand !== "exec") throw new UsageError(`job ${id}: argv is not a \`codex exec\` command`);
    appendEvent(home, id, { type: "start", mode: "exec", detached: opts.detached, real: real.path, pid: process.pid });
    return await launchSupervisor({
      mode: "exec",
      initialArgv: argv,
      // A resumed job always needs a prompt: the continue prompt even when continuing cut turns is off.
      resumeArgv: (sessionId, prompt) => buildExecResumeArgv(parsed, sessionId, prompt ?? config.continuePrompt, { grammar }),
      jobId: id,
      home,
      codexHome: codexHome(env),
      env,
      config,
      real,
      cwd: record.cwd,
      sessionCwd: sessionCwd(execCdOptions(parsed), record.cwd),
      stdio: opts.detached ? ["ignore", "inherit", "inherit"] : "inherit",
      restoreTerminal: () => {},
      write: (text) => process.stderr.write(text),
      launchedAt: Date.now(),
      codexConfigOverrides: parsed.rootOptions.filter((o) => o.name === "config").flatMap((o) => o.values),
    });
  } catch (err) {
    // The job cannot run at all (bad config, no real codex): say so in the record, not only on stderr.
    const message = err instanceof Error ? err.message : String(err);
    updateJob(home, id, { status: "failed", reason: message, endedAt: new Date().toISOString(), child: null });
    appendEvent(home, id, { type: "exit", status: "failed", reason: message });
    throw err;
  }
}

export const spec = command({
  name: "__supervise-job",
  synopsis: "<job id>",
  about: "Internal: the supervisor of a background job, started detached by `run --detach`.",
  options: {},
  args: { name: "<job id>", min: 1, max: 1 },
});

export async function run(p: Parsed<typeof spec.options>): Promise<number> {
  const id = p.positionals[0]!;
  if (!isJobId(id)) throw new UsageError("__supervise-job: expected exactly one job id (internal command)");
  const home = supervisorHome(process.env);
  const me = readIdentity(process.pid);
  if (!me) throw new DomainError("environment", "cannot read our own process identity from /proc");
  const record = await claimSupervision(home, id, me);
  return shellStatusOf(await superviseJob(home, record, { detached: true }));
}
