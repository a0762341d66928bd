// The launch argv: the record holds the redacted command line; the job's own supervisor still has to
// run the real one. When redaction changed something, createJob keeps the original in
// `<jobs>/<id>.argv` (0600 in the 0700 jobs directory, like accounts.json's keys), written before the
// record so a supervisor that can read the record can read it too, and removed as soon as the record
// is final.
import { DomainError } from "../errors.js";
import { readJsonFile, writeFileAtomic } from "../fs/atomic.js";
import { FileAccessError } from "../fs/errors.js";
import { unlinkIfPresent } from "../fs/unlink.js";
import { jobLaunchArgvFile } from "../paths.js";
import type { JobRecord } from "./record.js";

export function writeLaunchArgv(home: string, id: string, argv: readonly string[]): void {
  writeFileAtomic(jobLaunchArgvFile(home, id), JSON.stringify(argv) + "\n", { mode: 0o600 });
}

export function removeLaunchArgv(home: string, id: string): void {
  const file = jobLaunchArgvFile(home, id);
  try {
    unlinkIfPresent(file);
  } catch (err) {
    throw new FileAccessError(file, "remove", err);
  }
}

/**
 * The command line to start `record`'s codex with: the unredacted one createJob kept aside when the
 * record's had secrets replaced, else the record's own. A kept file that cannot be used is an error
 * naming it (running codex with `[redacted]` in place of a key would fail in a confusing way).
 */
export function jobLaunchArgv(home: string, record: JobRecord): string[] {
  const file = jobLaunchArgvFile(home, record.id);
  const r = readJsonFile(file);
  if (r.kind === "missing") return [...record.argv];
  if (r.kind === "ok" && Array.isArray(r.value) && r.value.every((a) => typeof a === "string")) return r.value as string[];
  throw new DomainError("record-corrupt", `job ${record.id}: the kept command line ${file} is unreadable${r.kind === "corrupt" ? ` (not valid JSON: ${r.error})` : " (expected a JSON array of strings)"}`);
}
