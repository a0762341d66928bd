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
// already has what auth.json held before it was replaced.
import fs from "node:fs";
import path from "node:path";
import { CliError, UsageError } from "../errors.js";
import { writeFileAtomic } from "../fs/atomic.js";
import { withStorageLock, type StorageLockOptions } from "../lock/storage-lock.js";
import { identityFromAuth } from "./jwt.js";
import { ownershipOf, sameJson } from "./owner.js";
import { AuthBlobSchema, accountKindOf, describeIssues, type Account, type AccountsFile, type AuthBlob } from "./schema.js";
import { findAccount, readAccounts, writeAccounts } from "./store.js";

export const codexAuthFile = (codexHome: string) => path.join(codexHome, "auth.json");

export type CodexAuthRead =
  | { kind: "missing" }
  | { kind: "ok"; auth: AuthBlob }
  /** Still half-written after every retry, or complete JSON that is not an auth.json we understand. */
  | { kind: "unreadable"; reason: string };

export interface ReadRetry {
  /** Reads in all (default 8). */
  attempts?: number;
  /** First pause between reads, doubling (default 10 ms; 8 attempts wait ~1.3 s in all). */
  delayMs?: number;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Read CODEX_HOME/auth.json. An empty or unparsable file is what a reader sees while codex is between
 * its truncate and the end of its write, so it is retried with a short backoff. A prefix of a JSON
 * object never parses, so a parsed file is a complete one.
 */
export async function readCodexAuth(codexHome: string, retry: ReadRetry = {}): Promise<CodexAuthRead> {
  const file = codexAuthFile(codexHome);
  const attempts = Math.max(1, retry.attempts ?? 8);
  let delay = retry.delayMs ?? 10;
  let lastReason = "";
  for (let i = 0; i < attempts; i++) {
    if (i > 0) {
      await sleep(delay);
      delay *= 2;
    }
    let raw: string;
    try {
      raw = fs.readFileSync(file, "utf8");
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "ENOENT") return { kind: "missing" };
      return { kind: "unreadable", reason: `${file} cannot be read (${code ?? "error"})` };
    }
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      lastReason = raw.trim().length === 0 ? `${file} is empty` : `${file} is not complete JSON`;
      continue;
    }
    const r = AuthBlobSchema.safeParse(value);
    if (!r.success) return { kind: "unreadable", reason: `${file} is not a usable auth.json: ${describeIssues(r.error)}` };
    return { kind: "ok", auth: r.data };
  }
  return { kind: "unreadable", reason: `${lastReason} after ${attempts} reads (codex may still be writing it)` };
}

export type SyncBackResult =
  | { status: "missing" }
  | { status: "unreadable"; reason: string }
  /** auth.json is exactly what the owner has stored. */
  | { status: "unchanged"; account: string }
  /** Stored into `account`; `active` tells whether it was the active one. */
  | { status: "synced"; account: string; active: boolean }
  /** Belongs to `account` but is older than what is stored (by last_refresh): kept the stored one. */
  | { status: "stale"; account: string }
  /** Belongs to no stored account: nothing was changed. */
  | { status: "foreign"; email: string | null };

function refreshedAt(a: AuthBlob): number | null {
  if (typeof a.last_refresh !== "string") return null;
  const t = Date.parse(a.last_refresh);
  return Number.isFinite(t) ? t : null;
}

/** The stored account that owns `auth`: the active one first, else the first other that matches. */
export function ownerOf(store: AccountsFile, auth: AuthBlob): Account | null {
  const active = store.active !== null ? findAccount(store, store.active) : undefined;
  if (active && ownershipOf(auth, active.auth) === "same") return active;
  return store.accounts.find((a) => a !== active && ownershipOf(auth, a.auth) === "same") ?? null;
}

/** Apply a read of auth.json to `store` (mutated in place). No I/O. */
export function applySyncBack(store: AccountsFile, read: CodexAuthRead): SyncBackResult {
  if (read.kind === "missing") return { status: "missing" };
  if (read.kind === "unreadable") return { status: "unreadable", reason: read.reason };
  const owner = ownerOf(store, read.auth);
  if (!owner) return { status: "foreign", email: identityFromAuth(read.auth).email ?? null };
  if (sameJson(owner.auth, read.auth)) return { status: "unchanged", account: owner.name };
  const theirs = refreshedAt(read.auth);
  const ours = refreshedAt(owner.auth);
  if (theirs !== null && ours !== null && theirs < ours) return { status: "stale", account: owner.name };
  owner.auth = read.auth;
  owner.kind = accountKindOf(read.auth);
  // A refresh can bring a new id_token (e.g. a plan change): keep the labels current.
  owner.identity = { ...owner.identity, ...identityFromAuth(read.auth) };
  return { status: "synced", account: owner.name, active: owner.name === store.active };
}

export interface AuthPlaces {
  /** Our storage home (accounts.json, the lock). */
  home: string;
  /** Codex's home (auth.json). */
  codexHome: string;
  lock?: StorageLockOptions;
  retry?: ReadRetry;
}

/** One line for logs and notices; never a token. */
export function describeSync(r: SyncBackResult): string {
  switch (r.status) {
    case "missing":
      return "no auth.json to sync back";
    case "unreadable":
      return `not synced back: ${r.reason}`;
    case "unchanged":
      return `auth.json unchanged for '${r.account}'`;
    case "synced":
      return `synced refreshed credentials back into '${r.account}'${r.active ? "" : " (it was not the active account)"}`;
    case "stale":
      return `auth.json holds older credentials of '${r.account}' than the store; kept the stored ones`;
    case "foreign":
      return `auth.json belongs to a login that is not in the accounts store${r.email ? ` (${r.email})` : ""}; left as it is`;
  }
}

/** Sync back under the lock (after a child exits). Writes the store only when something changed. */
export async function syncBack(places: AuthPlaces): Promise<SyncBackResult> {
  return withStorageLock(
    places.home,
    async (guard) => {
      const store = readAccounts(places.home);
      const read = await readCodexAuth(places.codexHome, places.retry);
      const result = applySyncBack(store, read);
      if (result.status === "synced") writeAccounts(places.home, store, guard);
      return result;
    },
    places.lock ?? {},
  );
}

/** CODEX_HOME/auth.json holds a login we do not know; replacing it would lose it. */
export class ForeignLoginError extends CliError {
  constructor(file: string, email: string | null) {
    super(
      `${file} holds a login that is not in the accounts store${email ? ` (${email})` : ""}; ` +
        "add it first (`codex-supervisor accounts add <name> --from-file <that file>`) or pass --force to replace it",
      2,
    );
    this.name = "ForeignLoginError";
  }
}

export interface ActivateOptions extends AuthPlaces {
  name: string;
  /** Replace an auth.json that belongs to no stored account (default false: ForeignLoginError). */
  overwriteForeign?: boolean;
  now?: () => number;
}

export interface ActivateResult {
  previous: string | null;
  account: string;
  sync: SyncBackResult;
}

/** Write `auth` as CODEX_HOME/auth.json: temp file + rename, 0600. Creates CODEX_HOME (0700) if missing. */
function writeCodexAuth(codexHome: string, auth: AuthBlob, beforeRename: () => void): void {
  fs.mkdirSync(codexHome, { recursive: true, mode: 0o700 });
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
      if (!target) throw new UsageError(`no account named '${opts.name}' (see \`codex-supervisor accounts list\`)`);
      if (!target.enabled) throw new UsageError(`account '${opts.name}' is disabled; enable it first (\`codex-supervisor accounts enable ${opts.name}\`)`);
      const previous = store.active;

      const read = await readCodexAuth(opts.codexHome, opts.retry);
      const sync = applySyncBack(store, read);
      if (sync.status === "foreign" && !opts.overwriteForeign) throw new ForeignLoginError(codexAuthFile(opts.codexHome), sync.email);
      // Persist what codex refreshed before auth.json is replaced: from here on it is the only copy.
      if (sync.status === "synced") writeAccounts(opts.home, store, guard);

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
