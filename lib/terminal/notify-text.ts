// The hint to add an account (pure): said when an account is at its limit and no other enabled
// account has room, so rotation has nowhere to go. `usage` prints it; the supervisor's loop says it
// with its notices when it stays on or waits for an exhausted account.
import { formatRelative } from "./duration.js";

export interface AccountRoom {
  name: string;
  enabled: boolean;
  primaryUsedPercent: number | null;
  primaryResetsAt: string | null;
  secondaryUsedPercent: number | null;
  secondaryResetsAt: string | null;
  coolingDownUntil: string | null;
}

const ADD = "codex-supervisor accounts add <name>";

function usedNow(used: number | null, resetsAt: string | null, now: number): number {
  if (resetsAt !== null && Date.parse(resetsAt) <= now) return 0;
  return used ?? 0;
}

/** When this account has room again (ms), or null when it has room now. */
function fullUntil(a: AccountRoom, now: number, limitPercent: number): number | null {
  let until: number | null = null;
  if (a.coolingDownUntil !== null && Date.parse(a.coolingDownUntil) > now) until = Date.parse(a.coolingDownUntil);
  for (const [used, resets] of [
    [a.primaryUsedPercent, a.primaryResetsAt],
    [a.secondaryUsedPercent, a.secondaryResetsAt],
  ] as const) {
    if (usedNow(used, resets, now) < limitPercent) continue;
    const t = resets !== null ? Date.parse(resets) : Infinity;
    until = Math.max(until ?? 0, t);
  }
  return until;
}

/**
 * The hint, or null when it does not apply: some enabled account is at `limitPercent` (100 = its
 * limit; the loop passes its rotation threshold) and none of the others has room.
 */
export function addAccountHint(accounts: AccountRoom[], now: number, limitPercent = 100): string | null {
  const enabled = accounts.filter((a) => a.enabled);
  const full = enabled.map((a) => ({ a, until: fullUntil(a, now, limitPercent) })).filter((x) => x.until !== null);
  if (full.length === 0 || full.length < enabled.length) return null;
  const earliest = full.reduce((x, y) => (y.until! < x.until! ? y : x));
  const when = Number.isFinite(earliest.until!) ? ` (${earliest.a.name} has room again ${formatRelative(earliest.until!, now)})` : "";
  if (enabled.length === 1) {
    return `account '${earliest.a.name}' is at its limit and there is no other enabled account to switch to${when}; add one with \`${ADD}\``;
  }
  return `all ${enabled.length} enabled accounts are at their limit${when}; add another with \`${ADD}\``;
}
