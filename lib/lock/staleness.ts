// When is a lock directory abandoned? Its mtime is the holder's heartbeat. By the wall clock, a
// heartbeat older than the stale window means the holder died; but an mtime ahead of the clock (a
// clock stepped back after a SIGKILLed holder) would look fresh until the clock caught up. So a
// waiter also watches it on its own monotonic clock: a heartbeat that has not changed for the stale
// window is stale however its mtime compares to the wall clock (a live holder rewrites it every
// update period, which is at most half that window).
import fs from "node:fs";
import { performance } from "node:perf_hooks";

interface Clocks {
  wallMs(): number;
  monoMs(): number;
}
const realClocks: Clocks = { wallMs: () => Date.now(), monoMs: () => performance.now() };

/**
 * Which directory this is, not just which name: an inode number is reused at once after rmdir+mkdir
 * (seen on ext4), so the birth time in ns is part of the identity (0 where unsupported: dev+ino only).
 */
export function dirIdentity(st: fs.BigIntStats): string {
  return `${st.dev}:${st.ino}:${st.birthtimeNs}`;
}

/** lstat (a symlink in place of the lock is never followed), or null when it is gone. */
export function lstatOrNull(p: string): fs.BigIntStats | null {
  try {
    return fs.lstatSync(p, { bigint: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
}

interface StaleVerdict {
  stale: boolean;
  /** Wall-clock age of the heartbeat in ms (negative: ahead of the clock). */
  wallAgeMs: number;
  /** How long this waiter has seen the heartbeat unchanged, on its monotonic clock. */
  unchangedMs: number;
}

/** One waiter's observations of lock directories, kept across its polls. */
export class StalenessJudge {
  private readonly seen = new Map<string, { key: string; since: number }>();
  constructor(private readonly clocks: Clocks = realClocks) {}

  judge(p: string, st: fs.BigIntStats, windowMs: number): StaleVerdict {
    const key = `${dirIdentity(st)}:${st.mtimeNs}`;
    const now = this.clocks.monoMs();
    let o = this.seen.get(p);
    if (!o || o.key !== key) {
      o = { key, since: now };
      this.seen.set(p, o);
    }
    const wallAgeMs = this.clocks.wallMs() - Number(st.mtimeMs);
    const unchangedMs = now - o.since;
    return { stale: wallAgeMs > windowMs || unchangedMs > windowMs, wallAgeMs, unchangedMs };
  }
}
