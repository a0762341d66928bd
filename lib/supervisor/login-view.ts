// What CODEX_HOME/auth.json holds, as the loop sees it: which stored account owns it and a key that
// names the login (changes with the account, not with a token refresh). Never a token: the key of an
// API-key login is a short hash of the key.
import crypto from "node:crypto";
import fs from "node:fs";
import { ownerOf, readCodexAuth } from "../accounts/codex-auth.js";
import { identityFromAuth } from "../accounts/jwt.js";
import { accountKindOf, type AccountsFile, type AuthBlob } from "../accounts/schema.js";
import type { LoginView } from "./state.js";

/** The name of a login: account + user for ChatGPT, a hash of the key for API keys. */
export function loginKey(auth: AuthBlob): string {
  if (accountKindOf(auth) === "api-key") {
    return `api:${crypto.createHash("sha256").update(auth.OPENAI_API_KEY ?? "").digest("hex").slice(0, 16)}`;
  }
  const id = identityFromAuth(auth);
  return `chatgpt:${id.accountId ?? "?"}:${id.userId ?? id.email?.toLowerCase() ?? "?"}`;
}

/** Read auth.json now (retrying a half-written file) and name its owner in `store`. */
export async function readLoginView(codexHome: string, store: AccountsFile | null): Promise<LoginView> {
  const read = await readCodexAuth(codexHome);
  if (read.kind !== "ok") return { kind: read.kind, owner: null, key: null };
  const owner = store ? (ownerOf(store, read.auth)?.name ?? null) : null;
  return { kind: "ok", owner, key: loginKey(read.auth) };
}

export interface LoginWatch {
  close(): void;
}

/**
 * Report the login in auth.json each time it changes to another one (by key; a refresh of the same
 * login is not a change). Codex replaces auth.json by rename, so the directory is watched, with a
 * poll as the backstop for file systems whose watch misses events.
 */
export function watchLoginFile(codexHome: string, view: () => Promise<LoginView>, onLogin: (l: LoginView) => void, o: { backstopMs?: number } = {}): LoginWatch {
  let last: string | null = null;
  let closed = false;
  let running = false;
  let again = false;
  const look = async () => {
    if (closed) return;
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      do {
        again = false;
        const v = await view().catch(() => null);
        if (!v || closed) continue;
        // Only a readable login is reported: a missing or half-written file is no login to follow.
        if (v.kind === "ok" && v.key !== last) {
          last = v.key;
          onLogin(v);
        }
      } while (again && !closed);
    } finally {
      running = false;
    }
  };
  let watcher: fs.FSWatcher | null = null;
  try {
    watcher = fs.watch(codexHome, { persistent: false }, (_e, name) => {
      if (name === null || name === "auth.json") void look();
    });
    watcher.on("error", () => {
      watcher?.close();
      watcher = null;
    });
  } catch {
    watcher = null;
  }
  const timer = setInterval(() => void look(), o.backstopMs ?? 1000);
  timer.unref();
  void look();
  return {
    close() {
      closed = true;
      clearInterval(timer);
      watcher?.close();
    },
  };
}
