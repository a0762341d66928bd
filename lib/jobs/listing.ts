// Listing a home's records: every one (`all`) or the recent ones, newest first, plus the files that
// could not be used (named, never hidden). No reconciliation here (reconcile-io.ts does that).
import fs from "node:fs";
import path from "node:path";
import { readJsonFile } from "../fs/atomic.js";
import { FileAccessError } from "../fs/errors.js";
import { NOFOLLOW_FLAGS, openNoFollow } from "../fs/nofollow.js";
import { assertTrustedHome } from "../fs/trust.js";
import { jobsDir } from "../paths.js";
import { clearOrphanMarker, clearStaleMarker, listActiveIds, MTIME_SLACK_MS } from "./active-index.js";
import { isActiveStatus, type JobRecord } from "./record.js";
import { interpretRecord, type JobFileRead } from "./records.js";

const RECORD_NAME = /^([sj]-\d{8}-[0-9a-f]{8})\.json$/;

/** Ids of every record file in the jobs directory (unordered); none when it does not exist yet. */
export function listJobIds(home: string): string[] {
  assertTrustedHome(home);
  const dir = jobsDir(home);
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw new FileAccessError(dir, "list", err);
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
const RECENT_MS = 24 * 60 * 60 * 1000;

/** Pure: is this record shown by default (active, or ended within RECENT_MS)? */
export function isRecent(r: JobRecord, now: Date = new Date()): boolean {
  if (r.endedAt === null) return true;
  return now.getTime() - Date.parse(r.endedAt) <= RECENT_MS;
}

export function sortNewestFirst(records: JobRecord[]): JobRecord[] {
  return records.sort((a, b) => (a.createdAt === b.createdAt ? (a.id < b.id ? 1 : -1) : a.createdAt < b.createdAt ? 1 : -1));
}

/**
 * The listing's reader: one open/read/close into a reused buffer (no fstat, no per-call options or
 * path normalisation), because `ls` reads thousands of small records and those costs added up to a
 * third of its time. Records larger than the buffer take the ordinary path.
 */
function readRecordForListing(file: string, id: string, buf: Buffer): JobFileRead {
  let fd: number;
  try {
    fd = openNoFollow(file, NOFOLLOW_FLAGS.read);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return { kind: "missing", file };
    return { kind: "corrupt", file, problem: new FileAccessError(file, "read", err).message };
  }
  let n: number;
  try {
    n = fs.readSync(fd, buf, 0, buf.length, 0);
  } catch (err) {
    return { kind: "corrupt", file, problem: new FileAccessError(file, "read", err).message };
  } finally {
    fs.closeSync(fd);
  }
  if (n === buf.length) {
    let slow;
    try {
      slow = readJsonFile(file); // may be larger than the buffer
    } catch (err) {
      return { kind: "corrupt", file, problem: (err as Error).message };
    }
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
      const st = fs.lstatSync(file, { throwIfNoEntry: false });
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
