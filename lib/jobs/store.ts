// The job store: `<home>/jobs/<id>.json` records (atomic, 0600, in a 0700 directory) and
// `<home>/jobs/<id>.log` event logs (JSON lines, O_APPEND, one write per line).
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
import path from "node:path";
import { ensureDir, readJsonFile, writeFileAtomic } from "../fs/atomic.js";
import { CliError, UsageError } from "../errors.js";
import { jobControlFile, jobLogFile, jobOutFile, jobRecordFile, jobsDir } from "../paths.js";
import { isJobId } from "./ids.js";
import { isActiveStatus, newJobRecord, parseJobRecord, type JobPatch, type JobRecord, type NewJobInit } from "./record.js";
import { redactArgv, redactSecrets } from "./redact.js";
import { matchById, matchByRecord, type RefCandidate } from "./ref-match.js";

/**
 * A record file that exists but cannot be used. The file is kept untouched for inspection. Bad input
 * (SPEC §6: store and record files count), so exit 2 like any other usage error.
 */
export class JobRecordCorruptError extends CliError {
  constructor(
    readonly file: string,
    readonly problem: string,
  ) {
    super(`job record ${file} is unreadable (${problem}); the file is kept as is — inspect or remove it`, 2);
    this.name = "JobRecordCorruptError";
  }
}

export type JobFileRead =
  | { kind: "missing"; file: string }
  | { kind: "ok"; file: string; record: JobRecord }
  | { kind: "corrupt"; file: string; problem: string };

function assertId(id: string): void {
  // Ids become file names: never let anything else near the file system.
  if (!isJobId(id)) throw new UsageError(`'${id}' is not a job id (expected s-YYYYMMDD-xxxxxxxx or j-YYYYMMDD-xxxxxxxx)`);
}

/** Create `<home>` and `<home>/jobs` (0700) if needed. */
export function ensureJobsDir(home: string): string {
  ensureDir(home);
  const dir = jobsDir(home);
  ensureDir(dir);
  return dir;
}

export function readJobFile(home: string, id: string): JobFileRead {
  assertId(id);
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

function interpretRecord(file: string, id: string, value: unknown): JobFileRead {
  const p = parseJobRecord(value);
  if (!p.ok) return { kind: "corrupt", file, problem: p.problem };
  if (p.record.id !== id) return { kind: "corrupt", file, problem: `field "id" is ${JSON.stringify(p.record.id)}, but the file is named for ${id}` };
  return { kind: "ok", file, record: p.record };
}

/**
 * The listing's reader: one open/read/close into a reused buffer (no fstat, no per-call options or
 * path normalisation), because `ls` reads thousands of small records and those costs added up to a
 * third of its time. Records larger than the buffer take the ordinary path.
 */
function readRecordForListing(file: string, id: string, buf: Buffer): JobFileRead {
  let fd: number;
  try {
    fd = fs.openSync(file, "r");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return { kind: "missing", file };
    return { kind: "corrupt", file, problem: (err as Error).message };
  }
  let n: number;
  try {
    n = fs.readSync(fd, buf, 0, buf.length, 0);
  } catch (err) {
    return { kind: "corrupt", file, problem: (err as Error).message };
  } finally {
    fs.closeSync(fd);
  }
  if (n === buf.length) {
    const slow = readJsonFile(file); // may be larger than the buffer
    if (slow.kind === "ok") return interpretRecord(file, id, slow.value);
    return slow.kind === "missing" ? { kind: "missing", file } : { kind: "corrupt", file, problem: `not valid JSON: ${slow.error}` };
  }
  const text = buf.toString("utf8", 0, n);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { kind: "corrupt", file, problem: text.trim() === "" ? "not valid JSON: file is empty" : `not valid JSON: ${(err as Error).message}` };
  }
  return interpretRecord(file, id, value);
}

/** The record, or a clear error: unknown id → UsageError; unreadable → JobRecordCorruptError. */
export function readJob(home: string, id: string): JobRecord {
  const r = readJobFile(home, id);
  if (r.kind === "ok") return r.record;
  if (r.kind === "missing") throw new UsageError(`no job '${id}' (no file ${r.file})`);
  throw new JobRecordCorruptError(r.file, r.problem);
}

// ---- the active set ----
// `<jobs>/.active/<id>`: an empty file per job whose record is active (starting/running/restarting).
// It lets `ls` find every active record without reading the thousands of ended ones; ended records
// are found by mtime (a record's last write is never earlier than its endedAt). The marker is made
// before an active record is written and removed after a terminal one is, so an active record always
// has one; a stale marker (a crash in between) only costs one extra read and is cleaned by the listing.

const activeDir = (home: string) => path.join(jobsDir(home), ".active");

function markActive(home: string, id: string): void {
  const dir = activeDir(home);
  let fd: number;
  try {
    fd = fs.openSync(path.join(dir, id), fs.constants.O_WRONLY | fs.constants.O_CREAT, 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    ensureDir(dir);
    fd = fs.openSync(path.join(dir, id), fs.constants.O_WRONLY | fs.constants.O_CREAT, 0o600);
  }
  fs.closeSync(fd);
}

function clearActive(home: string, id: string): void {
  try {
    fs.unlinkSync(path.join(activeDir(home), id));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
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

// ---- the launch argv ----
// The record holds the redacted command line; the job's own supervisor still has to run the real one.
// When redaction changed something, createJob keeps the original in `<jobs>/<id>.argv` (0600 in the
// 0700 jobs directory, like accounts.json's keys), written before the record so a supervisor that can
// read the record can read it too, and removed as soon as the record is final.

const launchArgvFile = (home: string, id: string) => path.join(jobsDir(home), `${id}.argv`);

function removeLaunchArgv(home: string, id: string): void {
  try {
    fs.unlinkSync(launchArgvFile(home, id));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
}

/**
 * The command line to start `record`'s codex with: the unredacted one createJob kept aside when the
 * record's had secrets replaced, else the record's own. A kept file that cannot be used is an error
 * naming it (running codex with `[redacted]` in place of a key would fail in a confusing way).
 */
export function jobLaunchArgv(home: string, record: JobRecord): string[] {
  const file = launchArgvFile(home, record.id);
  const r = readJsonFile(file);
  if (r.kind === "missing") return [...record.argv];
  if (r.kind === "ok" && Array.isArray(r.value) && r.value.every((a) => typeof a === "string")) return r.value as string[];
  throw new CliError(`job ${record.id}: the kept command line ${file} is unreadable${r.kind === "corrupt" ? ` (not valid JSON: ${r.error})` : " (expected a JSON array of strings)"}`, 2);
}

/** Write a new record (fails if one with that id exists). */
export function createJob(home: string, init: NewJobInit, now: Date = new Date()): JobRecord {
  assertId(init.id);
  ensureJobsDir(home);
  const file = jobRecordFile(home, init.id);
  if (fs.existsSync(file)) throw new CliError(`job record ${file} already exists`);
  const record = newJobRecord(init, now);
  const stored = redactArgv(record.argv);
  if (stored.some((a, i) => a !== record.argv[i])) {
    writeFileAtomic(launchArgvFile(home, init.id), JSON.stringify(record.argv) + "\n", { mode: 0o600 });
  }
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

export type ConditionalUpdate = { ok: true; record: JobRecord } | { ok: false; current: JobRecord };

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

const RECORD_NAME = /^([sj]-\d{8}-[0-9a-f]{8})\.json$/;

/** Ids of every record file in the jobs directory (unordered). */
export function listJobIds(home: string): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(jobsDir(home));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
  const ids: string[] = [];
  for (const n of names) {
    const m = RECORD_NAME.exec(n);
    if (m) ids.push(m[1]!);
  }
  return ids;
}

export interface JobListing {
  /** Newest first (by createdAt, then id). */
  records: JobRecord[];
  /** Record files that could not be used; listed so `ls` can name them instead of hiding them. */
  problems: { file: string; problem: string }[];
}

/** Ended within this long (or still active) = shown by `ls` without --all. */
export const RECENT_MS = 24 * 60 * 60 * 1000;

/** Pure: is this record shown by default (active, or ended within RECENT_MS)? */
export function isRecent(r: JobRecord, now: Date = new Date()): boolean {
  if (r.endedAt === null) return true;
  return now.getTime() - Date.parse(r.endedAt) <= RECENT_MS;
}

export function sortNewestFirst(records: JobRecord[]): JobRecord[] {
  return records.sort((a, b) => (a.createdAt === b.createdAt ? (a.id < b.id ? 1 : -1) : a.createdAt < b.createdAt ? 1 : -1));
}

/** Slack for the mtime shortcut: file system and record clocks are the same machine's, but not the same call. */
const MTIME_SLACK_MS = 60_000;

/**
 * Every record (`all`) or the recent ones, newest first, plus the unreadable files. No reconciliation.
 * Without `all`, a record is read only if it is in the active set or was written in the last
 * RECENT_MS (+ slack): an ended record last written before that ended before that too. (So an
 * unreadable old record is reported by `all` listings only.)
 */
export function listJobs(home: string, opts: { all?: boolean; now?: Date } = {}): JobListing {
  const now = opts.now ?? new Date();
  const records: JobRecord[] = [];
  const problems: { file: string; problem: string }[] = [];
  const dir = jobsDir(home) + path.sep;
  const buf = Buffer.allocUnsafe(64 * 1024);
  const ids = listJobIds(home);
  const active = opts.all ? null : listActiveIds(home);
  const cutoff = now.getTime() - RECENT_MS - MTIME_SLACK_MS;
  for (const id of ids) {
    const file = `${dir}${id}.json`;
    const marked = active?.has(id) ?? false;
    if (active && !marked) {
      const st = fs.statSync(file, { throwIfNoEntry: false });
      if (!st || st.mtimeMs < cutoff) continue;
    }
    const r = readRecordForListing(file, id, buf);
    if (r.kind === "ok") {
      if (marked && !isActiveStatus(r.record.status)) clearStaleMarker(home, id);
      if (opts.all || isRecent(r.record, now)) records.push(r.record);
    } else if (r.kind === "corrupt") {
      problems.push({ file: r.file, problem: r.problem });
    } // missing: removed between readdir and read (prune); nothing to show
  }
  if (active) for (const id of active) if (!ids.includes(id)) clearOrphanMarker(home, id, now);
  return { records: sortNewestFirst(records), problems };
}

function listActiveIds(home: string): Set<string> {
  try {
    return new Set(fs.readdirSync(activeDir(home)).filter(isJobId));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return new Set();
    throw err;
  }
}

function clearStaleMarker(home: string, id: string): void {
  try {
    clearActive(home, id);
  } catch {
    /* a read must not fail over housekeeping */
  }
}

/** A marker without a record: a create in progress (keep) or one that crashed (old: remove). */
function clearOrphanMarker(home: string, id: string, now: Date): void {
  try {
    const st = fs.statSync(path.join(activeDir(home), id), { throwIfNoEntry: false });
    if (st && now.getTime() - st.mtimeMs > MTIME_SLACK_MS && !fs.existsSync(jobRecordFile(home, id))) clearActive(home, id);
  } catch {
    /* housekeeping only */
  }
}

// ---- event log ----

export type JobEventType = "spawn" | "bind" | "quota" | "rotate" | "signal" | "restart" | "exit" | "stop" | "lost" | "control" | "notice" | (string & {});

export interface JobEvent {
  type: JobEventType;
  [field: string]: unknown;
}

export interface LoggedEvent extends JobEvent {
  /** ISO time the event was written. */
  ts: string;
}

/** An event could not be appended. The log is left as it was whenever we can tell it is safe to. */
export class EventLogWriteError extends CliError {
  constructor(
    readonly file: string,
    readonly problem: string,
  ) {
    super(`cannot append to the job event log ${file}: ${problem}`, 1);
    this.name = "EventLogWriteError";
  }
}

/**
 * Append one event as one JSON line. O_APPEND + a single write per line: concurrent writers (the
 * supervisor, a `stop` from another terminal) never interleave inside a line. Secrets are redacted.
 *
 * A full disk cuts a write short (write(2) returns fewer bytes, the next one fails with ENOSPC). That is
 * an error, never a success: the rest is retried once more (it fails or completes), and on failure our
 * fragment is cut off again (ftruncate to the size before, when the file still ends with our fragment,
 * i.e. nobody appended in between) and EventLogWriteError is thrown. Whatever fragment could not be
 * removed (or a crash mid-write left) has no newline: the next append starts with one, so a later
 * event is never glued onto it — the reader (parseEventLog) counts the fragment as one bad line.
 */
export function appendEvent(home: string, id: string, event: JobEvent, now: Date = new Date()): void {
  assertId(id);
  const { type, ...rest } = event;
  const line = JSON.stringify({ ts: now.toISOString(), type, ...(redactSecrets(rest) as Record<string, unknown>) }) + "\n";
  const file = jobLogFile(home, id);
  let fd: number;
  try {
    // Read access only to look at the last byte (pread: unaffected by O_APPEND).
    fd = fs.openSync(file, fs.constants.O_RDWR | fs.constants.O_APPEND | fs.constants.O_CREAT, 0o600);
  } catch (err) {
    throw new EventLogWriteError(file, errnoText(err));
  }
  try {
    const sizeBefore = fs.fstatSync(fd).size;
    const buf = Buffer.from((endsMidLine(fd, sizeBefore) ? "\n" : "") + line);
    let written = 0;
    try {
      while (written < buf.length) {
        const n = fs.writeSync(fd, buf, written, buf.length - written);
        if (n <= 0) throw new Error(`write returned ${n}`);
        written += n;
      }
    } catch (err) {
      let undone = written === 0;
      if (!undone) {
        try {
          if (fs.fstatSync(fd).size === sizeBefore + written) {
            fs.ftruncateSync(fd, sizeBefore);
            undone = true;
          }
        } catch {
          /* left as a fragment without newline: the next append starts a fresh line */
        }
      }
      const partial = written > 0 ? ` after ${written} of ${buf.length} bytes${undone ? " (the partial line was removed)" : " (a partial line without newline is left)"}` : "";
      throw new EventLogWriteError(file, `${errnoText(err)}${partial}`);
    }
  } catch (err) {
    if (err instanceof EventLogWriteError) throw err;
    throw new EventLogWriteError(file, errnoText(err));
  } finally {
    fs.closeSync(fd);
  }
}

/** True when the log's last byte is not a newline (a line cut short by a full disk or a crash). */
function endsMidLine(fd: number, size: number): boolean {
  if (size === 0) return false;
  const b = Buffer.alloc(1);
  return fs.readSync(fd, b, 0, 1, size - 1) === 1 && b[0] !== 0x0a;
}

function errnoText(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e?.code === "ENOSPC") return "no space left on device (ENOSPC)";
  return err instanceof Error ? err.message : String(err);
}

export interface EventLog {
  events: LoggedEvent[];
  /** 1-based numbers of lines that are not valid events (a crash mid-write, an edit by hand). */
  badLines: number[];
  /** True when the last line had no newline yet (being written right now): it is not returned. */
  partialTail: boolean;
}

export function parseEventLog(text: string): EventLog {
  const lines = text.split("\n");
  const partialTail = lines[lines.length - 1] !== "";
  lines.pop(); // either "" after the final newline, or an unfinished line that is not an event yet
  const events: LoggedEvent[] = [];
  const badLines: number[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === "") return;
    try {
      const v = JSON.parse(line) as unknown;
      if (v && typeof v === "object" && !Array.isArray(v) && typeof (v as LoggedEvent).type === "string" && typeof (v as LoggedEvent).ts === "string") {
        events.push(v as LoggedEvent);
        return;
      }
    } catch {
      /* counted below */
    }
    badLines.push(i + 1);
  });
  return { events, badLines, partialTail };
}

export function readEvents(home: string, id: string): EventLog {
  assertId(id);
  let text: string;
  try {
    text = fs.readFileSync(jobLogFile(home, id), "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return { events: [], badLines: [], partialTail: false };
    throw err;
  }
  return parseEventLog(text);
}

// ---- references ----

/**
 * The job id `ref` means, by the rules of ref-match.ts (id, id without its date, codex's session id,
 * name); UsageError naming the candidates when it is ambiguous or matches nothing.
 */
export function resolveJobRef(home: string, ref: string): string {
  if (ref.length === 0) throw new UsageError("empty job reference");
  const ids = listJobIds(home);
  let m = matchById(ref, ids);
  if (m.kind === "none") {
    const candidates: RefCandidate[] = [];
    for (const id of ids) {
      const r = readJobFile(home, id);
      if (r.kind === "ok") candidates.push({ id, sessionId: r.record.sessionId, name: r.record.name });
    }
    m = matchByRecord(ref, candidates);
  }
  if (m.kind === "one") return m.id;
  if (m.kind === "many") {
    const shown = m.ids.slice(0, 10).join(", ") + (m.ids.length > 10 ? ", ..." : "");
    const what = m.by === "id" ? `'${ref}'` : `${m.by} '${ref}'`;
    throw new UsageError(`${what} matches ${m.ids.length} jobs: ${shown}; ${m.by === "name" ? "use an id" : "give more of it"}`);
  }
  throw new UsageError(`no job matches '${ref}' (by id, session id or name); see \`codex-supervisor ls --all\``);
}

// ---- removal (prune) ----

/** Remove a job's files: log, output and control first, the record last (an interrupted prune retries). */
export function removeJobFiles(home: string, id: string): string[] {
  assertId(id);
  const removed: string[] = [];
  for (const f of [jobLogFile(home, id), jobOutFile(home, id), jobControlFile(home, id), launchArgvFile(home, id), path.join(activeDir(home), id), jobRecordFile(home, id)]) {
    try {
      fs.unlinkSync(f);
      removed.push(f);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    }
  }
  return removed;
}
