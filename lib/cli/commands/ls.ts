// `codex-supervisor ls [--all] [--json]`: sessions and jobs, newest first. Without --all: the active
// ones and those that ended in the last 24 hours. Every listing reconciles liveness (a record whose
// processes are gone is shown — and stored — as `lost`).
import { supervisorHome } from "../../paths.js";
import { formatJobTable } from "../../jobs/format.js";
import { toJsonView } from "../../jobs/record.js";
import { listJobsReconciled } from "../../jobs/reconcile-io.js";
import { command, type Parsed } from "../argv.js";

export const spec = command({
  name: "ls",
  synopsis: "[--all] [--json]",
  about: `Lists supervised sessions and background jobs, newest first: by default the running ones and those
that ended in the last 24 hours; --all lists every record. Liveness is checked on every listing: a
job whose supervisor and codex are gone is marked \`lost\` (with the reason) for good.`,
  options: {
    all: { type: "boolean", short: "a", help: "every record, however old" },
    json: {
      type: "boolean",
      help: "a JSON array of records (id, kind, status, sessionId, account, pid, childPid,\nrestarts, cwd, createdAt, updatedAt, exitCode, signal, reason, name, argv, endedAt)",
    },
  },
  footer: "Exit status: 0 listed (unreadable record files are named on stderr); 2 usage error.",
});

export async function run(p: Parsed<typeof spec.options>): Promise<number> {
  const { all, json } = p.values;
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
