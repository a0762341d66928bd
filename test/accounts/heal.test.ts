// The active-account heal: after a switch was cut between its rename of auth.json and its store write,
// the store's `active` names the account left while auth.json holds the new one. Every locked
// operation that knows CODEX_HOME (activate, syncBack, updateAccounts with codexHome) makes the store
// follow auth.json — only for a login of a stored account, never for a foreign/missing/unreadable one.
import fs from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { activate, healActive, syncBack } from "../../lib/accounts/activate.js";
import { readAccounts, updateAccounts } from "../../lib/accounts/store.js";
import { emptyAccountsFile, type AccountsFile } from "../../lib/accounts/schema.js";
import { markCoolingDown } from "../../lib/accounts/usage.js";
import { account, chatgptAuth } from "./fixtures.js";
import { makeHomes, writeStoreRaw, type Homes } from "./helpers.js";

let h: Homes;
beforeEach(() => {
  h = makeHomes();
});
afterEach(() => h.cleanup());

const authFile = () => path.join(h.codexHome, "auth.json");
const fast = { attempts: 2, delayMs: 1 };

function store(active: string | null): AccountsFile {
  return {
    ...emptyAccountsFile(),
    active,
    accounts: [account("A", { kind: "chatgpt", auth: chatgptAuth("amy", 1) }), account("B", { kind: "chatgpt", auth: chatgptAuth("bob", 1) })],
  };
}

/** The state a switch A → B leaves when killed right after its rename: auth.json is B's, active is A. */
function cutSwitch(bobGen = 1): void {
  writeStoreRaw(h.home, store("A"));
  fs.writeFileSync(authFile(), JSON.stringify(chatgptAuth("bob", bobGen)), { mode: 0o600 });
}

describe("healActive (pure)", () => {
  it("auth.json owned by another stored account: it becomes active, its newer tokens synced", () => {
    const s = store("A");
    const r = healActive(s, { kind: "ok", auth: chatgptAuth("bob", 2) });
    expect(r).toEqual({ from: "A", to: "B", sync: { status: "synced", account: "B", active: true } });
    expect(s.active).toBe("B");
    expect(s.accounts[1]!.auth).toEqual(chatgptAuth("bob", 2));
    expect(s.accounts[0]!.auth).toEqual(chatgptAuth("amy", 1));
  });

  it("nothing to heal: owner already active, foreign, missing or unreadable", () => {
    for (const read of [
      { kind: "ok" as const, auth: chatgptAuth("amy", 2) },
      { kind: "ok" as const, auth: chatgptAuth("zed", 1) },
      { kind: "missing" as const },
      { kind: "unreadable" as const, reason: "x" },
    ]) {
      const s = store("A");
      const copy = structuredClone(s);
      expect(healActive(s, read)).toBeNull();
      expect(s).toEqual(copy);
    }
  });

  it("no active account yet and auth.json is a stored login: it becomes active", () => {
    const s = store(null);
    expect(healActive(s, { kind: "ok", auth: chatgptAuth("amy", 1) })).toEqual({ from: null, to: "A", sync: { status: "unchanged", account: "A" } });
    expect(s.active).toBe("A");
  });
});

describe("the heal in locked operations", () => {
  it("syncBack heals and stores the tokens codex refreshed for the new owner", async () => {
    cutSwitch(2);
    expect(await syncBack({ home: h.home, codexHome: h.codexHome, retry: fast })).toEqual({ status: "synced", account: "B", active: true });
    const s = readAccounts(h.home);
    expect(s.active).toBe("B");
    expect(s.accounts[1]!.auth).toEqual(chatgptAuth("bob", 2));
  });

  it("syncBack heals even when the tokens are unchanged (the store is written for `active` alone)", async () => {
    cutSwitch(1);
    expect(await syncBack({ home: h.home, codexHome: h.codexHome, retry: fast })).toEqual({ status: "unchanged", account: "B" });
    expect(readAccounts(h.home).active).toBe("B");
  });

  it("activate reports the healed account as the one left, and syncs its refreshed tokens before replacing auth.json", async () => {
    cutSwitch(3);
    const r = await activate({ home: h.home, codexHome: h.codexHome, name: "A", retry: fast });
    expect(r.previous).toBe("B");
    expect(r.sync).toEqual({ status: "synced", account: "B", active: true });
    const s = readAccounts(h.home);
    expect(s.active).toBe("A");
    expect(s.accounts[1]!.auth).toEqual(chatgptAuth("bob", 3));
    expect(JSON.parse(fs.readFileSync(authFile(), "utf8"))).toEqual(chatgptAuth("amy", 1));
  });

  it("updateAccounts heals before its function runs when given codexHome, and not without it", async () => {
    cutSwitch(2);
    const seen = await updateAccounts(h.home, (d) => d.active, {});
    expect(seen).toBe("A");
    expect(readAccounts(h.home).active).toBe("A");
    const healedSeen = await updateAccounts(h.home, (d) => d.active, {}, { codexHome: h.codexHome });
    expect(healedSeen).toBe("B");
    const s = readAccounts(h.home);
    expect(s.active).toBe("B");
    expect(s.accounts[1]!.auth).toEqual(chatgptAuth("bob", 2));
  });

  it("usage updates heal too when told where CODEX_HOME is", async () => {
    cutSwitch(1);
    expect(await markCoolingDown(h.home, "A", Date.parse("2030-01-01T00:00:00Z"), {}, { codexHome: h.codexHome })).toBe(true);
    const s = readAccounts(h.home);
    expect(s.active).toBe("B");
    expect(s.accounts[0]!.coolingDownUntil).toBe("2030-01-01T00:00:00.000Z");
  });

  it("a foreign login in auth.json is never a reason to change `active`", async () => {
    writeStoreRaw(h.home, store("A"));
    fs.writeFileSync(authFile(), JSON.stringify(chatgptAuth("zed", 1)), { mode: 0o600 });
    const before = fs.readFileSync(path.join(h.home, "accounts.json"));
    await updateAccounts(h.home, () => undefined, {}, { codexHome: h.codexHome });
    expect(await syncBack({ home: h.home, codexHome: h.codexHome, retry: fast })).toEqual({ status: "foreign", email: "zed@example.com" });
    expect(fs.readFileSync(path.join(h.home, "accounts.json")).equals(before)).toBe(true);
  });
});
