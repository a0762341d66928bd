// The shim's door into the supervisor: an interactive `codex` run, opted in. Creates the session
// record, saves the terminal, runs the loop in tui mode, and returns the exit status to mirror —
// re-raising a death by signal on ourselves first, as the shell expects.
import { loadConfig } from "../config/load.js";
import { DomainError } from "../errors.js";
import { errorReport } from "../cli/error-table.js";
import { codexHome, supervisorHome } from "../paths.js";
import { readAccounts } from "../accounts/store.js";
import { newJobId } from "../jobs/ids.js";
import { appendEvent } from "../jobs/event-log.js";
import { createJob } from "../jobs/records.js";
import { readIdentity } from "../process/identity.js";
import { sessionCwd } from "../codex/cd.js";
import { buildResumeArgv, withNoDaemon } from "../session/resume-argv.js";
import type { ParsedArgv } from "../codex/argv-types.js";
import type { ResolvedCodex } from "../codex/resolve-real-codex.js";
import { notify } from "../terminal/notify.js";
import { restoreTerminal, saveTerminal } from "../terminal/restore.js";
import { launchSupervisor } from "./launch.js";
import { mirrorExit } from "./mirror-exit.js";

interface ShimInput {
  argv: string[];
  parsed: ParsedArgv;
  real: ResolvedCodex;
  shimFile: string;
}

export async function runSupervisedFromShim(input: ShimInput): Promise<number> {
  try {
    return await runSupervised(input);
  } catch (err) {
    if (!(err instanceof DomainError)) throw err; // the shim's edge reports a bug
    const report = errorReport(err);
    process.stderr.write(report.text);
    return report.status;
  }
}

async function runSupervised(input: ShimInput): Promise<number> {
  const env = process.env;
  const config = loadConfig(env);
  const home = supervisorHome(env);
  const jobId = newJobId("session");
  const me = readIdentity(process.pid);
  if (!me) throw new DomainError("environment", "cannot read our own process identity from /proc");
  createJob(home, {
    id: jobId,
    kind: "session",
    supervisor: { pid: process.pid, identity: { ...me } },
    cwd: process.cwd(),
    argv: input.argv,
    account: safeActiveAccount(home),
  });
  appendEvent(home, jobId, { type: "start", mode: "tui", real: input.real.path, pid: process.pid });

  // Embedded sessions: the shared daemon would hold the conversation, its login and its processes
  // outside our tree (docs/architecture.md §5). `--remote` is the user's explicit choice of a server:
  // left alone (withNoDaemon / buildResumeArgv decide).
  const cwd = process.cwd();
  const workDir = sessionCwd(input.parsed.rootOptions, cwd);
  const saved = saveTerminal();
  const result = await launchSupervisor({
    mode: "tui",
    initialArgv: withNoDaemon(input.parsed),
    resumeArgv: (sessionId, prompt) => buildResumeArgv(input.parsed, sessionId, { sessionCwd: workDir }, prompt),
    jobId,
    home,
    codexHome: codexHome(env),
    env,
    config,
    real: input.real,
    cwd,
    sessionCwd: workDir,
    stdio: "inherit",
    restoreTerminal: () => restoreTerminal(saved),
    write: (text) => process.stderr.write(text),
    // Codex redraws the screen over our lines within a second: what matters also goes out as a
    // desktop notification and the bell.
    alert: (line) => void notify(process.stderr, line, config, env),
    launchedAt: Date.now(),
    codexConfigOverrides: input.parsed.rootOptions.filter((o) => o.name === "config").flatMap((o) => o.values),
  });
  return mirrorExit(result.exitAs);
}

function safeActiveAccount(home: string): string | null {
  try {
    return readAccounts(home).active;
  } catch {
    return null; // a corrupt store must not stop the session; rotation reports it later
  }
}
