// `codex-supervisor run [--detach] [--name N] [--] <codex args>`: run `codex exec ...` as a supervised
// job (crash resume and account rotation through `codex exec resume <session id>`).
//
// --detach: create the record (status starting, the id valid at once), spawn the job's supervisor in
// its own session (lib/jobs/detach.ts), hand the record over to it, print the id alone on the first
// line of stdout and return. Without --detach the same supervisor runs in this process, in the
// foreground, with codex's output on our terminal; the exit status is codex's.
import { loadConfig } from "../../config/load.js";
import { DomainError, UsageError } from "../../errors.js";
import { jobOutFile, supervisorHome } from "../../paths.js";
import { spawnDetachedSupervisor } from "../../jobs/detach.js";
import { newJobId } from "../../jobs/ids.js";
import { isActiveStatus, type JobRecord } from "../../jobs/record.js";
import { appendEvent } from "../../jobs/event-log.js";
import { createJob, ensureJobsDir, updateJob } from "../../jobs/records.js";
import { listJobs } from "../../jobs/listing.js";
import { lockOptionsFrom } from "../../lock/options.js";
import { withStorageLock } from "../../lock/storage-lock.js";
import { isAlive, readIdentity, type ProcessIdentity } from "../../process/identity.js";
import { parseCodexArgv } from "../../codex/classify.js";
import type { Grammar } from "../../codex/grammar.js";
import { grammarOf } from "../../codex/learned-grammar.js";
import { resolveRealCodex } from "../../codex/resolve-real-codex.js";
import { ourShimFile } from "./doctor.js";
import { mirrorExit } from "../../supervisor/mirror-exit.js";
import { redactArgv } from "../../jobs/redact.js";
import { checkName, safeToEcho } from "../../text/user-text.js";
import { command, type Parsed } from "../argv.js";
import { suggest } from "../suggest.js";
import { superviseJob } from "./supervise-job.js";

export const spec = command({
  name: "run",
  synopsis: "[--detach] [--name N] [--] exec [exec options] <prompt>",
  about: `Runs \`codex exec ...\` under the supervisor: a crash or an account rotation resumes the same session
(\`codex exec resume <id>\` with a short continue prompt). Records: \`ls\`, \`status\`, \`logs\`, \`result\`.
Our options come first; \`--\` or the first other argument starts codex's command line.`,
  options: {
    detach: {
      type: "boolean",
      short: "d",
      help: "run in the background: prints the job id alone on the first line and returns at once;\nthe job outlives this shell; its output goes to <home>/jobs/<id>.out (`logs --output`)",
    },
    name: { type: "string", value: "N", help: "a name for the job (unique among live jobs), usable wherever an id is" },
  },
  rest: true,
  // A near miss of ours gets the layer's "did you mean"; anything else is probably codex's.
  unknownOptionHint: (option) => (suggest(option, ["--detach", "--name", "--help"]).length > 0 ? null : " (codex's own options go after `--`)"),
  footer: "Exit status: with --detach 0 once the job started; without, codex's status. 2 for a usage error.",
});

interface RunArgs {
  detach: boolean;
  name: string | null;
  codexArgs: string[];
}

/**
 * What `run` was asked to do; UsageError for a bad name or a codex command that is not `exec` (by
 * `grammar`, the installed codex's when known). Pure.
 */
export function runArgsOf(p: Parsed<typeof spec.options>, grammar?: Grammar): RunArgs {
  const { detach, name } = p.values;
  if (name !== undefined && name.trim() === "") throw new UsageError("run: --name needs a non-empty value");
  if (name !== undefined) checkName("run: --name", name);
  const codexArgs = p.rest;
  if (codexArgs.length === 0) throw new UsageError("run: no codex command given (e.g. `run --detach -- exec \"fix the tests\"`)");
  const parsed = parseCodexArgv(codexArgs, grammar);
  if (parsed.subcommand !== "exec") {
    throw new UsageError(
      `run: a job runs \`codex exec\` (got \`codex ${redactArgv(codexArgs.slice(0, 3)).map(safeToEcho).join(" ")}\`); for an interactive session run \`codex\` with CODEX_AUTH_CLI_SESSION_SUPERVISOR=1`,
    );
  }
  return { detach, name: name ?? null, codexArgs };
}

/** A live job already using `name`: active record with its supervisor (or its orphaned child) alive. */
function liveJobNamed(home: string, name: string): JobRecord | null {
  for (const r of listJobs(home, { all: false }).records) {
    if (r.name !== name || !isActiveStatus(r.status)) continue;
    const alive = isAlive(r.supervisor.identity as ProcessIdentity) || (r.child !== null && isAlive(r.child.identity as ProcessIdentity));
    if (alive) return r;
  }
  return null;
}

export async function run(p: Parsed<typeof spec.options>): Promise<number> {
  const env = process.env;
  const config = loadConfig(env); // a broken config is reported before any record exists
  const home = supervisorHome(env);
  // The command line is read as the codex that will run it reads it (its own grammar, once learned).
  const real = resolveRealCodex({ env, shimFile: ourShimFile(), configRealCodexBin: config.realCodexBin });
  const opts = runArgsOf(p, await grammarOf(real, env, home));
  ensureJobsDir(home);
  const me = readIdentity(process.pid);
  if (!me) throw new DomainError("environment", "cannot read our own process identity from /proc");
  const id = newJobId("job");
  // Under the storage lock, so two `run --name N` at once cannot both pass the uniqueness check.
  const record = await withStorageLock(
    home,
    async (guard) => {
      if (opts.name !== null) {
        const clash = liveJobNamed(home, opts.name);
        if (clash) throw new UsageError(`run: the name ${safeToEcho(opts.name)} is used by live job ${clash.id} (${clash.status})`);
      }
      guard.assertHeld();
      return createJob(home, { id, kind: "job", name: opts.name, supervisor: { pid: me.pid, identity: { ...me } }, cwd: process.cwd(), argv: opts.codexArgs });
    },
    lockOptionsFrom(config),
  );
  appendEvent(home, id, { type: "created", detached: opts.detach, name: opts.name, by: process.pid });

  if (!opts.detach) {
    process.stderr.write(`codex-supervisor: job ${id}\n`);
    // A foreground job ends like its last codex, as the shim does (a death by signal re-raised).
    return mirrorExit((await superviseJob(home, record, { detached: false })).exitAs);
  }

  let pid: number;
  try {
    ({ pid } = await spawnDetachedSupervisor({ jobId: id, outFile: jobOutFile(home, id), cwd: process.cwd(), env }));
  } catch (err) {
    const reason = `could not start the job's supervisor: ${(err as Error).message}`;
    updateJob(home, id, { status: "failed", reason, endedAt: new Date().toISOString() });
    appendEvent(home, id, { type: "exit", status: "failed", reason });
    throw new DomainError("job-start-failed", reason);
  }
  // Hand the record over: from here on the detached supervisor is its only writer.
  const identity = readIdentity(pid);
  if (!identity) {
    const reason = `the job's supervisor (pid ${pid}) exited at once; see ${jobOutFile(home, id)}`;
    updateJob(home, id, { status: "failed", reason, endedAt: new Date().toISOString() });
    throw new DomainError("job-start-failed", reason);
  }
  updateJob(home, id, { supervisor: { pid, identity } });
  process.stdout.write(`${id}\n`);
  return 0;
}
