// The storage lock's timings: defaults, their rules, and the one mapping from the config.

export const DEFAULT_LOCK_STALE_MS = 10_000;
const DEFAULT_LOCK_UPDATE_MS = 2_000;

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

/** The lock options a loaded config asks for (config fields lockStaleMs, lockUpdateMs). */
export function lockOptionsFrom(config: { lockStaleMs: number; lockUpdateMs: number }): StorageLockOptions {
  return { staleMs: config.lockStaleMs, updateMs: config.lockUpdateMs };
}

interface ResolvedLockOptions {
  staleMs: number;
  updateMs: number;
  timeoutMs: number;
}

export function resolveLockOptions(opts: StorageLockOptions): ResolvedLockOptions {
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
