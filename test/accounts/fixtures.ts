// Test fixtures: fake (unsigned) JWTs and auth.json blobs shaped like the ones codex writes.
// Every secret here carries a recognisable marker so tests can grep output and files for leaks.
import type { Account, AuthBlob } from "../../lib/accounts/schema.js";

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64url");

export function fakeJwt(claims: Record<string, unknown>): string {
  return `${b64({ alg: "RS256", typ: "JWT" })}.${b64(claims)}.${Buffer.from("sig-not-checked").toString("base64url")}`;
}

export function idToken(opts: { email?: string; plan?: string; accountId?: string; userId?: string } = {}): string {
  return fakeJwt({
    iss: "https://auth.openai.com",
    ...(opts.email ? { email: opts.email } : {}),
    "https://api.openai.com/auth": {
      ...(opts.plan ? { chatgpt_plan_type: opts.plan } : {}),
      ...(opts.accountId ? { chatgpt_account_id: opts.accountId } : {}),
      ...(opts.userId ? { chatgpt_user_id: opts.userId } : {}),
    },
  });
}

/** A ChatGPT auth.json; `gen` makes distinct token generations (as after a refresh). */
export function chatgptAuth(who: string, gen = 1, extra: { plan?: string } = {}): AuthBlob {
  return {
    auth_mode: "chatgpt",
    OPENAI_API_KEY: null,
    tokens: {
      id_token: idToken({ email: `${who}@example.com`, plan: extra.plan ?? "plus", accountId: `acct-${who}`, userId: `user-${who}` }),
      access_token: `SECRET-ACCESS-${who}-${gen}`,
      refresh_token: `SECRET-REFRESH-${who}-${gen}`,
      account_id: `acct-${who}`,
    },
    last_refresh: new Date(Date.UTC(2025, 0, gen)).toISOString(),
  };
}

export function apiKeyAuth(who: string): AuthBlob {
  return { auth_mode: "apikey", OPENAI_API_KEY: `sk-SECRET-KEY-${who}` };
}

export function account(name: string, p: Partial<Account> = {}): Account {
  return {
    name,
    kind: "api-key",
    auth: apiKeyAuth(name),
    identity: {},
    usage: {},
    enabled: true,
    addedAt: "2025-01-01T00:00:00.000Z",
    ...p,
  };
}

/** Substrings that must never appear outside accounts.json and CODEX_HOME/auth.json. */
export const SECRET_MARKERS = ["SECRET-ACCESS", "SECRET-REFRESH", "SECRET-KEY", Buffer.from("sig-not-checked").toString("base64url")];
