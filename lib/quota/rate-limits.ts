// Rate-limit snapshots: what codex records in the rollout (`token_count.rate_limits`), in our units.
// Codex writes `{primary:{used_percent, window_minutes, resets_at (epoch s)}, secondary:{...}}`; primary
// is the 5 h window, secondary the 7 d window, either may be null. We keep epoch milliseconds in memory
// and ISO strings in the store. Pure.

/**
 * An account's last seen usage as the accounts store keeps it (ISO times); accounts/schema.ts
 * validates it against this shape.
 */
export interface Usage {
  primaryUsedPercent?: number;
  primaryWindowMinutes?: number;
  primaryResetsAt?: string;
  secondaryUsedPercent?: number;
  secondaryWindowMinutes?: number;
  secondaryResetsAt?: string;
  observedAt?: string;
}

interface RateWindow {
  usedPercent: number;
  windowMinutes: number | null;
  /** Epoch milliseconds, or null when codex did not say. */
  resetsAt: number | null;
}

export interface RateLimits {
  primary: RateWindow | null;
  secondary: RateWindow | null;
}

export type WindowName = "primary" | "secondary";
export const WINDOWS: readonly WindowName[] = ["primary", "secondary"];

function finite(v: unknown): number | null {
  return typeof v === "number" && Number.isFinite(v) ? v : null;
}

function windowFromCodex(raw: unknown): RateWindow | null {
  if (typeof raw !== "object" || raw === null) return null;
  const r = raw as Record<string, unknown>;
  const used = finite(r.used_percent ?? r.usedPercent);
  if (used === null) return null;
  const resets = finite(r.resets_at ?? r.resetsAt);
  return {
    usedPercent: used,
    windowMinutes: finite(r.window_minutes ?? r.windowMinutes),
    resetsAt: resets === null ? null : toEpochMs(resets),
  };
}

/**
 * codex writes epoch seconds; a converted snapshot may carry epoch ms. The magnitudes cannot be
 * confused: epoch seconds stay below 1e11 until the year 5138, epoch ms exceed it since 1973.
 */
function toEpochMs(t: number): number {
  return t < 1e11 ? t * 1000 : t;
}

/**
 * From codex's `rate_limits` object (snake_case, as in the rollout); also accepts a camelCased one
 * (`usedPercent`, `windowMinutes`, `resetsAt` in epoch seconds or ms). Null when neither window is
 * usable or the snapshot is for another limit than the account's main one.
 */
export function rateLimitsFromCodex(raw: unknown): RateLimits | null {
  if (typeof raw !== "object" || raw === null) return null;
  const r = raw as Record<string, unknown>;
  // Only the account's main limit ("codex") says when to rotate; other ids are per-model limits.
  const limitId = r.limit_id ?? r.limitId;
  if (typeof limitId === "string" && limitId !== "codex") return null;
  const primary = windowFromCodex(r.primary);
  const secondary = windowFromCodex(r.secondary);
  if (!primary && !secondary) return null;
  return { primary, secondary };
}

/** Remaining percent of one window at `now`: a window whose reset time has passed counts as fresh. */
export function remainingPercent(w: RateWindow | null, now: number): number | null {
  if (!w) return null;
  if (w.resetsAt !== null && w.resetsAt <= now) return 100;
  return Math.max(0, Math.min(100, 100 - w.usedPercent));
}

/** The tighter of the two windows: its name and remaining percent (null when nothing is known). */
export function tightestWindow(rl: RateLimits | null, now: number): { window: WindowName; remaining: number } | null {
  if (!rl) return null;
  let best: { window: WindowName; remaining: number } | null = null;
  for (const name of WINDOWS) {
    const rem = remainingPercent(rl[name], now);
    if (rem !== null && (best === null || rem < best.remaining)) best = { window: name, remaining: rem };
  }
  return best;
}

const iso = (ms: number) => new Date(ms).toISOString();
const ms = (s: string | undefined): number | null => {
  if (s === undefined) return null;
  const t = Date.parse(s);
  return Number.isFinite(t) ? t : null;
};

/** The store's `usage` record for a snapshot seen at `observedAt`. Windows codex left null keep no fields. */
export function usageFromRateLimits(rl: RateLimits, observedAt: number): Usage {
  const u: Usage = { observedAt: iso(observedAt) };
  if (rl.primary) {
    u.primaryUsedPercent = rl.primary.usedPercent;
    if (rl.primary.windowMinutes !== null) u.primaryWindowMinutes = rl.primary.windowMinutes;
    if (rl.primary.resetsAt !== null) u.primaryResetsAt = iso(rl.primary.resetsAt);
  }
  if (rl.secondary) {
    u.secondaryUsedPercent = rl.secondary.usedPercent;
    if (rl.secondary.windowMinutes !== null) u.secondaryWindowMinutes = rl.secondary.windowMinutes;
    if (rl.secondary.resetsAt !== null) u.secondaryResetsAt = iso(rl.secondary.resetsAt);
  }
  return u;
}

function storedWindow(used: number | undefined, minutes: number | undefined, resets: string | undefined, observedAt: number | null): RateWindow | null {
  if (used === undefined) return null;
  let resetsAt = ms(resets);
  // Codex gave no reset time: the window has certainly rolled over one window length after we saw it,
  // so an old observation cannot keep an account "exhausted" forever.
  if (resetsAt === null && minutes !== undefined && observedAt !== null) resetsAt = observedAt + minutes * 60_000;
  return { usedPercent: used, windowMinutes: minutes ?? null, resetsAt };
}

/** Back from the store: the last known snapshot of an account (null when it was never observed). */
export function rateLimitsFromUsage(u: Usage | undefined): RateLimits | null {
  if (!u) return null;
  const seen = ms(u.observedAt);
  const primary = storedWindow(u.primaryUsedPercent, u.primaryWindowMinutes, u.primaryResetsAt, seen);
  const secondary = storedWindow(u.secondaryUsedPercent, u.secondaryWindowMinutes, u.secondaryResetsAt, seen);
  if (!primary && !secondary) return null;
  return { primary, secondary };
}
