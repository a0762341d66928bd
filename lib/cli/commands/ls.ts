// `codex-supervisor ls [--all] [--json]`: sessions and jobs, newest first. Without --all: the active
// ones and those that ended in the last 24 hours. Every listing reconciles liveness (a record whose
// processes are gone is shown — and stored — as `lost`).
import { UsageError } from "../../errors.js";
import { supervisorHome } from "../../paths.js";
import { formatJobTable } from "../../jobs/format.js";
import { toJsonView } from "../../jobs/record.js";
import { listJobsReconciled } from "../../jobs/reconcile-io.js";

const HELP = `Usage: codex-supervisor ls [--all] [--json]

Lists supervised sessions and background jobs, newest first: by default the running ones and those
that ended in the last 24 hours; --all lists every record. Liveness is checked on every listing: a
job whose supervisor and codex are gone is marked \`lost\` (with the reason) for good.

Options:
  -a, --all    every record, however old
      --json   a JSON array of records (id, kind, status, sessionId, account, pid, childPid,
               restarts, cwd, createdAt, updatedAt, exitCode, signal, reason, name, argv, endedAt)
  -h, --help   show this help

Exit status: 0 listed (unreadable record files are named on stderr); 2 usage error.
`;

export async function run(args: string[]): Promise<number> {
  let all = false;
  let json = false;
  for (const a of args) {
    if (a === "-h" || a === "--help") {
      process.stdout.write(HELP);
      return 0;
    }
    if (a === "-a" || a === "--all") all = true;
    else if (a === "--json") json = true;
    else if (a.startsWith("-")) throw new UsageError(`ls: unknown option '${a}' (see ls --help)`);
    else throw new UsageError(`ls: unexpected argument '${a}' (see ls --help)`);
  }
  const home = supervisorHome(process.env);
  const now = new Date();
  const listing = await listJobsReconciled(home, { all, at: now });
  for (const p of listing.problems) process.stderr.write(`codex-supervisor: warning: skipped unreadable record ${p.file}: ${p.problem}\n`);
  // Why a record just turned lost, orphan warnings: on stderr, so --json stays clean on stdout.
  for (const n of listing.notes) process.stderr.write(`codex-supervisor: ${n.id}: ${n.note}\n`);
  if (json) {
    process.stdout.write(JSON.stringify(listing.records.map(toJsonView), null, 2) + "\n");
    return 0;
  }
  if (listing.records.length === 0) {
    process.stdout.write(all ? "No sessions or jobs recorded.\n" : "No running or recent sessions or jobs (see ls --all).\n");
    return 0;
  }
  process.stdout.write(formatJobTable(listing.records, now));
  return 0;
}
