// What the login in CODEX_HOME/auth.json is, for the supervisor: whose it is, a fingerprint that
// changes when the account changes (not when codex refreshes the same account's tokens), and when
// codex will refresh it on its own. Pure; never carries a token.
import { createHash } from "node:crypto";
import { isReleased } from "./adopt.js";
import { ownerOf, type CodexAuthRead, type SyncBackResult } from "./codex-auth.js";
import { decodeJwtPayload, identityFromAuth } from "./jwt.js";
import { accountKindOf, type AccountsFile, type AuthBlob } from "./schema.js";

/** codex refreshes an access token whose `exp` is this close, before its next request. */
export const CODEX_PROACTIVE_REFRESH_MS = 300_000;

type LoginKind =
  /** A login of a stored account (`account` names it). */
  | "account"
  /** A login of no stored account (made by hand with `codex login`, or of a removed account: `released`). */
  | "foreign"
  | "missing"
  /** auth.json exists but cannot be used (permissions, not an auth.json, still being written). */
  | "unreadable";

export interface Login {
  kind: LoginKind;
  account: string | null;
  /** Same value for every copy of one login; another value for another account, a missing or unreadable file. */
  fingerprint: string;
  /**
   * A foreign login that is exactly the one `accounts remove` deleted: replacing it loses nothing the
   * user kept (`activate` does so without --force).
   */
  released: boolean;
  /** The ChatGPT email, when known (also for a foreign login). */
  email: string | null;
  /** When codex will refresh the access token before its next request (epoch ms), or null (no `exp`). */
  refreshDueAt: number | null;
  /** What storing auth.json's content did (synced new tokens, kept a newer stored copy, …). */
  sync: SyncBackResult;
}

/** The identity of a login, as a short hash: an API key is never shown, not even its prefix. */
export function loginFingerprint(auth: AuthBlob): string {
  let key: string;
  if (accountKindOf(auth) === "api-key") {
    key = `api-key:${auth.OPENAI_API_KEY ?? ""}`;
  } else {
    const id = identityFromAuth(auth);
    key = `chatgpt:${id.accountId ?? ""}:${id.userId ?? id.email?.toLowerCase() ?? ""}`;
  }
  return `login:${createHash("sha256").update(key).digest("hex").slice(0, 16)}`;
}

/** When codex refreshes this login by itself (its access token's `exp` minus 300 s), or null. */
export function refreshDueAt(auth: AuthBlob): number | null {
  const exp = decodeJwtPayload(auth.tokens?.access_token)?.exp;
  return typeof exp === "number" && Number.isFinite(exp) ? exp * 1000 - CODEX_PROACTIVE_REFRESH_MS : null;
}

/** Describe what `read` (auth.json) holds against the store, after `sync` stored it. */
export function describeLogin(store: AccountsFile, read: CodexAuthRead, sync: SyncBackResult): Login {
  if (read.kind === "missing") return { kind: "missing", account: null, fingerprint: "missing", released: false, email: null, refreshDueAt: null, sync };
  if (read.kind === "unreadable") return { kind: "unreadable", account: null, fingerprint: "unreadable", released: false, email: null, refreshDueAt: null, sync };
  const owner = ownerOf(store, read.auth);
  return {
    kind: owner ? "account" : "foreign",
    account: owner?.name ?? null,
    fingerprint: loginFingerprint(read.auth),
    released: !owner && isReleased(store, read.auth),
    email: identityFromAuth(read.auth).email ?? null,
    refreshDueAt: refreshDueAt(read.auth),
    sync,
  };
}
