// Which account to move to. Pure: the supervisor passes the store's accounts and the clock.
import { remainingPercent, rateLimitsFromUsage, tightestWindow, WINDOWS } from "../quota/rate-limits.js";
import { DEFAULT_THRESHOLDS } from "../quota/decide.js";
import type { Account } from "./schema.js";

interface SuccessorOptions {
  /** The account being left: never chosen. */
  leaving: string | null;
  /** Epoch ms. */
  now: number;
  /** An account at or below this is not worth moving to (we would rotate straight away again). */
  rotateAtRemainingPercent?: number;
}

type SuccessorChoice =
  | { none: false; account: Account; remainingPercent: number | null; reason: string }
  /** earliestResetAt: epoch ms when the first enabled account frees up, null if no reset time is known. */
  | { none: true; earliestResetAt: number | null; reason: string };

function ms(iso: string | undefined): number | null {
  if (iso === undefined) return null;
  const t = Date.parse(iso);
  return Number.isFinite(t) ? t : null;
}

/** Remaining percent of the tighter window by the last known usage; null when never observed. */
function lastKnownRemaining(a: Account, now: number): number | null {
  return tightestWindow(rateLimitsFromUsage(a.usage), now)?.remaining ?? null;
}

/** When the account can be used again (ms), or `now` when it already can, or null when that is unknown. */
export function availableAt(a: Account, now: number, rotateAt: number): number | null {
  let at = now;
  const cooling = ms(a.coolingDownUntil);
  if (cooling !== null && cooling > now) at = cooling;
  const rl = rateLimitsFromUsage(a.usage);
  for (const name of WINDOWS) {
    const w = rl?.[name] ?? null;
    const rem = remainingPercent(w, now);
    if (w === null || rem === null || rem > rotateAt) continue;
    if (w.resetsAt === null) return null; // exhausted with no known end
    at = Math.max(at, w.resetsAt);
  }
  return at;
}

/**
 * Enabled, not cooling down, not `leaving`, with room above the rotation threshold; the most remaining
 * quota wins (an account never observed counts as fresh: 100 %). Ties: the least recently used, then
 * the name — so every supervisor picks the same one.
 */
export function chooseSuccessor(accounts: readonly Account[], opts: SuccessorOptions): SuccessorChoice {
  const { now, leaving } = opts;
  const rotateAt = opts.rotateAtRemainingPercent ?? DEFAULT_THRESHOLDS.rotateAtRemainingPercent;
  const candidates: { a: Account; rem: number | null }[] = [];
  for (const a of accounts) {
    if (!a.enabled || a.name === leaving) continue;
    const cooling = ms(a.coolingDownUntil);
    if (cooling !== null && cooling > now) continue;
    const rem = lastKnownRemaining(a, now);
    if (rem !== null && rem <= rotateAt) continue;
    candidates.push({ a, rem });
  }
  if (candidates.length > 0) {
    candidates.sort((x, y) => {
      const rx = x.rem ?? 100;
      const ry = y.rem ?? 100;
      if (rx !== ry) return ry - rx;
      const lx = ms(x.a.lastUsedAt) ?? -Infinity;
      const ly = ms(y.a.lastUsedAt) ?? -Infinity;
      if (lx !== ly) return lx < ly ? -1 : 1;
      return x.a.name < y.a.name ? -1 : x.a.name > y.a.name ? 1 : 0;
    });
    const best = candidates[0]!;
    const left = best.rem === null ? "no usage seen yet" : `${Number.isInteger(best.rem) ? best.rem : best.rem.toFixed(1)}% left`;
    return { none: false, account: best.a, remainingPercent: best.rem, reason: `most remaining quota (${left})` };
  }

  let earliest: number | null = null;
  for (const a of accounts) {
    if (!a.enabled) continue;
    const at = availableAt(a, now, rotateAt);
    // The account being left is only a candidate for waiting once it is actually blocked until later.
    if (at === null || at <= now) continue;
    if (earliest === null || at < earliest) earliest = at;
  }
  const enabled = accounts.filter((a) => a.enabled && a.name !== leaving).length;
  const reason =
    enabled === 0
      ? "no other enabled account"
      : "every other enabled account is cooling down or at its limit";
  return { none: true, earliestResetAt: earliest, reason };
}
