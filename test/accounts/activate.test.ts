import fs from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { activate, ForeignLoginError, readCodexAuth, syncBack, UnreadableLoginError } from "../../lib/accounts/activate.js";
import { readAccounts } from "../../lib/accounts/store.js";
import { emptyAccountsFile, type AccountsFile } from "../../lib/accounts/schema.js";
import { UsageError } from "../../lib/errors.js";
import { account, apiKeyAuth, chatgptAuth } from "./fixtures.js";
import { makeHomes, mode, rewriteInPlace, writeStoreRaw, type Homes } from "./helpers.js";

let h: Homes;
beforeEach(() => {
  h = makeHomes();
});
afterEach(() => h.cleanup());

const authFile = () => path.join(h.codexHome, "auth.json");
const readAuthJson = () => JSON.parse(fs.readFileSync(authFile(), "utf8")) as unknown;
const fast = { attempts: 3, delayMs: 1 };

function seed(active: string | null = null): AccountsFile {
  const s: AccountsFile = {
    ...emptyAccountsFile(),
    active,
    accounts: [
      account("A", { kind: "chatgpt", auth: chatgptAuth("amy", 1) }),
      account("B", { kind: "chatgpt", auth: chatgptAuth("bob", 1) }),
      account("K", { kind: "api-key", auth: apiKeyAuth("kay") }),
    ],
  };
  writeStoreRaw(h.home, s);
  return s;
}

describe("activate", () => {
  it("writes the account's auth.json (0600, by rename) and marks it active", async () => {
    seed();
    const r = await activate({ home: h.home, codexHome: h.codexHome, name: "A", retry: fast, now: () => Date.parse("2025-06-01T00:00:00Z") });
    expect(r).toEqual({ previous: null, account: "A", sync: { status: "missing" }, imported: null, keptAside: null });
    expect(readAuthJson()).toEqual(chatgptAuth("amy", 1));
    expect(mode(authFile())).toBe(0o600);
    const s = readAccounts(h.home);
    expect(s.active).toBe("A");
    expect(s.accounts[0]!.lastUsedAt).toBe("2025-06-01T00:00:00.000Z");
  });

  it("creates a missing CODEX_HOME (0700)", async () => {
    seed();
    fs.rmSync(h.codexHome, { recursive: true });
    await activate({ home: h.home, codexHome: h.codexHome, name: "K", retry: fast });
    expect(mode(h.codexHome)).toBe(0o700);
    expect(readAuthJson()).toEqual(apiKeyAuth("kay"));
  });

  it("sync-back: tokens codex refreshed while A was active are in the store after switching to B", async () => {
    seed();
    await activate({ home: h.home, codexHome: h.codexHome, name: "A", retry: fast });
    // codex refreshes: truncate + write in place, new access and refresh tokens.
    rewriteInPlace(authFile(), JSON.stringify(chatgptAuth("amy", 2), null, 2));
    const r = await activate({ home: h.home, codexHome: h.codexHome, name: "B", retry: fast });
    expect(r.sync).toEqual({ status: "synced", account: "A", active: true });
    expect(r.previous).toBe("A");
    const s = readAccounts(h.home);
    expect(s.active).toBe("B");
    expect(s.accounts.find((a) => a.name === "A")!.auth).toEqual(chatgptAuth("amy", 2));
    expect(readAuthJson()).toEqual(chatgptAuth("bob", 1));
    // Back to A: codex gets the refreshed tokens, not the dead ones.
    await activate({ home: h.home, codexHome: h.codexHome, name: "A", retry: fast });
    expect(readAuthJson()).toEqual(chatgptAuth("amy", 2));
  });

  it("a half-written auth.json is never synced: the store keeps the last good tokens", async () => {
    seed();
    await activate({ home: h.home, codexHome: h.codexHome, name: "A", retry: fast });
    const full = JSON.stringify(chatgptAuth("amy", 2), null, 2);
    rewriteInPlace(authFile(), full.slice(0, Math.floor(full.length / 2)));
    const r = await syncBack({ home: h.home, codexHome: h.codexHome, retry: fast });
    expect(r.status).toBe("unreadable");
    expect(r.status === "unreadable" && r.reason).toMatch(/not complete JSON after 3 reads/);
    expect(readAccounts(h.home).accounts[0]!.auth).toEqual(chatgptAuth("amy", 1));
    rewriteInPlace(authFile(), "");
    expect((await syncBack({ home: h.home, codexHome: h.codexHome, retry: fast })).status).toBe("unreadable");
    // Switching away is refused (the file may be the only copy of a refresh token) unless forced;
    // forced, the partial file is not stored anywhere.
    const storeBefore = fs.readFileSync(path.join(h.home, "accounts.json"));
    await expect(activate({ home: h.home, codexHome: h.codexHome, name: "B", retry: fast })).rejects.toBeInstanceOf(UnreadableLoginError);
    expect(fs.readFileSync(path.join(h.home, "accounts.json")).equals(storeBefore)).toBe(true);
    expect(fs.readFileSync(authFile(), "utf8")).toBe("");
    const switched = await activate({ home: h.home, codexHome: h.codexHome, name: "B", retry: fast, overwriteUnreadable: true });
    expect(switched.sync.status).toBe("unreadable");
    expect(readAccounts(h.home).accounts[0]!.auth).toEqual(chatgptAuth("amy", 1));
    expect(readAuthJson()).toEqual(chatgptAuth("bob", 1));
  });

  it("a write that completes while we retry is synced (truncate → partial → complete)", async () => {
    seed("A");
    const full = JSON.stringify(chatgptAuth("amy", 3), null, 2);
    rewriteInPlace(authFile(), full.slice(0, 10));
    // The simulated codex finishes its write while the reader backs off.
    const finisher = setTimeout(() => rewriteInPlace(authFile(), full), 30);
    try {
      const r = await syncBack({ home: h.home, codexHome: h.codexHome, retry: { attempts: 10, delayMs: 5 } });
      expect(r).toEqual({ status: "synced", account: "A", active: true });
    } finally {
      clearTimeout(finisher);
    }
    expect(readAccounts(h.home).accounts[0]!.auth).toEqual(chatgptAuth("amy", 3));
  });

  it("a login that belongs to nobody in the store is not synced, and activation refuses to replace it", async () => {
    seed("A");
    fs.writeFileSync(authFile(), JSON.stringify(chatgptAuth("zed", 1)), { mode: 0o600 });
    const before = fs.readFileSync(path.join(h.home, "accounts.json"), "utf8");
    expect(await syncBack({ home: h.home, codexHome: h.codexHome, retry: fast })).toEqual({ status: "foreign", email: "zed@example.com" });
    await expect(activate({ home: h.home, codexHome: h.codexHome, name: "B", retry: fast })).rejects.toBeInstanceOf(ForeignLoginError);
    expect(fs.readFileSync(path.join(h.home, "accounts.json"), "utf8")).toBe(before);
    expect(readAuthJson()).toEqual(chatgptAuth("zed", 1));
    const r = await activate({ home: h.home, codexHome: h.codexHome, name: "B", retry: fast, overwriteForeign: true });
    expect(r.sync.status).toBe("foreign");
    expect(readAuthJson()).toEqual(chatgptAuth("bob", 1));
    // The active account's stored tokens were not clobbered by the foreign ones.
    expect(readAccounts(h.home).accounts[0]!.auth).toEqual(chatgptAuth("amy", 1));
  });

  it("tokens of a stored but inactive account go back to that account, not to the active one (which it becomes: heal)", async () => {
    seed("A");
    fs.writeFileSync(authFile(), JSON.stringify(chatgptAuth("bob", 2)), { mode: 0o600 });
    expect(await syncBack({ home: h.home, codexHome: h.codexHome, retry: fast })).toEqual({ status: "synced", account: "B", active: true });
    const s = readAccounts(h.home);
    expect(s.active).toBe("B");
    expect(s.accounts.find((a) => a.name === "A")!.auth).toEqual(chatgptAuth("amy", 1));
    expect(s.accounts.find((a) => a.name === "B")!.auth).toEqual(chatgptAuth("bob", 2));
  });

  it("older credentials than the stored ones (by last_refresh) are not synced", async () => {
    const s = seed("A");
    s.accounts[0]!.auth = chatgptAuth("amy", 5);
    writeStoreRaw(h.home, s);
    fs.writeFileSync(authFile(), JSON.stringify(chatgptAuth("amy", 4)), { mode: 0o600 });
    expect(await syncBack({ home: h.home, codexHome: h.codexHome, retry: fast })).toEqual({ status: "stale", account: "A", proof: "last-refresh" });
    expect(readAccounts(h.home).accounts[0]!.auth).toEqual(chatgptAuth("amy", 5));
  });

  it("an unchanged auth.json leaves the store file alone", async () => {
    seed();
    await activate({ home: h.home, codexHome: h.codexHome, name: "A", retry: fast });
    const ino = fs.statSync(path.join(h.home, "accounts.json")).ino;
    expect(await syncBack({ home: h.home, codexHome: h.codexHome, retry: fast })).toEqual({ status: "unchanged", account: "A" });
    expect(fs.statSync(path.join(h.home, "accounts.json")).ino).toBe(ino);
  });

  it("unknown or disabled accounts: UsageError, nothing changed", async () => {
    const s = seed("A");
    s.accounts[1]!.enabled = false;
    writeStoreRaw(h.home, s);
    fs.writeFileSync(authFile(), JSON.stringify(chatgptAuth("amy", 1)), { mode: 0o600 });
    const storeBefore = fs.readFileSync(path.join(h.home, "accounts.json"), "utf8");
    await expect(activate({ home: h.home, codexHome: h.codexHome, name: "nope", retry: fast })).rejects.toThrow(/no account named 'nope'/);
    await expect(activate({ home: h.home, codexHome: h.codexHome, name: "B", retry: fast })).rejects.toBeInstanceOf(UsageError);
    expect(fs.readFileSync(path.join(h.home, "accounts.json"), "utf8")).toBe(storeBefore);
    expect(readAuthJson()).toEqual(chatgptAuth("amy", 1));
  });

  it("readCodexAuth: complete JSON that is not an auth.json is reported, not retried", async () => {
    fs.writeFileSync(authFile(), JSON.stringify({ hello: 1 }));
    const r = await readCodexAuth(h.codexHome, { attempts: 50, delayMs: 1000 });
    expect(r.kind).toBe("unreadable");
    expect(await readCodexAuth(path.join(h.root, "nowhere"))).toEqual({ kind: "missing" });
  });
});
