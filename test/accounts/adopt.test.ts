// A login is never thrown away, through the real CLI: `accounts import`, `accounts
// use --force` over a login of no stored account (kept under a generated name) or an unreadable
// auth.json (moved aside), and `accounts remove` of the account auth.json holds (a state `accounts
// use <other>` and rotation accept). The first two `use --force` and `remove` cases failed before.
import fs from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { nameForLogin } from "../../lib/accounts/adopt.js";
import { emptyAccountsFile, type AccountsFile, type AuthBlob } from "../../lib/accounts/schema.js";
import { findAccount, readAccounts } from "../../lib/accounts/store.js";
import { defaultConfig } from "../../lib/config/schema.js";
import { realAccountPorts } from "../../lib/supervisor/account-ports.js";
import { planRotation } from "../../lib/supervisor/rotation-policy.js";
import { CLI_BIN, runCli } from "../helpers/cli.js";
import { cleanEnv } from "../helpers/env.js";
import { shellRun, startShell } from "../helpers/tmux.js";
import { account, apiKeyAuth, chatgptAuth, idToken } from "./fixtures.js";
import { allFiles, makeHomes, mode, writeStoreRaw, type Homes } from "./helpers.js";

let h: Homes;
beforeEach(() => {
  h = makeHomes();
});
afterEach(() => h.cleanup());

const authFile = () => path.join(h.codexHome, "auth.json");
const putAuth = (a: unknown) => fs.writeFileSync(authFile(), typeof a === "string" ? a : JSON.stringify(a), { mode: 0o600 });
const readAuth = () => JSON.parse(fs.readFileSync(authFile(), "utf8")) as AuthBlob;
const store = () => readAccounts(h.home);
const cli = (...args: string[]) => runCli(["accounts", ...args], cleanEnv({ CODEX_HOME: h.codexHome, CODEX_AUTH_SUPERVISOR_HOME: h.home }));
const seed = (active: string | null, ...accounts: ReturnType<typeof account>[]) => writeStoreRaw(h.home, { ...emptyAccountsFile(), active, accounts });
const alpha = () => account("alpha", { kind: "chatgpt", auth: chatgptAuth("amy", 1) });
const beta = () => account("beta", { kind: "chatgpt", auth: chatgptAuth("bob", 1) });

describe("nameForLogin (pure)", () => {
  const s = (...names: string[]): AccountsFile => ({ ...emptyAccountsFile(), accounts: names.map((n) => account(n)) });
  it("the email's local part, else api-key / chatgpt, made unique", () => {
    expect(nameForLogin(s(), chatgptAuth("amy"))).toBe("amy");
    expect(nameForLogin(s("amy", "amy-2"), chatgptAuth("amy"))).toBe("amy-3");
    expect(nameForLogin(s(), apiKeyAuth("k"))).toBe("api-key");
    expect(nameForLogin(s("api-key"), apiKeyAuth("k"))).toBe("api-key-2");
    const odd = chatgptAuth("x");
    odd.tokens!.id_token = idToken({ email: "__Ann Lee!@corp.example", accountId: "acct-x" });
    expect(nameForLogin(s(), odd)).toBe("Ann-Lee-");
    const none = chatgptAuth("x");
    none.tokens!.id_token = idToken({ accountId: "acct-x" });
    expect(nameForLogin(s(), none)).toBe("chatgpt");
  });
});

describe("accounts import", () => {
  it("adopts the login auth.json holds as the first account, active; again → says it is stored", async () => {
    putAuth(chatgptAuth("amy", 1));
    const r = await cli("import");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`imported the login in ${authFile()} as account 'amy' (chatgpt, amy@example.com, plus); it is the active account\n`);
    expect(store()).toMatchObject({ active: "amy", accounts: [{ name: "amy", kind: "chatgpt", auth: chatgptAuth("amy", 1) }] });
    expect(mode(path.join(h.home, "accounts.json"))).toBe(0o600);
    const again = await cli("import", "other-name");
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("is already stored as account 'amy'");
    expect(store().accounts).toHaveLength(1);
  });

  it("a newer copy of a stored login: named, and the newer tokens are stored", async () => {
    seed("alpha", alpha());
    putAuth(chatgptAuth("amy", 2));
    const r = await cli("import");
    expect(r.stdout).toContain("already stored as account 'alpha'");
    expect(findAccount(store(), "alpha")!.auth.tokens!.refresh_token).toBe("SECRET-REFRESH-amy-2");
  });

  it("a given name; an API key; errors name the file or the flag", async () => {
    putAuth(apiKeyAuth("kay"));
    expect((await cli("import", "work")).stdout).toContain("as account 'work' (api-key)");
    putAuth(chatgptAuth("amy"));
    expect((await cli("import", "work")).code).toBe(2);
    expect((await cli("import", "sk-SECRET-KEY-oops")).stderr).toContain("looks like an API key");
    expect((await cli("import", "a", "b")).code).toBe(2);
    fs.rmSync(authFile());
    const missing = await cli("import");
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`${authFile()} does not exist`);
    putAuth('{"tokens": ');
    const bad = await cli("import");
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(authFile());
    expect(bad.stderr).not.toContain("SECRET");
  });
});

describe("accounts use --force never throws a login away", () => {
  it("a login of no stored account is kept under a generated name first, and says so", async () => {
    seed("alpha", alpha(), beta());
    putAuth(chatgptAuth("zed", 4));
    const r = await cli("use", "beta", "--force");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("CODEX_HOME/auth.json held a login that was not in the store; it is kept as account 'zed' (disabled: `codex-supervisor accounts enable zed` lets rotation use it)");
    expect(readAuth()).toEqual(chatgptAuth("bob", 1));
    const s = store();
    expect(s.active).toBe("beta");
    expect(findAccount(s, "zed")).toMatchObject({ kind: "chatgpt", auth: chatgptAuth("zed", 4), identity: { email: "zed@example.com" }, enabled: false });
    // It can come back.
    expect((await cli("enable", "zed")).code).toBe(0);
    expect((await cli("use", "zed")).code).toBe(0);
    expect(readAuth()).toEqual(chatgptAuth("zed", 4));
  });

  it("an unreadable auth.json is moved aside (content and mode kept), not deleted", async () => {
    seed("alpha", alpha(), beta());
    const text = '{"tokens": {"refresh_token": "SECRET-REFRESH-only-copy"';
    putAuth(text);
    const refused = await cli("use", "beta");
    expect(refused.code).toBe(1);
    const r = await cli("use", "beta", "--force");
    expect(r.code, r.stderr).toBe(0);
    const aside = /moved aside to (\S+)/.exec(r.stderr)?.[1];
    expect(aside).toBeDefined();
    expect(path.dirname(aside!)).toBe(h.codexHome);
    expect(fs.readFileSync(aside!, "utf8")).toBe(text);
    expect(mode(aside!)).toBe(0o600);
    expect(readAuth()).toEqual(chatgptAuth("bob", 1));
  });
});

describe("accounts remove of the login auth.json holds", () => {
  it("auth.json moves to the best other enabled account; `accounts use` and rotation keep working", async () => {
    const tired = beta();
    tired.usage = { primaryUsedPercent: 97, primaryWindowMinutes: 300, observedAt: new Date().toISOString() };
    seed("alpha", alpha(), tired, account("K", { auth: apiKeyAuth("kay") }), account("D", { auth: apiKeyAuth("dee"), enabled: false }));
    putAuth(chatgptAuth("amy", 2)); // codex refreshed alpha meanwhile
    const r = await cli("remove", "alpha", "--yes");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("it was the login in CODEX_HOME/auth.json; that is now 'K'");
    expect(readAuth()).toEqual(apiKeyAuth("kay"));
    expect(store().active).toBe("K");
    expect(findAccount(store(), "alpha")).toBeUndefined();
    expect((await cli("use", "beta")).code).toBe(0);
    // Rotation (the supervisor's account ports) plans and switches as usual.
    const ports = realAccountPorts({ home: h.home, codexHome: h.codexHome, config: defaultConfig() }, () => {});
    const snap = await ports.snapshot();
    expect(snap.login).toMatchObject({ kind: "ok", owner: "beta" });
    const due = { kind: "rotate" as const, reason: "test", trigger: "threshold" as const, coolDownUntil: null };
    expect(planRotation({ snapshot: snap, leaving: "beta", due, now: Date.now(), rotateAtRemainingPercent: 5, whenAllExhausted: "wait" })).toMatchObject({ kind: "switch", to: "K" });
    expect(await ports.switchTo("K", "beta", null)).toEqual({ kind: "switched" });
    expect(readAuth()).toEqual(apiKeyAuth("kay"));
  });

  it("the only account: codex stays logged in; a later `accounts use <other>` replaces exactly that login", async () => {
    seed("alpha", alpha());
    putAuth(chatgptAuth("amy", 1));
    const r = await cli("remove", "alpha", "--yes");
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("still holds its login");
    expect(readAuth()).toEqual(chatgptAuth("amy", 1));
    fs.writeFileSync(path.join(h.root, "bob.json"), JSON.stringify(chatgptAuth("bob", 1)));
    expect((await cli("add", "beta", "--from-file", path.join(h.root, "bob.json"))).code).toBe(0);
    const use = await cli("use", "beta");
    expect(use.code, use.stderr).toBe(0);
    expect(readAuth()).toEqual(chatgptAuth("bob", 1));
    expect(store().releasedLogins ?? []).toEqual([]);
    // Nothing of the removed login is kept anywhere of ours.
    expect(allFiles(h.home).some((f) => f.text.includes("SECRET-REFRESH-amy"))).toBe(false);
  });

  it("…but once codex refreshed that login it is a live login again: protected as foreign", async () => {
    seed("alpha", alpha());
    putAuth(chatgptAuth("amy", 1));
    expect((await cli("remove", "alpha", "--yes")).code).toBe(0);
    putAuth(chatgptAuth("amy", 2)); // a running codex refreshed it
    fs.writeFileSync(path.join(h.root, "bob.json"), JSON.stringify(chatgptAuth("bob", 1)));
    expect((await cli("add", "beta", "--from-file", path.join(h.root, "bob.json"))).code).toBe(0);
    const use = await cli("use", "beta");
    expect(use.code).toBe(2);
    expect(use.stderr).toContain("accounts import");
    expect(readAuth()).toEqual(chatgptAuth("amy", 2));
  });

  it("removing an account auth.json does not hold leaves auth.json alone", async () => {
    seed("alpha", alpha(), beta());
    putAuth(chatgptAuth("amy", 1));
    const ino = fs.statSync(authFile()).ino;
    const r = await cli("remove", "beta", "--yes");
    expect([r.code, r.stderr]).toEqual([0, ""]);
    expect(fs.statSync(authFile()).ino).toBe(ino);
    expect(store()).toMatchObject({ active: "alpha", accounts: [{ name: "alpha" }] });
  });
});

describe("accounts remove asks first on a terminal", () => {
  it("no terminal and no --yes: usage error, nothing removed", async () => {
    seed("alpha", alpha(), beta());
    const r = await cli("remove", "beta");
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("pass --yes to confirm");
    expect(store().accounts.map((a) => a.name)).toEqual(["alpha", "beta"]);
  });

  it("on a terminal (tmux): n keeps the account, y removes it", async () => {
    seed("alpha", alpha(), beta());
    putAuth(chatgptAuth("amy", 1));
    const e = cleanEnv({ CODEX_HOME: h.codexHome, CODEX_AUTH_SUPERVISOR_HOME: h.home });
    const t = startShell({ env: e, cwd: h.root, cols: 160, rows: 20 });
    try {
      await t.waitFor(/READY\$ $/m, 10_000);
      const cmd = `${process.execPath} ${CLI_BIN} accounts remove beta; echo "EXIT=$?"`;
      await shellRun(t, cmd, /Remove account 'beta' \(chatgpt\)\? Its stored credentials are deleted\. \[y\/N\] $/m);
      t.sendText("n");
      t.sendKeys("Enter");
      await t.waitFor(/'beta' was not removed\s+EXIT=1/, 10_000);
      expect(store().accounts.map((a) => a.name)).toEqual(["alpha", "beta"]);
      t.sendKeys("C-l");
      await shellRun(t, cmd, /\[y\/N\] $/m);
      t.sendText("y");
      t.sendKeys("Enter");
      await t.waitFor(/removed account 'beta'\s+EXIT=0/, 10_000);
      expect(store().accounts.map((a) => a.name)).toEqual(["alpha"]);
    } finally {
      t.kill();
    }
  });
});
