// `<home>/accounts.json`: read (validated) and read-modify-write under the storage lock.
//
// Rules: 0600 file in a 0700 directory; every write is atomic (temp + rename) and happens under the
// lock with guard.assertHeld() right before it; a file we cannot read, parse, validate or whose
// schemaVersion is newer than ours is an AccountsStoreError naming the file — and because every write
// starts with a successful read, such a file is never overwritten. Commands that do not need the store
// never open it. No message here ever contains a secret (JSON.parse messages can quote the text, so
// they are not passed through).
//
// Heal: a locked update told where CODEX_HOME is first makes the store's `active` follow the owner
// of auth.json (codex-auth.ts healActive): a writer killed between activate's rename of auth.json and
// its store write leaves them disagreeing, and the next locked operation repairs it.
import { DomainError } from "../errors.js";
import { ensureDir, writeFileAtomic } from "../fs/atomic.js";
import { readTextNoFollow } from "../fs/nofollow.js";
import { assertTrustedHome } from "../fs/trust.js";
import { withStorageLock, type LockGuard, type StorageLockOptions } from "../lock/storage-lock.js";
import { accountsFile } from "../paths.js";
import { healActive, readCodexAuth } from "./codex-auth.js";
import { sameJson } from "./owner.js";
import { AccountsFileSchema, describeIssues, emptyAccountsFile, STORE_SCHEMA_VERSION, type Account, type AccountsFile } from "./schema.js";

/** The store cannot be used as it is: the user has to look at the named file. */
export class AccountsStoreError extends DomainError {
  constructor(readonly file: string, detail: string) {
    super("accounts-store-invalid", `accounts store ${file}: ${detail}; it was left untouched`);
    this.name = "AccountsStoreError";
  }
}

/** Where in the text JSON.parse gave up, without quoting the text (it may hold a token). */
function jsonErrorWhere(err: unknown, raw: string): string {
  if (raw.trim().length === 0) return "the file is empty";
  const m = /position (\d+)/.exec(err instanceof Error ? err.message : "");
  if (!m) return "not valid JSON";
  const pos = Number(m[1]);
  const before = raw.slice(0, pos);
  const line = before.split("\n").length;
  const col = pos - before.lastIndexOf("\n");
  return `not valid JSON (line ${line}, column ${col})`;
}

/** Parse and validate the store's text; throws AccountsStoreError naming `file`. */
function parseAccountsText(file: string, raw: string): AccountsFile {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (err) {
    throw new AccountsStoreError(file, jsonErrorWhere(err, raw));
  }
  if (typeof value === "object" && value !== null && !Array.isArray(value)) {
    const v = (value as Record<string, unknown>).schemaVersion;
    if (typeof v === "number" && Number.isInteger(v) && v > STORE_SCHEMA_VERSION) {
      throw new AccountsStoreError(
        file,
        `schemaVersion ${v} is newer than this codex-supervisor understands (${STORE_SCHEMA_VERSION}); upgrade codex-supervisor`,
      );
    }
  }
  const r = AccountsFileSchema.safeParse(value);
  if (!r.success) throw new AccountsStoreError(file, `invalid: ${describeIssues(r.error)}`);
  return r.data;
}

/** The store as it is on disk; a missing file is an empty store. */
export function readAccounts(home: string): AccountsFile {
  assertTrustedHome(home); // a store in someone else's directory is never read (lib/fs/trust.ts)
  const file = accountsFile(home);
  let raw: string | null;
  try {
    raw = readTextNoFollow(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new AccountsStoreError(file, `cannot be read (${code ?? (err as Error).message})`);
  }
  if (raw === null) return emptyAccountsFile();
  return parseAccountsText(file, raw);
}

function serializeAccounts(store: AccountsFile): string {
  return `${JSON.stringify(store, null, 2)}\n`;
}

/** Validate and write the whole store. Only under the lock: `guard` is checked right before the write. */
export function writeAccounts(home: string, store: AccountsFile, guard: LockGuard): void {
  const file = accountsFile(home);
  const r = AccountsFileSchema.safeParse(store);
  // A bug of ours, not the user's: refuse to persist something we could not read back.
  if (!r.success) throw new Error(`refusing to write an invalid accounts store to ${file}: ${describeIssues(r.error)}`);
  ensureDir(home, 0o700);
  const text = serializeAccounts({ ...r.data, schemaVersion: STORE_SCHEMA_VERSION });
  guard.assertHeld();
  writeFileAtomic(file, text, { mode: 0o600 });
}

export interface UpdateOptions {
  /**
   * CODEX_HOME: heal `active` from auth.json's owner before `fn` runs (one read, no retry: a file
   * codex is rewriting right now belongs to the account it already belonged to, so nothing is lost by
   * leaving the heal to the next operation). Absent: no heal.
   */
  codexHome?: string;
}

/**
 * Read-modify-write under the storage lock. `fn` mutates `draft` (a private copy) and returns a value;
 * the store is written only when `draft` changed (by `fn` or the heal) and `fn` did not throw.
 */
export async function updateAccounts<T>(
  home: string,
  fn: (draft: AccountsFile, guard: LockGuard) => T | Promise<T>,
  lock: StorageLockOptions = {},
  opts: UpdateOptions = {},
): Promise<T> {
  return withStorageLock(
    home,
    async (guard) => {
      const before = readAccounts(home);
      const draft = structuredClone(before);
      if (opts.codexHome !== undefined && draft.accounts.length > 0) healActive(draft, await readCodexAuth(opts.codexHome, { attempts: 1 }));
      const result = await fn(draft, guard);
      if (!sameJson(before, draft)) writeAccounts(home, draft, guard);
      return result;
    },
    lock,
  );
}

export function findAccount(store: AccountsFile, name: string): Account | undefined {
  return store.accounts.find((a) => a.name === name);
}
