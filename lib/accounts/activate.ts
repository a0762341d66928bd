// Putting an account into CODEX_HOME/auth.json, and bringing back what codex wrote there.
//
// Codex refreshes ChatGPT tokens itself and replaces auth.json with the new ones. A refresh token is
// single-use: once codex has refreshed, the copy in our store is dead and the only live one is in
// auth.json. So before anything replaces auth.json — and after every child exit — we "sync back":
// read auth.json (retrying while it is half-written, never storing a partial file) and store it for
// the account that owns it, if it is the newer copy (lineage.ts). Ownership is checked (same account
// id / user, or same API key): a login that belongs to nobody we know is never copied over an account.
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
import { quarantineCorrupt } from "../fs/atomic.js";
import { withStorageLock, type StorageLockOptions } from "../lock/storage-lock.js";
import { addAccount, isReleased, loginTag, nameForLogin, newAccount } from "./adopt.js";
import { applySyncBack, codexAuthFile, healActive, ownerOf, readCodexAuth, writeCodexAuth, type CodexAuthRead, type ReadRetry, type SyncBackResult } from "./codex-auth.js";
import type { AccountsFile } from "./schema.js";
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

interface AuthPlaces {
  /** Our storage home (accounts.json, the lock). */
  home: string;
  /** Codex's home (auth.json). */
  codexHome: string;
  lock?: StorageLockOptions;
  retry?: ReadRetry;
}

interface SyncedLogin {
  sync: SyncBackResult;
  /** What auth.json held. */
  read: CodexAuthRead;
  /** The store after the sync (as written, when it was). */
  store: AccountsFile;
}

/**
 * Sync back under the lock: store what auth.json holds under its owner (if newer), and heal `active`
 * when auth.json belongs to another stored account than the store says. Writes the store only when
 * something changed.
 */
export async function syncLogin(places: AuthPlaces): Promise<SyncedLogin> {
  return withStorageLock(
    places.home,
    async (guard) => {
      const store = readAccounts(places.home);
      const read = await readCodexAuth(places.codexHome, places.retry);
      const healed = healActive(store, read);
      const sync = healed ? healed.sync : applySyncBack(store, read);
      if (healed || sync.status === "synced") writeAccounts(places.home, store, guard);
      return { sync, read, store };
    },
    places.lock ?? {},
  );
}

/** `syncLogin`'s result alone (after a child exits, before a rotation). */
export async function syncBack(places: AuthPlaces): Promise<SyncBackResult> {
  return (await syncLogin(places)).sync;
}

/** CODEX_HOME/auth.json holds a login we do not know; replacing it would lose it. */
export class ForeignLoginError extends DomainError {
  constructor(file: string, email: string | null) {
    super(
      "foreign-login",
      `${file} holds a login that is not in the accounts store${email ? ` (${email})` : ""}; ` +
        "keep it as an account first (`codex-supervisor accounts import [<name>]`), or pass --force (it is then kept under a generated name)",
    );
    this.name = "ForeignLoginError";
  }
}

/**
 * CODEX_HOME/auth.json exists but could not be read (permissions, still half-written, not an
 * auth.json): it may hold the only copy of a refresh token, so it is not replaced. Exit 1: a fault of
 * the environment, not of the command line — fix the file (or wait for codex) and retry.
 */
export class UnreadableLoginError extends DomainError {
  constructor(readonly reason: string) {
    super(
      "unreadable-login",
      `not switching accounts: ${reason}. It may hold the only copy of a refresh token, so it was left as it is; ` +
        "fix it (its permissions, or wait until codex has finished writing it) and retry, or pass --force to replace it anyway (the file is then moved aside, next to it)",
    );
    this.name = "UnreadableLoginError";
  }
}

interface ActivateOptions extends AuthPlaces {
  name: string;
  /**
   * Replace an auth.json that belongs to no stored account (default false: ForeignLoginError). Its
   * login is kept first, as a new (disabled) account under a generated name (`imported`).
   */
  overwriteForeign?: boolean;
  /** Replace an auth.json that cannot be read (default false: UnreadableLoginError); it is moved aside first (`keptAside`). */
  overwriteUnreadable?: boolean;
  now?: () => number;
}

interface ActivateResult {
  previous: string | null;
  account: string;
  sync: SyncBackResult;
  /** The account a foreign login in auth.json was kept as before it was replaced (only with overwriteForeign). */
  imported: string | null;
  /** Where an unreadable auth.json was moved before it was replaced (only with overwriteUnreadable). */
  keptAside: string | null;
}

/**
 * Make `name` the active account: store what auth.json holds under its owner, then put `name`'s
 * credentials into CODEX_HOME/auth.json and mark it active — all under one hold of the storage lock.
 * A login of no stored account is replaced only when forced (and then kept as an account first) or
 * when it is exactly the login `accounts remove` deleted. Unknown or disabled account: UsageError,
 * nothing changed.
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
      let imported: string | null = null;
      let keptAside: string | null = null;
      if (sync.status === "foreign" && read.kind === "ok" && !isReleased(store, read.auth)) {
        if (!opts.overwriteForeign) throw new ForeignLoginError(codexAuthFile(opts.codexHome), sync.email);
        // Kept, not put to use: rotation moves to it only once the user enables it.
        imported = nameForLogin(store, read.auth);
        addAccount(store, { ...newAccount(imported, read.auth, new Date(now())), enabled: false });
      }
      if (sync.status === "unreadable") {
        if (!opts.overwriteUnreadable) throw new UnreadableLoginError(sync.reason);
        guard.assertHeld();
        keptAside = quarantineCorrupt(codexAuthFile(opts.codexHome), new Date(now()));
      }
      // Persist what auth.json held before it is replaced: from here on the store has the only copy.
      if (healed || sync.status === "synced" || imported !== null) writeAccounts(opts.home, store, guard);

      const chosen = findAccount(store, opts.name)!;
      // auth.json already holds this account's login: codex's copy stays (every running codex has
      // adopted it), unless it holds a refresh token the stored login provably replaced.
      const holdsChosen = read.kind === "ok" && ownerOf(store, read.auth) === chosen;
      if (!holdsChosen || (sync.status === "stale" && sync.proof === "lineage")) {
        writeCodexAuth(opts.codexHome, chosen.auth, () => guard.assertHeld());
        if (read.kind === "ok" && store.releasedLogins) store.releasedLogins = store.releasedLogins.filter((t) => t !== loginTag(read.auth));
      }

      store.active = chosen.name;
      chosen.lastUsedAt = new Date(now()).toISOString();
      writeAccounts(opts.home, store, guard);
      return { previous, account: chosen.name, sync, imported, keptAside };
    },
    opts.lock ?? {},
  );
}
