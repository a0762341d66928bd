// `accounts import [<name>]`: adopt the login CODEX_HOME/auth.json holds now ("I am logged in, make
// this my first account"), under the storage lock. It becomes the active account: it is what codex uses.
import { DomainError, UsageError } from "../errors.js";
import { withStorageLock, type StorageLockOptions } from "../lock/storage-lock.js";
import { addAccount, nameForLogin, newAccount } from "./adopt.js";
import { applySyncBack, codexAuthFile, healActive, ownerOf, readCodexAuth, type ReadRetry } from "./codex-auth.js";
import type { Account } from "./schema.js";
import { findAccount, readAccounts, writeAccounts } from "./store.js";

interface ImportOptions {
  home: string;
  codexHome: string;
  /** Absent: from the email ("amy") or "api-key", made unique. */
  name?: string;
  lock?: StorageLockOptions;
  retry?: ReadRetry;
  now?: () => number;
}

type ImportResult = { status: "imported"; account: Account } | { status: "already"; account: Account };

export async function importLogin(o: ImportOptions): Promise<ImportResult> {
  const now = o.now ?? Date.now;
  return withStorageLock(
    o.home,
    async (guard) => {
      const store = readAccounts(o.home);
      const read = await readCodexAuth(o.codexHome, o.retry);
      const file = codexAuthFile(o.codexHome);
      if (read.kind === "missing") throw new DomainError("no-login", `accounts import: ${file} does not exist: log in with \`codex login\` first, or add an account with \`codex-supervisor accounts add <name>\``);
      if (read.kind === "unreadable") throw new DomainError("unreadable-login", `accounts import: ${read.reason}`);
      const healed = healActive(store, read);
      const owner = ownerOf(store, read.auth);
      if (owner) {
        // Stored already: keep whichever copy is newer, and say which account it is.
        const sync = healed ? healed.sync : applySyncBack(store, read);
        if (healed || sync.status === "synced") writeAccounts(o.home, store, guard);
        return { status: "already", account: owner };
      }
      if (o.name !== undefined && findAccount(store, o.name)) throw new UsageError(`accounts import: an account named '${o.name}' already exists`);
      const account = newAccount(o.name ?? nameForLogin(store, read.auth), read.auth, new Date(now()));
      account.lastUsedAt = account.addedAt;
      addAccount(store, account);
      store.active = account.name;
      writeAccounts(o.home, store, guard);
      return { status: "imported", account };
    },
    o.lock ?? {},
  );
}
