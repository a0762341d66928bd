import { errorReport } from "../../lib/cli/error-table.js";
import fs from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AccountsStoreError, readAccounts, updateAccounts } from "../../lib/accounts/store.js";
import { markCoolingDown, recordUsage } from "../../lib/accounts/usage.js";
import { emptyAccountsFile } from "../../lib/accounts/schema.js";
import { account, chatgptAuth } from "./fixtures.js";
import { makeHomes, mode, writeStoreRaw, type Homes } from "./helpers.js";

let h: Homes;
beforeEach(() => {
  h = makeHomes();
});
afterEach(() => h.cleanup());

const file = () => path.join(h.home, "accounts.json");

async function expectStoreError(fn: () => unknown, pattern: RegExp): Promise<AccountsStoreError> {
  let caught: unknown = null;
  try {
    await fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(AccountsStoreError);
  const err = caught as AccountsStoreError;
  expect(err.message).toContain(file());
  expect(err.message).toMatch(pattern);
  expect(errorReport(err).status).toBe(2);
  return err;
}

describe("accounts store", () => {
  it("a missing store is empty and reading it creates nothing", () => {
    expect(readAccounts(h.home)).toEqual(emptyAccountsFile());
    expect(fs.existsSync(h.home)).toBe(false);
  });

  it("writes a 0600 file in a 0700 directory, atomically, and reads it back", async () => {
    await updateAccounts(h.home, (d) => {
      d.accounts.push(account("amy", { kind: "chatgpt", auth: chatgptAuth("amy") }));
    });
    expect(mode(h.home)).toBe(0o700);
    expect(mode(file())).toBe(0o600);
    expect(readAccounts(h.home).accounts.map((a) => a.name)).toEqual(["amy"]);
    // No temp file left behind.
    expect(fs.readdirSync(h.home).filter((n) => n.endsWith(".tmp"))).toEqual([]);
  });

  it("an existing looser mode is tightened to 0600 on write", async () => {
    writeStoreRaw(h.home, emptyAccountsFile());
    fs.chmodSync(file(), 0o644);
    await updateAccounts(h.home, (d) => {
      d.accounts.push(account("k"));
    });
    expect(mode(file())).toBe(0o600);
  });

  it("does not rewrite the file when nothing changed", async () => {
    writeStoreRaw(h.home, { ...emptyAccountsFile(), accounts: [account("k")] });
    const before = fs.statSync(file()).ino;
    const r = await updateAccounts(h.home, (d) => d.accounts.length);
    expect(r).toBe(1);
    expect(fs.statSync(file()).ino).toBe(before);
  });

  it("a throwing update writes nothing", async () => {
    writeStoreRaw(h.home, { ...emptyAccountsFile(), accounts: [account("k")] });
    const text = fs.readFileSync(file(), "utf8");
    await expect(
      updateAccounts(h.home, (d) => {
        d.accounts = [];
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    expect(fs.readFileSync(file(), "utf8")).toBe(text);
  });

  const bad: { name: string; text: string; pattern: RegExp }[] = [
    { name: "empty", text: "", pattern: /the file is empty/ },
    { name: "cut mid-write", text: '{"schemaVersion":1,"active":null,"accounts":[{"name":"a","auth":{"OPENAI_API_KEY":"sk-SECRET-KEY-cut', pattern: /not valid JSON/ },
    { name: "not JSON", text: "sk-SECRET-KEY-plain", pattern: /not valid JSON/ },
    { name: "newer schema", text: JSON.stringify({ schemaVersion: 3, accounts: "whatever" }), pattern: /schemaVersion 3 is newer .* \(2\); upgrade/ },
    { name: "wrong field", text: JSON.stringify({ schemaVersion: 1, active: null, accounts: [{ name: "a", kind: "martian" }] }), pattern: /invalid: accounts\.0\.kind/ },
    { name: "active not in the list", text: JSON.stringify({ schemaVersion: 1, active: "ghost", accounts: [] }), pattern: /active account 'ghost'/ },
    { name: "array", text: "[]", pattern: /invalid/ },
  ];
  for (const b of bad) {
    it(`a corrupt store (${b.name}) is an error naming the file, never overwritten, no secret quoted`, async () => {
      writeStoreRaw(h.home, b.text);
      const err = await expectStoreError(() => readAccounts(h.home), b.pattern);
      expect(err.message).not.toContain("SECRET");
      await expectStoreError(() => updateAccounts(h.home, (d) => void d.accounts.push(account("x"))), b.pattern);
      await expectStoreError(() => recordUsage(h.home, "a", { primary: { usedPercent: 1, windowMinutes: 300, resetsAt: null }, secondary: null }, Date.now()), b.pattern);
      expect(fs.readFileSync(file(), "utf8")).toBe(b.text);
      expect(fs.readdirSync(h.home).sort()).toEqual(["accounts.json"]); // no quarantine copy, no temp
    });
  }

  it("an unreadable store (a directory in its place) is an error naming the file", async () => {
    fs.mkdirSync(file(), { recursive: true });
    await expectStoreError(() => readAccounts(h.home), /cannot be read \(EISDIR\)/);
  });
});

describe("recordUsage / markCoolingDown", () => {
  const rl = (p: number) => ({ primary: { usedPercent: p, windowMinutes: 300, resetsAt: Date.parse("2025-06-01T15:00:00Z") }, secondary: null });
  const t0 = Date.parse("2025-06-01T12:00:00Z");

  it("stores the last seen usage; an older snapshot does not replace a newer one", async () => {
    writeStoreRaw(h.home, { ...emptyAccountsFile(), accounts: [account("a")] });
    expect(await recordUsage(h.home, "a", rl(50), t0 + 1000)).toBe(true);
    expect(await recordUsage(h.home, "a", rl(20), t0)).toBe(false);
    const u = readAccounts(h.home).accounts[0]!.usage;
    expect(u).toEqual({
      observedAt: new Date(t0 + 1000).toISOString(),
      primaryUsedPercent: 50,
      primaryWindowMinutes: 300,
      primaryResetsAt: "2025-06-01T15:00:00.000Z",
    });
    expect(await recordUsage(h.home, "ghost", rl(1), t0)).toBe(false);
  });

  it("marks and clears a cool-down", async () => {
    writeStoreRaw(h.home, { ...emptyAccountsFile(), accounts: [account("a")] });
    expect(await markCoolingDown(h.home, "a", t0)).toBe(true);
    expect(readAccounts(h.home).accounts[0]!.coolingDownUntil).toBe(new Date(t0).toISOString());
    expect(await markCoolingDown(h.home, "a", null)).toBe(true);
    expect(readAccounts(h.home).accounts[0]!.coolingDownUntil).toBeUndefined();
    expect(await markCoolingDown(h.home, "ghost", t0)).toBe(false);
  });
});

describe("strict schema", () => {
  it("an unknown field is an error naming the file and the field; the store is not rewritten", async () => {
    const s = { ...emptyAccountsFile(), accounts: [{ ...account("a"), nickname: "x" }], futureFlag: true };
    writeStoreRaw(h.home, JSON.stringify(s));
    const before = fs.readFileSync(file());
    const err = await expectStoreError(() => readAccounts(h.home), /\(top level\): unknown field "futureFlag"/);
    expect(err.message).toContain('accounts.0: unknown field "nickname"');
    expect(err.message).not.toContain("SECRET");
    await expectStoreError(() => updateAccounts(h.home, (d) => void (d.active = null)), /unknown field "futureFlag"/);
    expect(fs.readFileSync(file()).equals(before)).toBe(true);
  });

  it("unknown fields inside the auth blob are codex's and are kept through our writes", async () => {
    const auth = { ...chatgptAuth("amy"), codex_new_field: { x: 1 } };
    writeStoreRaw(h.home, { ...emptyAccountsFile(), accounts: [account("a", { kind: "chatgpt", auth })] });
    await markCoolingDown(h.home, "a", Date.parse("2025-06-01T12:00:00Z"));
    expect(readAccounts(h.home).accounts[0]!.auth).toEqual(auth);
  });

  it("our own writes produce only fields the schema accepts (every writer, then a strict read)", async () => {
    const { activate, syncBack } = await import("../../lib/accounts/activate.js");
    writeStoreRaw(h.home, { ...emptyAccountsFile(), accounts: [account("a", { kind: "chatgpt", auth: chatgptAuth("amy", 1) }), account("b", { kind: "chatgpt", auth: chatgptAuth("bob", 1) })] });
    await activate({ home: h.home, codexHome: h.codexHome, name: "a" });
    // codex refreshes with an id_token carrying claims we do not model: identity must stay within the schema.
    fs.writeFileSync(path.join(h.codexHome, "auth.json"), JSON.stringify({ ...chatgptAuth("amy", 2, { plan: "pro" }) }));
    expect((await syncBack({ home: h.home, codexHome: h.codexHome })).status).toBe("synced");
    await recordUsage(h.home, "a", { primary: { usedPercent: 5, windowMinutes: 300, resetsAt: Date.parse("2025-06-01T15:00:00Z") }, secondary: { usedPercent: 1, windowMinutes: 10080, resetsAt: Date.parse("2025-06-07T00:00:00Z") } }, Date.parse("2025-06-01T12:00:00Z"));
    await markCoolingDown(h.home, "a", Date.parse("2025-06-01T13:00:00Z"), {}, { codexHome: h.codexHome });
    await activate({ home: h.home, codexHome: h.codexHome, name: "b" });
    const s = readAccounts(h.home);
    expect(s.active).toBe("b");
    expect(s.accounts[0]!.identity.plan).toBe("pro");
    expect(Object.keys(s).sort()).toEqual(["accounts", "active", "schemaVersion"]);
  });
});
