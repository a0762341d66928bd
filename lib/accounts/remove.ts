// `accounts remove`: forget an account, in one hold of the storage lock. When CODEX_HOME/auth.json
// holds the account being removed, codex must not be left on a login the store no longer knows
// (every later switch would refuse it as foreign, and rotation would stop): auth.json moves to the
// best other enabled account. With none left, auth.json keeps the login (codex stays logged in) and
// the store remembers that exact login as released, so a later `accounts use` may replace it.
import { UsageError } from "../errors.js";
import { safeToEcho } from "../text/user-text.js";
import { withStorageLock, type StorageLockOptions } from "../lock/storage-lock.js";
import { releaseLogin } from "./adopt.js";
import { applySyncBack, healActive, ownerOf, readCodexAuth, writeCodexAuth, type ReadRetry } from "./codex-auth.js";
import { chooseSuccessor } from "./select.js";
import { findAccount, readAccounts, writeAccounts } from "./store.js";

interface RemoveOptions {
  home: string;
  codexHome: string;
  name: string;
  lock?: StorageLockOptions;
  retry?: ReadRetry;
  rotateAtRemainingPercent?: number;
  now?: () => number;
}

interface RemoveResult {
  /** CODEX_HOME/auth.json held the removed account's login. */
  heldByCodex: boolean;
  /** The account auth.json was switched to (only when it held the removed one). */
  switchedTo: string | null;
  /** auth.json still holds the removed login (no other enabled account to switch to). */
  released: boolean;
}

export async function removeAccount(o: RemoveOptions): Promise<RemoveResult> {
  const now = o.now ?? Date.now;
  return withStorageLock(
    o.home,
    async (guard) => {
      const store = readAccounts(o.home);
      if (!findAccount(store, o.name)) throw new UsageError(`accounts remove: no account named ${safeToEcho(o.name)}`);
      const read = await readCodexAuth(o.codexHome, o.retry);
      // What auth.json holds is stored first: it may be another account's newer tokens.
      if (!healActive(store, read)) applySyncBack(store, read);
      const heldByCodex = read.kind === "ok" && ownerOf(store, read.auth)?.name === o.name;
      store.accounts = store.accounts.filter((a) => a.name !== o.name);
      if (store.active === o.name) store.active = null;
      let switchedTo: string | null = null;
      if (heldByCodex && read.kind === "ok") {
        const choice = chooseSuccessor(store.accounts, { leaving: o.name, now: now(), ...(o.rotateAtRemainingPercent !== undefined ? { rotateAtRemainingPercent: o.rotateAtRemainingPercent } : {}) });
        // Any enabled account beats a login the store no longer knows, even one near its limit.
        const next = choice.none ? store.accounts.find((a) => a.enabled) : choice.account;
        if (next) {
          writeCodexAuth(o.codexHome, next.auth, () => guard.assertHeld());
          store.active = next.name;
          next.lastUsedAt = new Date(now()).toISOString();
          switchedTo = next.name;
        } else {
          releaseLogin(store, read.auth);
        }
      }
      writeAccounts(o.home, store, guard);
      return { heldByCodex, switchedTo, released: heldByCodex && switchedTo === null };
    },
    o.lock ?? {},
  );
}
