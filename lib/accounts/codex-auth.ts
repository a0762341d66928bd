// Reading CODEX_HOME/auth.json and the pure rules that apply what it holds to the store: sync-back
// (store what codex refreshed, under the account that truly owns it, if it is the newer copy —
// lineage.ts) and the active-account heal. No store I/O here, so both store.ts (the heal inside every
// locked update) and activate.ts can use it.
//
// The pinned codex replaces auth.json by rename after a refresh (test/testbed/chatgpt-refresh.test.ts);
// other writers (older codex, editors, tools) may truncate and rewrite it in place, so a reader may
// see it empty or half-written: the reader retries.
import fs from "node:fs";
import path from "node:path";
import { writeFileAtomic } from "../fs/atomic.js";
import { ensureCodexHome } from "../fs/trust.js";
import { identityFromAuth } from "./jwt.js";
import { newerLogin, storeLogin, type OrderProof } from "./lineage.js";
import { ownershipOf, sameJson } from "./owner.js";
import { AuthBlobSchema, describeIssues, type Account, type AccountsFile, type AuthBlob } from "./schema.js";

export const codexAuthFile = (codexHome: string) => path.join(codexHome, "auth.json");

/**
 * Write `auth` as CODEX_HOME/auth.json: temp file + rename, 0600 (as codex does). CODEX_HOME must be
 * the user's; the default one is created (0700) if missing, one named by CODEX_HOME must exist
 * (ensureCodexHome). `beforeRename` is the lock guard's check.
 */
export function writeCodexAuth(codexHome: string, auth: AuthBlob, beforeRename: () => void): void {
  ensureCodexHome(codexHome);
  const text = JSON.stringify(auth, null, 2);
  beforeRename();
  writeFileAtomic(codexAuthFile(codexHome), text, { mode: 0o600 });
}

export type CodexAuthRead =
  | { kind: "missing" }
  | { kind: "ok"; auth: AuthBlob }
  /** Cannot be read (permissions…), still half-written after every retry, or complete JSON that is not an auth.json we understand. */
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
  /** Belongs to `account` but is older than what is stored (`proof`: how we know): kept the stored one. */
  | { status: "stale"; account: string; proof: OrderProof }
  /** Belongs to no stored account: nothing was changed. */
  | { status: "foreign"; email: string | null };

/** The stored account that owns `auth`: the active one first, else the first other that matches. */
export function ownerOf(store: AccountsFile, auth: AuthBlob): Account | null {
  const active = store.active !== null ? store.accounts.find((a) => a.name === store.active) : undefined;
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
  const order = newerLogin(read.auth, owner.auth, owner.supersededRefreshTokens ?? []);
  if (order.newer === "stored") return { status: "stale", account: owner.name, proof: order.proof };
  storeLogin(owner, read.auth);
  return { status: "synced", account: owner.name, active: owner.name === store.active };
}

/** What the heal did: `from` was the store's active account, `to` is the owner of auth.json. */
export interface Healed {
  from: string | null;
  to: string;
  sync: SyncBackResult;
}

/**
 * auth.json is what codex actually uses, so it decides which account is active. The two can disagree
 * only after a writer died between renaming auth.json and writing the store (two files cannot be
 * replaced in one atomic step); then the store follows auth.json — its owner becomes `active`, with
 * its tokens synced back first. Only a login of a stored account counts: a foreign, missing or
 * unreadable auth.json changes nothing. Mutates `store`; null when nothing was healed. No I/O.
 */
export function healActive(store: AccountsFile, read: CodexAuthRead): Healed | null {
  if (read.kind !== "ok") return null;
  const owner = ownerOf(store, read.auth);
  if (!owner || owner.name === store.active) return null;
  const from = store.active;
  const sync = applySyncBack(store, read);
  store.active = owner.name;
  return { from, to: owner.name, sync: sync.status === "synced" ? { ...sync, active: true } : sync };
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
      return `auth.json holds older credentials of '${r.account}' than the store (${STALE_WHY[r.proof]}); kept the stored ones`;
    case "foreign":
      return `auth.json belongs to a login that is not in the accounts store${r.email ? ` (${r.email})` : ""}; left as it is`;
  }
}

const STALE_WHY: Record<OrderProof, string> = {
  lineage: "its refresh token was already replaced",
  "issued-at": "its access token was issued earlier",
  "last-refresh": "it was refreshed earlier",
  default: "no newer evidence",
};
