// The storage lock: serialises read-modify-write of shared state under <home> across processes.
//
// Built on proper-lockfile (mkdir lock + mtime heartbeat), with its weak spots closed:
//  * stale-reclaim race — proper-lockfile's waiters each stat the lock, decide it is stale and rmdir it;
//    a slow waiter can remove the lock a faster waiter has just re-created, and both "hold" it. We turn
//    its own stale handling off (stale: Infinity) and reclaim ourselves: under a short reclaim mutex,
//    re-stat the lock and remove it only if it is the same directory (dev+ino+birth) and still stale.
//  * realpath on a missing file — realpath: false (the lock target `<home>/storage` never exists).
//  * default onCompromised throws from a timer and crashes the process — ours marks the guard lost.
//  * a fresh lock's mtime is set up to ~1 s into the future (its mtime-precision probe), so a holder that
//    dies before its first heartbeat would be evicted up to 1 s late. We run that probe once per home
//    on a scratch directory and hand the cached result to every acquisition (see precisionBase).
//  * unlock/exit handler rmdir by name — our fs wrapper refuses to remove a lock directory that is not
//    the one we created (someone reclaimed it from us), so we never delete another holder's lock.
// A holder calls guard.assertHeld() right before each write: it fails when the lock was compromised,
// replaced, or our heartbeat is too old for others to still respect it.
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import type * as ProperLockfile from "proper-lockfile";
import { storageLockTarget } from "../paths.js";
import { CliError } from "../errors.js";
import { ensureDir } from "../fs/atomic.js";

/** proper-lockfile (and graceful-fs under it), loaded at the first lock: ~10 ms a supervised launch
 * would otherwise pay before codex starts, though it takes no lock then. */
let lockfileLib: typeof ProperLockfile | null = null;
const properLockfile = (): typeof ProperLockfile => (lockfileLib ??= createRequire(import.meta.url)("proper-lockfile") as typeof ProperLockfile);

export const DEFAULT_LOCK_STALE_MS = 10_000;
export const DEFAULT_LOCK_UPDATE_MS = 2_000;

export class LockLostError extends Error {
  constructor(readonly lockPath: string, readonly reason: string) {
    super(`storage lock ${lockPath} was lost (${reason}); the write was aborted`);
    this.name = "LockLostError";
  }
}

export class LockTimeoutError extends Error {
  constructor(readonly lockPath: string, readonly waitedMs: number) {
    super(`timed out after ${waitedMs} ms waiting for the storage lock ${lockPath}`);
    this.name = "LockTimeoutError";
  }
}

export interface StorageLockOptions {
  /** A lock whose heartbeat is older than this is considered abandoned (default 10000). */
  staleMs?: number;
  /** Heartbeat period (default 2000; at least 1000 and at most staleMs/2). */
  updateMs?: number;
  /** Give up waiting after this long (default staleMs + 5000: long enough to outwait a dead holder). */
  timeoutMs?: number;
  /** Called when releasing failed without the lock being lost (the lock then expires as stale). */
  onReleaseError?: (err: Error) => void;
  /** Test hook: runs after a waiter has decided the lock looks stale, before it takes the reclaim mutex. */
  afterStaleObservedForTests?: () => Promise<void> | void;
}

/** The lock options a config asks for (the one place that maps config fields to them). */
export function lockOptionsFrom(config: { lockStaleMs: number; lockUpdateMs: number }): StorageLockOptions {
  return { staleMs: config.lockStaleMs, updateMs: config.lockUpdateMs };
}

export interface LockGuard {
  /** The lock directory (`<home>/storage.lock`). */
  readonly lockPath: string;
  readonly lost: boolean;
  readonly lostReason: string | null;
  /** Throws LockLostError unless we still hold the lock with a fresh heartbeat. Call right before each write. */
  assertHeld(): void;
}

export interface HeldStorageLock {
  guard: LockGuard;
  /** Release; never throws when the lock was lost. */
  release(): Promise<void>;
}

interface Resolved {
  staleMs: number;
  updateMs: number;
  timeoutMs: number;
}

function resolveOptions(opts: StorageLockOptions): Resolved {
  const staleMs = opts.staleMs ?? DEFAULT_LOCK_STALE_MS;
  const updateMs = opts.updateMs ?? DEFAULT_LOCK_UPDATE_MS;
  if (!Number.isFinite(updateMs) || updateMs < 1000) {
    throw new RangeError(`lockUpdateMs must be at least 1000 (got ${updateMs})`);
  }
  if (!Number.isFinite(staleMs) || staleMs < 2 * updateMs) {
    throw new RangeError(`lockStaleMs must be at least twice lockUpdateMs (${updateMs}); got ${staleMs}`);
  }
  const timeoutMs = opts.timeoutMs ?? staleMs + 5000;
  return { staleMs, updateMs, timeoutMs };
}

/**
 * Age at which a holder stops trusting its own lock: a heartbeat period before others may reclaim it,
 * so a write that passed assertHeld has at least that long to finish before anyone else can enter.
 */
export function holderTrustWindowMs(staleMs: number, updateMs: number): number {
  return staleMs - Math.min(updateMs, staleMs / 4);
}

function statOrNull(p: string): fs.BigIntStats | null {
  try {
    return fs.statSync(p, { bigint: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
}

/**
 * Which directory this is, not just which name: an inode number is reused at once after rmdir+mkdir
 * (seen on ext4), so the birth time in ns is part of the identity (0 where unsupported: dev+ino only).
 */
function dirIdentity(st: fs.BigIntStats): string {
  return `${st.dev}:${st.ino}:${st.birthtimeNs}`;
}

const ageMs = (st: fs.BigIntStats): number => Date.now() - Number(st.mtimeMs);

interface MtimePrecisionModule {
  probe(file: string, fsLike: object, cb: (err: Error | null) => void): void;
}
function loadMtimePrecision(): MtimePrecisionModule | null {
  try {
    return createRequire(import.meta.url)("proper-lockfile/lib/mtime-precision.js") as MtimePrecisionModule;
  } catch {
    return null; // layout changed: fall back to proper-lockfile probing on each acquisition
  }
}
const precisionBases = new Map<string, object>();

/**
 * An object carrying proper-lockfile's cached mtime precision for `home` (it caches the result on the fs
 * object under a private symbol, read through the prototype chain). Each acquisition's fs inherits from
 * it, so the library skips the probe that would stamp the fresh lock with a future mtime.
 */
async function precisionBase(home: string): Promise<object> {
  const known = precisionBases.get(home);
  if (known) return known;
  const base = { stat: fs.stat, utimes: fs.utimes };
  const mod = loadMtimePrecision();
  if (mod) {
    const scratch = path.join(home, `.mtime-probe-${process.pid}-${randomBytes(4).toString("hex")}`);
    fs.mkdirSync(scratch);
    try {
      await new Promise<void>((resolve, reject) => mod.probe(scratch, base, (err) => (err ? reject(err) : resolve())));
    } finally {
      fs.rmdirSync(scratch);
    }
  }
  precisionBases.set(home, base);
  return base;
}

/**
 * The fs that proper-lockfile uses for one acquisition: records which directory we created, and will
 * only remove that same directory (release and the exit handler go through rmdir/rmdirSync).
 */
function ownedFs(lockDir: string, base: object) {
  const owned: { id: string | null } = { id: null };
  const isOurs = (p: string): boolean => {
    if (p !== lockDir) return true;
    const st = statOrNull(p);
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

export type ReclaimOutcome = "gone" | "fresh" | "reclaimed" | "busy";

/**
 * Remove `lockDir` if it is abandoned (heartbeat older than staleMs). Safe against concurrent
 * reclaimers: the removal happens under `<lockDir>.reclaim` (mkdir mutex) after re-checking that the
 * directory is the same one we judged stale and is still stale. The mutex itself is held for a few
 * syscalls; one left by a reclaimer that died inside it is removed after a short window.
 */
export async function reclaimIfStale(
  lockDir: string,
  staleMs: number,
  afterStaleObserved?: () => Promise<void> | void,
): Promise<ReclaimOutcome> {
  const first = statOrNull(lockDir);
  if (!first) return "gone";
  if (ageMs(first) <= staleMs) return "fresh";
  if (afterStaleObserved) await afterStaleObserved();

  const mutex = `${lockDir}.reclaim`;
  try {
    fs.mkdirSync(mutex);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    const m = statOrNull(mutex);
    if (m && ageMs(m) > Math.min(1000, staleMs / 2)) {
      try {
        fs.rmdirSync(mutex);
      } catch {
        /* someone else cleaned it up */
      }
    }
    return "busy";
  }
  try {
    const again = statOrNull(lockDir);
    if (!again) return "gone";
    if (dirIdentity(again) !== dirIdentity(first) || ageMs(again) <= staleMs) {
      return "fresh";
    }
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

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * The lock could not even be attempted (read-only file system, permission denied, disk full): one
 * clear line naming the lock for the CLI instead of an internal error. `code` is kept.
 */
export class StorageLockError extends CliError {
  readonly code: string | undefined;
  constructor(readonly lockPath: string, cause: unknown) {
    const code = (cause as NodeJS.ErrnoException | null)?.code;
    super(`cannot take the storage lock ${lockPath}: ${cause instanceof Error ? cause.message : String(cause)}`, 1);
    this.name = "StorageLockError";
    this.code = code;
    this.cause = cause;
  }
}

/** Acquire the storage lock of `home` (created 0700 if missing). Prefer withStorageLock. */
export async function acquireStorageLock(home: string, opts: StorageLockOptions = {}): Promise<HeldStorageLock> {
  const { staleMs, updateMs, timeoutMs } = resolveOptions(opts);
  const target = storageLockTarget(home);
  const lockDir = `${target}.lock`;
  const trustMs = holderTrustWindowMs(staleMs, updateMs);
  const started = Date.now();
  let backoff = 5;

  let base: object;
  try {
    ensureDir(home, 0o700);
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
      const outcome = await reclaimIfStale(lockDir, staleMs, opts.afterStaleObservedForTests);
      if (outcome === "gone" || outcome === "reclaimed") continue;
      const waited = Date.now() - started;
      if (waited >= timeoutMs) throw new LockTimeoutError(lockDir, waited);
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
        const st = statOrNull(lockDir);
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
