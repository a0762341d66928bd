// The storage lock: serialises read-modify-write of shared state under <home> across processes.
//
// Built on proper-lockfile (mkdir lock + mtime heartbeat), with its weak spots closed:
//  * stale-reclaim race and a heartbeat ahead of the clock — eviction is ours (reclaim.ts, staleness.ts).
//  * realpath on a missing file — realpath: false (the lock target `<home>/storage` never exists).
//  * default onCompromised throws from a timer and crashes the process — ours marks the guard lost.
//  * a fresh lock's mtime set into the future by the library's precision probe (precision.ts).
//  * unlock/exit handler rmdir by name — our fs wrapper refuses to remove a lock directory that is not
//    the one we created (someone reclaimed it from us), so we never delete another holder's lock.
// A holder calls guard.assertHeld() right before each write: it fails when the lock was compromised,
// replaced, or our heartbeat is too old for others to still respect it. Every failure is a domain
// error naming the lock and what to do.
import fs from "node:fs";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { createRequire } from "node:module";
import type * as ProperLockfile from "proper-lockfile";
import { DomainError } from "../errors.js";
import { ensureDir } from "../fs/atomic.js";
import { reasonOf } from "../fs/errors.js";
import { assertTrustedHome } from "../fs/trust.js";
import { storageLockDir, storageLockTarget } from "../paths.js";
import { holderTrustWindowMs, resolveLockOptions, type StorageLockOptions } from "./options.js";
import { precisionBase } from "./precision.js";
import { reclaimIfStale } from "./reclaim.js";
import { dirIdentity, lstatOrNull, StalenessJudge } from "./staleness.js";

export type { StorageLockOptions } from "./options.js";
// The one config → options mapping lives in options.ts; re-exported for callers of the lock.
export { lockOptionsFrom } from "./options.js";

/** proper-lockfile (and graceful-fs under it), loaded at the first lock: ~10 ms a supervised launch
 * would otherwise pay before codex starts, though it takes no lock then. */
let lockfileLib: typeof ProperLockfile | null = null;
const properLockfile = (): typeof ProperLockfile => (lockfileLib ??= createRequire(import.meta.url)("proper-lockfile") as typeof ProperLockfile);

const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** The lock was lost while held: the write is aborted, nothing was changed. */
export class LockLostError extends DomainError {
  constructor(readonly lockPath: string, readonly reason: string) {
    super("lock-lost", `the storage lock ${lockPath} was lost (${reason}); the write was aborted and nothing was changed — run the command again`);
    this.name = "LockLostError";
  }
}

/** Another process held the lock for the whole wait. */
export class LockTimeoutError extends DomainError {
  constructor(readonly lockPath: string, readonly waitedMs: number, heartbeat = "") {
    super(
      "lock-timeout",
      `timed out after ${secs(waitedMs)} waiting for the storage lock ${lockPath}: another codex-supervisor process holds it${heartbeat}; try again in a moment — if no codex-supervisor is running, remove ${lockPath}`,
    );
    this.name = "LockTimeoutError";
  }
}

/**
 * The lock could not even be attempted (read-only file system, permission denied, disk full, something
 * that is not a directory in its place): one clear line naming it. `errno` is kept.
 */
export class StorageLockError extends DomainError {
  readonly errno: string | undefined;
  constructor(readonly lockPath: string, cause: unknown) {
    super("lock-unavailable", `cannot take the storage lock ${lockPath}: ${cause instanceof DomainError ? cause.message : reasonOf(cause)}`, {}, { cause });
    this.name = "StorageLockError";
    this.errno = (cause as NodeJS.ErrnoException | null)?.code;
  }
}

export interface LockGuard {
  /** The lock directory (`<home>/storage.lock`). */
  readonly lockPath: string;
  readonly lost: boolean;
  readonly lostReason: string | null;
  /** Throws LockLostError unless we still hold the lock with a fresh heartbeat. Call right before each write. */
  assertHeld(): void;
}

interface HeldStorageLock {
  guard: LockGuard;
  /** Release; never throws when the lock was lost. */
  release(): Promise<void>;
}

/** Wall-clock age of a heartbeat (negative when ahead of the clock). */
const ageMs = (st: fs.BigIntStats): number => Date.now() - Number(st.mtimeMs);

/**
 * The fs that proper-lockfile uses for one acquisition: records which directory we created, and will
 * only remove that same directory (release and the exit handler go through rmdir/rmdirSync).
 */
function ownedFs(lockDir: string, base: object) {
  const owned: { id: string | null } = { id: null };
  const isOurs = (p: string): boolean => {
    if (p !== lockDir) return true;
    const st = lstatOrNull(p);
    return st !== null && owned.id !== null && dirIdentity(st) === owned.id;
  };
  const api = Object.assign(Object.create(base) as object, {
    mkdir(p: string, cb: (err: NodeJS.ErrnoException | null) => void) {
      fs.mkdir(p, (err) => {
        if (!err && p === lockDir) {
          try {
            owned.id = dirIdentity(fs.statSync(p, { bigint: true }));
          } catch (e) {
            return cb(e as NodeJS.ErrnoException);
          }
        }
        cb(err);
      });
    },
    stat: fs.stat,
    utimes: fs.utimes,
    realpath: fs.realpath,
    rmdir(p: string, cb: (err: NodeJS.ErrnoException | null) => void) {
      if (!isOurs(p)) return cb(null);
      fs.rmdir(p, cb);
    },
    rmdirSync(p: string) {
      if (isOurs(p)) fs.rmdirSync(p);
    },
  });
  return { api, owned };
}

/** Acquire the storage lock of `home` (created 0700 if missing). Prefer withStorageLock. */
export async function acquireStorageLock(home: string, opts: StorageLockOptions = {}): Promise<HeldStorageLock> {
  const { staleMs, updateMs, timeoutMs } = resolveLockOptions(opts);
  const target = storageLockTarget(home);
  const lockDir = storageLockDir(home);
  const judge = new StalenessJudge();
  const trustMs = holderTrustWindowMs(staleMs, updateMs);
  const started = performance.now(); // the wait is measured on the monotonic clock: the wall clock may step
  let backoff = 5;

  let base: object;
  assertTrustedHome(home);
  try {
    ensureDir(home, 0o700);
    const there = lstatOrNull(lockDir);
    if (there && !there.isDirectory()) {
      throw new DomainError("lock-unavailable", `it is ${there.isSymbolicLink() ? "a symbolic link" : "not a directory"}; remove it (only a directory made by codex-supervisor belongs there)`);
    }
    base = await precisionBase(home);
  } catch (err) {
    throw new StorageLockError(lockDir, err);
  }

  for (;;) {
    const { api, owned } = ownedFs(lockDir, base);
    const state: { lost: boolean; reason: string | null; released: boolean } = {
      lost: false,
      reason: null,
      released: false,
    };
    const markLost = (reason: string) => {
      if (!state.lost) {
        state.lost = true;
        state.reason = reason;
      }
    };
    let release: () => Promise<void>;
    try {
      release = await properLockfile().lock(target, {
        lockfilePath: lockDir,
        realpath: false,
        retries: 0,
        stale: Number.POSITIVE_INFINITY, // stale eviction is ours (reclaimIfStale), see the header
        update: updateMs,
        fs: api,
        onCompromised: (err: Error) => markLost(`compromised: ${err.message}`),
      });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ELOCKED") {
        throw new StorageLockError(lockDir, err);
      }
      let outcome;
      try {
        outcome = await reclaimIfStale(lockDir, staleMs, judge, opts.afterStaleObservedForTests);
      } catch (e) {
        throw new StorageLockError(lockDir, e);
      }
      if (outcome === "gone" || outcome === "reclaimed") continue;
      const waited = performance.now() - started;
      if (waited >= timeoutMs) throw new LockTimeoutError(lockDir, waited, heartbeatNote(lockDir, staleMs));
      await sleep(Math.min(backoff + Math.random() * backoff, Math.max(1, timeoutMs - waited)));
      backoff = Math.min(backoff * 2, 50);
      continue;
    }

    const guard: LockGuard = {
      lockPath: lockDir,
      get lost() {
        return state.lost;
      },
      get lostReason() {
        return state.reason;
      },
      assertHeld() {
        if (state.released) throw new LockLostError(lockDir, "already released");
        if (state.lost) throw new LockLostError(lockDir, state.reason ?? "lost");
        const st = lstatOrNull(lockDir);
        if (!st || !owned.id || dirIdentity(st) !== owned.id) {
          markLost(st ? "lock directory was replaced by another holder" : "lock directory was removed");
          throw new LockLostError(lockDir, state.reason!);
        }
        const age = ageMs(st);
        if (age > trustMs) {
          markLost(`heartbeat is ${Math.round(age)} ms old (trusted up to ${trustMs} ms)`);
          throw new LockLostError(lockDir, state.reason!);
        }
      },
    };
    return {
      guard,
      release: async () => {
        if (state.released) return;
        state.released = true;
        try {
          // Still called when lost: it stops the heartbeat timer; our fs refuses to rmdir a lock that is
          // not ours, and proper-lockfile answers ERELEASED when it already saw the compromise.
          await release();
        } catch (err) {
          if (state.lost || (err as NodeJS.ErrnoException).code === "ERELEASED") return;
          (opts.onReleaseError ?? ((e: Error) => process.emitWarning(e)))(err as Error);
        }
      },
    };
  }
}

/**
 * Run `fn` while holding the storage lock of `home`; hold it only around a read-modify-write.
 * `fn` must call guard.assertHeld() right before each write. The lock is released however `fn` ends.
 */
/** ", its heartbeat N s old" for the timeout message (or ahead of the clock). */
function heartbeatNote(lockDir: string, staleMs: number): string {
  try {
    const st = lstatOrNull(lockDir);
    if (!st) return "";
    const age = ageMs(st);
    return age < 0 ? ` (its heartbeat is ${secs(-age)} ahead of the clock; it is taken over once it stays unchanged for ${secs(staleMs)})` : ` (heartbeat ${secs(age)} ago)`;
  } catch {
    return "";
  }
}

export async function withStorageLock<T>(
  home: string,
  fn: (guard: LockGuard) => Promise<T> | T,
  opts: StorageLockOptions = {},
): Promise<T> {
  const held = await acquireStorageLock(home, opts);
  try {
    return await fn(held.guard);
  } finally {
    await held.release();
  }
}
