// One job's record, `<home>/jobs/<id>.json` (atomic, 0600, in a 0700 directory): read, create, update.
//
// Who writes a record, and why two writers never clobber each other:
// - While a job's supervisor lives, it is the only writer of its record (`updateJob`, no lock: a
//   single writer needs none, and the supervisor must never wait on a lock while codex runs).
// - Anyone else (a reader reconciling to `lost`, `stop` finishing a job whose supervisor is gone)
//   writes only after verifying the owning supervisor is gone, and only through `updateJobIf`: a
//   compare-and-swap on `rev` (a write counter; timestamps can collide within a millisecond and
//   the wall clock can step back). A dead supervisor cannot write any more, so once its death is
//   verified, "the record still has the rev I judged" means "my verdict is about the latest state".
//   Two non-owners racing each other are serialised by the storage lock when a `withLock` is given
//   (reconcile-io passes the storage lock), so their check-and-rename cannot interleave.
import fs from "node:fs";
import { ensureDir, readJsonFile, writeFileAtomic } from "../fs/atomic.js";
import { assertTrustedHome } from "../fs/trust.js";
import { DomainError, UsageError } from "../errors.js";
import { jobRecordFile, jobsDir } from "../paths.js";
import { markActive, clearActive } from "./active-index.js";
import { assertJobId } from "./ids.js";
import { removeLaunchArgv, writeLaunchArgv } from "./launch-argv.js";
import { isActiveStatus, newJobRecord, parseJobRecord, type JobPatch, type JobRecord, type NewJobInit } from "./record.js";
import { redactArgv } from "./redact.js";

/** A record file that exists but cannot be used. The file is kept untouched for inspection. */
export class JobRecordCorruptError extends DomainError {
  constructor(
    readonly file: string,
    readonly problem: string,
  ) {
    super("record-corrupt", `job record ${file} is unreadable (${problem}); the file is kept as is — inspect or remove it`);
    this.name = "JobRecordCorruptError";
  }
}

export type JobFileRead =
  | { kind: "missing"; file: string }
  | { kind: "ok"; file: string; record: JobRecord }
  | { kind: "corrupt"; file: string; problem: string };

/** Create `<home>` and `<home>/jobs` (0700) if needed; both must be ours alone. */
export function ensureJobsDir(home: string): string {
  assertTrustedHome(home);
  ensureDir(home);
  const dir = jobsDir(home);
  ensureDir(dir);
  return dir;
}

export function readJobFile(home: string, id: string): JobFileRead {
  assertJobId(id);
  assertTrustedHome(home);
  const file = jobRecordFile(home, id);
  let r;
  try {
    r = readJsonFile(file);
  } catch (err) {
    return { kind: "corrupt", file, problem: (err as Error).message };
  }
  if (r.kind === "missing") return { kind: "missing", file };
  if (r.kind === "corrupt") return { kind: "corrupt", file, problem: `not valid JSON: ${r.error}` };
  return interpretRecord(file, id, r.value);
}

/** A parsed file's verdict: a valid record named for `id`, or what is wrong with it. */
export function interpretRecord(file: string, id: string, value: unknown): JobFileRead {
  const p = parseJobRecord(value);
  if (!p.ok) return { kind: "corrupt", file, problem: p.problem };
  if (p.record.id !== id) return { kind: "corrupt", file, problem: `field "id" is ${JSON.stringify(p.record.id)}, but the file is named for ${id}` };
  return { kind: "ok", file, record: p.record };
}

/** The record, or a clear error: unknown id → UsageError; unreadable → JobRecordCorruptError. */
export function readJob(home: string, id: string): JobRecord {
  const r = readJobFile(home, id);
  if (r.kind === "ok") return r.record;
  if (r.kind === "missing") throw new UsageError(`no job '${id}' (no file ${r.file})`);
  throw new JobRecordCorruptError(r.file, r.problem);
}

function writeRecord(home: string, given: JobRecord): void {
  // Every writer comes through here, so no secret in a command line reaches a record (or `ls --json`).
  const record: JobRecord = { ...given, argv: redactArgv(given.argv) };
  // Refuse to store a record that could not be read back (a bad patch from a caller).
  const check = parseJobRecord(record);
  if (!check.ok) throw new Error(`refusing to write job record ${record.id}: ${check.problem}`);
  const active = isActiveStatus(record.status);
  if (active) markActive(home, record.id);
  // One line of compact JSON: a third less to read and parse than indented (ls reads thousands).
  writeFileAtomic(jobRecordFile(home, record.id), JSON.stringify(record) + "\n", { mode: 0o600 });
  if (!active) {
    clearActive(home, record.id);
    removeLaunchArgv(home, record.id); // nobody starts this job's codex any more
  }
}

class JobExistsError extends DomainError {
  constructor(readonly file: string) {
    super("job-state", `job record ${file} already exists`);
    this.name = "JobExistsError";
  }
}

/** Write a new record (fails if one with that id exists). */
export function createJob(home: string, init: NewJobInit, now: Date = new Date()): JobRecord {
  assertJobId(init.id);
  ensureJobsDir(home);
  const file = jobRecordFile(home, init.id);
  if (fs.existsSync(file)) throw new JobExistsError(file);
  const record = newJobRecord(init, now);
  const stored = redactArgv(record.argv);
  if (stored.some((a, i) => a !== record.argv[i])) writeLaunchArgv(home, init.id, record.argv);
  writeRecord(home, record);
  // What was written: callers show it and hand it on; jobLaunchArgv gives the original to the supervisor.
  return { ...record, argv: stored };
}

/** Next updatedAt: now, but never earlier than the previous one (the clock may step back). */
function nextTimes(prev: JobRecord, now: Date): string {
  const t = now.toISOString();
  return t > prev.updatedAt ? t : prev.updatedAt;
}

function applyPatch(prev: JobRecord, patch: JobPatch, now: Date): JobRecord {
  return { ...prev, ...patch, id: prev.id, kind: prev.kind, marker: prev.marker, createdAt: prev.createdAt, schemaVersion: prev.schemaVersion, rev: prev.rev + 1, updatedAt: nextTimes(prev, now) };
}

/**
 * The owning supervisor's write: read, merge `patch`, bump rev/updatedAt, replace atomically.
 * `patch` may be a function of the current record.
 */
export function updateJob(home: string, id: string, patch: JobPatch | ((current: JobRecord) => JobPatch), now: Date = new Date()): JobRecord {
  const current = readJob(home, id);
  const next = applyPatch(current, typeof patch === "function" ? patch(current) : patch, now);
  writeRecord(home, next);
  return next;
}

/**
 * Runs `fn` while holding a lock that serialises non-owner writers (the storage lock in production).
 * `fn` calls `assertHeld()` right before its write; it throws if the lock was lost meanwhile.
 */
export type WithLock = <T>(fn: (assertHeld: () => void) => Promise<T>) => Promise<T>;

type ConditionalUpdate = { ok: true; record: JobRecord } | { ok: false; current: JobRecord };

/**
 * A non-owner's write: apply `patch` only if the record's rev is still `expectRev` (compare-and-swap).
 * Returns the written record, or the current one when someone wrote in between (then re-judge).
 */
export async function updateJobIf(
  home: string,
  id: string,
  expectRev: number,
  patch: JobPatch | ((current: JobRecord) => JobPatch),
  opts: { withLock?: WithLock; now?: Date } = {},
): Promise<ConditionalUpdate> {
  const attempt = async (assertHeld: () => void): Promise<ConditionalUpdate> => {
    const current = readJob(home, id);
    if (current.rev !== expectRev) return { ok: false, current };
    const next = applyPatch(current, typeof patch === "function" ? patch(current) : patch, opts.now ?? new Date());
    assertHeld();
    writeRecord(home, next);
    return { ok: true, record: next };
  };
  return opts.withLock ? opts.withLock(attempt) : attempt(() => {});
}
