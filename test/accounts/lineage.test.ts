// Token lineage: nothing newer is ever overwritten by something older, a login is stored only under
// its true owner, and activating the login auth.json already holds keeps codex's copy. Pure rules as
// tables, then the failures users of account switchers met, reproduced through activate/syncBack (each failed
// before these rules).
import fs from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { activate, syncBack } from "../../lib/accounts/activate.js";
import { LoginOwnerMismatchError, MAX_SUPERSEDED, newerLogin, refreshTokenTag, storeLogin, type LoginOrder } from "../../lib/accounts/lineage.js";
import { ownershipOf } from "../../lib/accounts/owner.js";
import { emptyAccountsFile, type Account, type AuthBlob } from "../../lib/accounts/schema.js";
import { findAccount, readAccounts } from "../../lib/accounts/store.js";
import { account, apiKeyAuth, chatgptAuth, fakeJwt } from "./fixtures.js";
import { allFiles, makeHomes, writeStoreRaw, type Homes } from "./helpers.js";

/** amy's login at generation `gen`, with a JWT access token issued at `iat` and codex's `last_refresh`. */
function amy(gen: number, o: { iat?: number; lastRefresh?: string | null } = {}): AuthBlob {
  const a = chatgptAuth("amy", gen);
  if (o.iat !== undefined) a.tokens!.access_token = fakeJwt({ iat: o.iat, exp: o.iat + 864000, jti: `SECRET-ACCESS-amy-${gen}` });
  if (o.lastRefresh === null) delete a.last_refresh;
  else if (o.lastRefresh !== undefined) a.last_refresh = o.lastRefresh;
  return a;
}
const T = (d: number) => new Date(Date.UTC(2025, 5, d)).toISOString();

describe("newerLogin: which of two copies of one login is newer", () => {
  const cases: Array<{ name: string; candidate: AuthBlob; stored: AuthBlob; superseded?: string[]; want: LoginOrder }> = [
    { name: "codex refreshed (later last_refresh)", candidate: amy(2, { lastRefresh: T(2) }), stored: amy(1, { lastRefresh: T(1) }), want: { newer: "candidate", proof: "last-refresh" } },
    { name: "an older copy by last_refresh", candidate: amy(1, { lastRefresh: T(1) }), stored: amy(2, { lastRefresh: T(2) }), want: { newer: "stored", proof: "last-refresh" } },
    {
      name: "a copy whose refresh token the stored login replaced, even with a later last_refresh",
      candidate: amy(1, { lastRefresh: T(9) }),
      stored: amy(2, { lastRefresh: T(2) }),
      superseded: [refreshTokenTag("SECRET-REFRESH-amy-1")],
      want: { newer: "stored", proof: "lineage" },
    },
    {
      name: "a replaced refresh token with no last_refresh at all",
      candidate: amy(1, { lastRefresh: null }),
      stored: amy(2),
      superseded: [refreshTokenTag("SECRET-REFRESH-amy-1")],
      want: { newer: "stored", proof: "lineage" },
    },
    {
      name: "the issuer's clock beats a skewed last_refresh (refreshed on a machine whose clock is behind)",
      candidate: amy(2, { iat: 1_750_000_100, lastRefresh: T(1) }),
      stored: amy(1, { iat: 1_750_000_000, lastRefresh: T(5) }),
      want: { newer: "candidate", proof: "issued-at" },
    },
    { name: "an earlier-issued access token is older", candidate: amy(1, { iat: 100 }), stored: amy(2, { iat: 200 }), want: { newer: "stored", proof: "issued-at" } },
    { name: "same tokens, no evidence either way: auth.json's copy", candidate: amy(1, { lastRefresh: null }), stored: amy(1, { lastRefresh: null }), want: { newer: "candidate", proof: "default" } },
    { name: "unknown refresh token, no timestamps: auth.json's copy", candidate: amy(3, { lastRefresh: null }), stored: amy(2, { lastRefresh: null }), want: { newer: "candidate", proof: "default" } },
    { name: "api keys: auth.json's copy", candidate: apiKeyAuth("kay"), stored: apiKeyAuth("kay"), want: { newer: "candidate", proof: "default" } },
  ];
  for (const c of cases) {
    it(c.name, () => expect(newerLogin(c.candidate, c.stored, c.superseded ?? [])).toEqual(c.want));
  }
});

describe("storeLogin: a login is stored only under its owner, with its lineage", () => {
  const amyAccount = (): Account => account("A", { kind: "chatgpt", auth: amy(1) });

  it("records the replaced refresh token as a tag (never the token), newest last, without duplicates", () => {
    const a = amyAccount();
    storeLogin(a, amy(2));
    storeLogin(a, amy(3));
    storeLogin(a, amy(3));
    expect(a.auth.tokens!.refresh_token).toBe("SECRET-REFRESH-amy-3");
    expect(a.supersededRefreshTokens).toEqual([refreshTokenTag("SECRET-REFRESH-amy-1"), refreshTokenTag("SECRET-REFRESH-amy-2")]);
    expect(JSON.stringify(a.supersededRefreshTokens)).not.toContain("SECRET");
    // A copy that is only an access-token refresh (same refresh token) adds nothing.
    const b = amy(3);
    b.tokens!.access_token = "SECRET-ACCESS-amy-3b";
    storeLogin(a, b);
    expect(a.supersededRefreshTokens).toHaveLength(2);
  });

  it(`keeps the last ${MAX_SUPERSEDED} tags`, () => {
    const a = amyAccount();
    for (let g = 2; g <= MAX_SUPERSEDED + 10; g++) storeLogin(a, amy(g));
    expect(a.supersededRefreshTokens).toHaveLength(MAX_SUPERSEDED);
    expect(a.supersededRefreshTokens!.at(-1)).toBe(refreshTokenTag(`SECRET-REFRESH-amy-${MAX_SUPERSEDED + 9}`));
  });

  it("refuses a login of another identity, whatever the caller thought", () => {
    const mixed: AuthBlob = { ...chatgptAuth("amy", 2), auth_mode: "apikey", OPENAI_API_KEY: "sk-SECRET-KEY-kay" };
    const refusals: Array<[Account, AuthBlob]> = [
      [account("K", { auth: apiKeyAuth("kay") }), chatgptAuth("amy", 2)],
      [account("K", { auth: apiKeyAuth("kay") }), mixed],
      [amyAccount(), chatgptAuth("bob", 1)],
      [amyAccount(), apiKeyAuth("kay")],
    ];
    for (const [acct, blob] of refusals) {
      const before = structuredClone(acct);
      expect(() => storeLogin(acct, blob)).toThrow(LoginOwnerMismatchError);
      expect(acct).toEqual(before);
    }
  });

  it("an API key together with someone's ChatGPT tokens belongs to nobody (not to the key's account)", () => {
    const mixed: AuthBlob = { ...chatgptAuth("amy", 2), auth_mode: "apikey", OPENAI_API_KEY: "sk-SECRET-KEY-kay" };
    expect(ownershipOf(mixed, apiKeyAuth("kay"))).toBe("different");
    expect(ownershipOf(apiKeyAuth("kay"), apiKeyAuth("kay"))).toBe("same");
  });
});

describe("the known ways a login was lost, reproduced through activate / syncBack", () => {
  let h: Homes;
  beforeEach(() => {
    h = makeHomes();
  });
  afterEach(() => h.cleanup());
  const authFile = () => path.join(h.codexHome, "auth.json");
  const fast = { attempts: 2, delayMs: 1 };
  const putAuth = (a: AuthBlob) => fs.writeFileSync(authFile(), JSON.stringify(a), { mode: 0o600 });
  const readAuth = () => JSON.parse(fs.readFileSync(authFile(), "utf8")) as AuthBlob;
  const seed = (active: string | null, amyAuth: AuthBlob = amy(1)) =>
    writeStoreRaw(h.home, {
      ...emptyAccountsFile(),
      active,
      accounts: [account("alpha", { kind: "chatgpt", auth: amyAuth }), account("beta", { kind: "chatgpt", auth: chatgptAuth("bob", 1) }), account("K", { auth: apiKeyAuth("kay") })],
    });

  it("a rotation under a live session keeps the live refresh token, not a consumed one (clock-skewed last_refresh)", async () => {
    seed("alpha", amy(1, { iat: 1_750_000_000, lastRefresh: T(5) }));
    // codex refreshed on a machine whose clock is behind: a newer token, an older last_refresh.
    putAuth(amy(2, { iat: 1_750_000_500, lastRefresh: T(1) }));
    const r = await activate({ home: h.home, codexHome: h.codexHome, name: "beta", retry: fast });
    expect(r.sync).toEqual({ status: "synced", account: "alpha", active: true });
    expect(findAccount(readAccounts(h.home), "alpha")!.auth.tokens!.refresh_token).toBe("SECRET-REFRESH-amy-2");
  });

  it("a stale copy put back into auth.json never replaces the newer stored login", async () => {
    seed("alpha");
    await activate({ home: h.home, codexHome: h.codexHome, name: "alpha", retry: fast });
    putAuth(amy(2, { lastRefresh: null })); // codex refreshed (this codex writes no last_refresh)
    expect((await syncBack({ home: h.home, codexHome: h.codexHome, retry: fast })).status).toBe("synced");
    putAuth(amy(1, { lastRefresh: null })); // a backup / another tool restores the old copy
    expect(await syncBack({ home: h.home, codexHome: h.codexHome, retry: fast })).toEqual({ status: "stale", account: "alpha", proof: "lineage" });
    const stored = findAccount(readAccounts(h.home), "alpha")!;
    expect(stored.auth.tokens!.refresh_token).toBe("SECRET-REFRESH-amy-2");
    // The store keeps tags, never the consumed token itself.
    expect(allFiles(h.home).some((f) => f.text.includes("SECRET-REFRESH-amy-1"))).toBe(false);
  });

  it("alpha's tokens are never filed under an API-key account", async () => {
    seed("K");
    // A codex that refreshed alpha into a file holding K's key (the stand-in of the issue): K's key,
    // alpha's tokens. It belongs to nobody: K is untouched, and the switch refuses without --force.
    const mixed: AuthBlob = { ...amy(2), auth_mode: "apikey", OPENAI_API_KEY: "sk-SECRET-KEY-kay" };
    putAuth(mixed);
    expect((await syncBack({ home: h.home, codexHome: h.codexHome, retry: fast })).status).toBe("foreign");
    const k = findAccount(readAccounts(h.home), "K")!;
    expect(k.auth).toEqual(apiKeyAuth("kay"));
    expect(k.kind).toBe("api-key");
    await expect(activate({ home: h.home, codexHome: h.codexHome, name: "beta", retry: fast })).rejects.toThrow(/not in the accounts store/);
    expect(readAuth()).toEqual(mixed);
  });

  it("syncs into the true owner, not the account the store calls active", async () => {
    seed("beta");
    putAuth(amy(2)); // another terminal's codex refreshed alpha; the store still says beta
    const r = await activate({ home: h.home, codexHome: h.codexHome, name: "K", retry: fast });
    expect(r.previous).toBe("alpha");
    const s = readAccounts(h.home);
    expect(findAccount(s, "alpha")!.auth.tokens!.refresh_token).toBe("SECRET-REFRESH-amy-2");
    expect(findAccount(s, "beta")!.auth).toEqual(chatgptAuth("bob", 1));
  });

  it("activating the login auth.json already holds keeps auth.json's copy (same file, same inode)", async () => {
    seed("alpha");
    const live = amy(1);
    live.tokens!.access_token = "SECRET-ACCESS-amy-1-refreshed-by-codex";
    live.last_refresh = null; // not newer by any evidence we have, yet it is what codex uses
    putAuth(live);
    const ino = fs.statSync(authFile()).ino;
    const text = fs.readFileSync(authFile(), "utf8");
    await activate({ home: h.home, codexHome: h.codexHome, name: "alpha", retry: fast });
    expect(fs.statSync(authFile()).ino).toBe(ino);
    expect(fs.readFileSync(authFile(), "utf8")).toBe(text);
    expect(findAccount(readAccounts(h.home), "alpha")!.auth.tokens!.access_token).toBe("SECRET-ACCESS-amy-1-refreshed-by-codex");
  });

  it("…except when auth.json holds a refresh token the stored login provably replaced: the stored one goes back", async () => {
    seed("alpha", amy(2));
    const s = readAccounts(h.home);
    findAccount(s, "alpha")!.supersededRefreshTokens = [refreshTokenTag("SECRET-REFRESH-amy-1")];
    writeStoreRaw(h.home, s);
    putAuth(amy(1));
    const r = await activate({ home: h.home, codexHome: h.codexHome, name: "alpha", retry: fast });
    expect(r.sync).toEqual({ status: "stale", account: "alpha", proof: "lineage" });
    expect(readAuth().tokens!.refresh_token).toBe("SECRET-REFRESH-amy-2");
  });

  it("a version-1 store reads, and is written back as version 2 with the lineage", async () => {
    const v1 = { schemaVersion: 1, active: "alpha", accounts: [account("alpha", { kind: "chatgpt", auth: amy(1) })] };
    writeStoreRaw(h.home, JSON.stringify(v1));
    putAuth(amy(2));
    expect((await syncBack({ home: h.home, codexHome: h.codexHome, retry: fast })).status).toBe("synced");
    const raw = JSON.parse(fs.readFileSync(path.join(h.home, "accounts.json"), "utf8")) as { schemaVersion: number; accounts: Account[] };
    expect(raw.schemaVersion).toBe(2);
    expect(raw.accounts[0]!.supersededRefreshTokens).toEqual([refreshTokenTag("SECRET-REFRESH-amy-1")]);
  });
});
