// `codex-supervisor ls [--all] [--wide] [--json]`: sessions and jobs, newest first. Without --all: the active
// ones and those that ended in the last 24 hours. Every listing reconciles liveness (a record whose
// processes are gone is shown — and stored — as `lost`).
import { supervisorHome } from "../../paths.js";
import { formatJobTable } from "../../jobs/format.js";
import { toJsonView } from "../../jobs/record.js";
import { listJobsReconciled } from "../../jobs/reconcile-io.js";
import { colourEnabled, painter } from "../../terminal/style.js";
import { outputWidth } from "../../terminal/table.js";
import { command, type Parsed } from "../argv.js";

export const spec = command({
  name: "ls",
  synopsis: "[--all] [--wide] [--json]",
  about: `Lists supervised sessions and background jobs, newest first: by default the running ones and those
that ended in the last 24 hours; --all lists every record. Liveness is checked on every listing: a
job whose supervisor and codex are gone is marked \`lost\` (with the reason) for good.
Ids and session ids are shown by the part that tells them apart (both are accepted wherever a job
is asked for); the table fits the terminal's width (the COMMAND and ACCOUNT columns are cut).`,
  options: {
    all: { type: "boolean", short: "a", help: "every record, however old" },
    wide: { type: "boolean", short: "w", help: "whole ids and session ids, codex's pid, nothing cut" },
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
  const paint = painter(colourEnabled(process.stdout, process.env));
  process.stdout.write(formatJobTable(listing.records, now, { width: outputWidth(process.stdout, process.env), wide: p.values.wide, paint }));
  return 0;
}
