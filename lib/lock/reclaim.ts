// Evicting an abandoned storage lock without ever removing a live one.
//
// proper-lockfile's own waiters each stat the lock, decide it is stale and rmdir it; a slow waiter can
// remove the lock a faster waiter has just re-created, and both "hold" it. Its stale handling is off
// (stale: Infinity) and this is ours: under a short mkdir mutex, re-stat the lock and remove it only
// if it is the same directory (dev+ino+birth) and still stale (staleness.ts: by the wall clock, or
// unchanged for the window on our monotonic clock, which also catches an mtime ahead of the clock).
import fs from "node:fs";
import { dirIdentity, lstatOrNull, type StalenessJudge } from "./staleness.js";

type ReclaimOutcome = "gone" | "fresh" | "reclaimed" | "busy";

/**
 * Remove `lockDir` if it is abandoned. The mutex (`<lockDir>.reclaim`) is held for a few syscalls; one
 * left by a reclaimer that died inside it is removed after a short window, judged the same way.
 */
export async function reclaimIfStale(
  lockDir: string,
  staleMs: number,
  judge: StalenessJudge,
  afterStaleObserved?: () => Promise<void> | void,
): Promise<ReclaimOutcome> {
  const first = lstatOrNull(lockDir);
  if (!first) return "gone";
  if (!judge.judge(lockDir, first, staleMs).stale) return "fresh";
  if (afterStaleObserved) await afterStaleObserved();

  const mutex = `${lockDir}.reclaim`;
  try {
    fs.mkdirSync(mutex);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    const m = lstatOrNull(mutex);
    if (m && judge.judge(mutex, m, Math.min(1000, staleMs / 2)).stale) {
      try {
        fs.rmdirSync(mutex);
      } catch {
        /* someone else cleaned it up */
      }
    }
    return "busy";
  }
  try {
    const again = lstatOrNull(lockDir);
    if (!again) return "gone";
    if (dirIdentity(again) !== dirIdentity(first) || !judge.judge(lockDir, again, staleMs).stale) return "fresh";
    try {
      fs.rmdirSync(lockDir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    }
    return "reclaimed";
  } finally {
    try {
      fs.rmdirSync(mutex);
    } catch {
      /* removed as abandoned by another waiter; harmless */
    }
  }
}
