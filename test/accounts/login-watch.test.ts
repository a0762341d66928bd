// The login watcher without codex: auth.json replaced by rename (as the pinned codex does), rewritten in
// place, switched by `activate`, made foreign, removed, written in bursts; and the pure description
// of a login (fingerprint, refresh due time).
import fs from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { activate } from "../../lib/accounts/activate.js";
import { loginTag } from "../../lib/accounts/adopt.js";
import { CODEX_PROACTIVE_REFRESH_MS, describeLogin, loginFingerprint, refreshDueAt } from "../../lib/accounts/login-info.js";
import { watchLogin, type LoginWatch } from "../../lib/accounts/login-watch.js";
import { emptyAccountsFile, type AuthBlob } from "../../lib/accounts/schema.js";
import { findAccount, readAccounts } from "../../lib/accounts/store.js";
import type { Login } from "../../lib/accounts/login-info.js";
import { account, apiKeyAuth, chatgptAuth, fakeJwt } from "./fixtures.js";
import { ignorePollTimeout, pollUntil } from "../helpers/poll.js";
import { allFiles, makeHomes, rewriteInPlace, writeStoreRaw, type Homes } from "./helpers.js";

describe("describeLogin (pure)", () => {
  const store = { ...emptyAccountsFile(), active: "A", accounts: [account("A", { kind: "chatgpt" as const, auth: chatgptAuth("amy", 1) }), account("K", { auth: apiKeyAuth("kay") })] };
  const unchanged = { status: "unchanged" as const, account: "A" };

  it("the fingerprint follows the account, not its tokens", () => {
    expect(loginFingerprint(chatgptAuth("amy", 1))).toBe(loginFingerprint(chatgptAuth("amy", 7)));
    expect(loginFingerprint(chatgptAuth("amy", 1))).not.toBe(loginFingerprint(chatgptAuth("bob", 1)));
    expect(loginFingerprint(apiKeyAuth("kay"))).not.toBe(loginFingerprint(apiKeyAuth("kim")));
    expect(loginFingerprint(apiKeyAuth("kay"))).toMatch(/^login:[0-9a-f]{16}$/);
    expect(loginFingerprint(apiKeyAuth("kay"))).not.toContain("SECRET");
  });

  it("owner, foreign, missing, unreadable", () => {
    expect(describeLogin(store, { kind: "ok", auth: chatgptAuth("amy", 2) }, unchanged)).toMatchObject({ kind: "account", account: "A", email: "amy@example.com" });
    expect(describeLogin(store, { kind: "ok", auth: apiKeyAuth("kay") }, unchanged)).toMatchObject({ kind: "account", account: "K", email: null });
    expect(describeLogin(store, { kind: "ok", auth: chatgptAuth("zed", 1) }, { status: "foreign", email: "zed@example.com" })).toMatchObject({ kind: "foreign", account: null, released: false, email: "zed@example.com" });
    const released = { ...store, releasedLogins: [loginTag(chatgptAuth("zed", 1))] };
    expect(describeLogin(released, { kind: "ok", auth: chatgptAuth("zed", 1) }, { status: "foreign", email: null })).toMatchObject({ kind: "foreign", released: true });
    expect(describeLogin(released, { kind: "ok", auth: chatgptAuth("zed", 2) }, { status: "foreign", email: null })).toMatchObject({ kind: "foreign", released: false });
    expect(describeLogin(store, { kind: "missing" }, { status: "missing" })).toMatchObject({ kind: "missing", fingerprint: "missing" });
    expect(describeLogin(store, { kind: "unreadable", reason: "x" }, { status: "unreadable", reason: "x" })).toMatchObject({ kind: "unreadable", fingerprint: "unreadable" });
  });

  it("refreshDueAt: the access token's exp minus codex's 300 s, null without exp", () => {
    const a = chatgptAuth("amy", 1);
    expect(refreshDueAt(a)).toBeNull();
    a.tokens!.access_token = fakeJwt({ exp: 2_000_000_000 });
    expect(refreshDueAt(a)).toBe(2_000_000_000_000 - CODEX_PROACTIVE_REFRESH_MS);
    expect(refreshDueAt(apiKeyAuth("kay"))).toBeNull();
  });
});

describe("watchLogin", () => {
  let h: Homes;
  let w: LoginWatch | null = null;
  let seen: Login[];
  beforeEach(() => {
    h = makeHomes();
    seen = [];
    writeStoreRaw(h.home, {
      ...emptyAccountsFile(),
      active: "A",
      accounts: [account("A", { kind: "chatgpt", auth: chatgptAuth("amy", 1) }), account("B", { kind: "chatgpt", auth: chatgptAuth("bob", 1) })],
    });
    fs.writeFileSync(authFile(), JSON.stringify(chatgptAuth("amy", 1)), { mode: 0o600 });
  });
  afterEach(() => {
    w?.close();
    w = null;
    h.cleanup();
  });
  const authFile = () => path.join(h.codexHome, "auth.json");
  /** As the pinned codex writes it: a temp file renamed over auth.json. */
  const renameIn = (a: AuthBlob) => {
    const tmp = path.join(h.codexHome, `.tmp${Math.random().toString(16).slice(2)}`);
    fs.writeFileSync(tmp, JSON.stringify(a), { mode: 0o600 });
    fs.renameSync(tmp, authFile());
  };
  const start = async (pollMs = 60_000) => {
    w = watchLogin({ home: h.home, codexHome: h.codexHome, pollMs, retry: { attempts: 3, delayMs: 5 } }, (l) => seen.push(l));
    return w.ready;
  };
  /** The next delivered login, within `ms`: the watcher notices within a second. */
  const next = async (count: number, ms = 1000): Promise<Login> => {
    await pollUntil(() => seen.length >= count, ms, () => `login event #${count} (got ${seen.length})`, 5);
    return seen[count - 1]!;
  };
  const storedRt = (name: string) => findAccount(readAccounts(h.home), name)!.auth.tokens!.refresh_token;

  it("at start: reports the login and stores what is pending", async () => {
    fs.writeFileSync(authFile(), JSON.stringify(chatgptAuth("amy", 2)), { mode: 0o600 });
    const first = await start();
    expect(first).toMatchObject({ kind: "account", account: "A", sync: { status: "synced" } });
    expect(seen).toEqual([first]);
    expect(storedRt("A")).toBe("SECRET-REFRESH-amy-2");
  });

  it("a refresh by rename is stored within a second; the fingerprint stays", async () => {
    const first = await start();
    renameIn(chatgptAuth("amy", 2));
    const l = await next(2);
    expect(l).toMatchObject({ kind: "account", account: "A", fingerprint: first.fingerprint, sync: { status: "synced", account: "A" } });
    expect(storedRt("A")).toBe("SECRET-REFRESH-amy-2");
    expect(findAccount(readAccounts(h.home), "A")!.supersededRefreshTokens).toHaveLength(1);
  });

  it("an in-place rewrite is noticed too", async () => {
    await start();
    rewriteInPlace(authFile(), JSON.stringify(chatgptAuth("amy", 3)));
    expect((await next(2)).sync.status).toBe("synced");
    expect(storedRt("A")).toBe("SECRET-REFRESH-amy-3");
  });

  it("an account switch (accounts use in another terminal) changes the fingerprint; a foreign login and a removed file are reported", async () => {
    const first = await start();
    await activate({ home: h.home, codexHome: h.codexHome, name: "B" });
    const b = await next(2);
    expect(b).toMatchObject({ kind: "account", account: "B" });
    expect(b.fingerprint).not.toBe(first.fingerprint);
    renameIn(chatgptAuth("zed", 1));
    expect(await next(3)).toMatchObject({ kind: "foreign", account: null, email: "zed@example.com" });
    fs.rmSync(authFile());
    expect(await next(4)).toMatchObject({ kind: "missing", fingerprint: "missing" });
    // The foreign login was never stored under anyone.
    expect(allFiles(h.home).some((f) => f.text.includes("SECRET-REFRESH-zed"))).toBe(false);
  });

  it("a burst of writes is handled a few times, not once per event, and ends on the last content", async () => {
    await start();
    for (let g = 2; g <= 30; g++) renameIn(chatgptAuth("amy", g));
    await next(2);
    await pollUntil(() => storedRt("A") === "SECRET-REFRESH-amy-30", 2000, () => `the store to hold amy-30 (it holds ${storedRt("A")})`, 10);
    expect(seen.length).toBeLessThan(8);
  });

  it("a write fs.watch does not report is found by the poll; a CODEX_HOME created later is watched", async () => {
    fs.rmSync(h.codexHome, { recursive: true });
    await start(100);
    expect(seen[0]).toMatchObject({ kind: "missing" });
    fs.mkdirSync(h.codexHome, { mode: 0o700 });
    renameIn(chatgptAuth("amy", 2));
    expect(await next(2, 2000)).toMatchObject({ account: "A", sync: { status: "synced" } });
  });

  it("an unusable store is reported once per change (then with back-off), not at every poll; fixed, the next change is stored", async () => {
    const errors: unknown[] = [];
    const good = fs.readFileSync(path.join(h.home, "accounts.json"), "utf8");
    fs.writeFileSync(path.join(h.home, "accounts.json"), "{ not json");
    w = watchLogin({ home: h.home, codexHome: h.codexHome, pollMs: 50, retry: { attempts: 2, delayMs: 1 }, onError: (e) => errors.push(e) }, (l) => seen.push(l));
    await pollUntil(() => errors.length > 0, 2000, "the store error", 10).catch(ignorePollTimeout);
    expect(String(errors[0])).toMatch(/accounts store .*accounts\.json: not valid JSON/);
    await new Promise((r) => setTimeout(r, 600)); // 12 polls: without the back-off, 12 more errors
    expect(errors.length).toBeLessThanOrEqual(2);
    fs.writeFileSync(path.join(h.home, "accounts.json"), good);
    renameIn(chatgptAuth("amy", 2));
    expect((await next(1, 2000)).sync).toEqual({ status: "synced", account: "A", active: true });
  });

  it("close() stops it: later writes are not handled", async () => {
    await start(50);
    w!.close();
    renameIn(chatgptAuth("amy", 2));
    await new Promise((r) => setTimeout(r, 300));
    expect(seen).toHaveLength(1);
    expect(storedRt("A")).toBe("SECRET-REFRESH-amy-1");
  });
});
