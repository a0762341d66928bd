// The `.active` index: `<jobs>/.active/<id>`, an empty file per job whose record is active
// (starting/running/restarting). It lets `ls` find every active record without reading the thousands
// of ended ones; ended records are found by mtime (a record's last write is never earlier than its
// endedAt). The marker is made before an active record is written and removed after a terminal one
// is, so an active record always has one; a stale marker (a crash in between) only costs one extra
// read and is cleaned by the listing.
import fs from "node:fs";
import { ensureDir } from "../fs/atomic.js";
import { FileAccessError } from "../fs/errors.js";
import { NOFOLLOW_FLAGS, openNoFollow } from "../fs/nofollow.js";
import { unlinkIfPresent } from "../fs/unlink.js";
import { activeJobsDir, jobActiveMarker, jobRecordFile } from "../paths.js";
import { isJobId } from "./ids.js";

/** Slack for the mtime shortcuts: file system and record clocks are the same machine's, but not the same call. */
export const MTIME_SLACK_MS = 60_000;

export function markActive(home: string, id: string): void {
  const file = jobActiveMarker(home, id);
  let fd: number;
  try {
    fd = openNoFollow(file, NOFOLLOW_FLAGS.touch);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw new FileAccessError(file, "create", err);
    ensureDir(activeJobsDir(home));
    try {
      fd = openNoFollow(file, NOFOLLOW_FLAGS.touch);
    } catch (e) {
      throw new FileAccessError(file, "create", e);
    }
  }
  fs.closeSync(fd);
}

export function clearActive(home: string, id: string): void {
  const file = jobActiveMarker(home, id);
  try {
    unlinkIfPresent(file);
  } catch (err) {
    throw new FileAccessError(file, "remove", err);
  }
}

/** Ids with a marker; empty when the index does not exist yet. */
export function listActiveIds(home: string): Set<string> {
  const dir = activeJobsDir(home);
  try {
    return new Set(fs.readdirSync(dir).filter(isJobId));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return new Set();
    throw new FileAccessError(dir, "list", err);
  }
}

/** A marker whose record is final: remove it (a read must not fail over housekeeping). */
export function clearStaleMarker(home: string, id: string): void {
  try {
    clearActive(home, id);
  } catch {
    /* housekeeping only */
  }
}

/** A marker without a record: a create in progress (keep) or one that crashed (old: remove). */
export function clearOrphanMarker(home: string, id: string, now: Date): void {
  try {
    const st = fs.lstatSync(jobActiveMarker(home, id), { throwIfNoEntry: false });
    if (st && now.getTime() - st.mtimeMs > MTIME_SLACK_MS && !fs.existsSync(jobRecordFile(home, id))) clearActive(home, id);
  } catch {
    /* housekeeping only */
  }
}
