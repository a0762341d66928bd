// Keeping the last seen quota and cool-down marks per account in the store (what the supervisor calls
// when a token_count arrives and when it leaves an account). Each call is one short locked update.
import type { StorageLockOptions } from "../lock/storage-lock.js";
import { tightestWindow, usageFromRateLimits, type RateLimits } from "../quota/rate-limits.js";
import type { Account } from "./schema.js";
import { findAccount, updateAccounts, type UpdateOptions } from "./store.js";

/**
 * Store `rateLimits` (seen at `observedAt`, epoch ms) as the account's last known usage. A snapshot
 * older than the stored one is ignored (two supervisors on one account may report out of order).
 * A fresh reading that shows room above `rotateAtRemainingPercent` ends the account's cool-down: the
 * cool-down was a guess about its reset, the reading is a fact.
 * Returns false when the account no longer exists (removed meanwhile) or the snapshot was older.
 */
export async function recordUsage(
  home: string,
  name: string,
  rateLimits: RateLimits,
  observedAt: number,
  lock: StorageLockOptions = {},
  update: UpdateOptions = {},
  rotateAtRemainingPercent: number | null = null,
): Promise<boolean> {
  return updateNamed(home, name, lock, update, (a) => {
    const prev = a.usage.observedAt ? Date.parse(a.usage.observedAt) : NaN;
    if (Number.isFinite(prev) && prev > observedAt) return false;
    a.usage = usageFromRateLimits(rateLimits, observedAt);
    const tight = tightestWindow(rateLimits, observedAt);
    if (rotateAtRemainingPercent !== null && tight && tight.remaining > rotateAtRemainingPercent) delete a.coolingDownUntil;
    return true;
  });
}

/** Mark an account as cooling down until `until` (epoch ms); null clears the mark. False if unknown. */
export async function markCoolingDown(
  home: string,
  name: string,
  until: number | null,
  lock: StorageLockOptions = {},
  update: UpdateOptions = {},
): Promise<boolean> {
  return updateNamed(home, name, lock, update, (a) => {
    if (until === null) delete a.coolingDownUntil;
    else a.coolingDownUntil = new Date(until).toISOString();
    return true;
  });
}

/** One locked update of the named account; false (nothing written) when it is gone or `change` says no. */
function updateNamed(
  home: string,
  name: string,
  lock: StorageLockOptions,
  update: UpdateOptions,
  change: (account: Account) => boolean,
): Promise<boolean> {
  return updateAccounts(
    home,
    (draft) => {
      const a = findAccount(draft, name);
      return a ? change(a) : false;
    },
    lock,
    update,
  );
}
