// Putting an account into CODEX_HOME/auth.json, and bringing back what codex wrote there.
//
// Codex refreshes ChatGPT tokens itself and rewrites auth.json in place (truncate + write, not an
// atomic rename). A refresh token is single-use: once codex has refreshed, the copy in our store is
// dead and the only live one is in auth.json. So before anything replaces auth.json — and after every
// child exit — we "sync back": read auth.json (retrying while it is half-written, never storing a
// partial file) and store it for the account that owns it. Ownership is checked (same account id /
// user, or same API key): a login that belongs to nobody we know is never copied over an account.
//
// Order inside activate (one lock hold): sync back and persist the store first, then replace
// auth.json, then mark the new account active. A crash between steps loses no token: the store
// already has what auth.json held before it was replaced. A crash between the last two leaves the
// store naming the previous account: the next locked operation heals that (codex-auth.ts healActive).
//
// An auth.json we cannot read (permissions, still half-written after the retries, not an auth.json)
// may hold the only copy of a refresh token, so activate refuses to replace it (UnreadableLoginError)
// unless forced — the same `--force` that replaces a login of no stored account.
import { DomainError, UsageError } from "../errors.js";
import { safeToEcho } from "../text/user-text.js";
import { writeFileAtomic } from "../fs/atomic.js";
import { ensureCodexHome } from "../fs/trust.js";
import { withStorageLock, type StorageLockOptions } from "../lock/storage-lock.js";
import { applySyncBack, codexAuthFile, healActive, readCodexAuth, type ReadRetry, type SyncBackResult } from "./codex-auth.js";
import type { AuthBlob } from "./schema.js";
import { findAccount, readAccounts, writeAccounts } from "./store.js";

// The reading and sync rules live in codex-auth.ts; these names are what callers import from here.
export {
  applySyncBack,
  codexAuthFile,
  describeSync,
  healActive,
  ownerOf,
  readCodexAuth,
  type CodexAuthRead,
  type Healed,
  type ReadRetry,
  type SyncBackResult,
} from "./codex-auth.js";

export interface AuthPlaces {
  /** Our storage home (accounts.json, the lock). */
  home: string;
  /** Codex's home (auth.json). */
  codexHome: string;
  lock?: StorageLockOptions;
  retry?: ReadRetry;
}

/**
 * Sync back under the lock (after a child exits), and heal `active` when auth.json belongs to another
 * stored account than the store says. Writes the store only when something changed.
 */
export async function syncBack(places: AuthPlaces): Promise<SyncBackResult> {
  return withStorageLock(
    places.home,
    async (guard) => {
      const store = readAccounts(places.home);
      const read = await readCodexAuth(places.codexHome, places.retry);
      const healed = healActive(store, read);
      const result = healed ? healed.sync : applySyncBack(store, read);
      if (healed || result.status === "synced") writeAccounts(places.home, store, guard);
      return result;
    },
    places.lock ?? {},
  );
}

/** CODEX_HOME/auth.json holds a login we do not know; replacing it would lose it. */
export class ForeignLoginError extends DomainError {
  constructor(file: string, email: string | null) {
    super(
      "foreign-login",
      `${file} holds a login that is not in the accounts store${email ? ` (${email})` : ""}; ` +
        "add it first (`codex-supervisor accounts add <name> --from-file <that file>`) or pass --force to replace it",
    );
    this.name = "ForeignLoginError";
  }
}

/**
 * CODEX_HOME/auth.json exists but could not be read (permissions, still half-written, not an
 * auth.json): it may hold the only copy of a refresh token, so it is not replaced. A fault of the
 * environment, not of the command line — fix the file (or wait for codex) and retry.
 */
export class UnreadableLoginError extends DomainError {
  constructor(readonly reason: string) {
    super(
      "unreadable-login",
      `not switching accounts: ${reason}. It may hold the only copy of a refresh token, so it was left as it is; ` +
        "fix it (its permissions, or wait until codex has finished writing it) and retry, or pass --force to replace it anyway (the login it holds is then lost)",
    );
    this.name = "UnreadableLoginError";
  }
}

export interface ActivateOptions extends AuthPlaces {
  name: string;
  /** Replace an auth.json that belongs to no stored account (default false: ForeignLoginError). */
  overwriteForeign?: boolean;
  /** Replace an auth.json that cannot be read (default false: UnreadableLoginError). */
  overwriteUnreadable?: boolean;
  now?: () => number;
}

export interface ActivateResult {
  previous: string | null;
  account: string;
  sync: SyncBackResult;
}

/**
 * Write `auth` as CODEX_HOME/auth.json: temp file + rename, 0600. CODEX_HOME must be the user's; the
 * default one is created (0700) if missing, one named by CODEX_HOME must exist (ensureCodexHome).
 */
function writeCodexAuth(codexHome: string, auth: AuthBlob, beforeRename: () => void): void {
  ensureCodexHome(codexHome);
  const text = JSON.stringify(auth, null, 2);
  beforeRename();
  writeFileAtomic(codexAuthFile(codexHome), text, { mode: 0o600 });
}

/**
 * Make `name` the active account: sync back what codex wrote for the current one, then put `name`'s
 * credentials into CODEX_HOME/auth.json and mark it active — all under one hold of the storage lock.
 * Unknown or disabled account: UsageError, nothing changed.
 */
export async function activate(opts: ActivateOptions): Promise<ActivateResult> {
  const now = opts.now ?? Date.now;
  return withStorageLock(
    opts.home,
    async (guard) => {
      const store = readAccounts(opts.home);
      const target = findAccount(store, opts.name);
      if (!target) throw new UsageError(`no account named ${safeToEcho(opts.name)} (see \`codex-supervisor accounts list\`)`);
      if (!target.enabled) throw new UsageError(`account '${opts.name}' is disabled; enable it first (\`codex-supervisor accounts enable ${opts.name}\`)`);

      const read = await readCodexAuth(opts.codexHome, opts.retry);
      // A switch interrupted earlier left `active` behind auth.json: the account auth.json holds is
      // the one being left.
      const healed = healActive(store, read);
      const previous = store.active;
      const sync = healed ? healed.sync : applySyncBack(store, read);
      if (sync.status === "foreign" && !opts.overwriteForeign) throw new ForeignLoginError(codexAuthFile(opts.codexHome), sync.email);
      if (sync.status === "unreadable" && !opts.overwriteUnreadable) throw new UnreadableLoginError(sync.reason);
      // Persist what codex refreshed before auth.json is replaced: from here on it is the only copy.
      if (healed || sync.status === "synced") writeAccounts(opts.home, store, guard);

      const chosen = findAccount(store, opts.name)!;
      writeCodexAuth(opts.codexHome, chosen.auth, () => guard.assertHeld());

      store.active = chosen.name;
      chosen.lastUsedAt = new Date(now()).toISOString();
      writeAccounts(opts.home, store, guard);
      return { previous, account: chosen.name, sync };
    },
    opts.lock ?? {},
  );
}

/** The names lib/supervisor/ports.ts calls (same functions). */
export const activateAccount = activate;
export const syncBackActive = syncBack;
