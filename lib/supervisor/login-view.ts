// The loop's view of the login in CODEX_HOME/auth.json (state.ts LoginView), from the accounts
// side's Login (accounts/login-info.ts): which stored account owns it, and a fingerprint that changes
// with the account, not with a token refresh. Never a token.
import { isReleased } from "../accounts/adopt.js";
import { ownerOf, readCodexAuth } from "../accounts/codex-auth.js";
import { loginFingerprint, type Login } from "../accounts/login-info.js";
import type { AccountsFile } from "../accounts/schema.js";
import type { LoginView } from "./state.js";

export function viewOf(login: Login): LoginView {
  if (login.kind === "missing" || login.kind === "unreadable") return { kind: login.kind, owner: null, key: null };
  return { kind: "ok", owner: login.account, key: login.fingerprint, released: login.released };
}

/** Read auth.json now (retrying a half-written file) and name its owner in `store`. */
export async function readLoginView(codexHome: string, store: AccountsFile | null): Promise<LoginView> {
  const read = await readCodexAuth(codexHome);
  if (read.kind !== "ok") return { kind: read.kind, owner: null, key: null };
  const owner = store ? (ownerOf(store, read.auth)?.name ?? null) : null;
  return { kind: "ok", owner, key: loginFingerprint(read.auth), released: owner === null && store !== null && isReleased(store, read.auth) };
}
