// Adopting a login into the store: `accounts add`, `accounts import` (the login auth.json holds now)
// and `accounts use --force` over a login of no stored account (kept under a generated name rather
// than lost). And the mark `accounts remove` leaves on the login it deleted while auth.json still
// holds it, so a later `accounts use` may replace exactly that login. Pure.
import { identityFromAuth } from "./jwt.js";
import { refreshTokenTag } from "./lineage.js";
import { ACCOUNT_NAME_RE, accountKindOf, type Account, type AccountsFile, type AuthBlob } from "./schema.js";

/** How many removed logins the store remembers. */
const MAX_RELEASED = 16;

function base(auth: AuthBlob): string {
  if (accountKindOf(auth) === "api-key") return "api-key";
  const local = (identityFromAuth(auth).email ?? "").split("@")[0] ?? "";
  const clean = local.replace(/[^A-Za-z0-9._+-]/g, "-").replace(/^[^A-Za-z0-9]+/, "").slice(0, 56);
  return clean === "" ? "chatgpt" : clean;
}

/** A free account name for `auth`: the email's local part ("amy"), or "api-key"; then -2, -3… */
export function nameForLogin(store: AccountsFile, auth: AuthBlob): string {
  const b = base(auth);
  const taken = new Set(store.accounts.map((a) => a.name));
  for (let i = 1; ; i++) {
    const name = i === 1 ? b : `${b}-${i}`;
    if (!taken.has(name) && ACCOUNT_NAME_RE.test(name)) return name;
  }
}

export function newAccount(name: string, auth: AuthBlob, now: Date): Account {
  return { name, kind: accountKindOf(auth), auth, identity: identityFromAuth(auth), usage: {}, enabled: true, addedAt: now.toISOString() };
}

/**
 * The mark of one exact login: its refresh token (ChatGPT) or key. Once codex refreshes a removed
 * login it is a live login again — its new refresh token no longer matches, so it is protected again.
 */
export function loginTag(auth: AuthBlob): string {
  return refreshTokenTag(auth.tokens?.refresh_token ?? `api-key:${auth.OPENAI_API_KEY ?? ""}`);
}

/** Remember that the user removed this login (mutates `store`). */
export function releaseLogin(store: AccountsFile, auth: AuthBlob): void {
  const tag = loginTag(auth);
  store.releasedLogins = [...(store.releasedLogins ?? []).filter((t) => t !== tag), tag].slice(-MAX_RELEASED);
}

/** Is `auth` exactly a login the user removed (so replacing it loses nothing they kept)? */
export function isReleased(store: AccountsFile, auth: AuthBlob): boolean {
  return (store.releasedLogins ?? []).includes(loginTag(auth));
}

/** Add `auth` as a new account (mutates `store`); a release mark of that exact login is dropped. */
export function addAccount(store: AccountsFile, account: Account): void {
  const tag = loginTag(account.auth);
  if (store.releasedLogins?.includes(tag)) store.releasedLogins = store.releasedLogins.filter((t) => t !== tag);
  store.accounts.push(account);
}
