// `codex-supervisor prune --older-than 7d [--dry-run]`: remove finished jobs' records, event logs,
// output and control files once they ended longer ago than the given age. An active job is never
// removed (records are reconciled first, so one whose processes are gone becomes `lost` — and is kept
// until it, too, is old enough). Unreadable records are never removed: they are named instead.
import fs from "node:fs";
import path from "node:path";
import { UsageError } from "../../errors.js";
import { jobsDir, supervisorHome } from "../../paths.js";
import { formatAge, parseAge } from "../../jobs/format.js";
import { isActiveStatus, type JobRecord } from "../../jobs/record.js";
import { listJobsReconciled } from "../../jobs/reconcile-io.js";
import { readJobFile } from "../../jobs/records.js";
import { removeJobFiles } from "../../jobs/removal.js";
import { command, type Parsed } from "../argv.js";

export const spec = command({
  name: "prune",
  synopsis: "--older-than AGE [--dry-run]",
  about: `Removes the records, event logs, output and control files of sessions and jobs that ended more than
AGE ago (AGE: a number and a unit, s m h d w — e.g. 7d, 12h, 2w). Running jobs are never removed.
Leftover log/output files without a record are removed once they are older than AGE too.`,
  options: {
    "older-than": { type: "string", value: "AGE", help: "required" },
    "dry-run": { type: "boolean", short: "n", help: "only list what would be removed" },
  },
  footer: "Exit status: 0 done; 1 some files could not be removed (named on stderr); 2 usage error.",
});

/** --older-than in milliseconds; UsageError naming the flag when missing or malformed. */
function olderThanMs(raw: string | undefined): number {
  if (raw === undefined) throw new UsageError("prune: --older-than AGE is required (e.g. --older-than 7d)");
  const ms = parseAge(raw);
  if (ms === null) throw new UsageError(`prune: --older-than: expected a number and a unit (s, m, h, d or w) such as 7d, got '${raw.slice(0, 40)}'`);
  return ms;
}

/** When a finished record ended (endedAt, else its last update). */
const endedAtMs = (r: JobRecord) => Date.parse(r.endedAt ?? r.updatedAt);

const LEFTOVER = /^([sj]-\d{8}-[0-9a-f]{8})\.(log|out|control)$/;

export async function run(p: Parsed<typeof spec.options>): Promise<number> {
  const parsed = { olderThanMs: olderThanMs(p.values["older-than"]), dryRun: p.values["dry-run"] };
  const home = supervisorHome(process.env);
  const now = new Date();
  const cutoff = now.getTime() - parsed.olderThanMs;
  const listing = await listJobsReconciled(home, { all: true, at: now });
  for (const p of listing.problems) process.stderr.write(`codex-supervisor: prune: kept unreadable record ${p.file}: ${p.problem}\n`);

  let jobs = 0;
  let files = 0;
  let failed = 0;
  const verb = parsed.dryRun ? "would remove" : "removed";
  for (const r of listing.records) {
    if (isActiveStatus(r.status) || endedAtMs(r) > cutoff) continue;
    // Re-read right before removing: never act on a record that changed since the listing.
    const fresh = readJobFile(home, r.id);
    if (fresh.kind !== "ok" || fresh.record.rev !== r.rev) continue;
    try {
      if (!parsed.dryRun) files += removeJobFiles(home, r.id).length;
      jobs++;
      process.stdout.write(`${verb} ${r.id} (${r.status}, ended ${formatAge(r.endedAt ?? r.updatedAt, now)} ago)\n`);
    } catch (err) {
      failed++;
      process.stderr.write(`codex-supervisor: prune: could not remove ${r.id}: ${(err as Error).message}\n`);
    }
  }

  // Files left without a record (a crash mid-prune, a record removed by hand).
  let names: string[] = [];
  try {
    names = fs.readdirSync(jobsDir(home));
  } catch {
    /* no jobs directory: nothing to prune */
  }
  const withRecord = new Set(names.filter((n) => n.endsWith(".json")).map((n) => n.slice(0, -5)));
  for (const n of names) {
    const m = LEFTOVER.exec(n);
    if (!m || withRecord.has(m[1]!)) continue;
    const file = path.join(jobsDir(home), n);
    try {
      if (fs.statSync(file).mtimeMs > cutoff) continue;
      if (!parsed.dryRun) {
        fs.unlinkSync(file);
        files++;
      }
      process.stdout.write(`${verb} leftover ${file}\n`);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") continue;
      failed++;
      process.stderr.write(`codex-supervisor: prune: could not remove ${file}: ${(err as Error).message}\n`);
    }
  }
  process.stdout.write(parsed.dryRun ? `${jobs} job(s) would be removed.\n` : `Pruned ${jobs} job(s), ${files} file(s).\n`);
  return failed > 0 ? 1 : 0;
}
