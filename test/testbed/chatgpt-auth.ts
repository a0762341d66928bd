// The ChatGPT side of the test bed: throw-away accounts whose logins are JWT-shaped like the real
// ones (unsigned, `alg: none`), and an authority that plays auth.openai.com's token endpoint and the
// backend's `wham/accounts/check` for the real codex, offline.
//
// Token endpoint rules, as the real one behaves: every refresh rotates the refresh token (the old one
// is consumed); a consumed refresh token presented again is answered 401 `refresh_token_reused` and —
// like the real endpoint — revokes the whole login family (its current refresh token then gets 401
// `refresh_token_invalidated`, its access tokens 401 on model calls). Every token request is recorded,
// and every model call's access token is attributed to an account, login family and generation.
// `rejectStaleAccessTokens` makes a refreshed login's older access tokens fail model calls (401),
// standing for their expiry hours later in real use.
import { randomBytes } from "node:crypto";
import type { AuthBlob } from "../../lib/accounts/schema.js";

const AUTH_CLAIM = "https://api.openai.com/auth";
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64url");

/**
 * A JWT with `alg: none`. Its third part is not empty: the pinned codex takes an id_token with an empty
 * signature part for no JWT at all and then sends no Authorization (pinned in chatgpt-refresh.test.ts).
 */
export function unsignedJwt(claims: Record<string, unknown>, signature = UNSIGNED): string {
  return `${b64({ alg: "none", typ: "JWT" })}.${b64(claims)}.${signature}`;
}
const UNSIGNED = Buffer.from("test-bed-unsigned").toString("base64url");

export interface ChatgptAccountSpec {
  /** Our label for the account (not a claim). */
  name: string;
  email?: string;
  plan?: string;
  accountId?: string;
  userId?: string;
  /** Lifetime of the access tokens a refresh issues (default 10 days: no refresh loop). */
  refreshedAccessTtlSec?: number;
}

export interface TestAccount {
  name: string;
  email: string;
  plan: string;
  accountId: string;
  userId: string;
  refreshedAccessTtlSec: number;
}

/** One login of an account: the chain of tokens that starts with a login and goes on by refreshes. */
interface Family {
  id: number;
  account: TestAccount;
  /** Refresh tokens in issue order; the last one is the live one unless revoked. */
  refreshTokens: string[];
  /** Access tokens in issue order (index = generation). */
  accessTokens: string[];
  revoked: boolean;
}

export type TokenOutcome = "refreshed" | "reused" | "revoked" | "unknown" | "bad-request";

export interface TokenRequest {
  seq: number;
  at: number;
  grantType: unknown;
  refreshReason: unknown;
  clientId: unknown;
  /** The refresh token presented (null when the body had none). */
  refreshToken: string | null;
  outcome: TokenOutcome;
  /** The account whose token it was, when known. */
  account: string | null;
  family: number | null;
  /** For "refreshed": the generation of the new tokens (1 = first refresh). */
  generation: number | null;
  status: number;
}

export interface ModelAuth {
  seq: number;
  accessToken: string | null;
  /** ChatGPT-Account-ID header. */
  accountHeader: string | null;
  /** The account the access token was issued to; null for a token we never issued (API key...). */
  account: string | null;
  family: number | null;
  generation: number | null;
  /** Was it the newest access token of its family (and the family not revoked)? */
  current: boolean;
  /** Did we answer 401? */
  rejected: boolean;
}

export interface LoginOptions {
  /** Seconds until the first access token expires (≤ 300: codex refreshes before its first request). */
  accessTtlSec?: number;
  /** `last_refresh` in the auth.json (default now). */
  lastRefresh?: Date;
}

export interface HttpAnswer {
  status: number;
  body: unknown;
}

export class ChatgptAuthority {
  readonly tokenRequests: TokenRequest[] = [];
  readonly modelAuths: ModelAuth[] = [];
  private readonly accounts = new Map<string, TestAccount>();
  private readonly families: Family[] = [];
  private readonly byRefresh = new Map<string, { family: Family; index: number }>();
  private readonly byAccess = new Map<string, { family: Family; generation: number }>();
  private rejectStale = false;
  private readonly expired = new Set<string>();
  private seq = 0;
  private readonly salt = randomBytes(3).toString("hex");

  /** A throw-away account (claims derived from the name unless given). */
  addAccount(spec: ChatgptAccountSpec): TestAccount {
    if (this.accounts.has(spec.name)) throw new Error(`test account ${spec.name} exists`);
    const a: TestAccount = {
      name: spec.name,
      email: spec.email ?? `${spec.name}@example.test`,
      plan: spec.plan ?? "plus",
      accountId: spec.accountId ?? `acct-${spec.name}-${this.salt}`,
      userId: spec.userId ?? `user-${spec.name}-${this.salt}`,
      refreshedAccessTtlSec: spec.refreshedAccessTtlSec ?? 10 * 86400,
    };
    this.accounts.set(a.name, a);
    return a;
  }

  account(name: string): TestAccount {
    const a = this.accounts.get(name);
    if (!a) throw new Error(`no test account ${name}`);
    return a;
  }

  /** A fresh login of `name` (a new token family), as the auth.json `codex login` would write. */
  login(name: string, o: LoginOptions = {}): AuthBlob {
    const account = this.account(name);
    const family: Family = { id: this.families.length + 1, account, refreshTokens: [], accessTokens: [], revoked: false };
    this.families.push(family);
    const { accessToken, refreshToken, idToken } = this.issue(family, o.accessTtlSec ?? 10 * 86400);
    return {
      auth_mode: "chatgpt",
      OPENAI_API_KEY: null,
      tokens: { id_token: idToken, access_token: accessToken, refresh_token: refreshToken, account_id: account.accountId },
      last_refresh: (o.lastRefresh ?? new Date()).toISOString(),
    };
  }

  /** From now on, model calls with a refreshed login's older access tokens get 401. */
  rejectStaleAccessTokens(on = true): void {
    this.rejectStale = on;
  }

  /**
   * Every access token issued to `name` so far is expired: model calls with one get 401 (codex then
   * re-reads auth.json, and refreshes after a second 401 in a row). Tokens issued later are valid.
   */
  expireAccessTokens(name: string): void {
    for (const [token, hit] of this.byAccess) if (hit.family.account.name === name) this.expired.add(token);
  }

  /** The live refresh token of the account's newest login (what the store must end up holding). */
  latestRefreshToken(name: string): string {
    const f = [...this.families].reverse().find((x) => x.account.name === name);
    if (!f) throw new Error(`no login of ${name}`);
    return f.refreshTokens[f.refreshTokens.length - 1]!;
  }

  /** All refresh tokens ever issued to `name`, in order. */
  refreshTokensOf(name: string): string[] {
    return this.families.filter((f) => f.account.name === name).flatMap((f) => f.refreshTokens);
  }

  /** Who a refresh or access token belongs to (account name, generation), or null. */
  ownerOfToken(token: string): { account: string; generation: number } | null {
    const r = this.byRefresh.get(token);
    if (r) return { account: r.family.account.name, generation: r.index };
    const a = this.byAccess.get(token);
    return a ? { account: a.family.account.name, generation: a.generation } : null;
  }

  get refreshCount(): number {
    return this.tokenRequests.filter((t) => t.outcome === "refreshed").length;
  }
  get reuseCount(): number {
    return this.tokenRequests.filter((t) => t.outcome === "reused").length;
  }

  /** POST /oauth/token. */
  tokenEndpoint(body: unknown): HttpAnswer {
    const b = (body ?? {}) as Record<string, unknown>;
    const presented = typeof b.refresh_token === "string" ? b.refresh_token : null;
    const rec: TokenRequest = {
      seq: ++this.seq,
      at: Date.now(),
      grantType: b.grant_type,
      refreshReason: b.refresh_reason,
      clientId: b.client_id,
      refreshToken: presented,
      outcome: "bad-request",
      account: null,
      family: null,
      generation: null,
      status: 400,
    };
    this.tokenRequests.push(rec);
    if (b.grant_type !== "refresh_token" || presented === null) {
      return { status: 400, body: oauthError("invalid_request", "grant_type refresh_token and refresh_token are required") };
    }
    const hit = this.byRefresh.get(presented);
    if (!hit) {
      rec.outcome = "unknown";
      rec.status = 401;
      return { status: 401, body: oauthError("refresh_token_invalidated", "unknown refresh token") };
    }
    const { family, index } = hit;
    rec.account = family.account.name;
    rec.family = family.id;
    rec.status = 401;
    if (index !== family.refreshTokens.length - 1) {
      rec.outcome = "reused";
      family.revoked = true;
      return { status: 401, body: oauthError("refresh_token_reused", "Your refresh token has already been used to generate a new access token. Please try signing in again.") };
    }
    if (family.revoked) {
      rec.outcome = "revoked";
      return { status: 401, body: oauthError("refresh_token_invalidated", "Your refresh token has been invalidated. Please try signing in again.") };
    }
    const t = this.issue(family, family.account.refreshedAccessTtlSec);
    rec.outcome = "refreshed";
    rec.status = 200;
    rec.generation = family.accessTokens.length - 1;
    return { status: 200, body: { id_token: t.idToken, access_token: t.accessToken, refresh_token: t.refreshToken, token_type: "Bearer", expires_in: family.account.refreshedAccessTtlSec } };
  }

  /** GET /backend-api/wham/accounts/check: the TUI's workspace routing discovery. */
  accountCheck(accountHeader: string | null, accessToken: string | null): HttpAnswer {
    const id = accountHeader ?? (accessToken !== null ? this.byAccess.get(accessToken)?.family.account.accountId : undefined);
    if (!id) return { status: 401, body: { detail: "no account" } };
    return {
      status: 200,
      body: { accounts: [{ id, workspace_backend_origin: "https://chatgpt.com", account_routing_override: "NO_CONSTRAINT" }], account_ordering: [id] },
    };
  }

  /**
   * Attribute a model call's bearer; null to let it through, else the 401 to answer with (a revoked
   * family, or an older access token while `rejectStaleAccessTokens` is on).
   */
  checkModelCall(seq: number, accessToken: string | null, accountHeader: string | null): HttpAnswer | null {
    const hit = accessToken !== null ? this.byAccess.get(accessToken) : undefined;
    const current = hit !== undefined && !hit.family.revoked && hit.generation === hit.family.accessTokens.length - 1;
    const reject = hit !== undefined && (hit.family.revoked || this.expired.has(accessToken!) || (this.rejectStale && !current));
    this.modelAuths.push({
      seq,
      accessToken,
      accountHeader,
      account: hit?.family.account.name ?? null,
      family: hit?.family.id ?? null,
      generation: hit?.generation ?? null,
      current,
      rejected: reject,
    });
    if (!reject) return null;
    return {
      status: 401,
      body: { error: { message: "Provided authentication token is expired. Please try signing in again.", type: "invalid_request_error", code: "token_expired" } },
    };
  }

  private issue(family: Family, accessTtlSec: number): { accessToken: string; refreshToken: string; idToken: string } {
    const a = family.account;
    const gen = family.accessTokens.length;
    const now = Math.floor(Date.now() / 1000);
    const authClaims = { chatgpt_account_id: a.accountId, chatgpt_user_id: a.userId, user_id: a.userId, chatgpt_plan_type: a.plan };
    const accessToken = unsignedJwt({
      iss: "https://auth.openai.com",
      aud: ["https://api.openai.com/v1"],
      iat: now,
      exp: now + accessTtlSec,
      jti: `at-${a.name}-f${family.id}-g${gen}-${randomBytes(4).toString("hex")}`,
      [AUTH_CLAIM]: authClaims,
    });
    const idToken = unsignedJwt({
      iss: "https://auth.openai.com",
      aud: ["app_test"],
      iat: now,
      exp: now + 3600,
      email: a.email,
      email_verified: true,
      [AUTH_CLAIM]: authClaims,
    });
    const refreshToken = `rt_${a.name}_f${family.id}_g${gen}_${randomBytes(6).toString("hex")}`;
    family.accessTokens.push(accessToken);
    family.refreshTokens.push(refreshToken);
    this.byAccess.set(accessToken, { family, generation: gen });
    this.byRefresh.set(refreshToken, { family, index: gen });
    return { accessToken, refreshToken, idToken };
  }
}

function oauthError(code: string, message: string): unknown {
  return { error: { message, type: "invalid_request_error", param: null, code } };
}
