// `codex-supervisor accounts ...` as real processes (compiled dist/; build first).
import fs from "node:fs";
import path from "node:path";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { LIST_FIELDS } from "../../lib/accounts/view.js";
import { emptyAccountsFile, type AccountsFile } from "../../lib/accounts/schema.js";
import { account, apiKeyAuth, chatgptAuth, SECRET_MARKERS } from "../accounts/fixtures.js";
import { allFiles, makeHomes, writeStoreRaw, type Homes } from "../accounts/helpers.js";
import { liveCliPids, runCli, type CliResult } from "../helpers/cli.js";
import { REAL_CODEX_NATIVE, REPO_ROOT } from "../helpers/codex-home.js";
import { cleanEnv } from "../helpers/env.js";

let h: Homes;
/** Everything any command printed in this test, for the leak check. */
let printed: string[];

/** The pinned codex's native binary is the "real codex" (no launcher in between). */
const baseEnv = (extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv =>
  cleanEnv({ CODEX_HOME: h.codexHome, CODEX_AUTH_SUPERVISOR_HOME: h.home, CODEX_AUTH_REAL_CODEX_BIN: REAL_CODEX_NATIVE, ...extra });

async function cli(args: string[], extraEnv: Record<string, string | undefined> = {}): Promise<CliResult> {
  const r = await runCli(args, baseEnv(extraEnv));
  printed.push(r.stdout, r.stderr);
  return r;
}

const storeFile = () => path.join(h.home, "accounts.json");
const authFile = () => path.join(h.codexHome, "auth.json");
const snapshot = () => ({
  store: fs.existsSync(storeFile()) ? fs.readFileSync(storeFile(), "utf8") : null,
  auth: fs.existsSync(authFile()) ? fs.readFileSync(authFile(), "utf8") : null,
  homeEntries: fs.existsSync(h.home) ? fs.readdirSync(h.home).sort() : [],
});

function seed(active: string | null = "A"): AccountsFile {
  const s: AccountsFile = {
    ...emptyAccountsFile(),
    active,
    accounts: [
      account("A", { kind: "chatgpt", auth: chatgptAuth("amy"), identity: { email: "amy@example.com", plan: "plus", accountId: "acct-amy" } }),
      account("B", { kind: "chatgpt", auth: chatgptAuth("bob"), identity: { email: "bob@example.com", plan: "pro", accountId: "acct-bob" } }),
      account("K", { auth: apiKeyAuth("kay") }),
      account("D", { auth: apiKeyAuth("dee"), enabled: false }),
    ],
  };
  writeStoreRaw(h.home, s);
  if (active) fs.writeFileSync(authFile(), JSON.stringify(s.accounts.find((a) => a.name === active)!.auth), { mode: 0o600 });
  return s;
}

function expectNoLeaks(): void {
  for (const text of printed) for (const m of SECRET_MARKERS) expect(text).not.toContain(m);
  for (const root of [h.home, h.codexHome]) {
    for (const f of allFiles(root)) {
      if (f.file === storeFile() || f.file === authFile()) continue;
      for (const m of SECRET_MARKERS) expect(`${f.file}: ${f.text.includes(m) ? m : ""}`).toBe(`${f.file}: `);
    }
  }
}

beforeAll(() => {
  expect(fs.existsSync(path.join(REPO_ROOT, "dist/cli/commands/accounts.js")), "build first: npx tsc -p .").toBe(true);
});
beforeEach(() => {
  h = makeHomes();
  printed = [];
});
afterEach(() => {
  expect([...liveCliPids]).toEqual([]);
  expectNoLeaks();
  h.cleanup();
});

describe("accounts CLI: every usage error exits 2 and changes nothing", () => {
  const cases: { name: string; args: string[]; env?: Record<string, string>; stderr: RegExp; setup?: () => void }[] = [
    { name: "no subcommand", args: [], stderr: /Usage: codex-supervisor accounts/ },
    { name: "unknown subcommand", args: ["frobnicate"], stderr: /unknown command 'frobnicate'/ },
    { name: "a key as the subcommand is not echoed", args: ["sk-SECRET-KEY-sub"], stderr: /unknown command \(expected/ },
    { name: "add: no name", args: ["add"], stderr: /missing <name>/ },
    { name: "add: duplicate name", args: ["add", "A", "--from-file", "/nonexistent"], stderr: /account named 'A' already exists/ },
    { name: "add: invalid name", args: ["add", "bad/name"], stderr: /invalid account name/ },
    { name: "add: a key as the name", args: ["add", "sk-SECRET-KEY-asname"], stderr: /looks like an API key/ },
    { name: "add: --api-key flag does not exist", args: ["add", "new", "--api-key", "sk-SECRET-KEY-argv"], stderr: /unknown option '--api-key' \(a key is never taken from the command line/ },
    { name: "add: --api-key=... not echoed", args: ["add", "new", "--api-key=sk-SECRET-KEY-argv2"], stderr: /unknown option '--api-key'/ },
    { name: "add: key as an extra argument", args: ["add", "new", "sk-SECRET-KEY-extra"], stderr: /expected one <name>, got 2 arguments/ },
    { name: "add: variable not set", args: ["add", "new", "--api-key-env", "CS_TEST_NO_SUCH_VAR"], stderr: /environment variable CS_TEST_NO_SUCH_VAR is not set/ },
    { name: "add: variable empty", args: ["add", "new", "--api-key-env", "CS_TEST_EMPTY"], env: { CS_TEST_EMPTY: "  " }, stderr: /environment variable CS_TEST_EMPTY is empty/ },
    { name: "add: key given instead of a variable name", args: ["add", "new", "--api-key-env", "sk-SECRET-KEY-asvar"], stderr: /takes the NAME of an environment variable/ },
    { name: "add: both sources", args: ["add", "new", "--from-file", "x.json", "--api-key-env", "V"], stderr: /cannot be used together/ },
    { name: "add: --from-file missing value", args: ["add", "new", "--from-file"], stderr: /--from-file needs a value/ },
    { name: "add: --from-file no such file", args: ["add", "new", "--from-file", "/nonexistent/auth.json"], stderr: /--from-file \/nonexistent\/auth\.json: no such file/ },
    { name: "use: unknown", args: ["use", "nobody"], stderr: /no account named 'nobody'/ },
    { name: "use: disabled", args: ["use", "D"], stderr: /account 'D' is disabled/ },
    { name: "use: no name", args: ["use"], stderr: /missing <name>/ },
    { name: "remove: unknown", args: ["remove", "nobody"], stderr: /no account named 'nobody'/ },
    { name: "enable: unknown", args: ["enable", "nobody"], stderr: /no account named 'nobody'/ },
    { name: "disable: unknown", args: ["disable", "nobody"], stderr: /no account named 'nobody'/ },
    { name: "list: extra argument", args: ["list", "x"], stderr: /unexpected argument/ },
    { name: "list: unknown option", args: ["list", "--yaml"], stderr: /unknown option '--yaml'/ },
    { name: "use --force=1", args: ["use", "B", "--force=1"], stderr: /--force takes no value/ },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      seed();
      c.setup?.();
      const before = snapshot();
      const r = await cli(["accounts", ...c.args], c.env);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(c.stderr);
      expect(r.stdout).toBe("");
      expect(snapshot()).toEqual(before);
    });
  }

  const badFiles: { name: string; content: string; stderr: RegExp }[] = [
    { name: "empty", content: "", stderr: /the file is empty/ },
    { name: "not JSON (with a key in it, not echoed)", content: '{"OPENAI_API_KEY": "sk-SECRET-KEY-broken', stderr: /not valid JSON/ },
    { name: "no credentials", content: JSON.stringify({ auth_mode: "apikey", OPENAI_API_KEY: null }), stderr: /not a codex auth\.json: .*neither `tokens`/ },
    { name: "tokens incomplete", content: JSON.stringify({ tokens: { id_token: "x", access_token: "SECRET-ACCESS-partial" } }), stderr: /tokens\.refresh_token/ },
    { name: "same login as an existing account", content: JSON.stringify(chatgptAuth("amy", 9)), stderr: /already stored as account 'A'/ },
    { name: "same API key as an existing account", content: JSON.stringify(apiKeyAuth("kay")), stderr: /already stored as account 'K'/ },
  ];
  for (const b of badFiles) {
    it(`add --from-file: ${b.name}`, async () => {
      seed();
      const f = path.join(h.root, "given-auth.json");
      fs.writeFileSync(f, b.content);
      const before = snapshot();
      const r = await cli(["accounts", "add", "new", "--from-file", f]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain(f);
      expect(r.stderr).toMatch(b.stderr);
      expect(snapshot()).toEqual(before);
      fs.rmSync(f);
    });
  }
});

describe("accounts CLI: the happy paths", () => {
  it("help for every command, exit 0", async () => {
    for (const sub of ["add", "list", "use", "remove", "enable", "disable"]) {
      const r = await cli(["accounts", sub, "--help"]);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`Usage: codex-supervisor accounts ${sub}`);
    }
    expect((await cli(["accounts", "--help"])).stdout).toContain("Commands:");
  });

  it("list --json has exactly the documented fields, and no secret", async () => {
    const s = seed("A");
    s.accounts[0]!.usage = { primaryUsedPercent: 96, primaryWindowMinutes: 300, primaryResetsAt: "2030-01-01T00:00:00.000Z", secondaryUsedPercent: 40, observedAt: "2029-12-31T22:00:00.000Z" };
    s.accounts[1]!.coolingDownUntil = "2030-01-02T00:00:00.000Z";
    writeStoreRaw(h.home, s);
    const r = await cli(["accounts", "list", "--json"]);
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.stdout) as Record<string, unknown>[];
    expect(rows).toHaveLength(4);
    for (const row of rows) expect(Object.keys(row)).toEqual([...LIST_FIELDS]);
    expect(rows[0]).toEqual({
      name: "A",
      kind: "chatgpt",
      email: "amy@example.com",
      plan: "plus",
      active: true,
      enabled: true,
      primaryUsedPercent: 96,
      primaryResetsAt: "2030-01-01T00:00:00.000Z",
      secondaryUsedPercent: 40,
      secondaryResetsAt: null,
      coolingDownUntil: null,
    });
    expect(rows[1]).toMatchObject({ name: "B", active: false, coolingDownUntil: "2030-01-02T00:00:00.000Z" });
    expect(rows[3]).toMatchObject({ name: "D", enabled: false });
    const table = await cli(["accounts", "list"]);
    expect(table.stdout).toMatch(/\*\s+A\s+chatgpt\s+amy@example\.com\s+plus\s+96%/);
    expect(table.stdout).toMatch(/D\s+api-key.*disabled/);
  });

  it("add --from-file, use, disable, enable, remove", async () => {
    seed(null);
    const f = path.join(h.root, "carl.json");
    fs.writeFileSync(f, JSON.stringify(chatgptAuth("carl", 1, { plan: "team" })));
    const add = await cli(["accounts", "add", "C", "--from-file", f]);
    expect(add.code).toBe(0);
    expect(add.stdout).toBe("added account 'C' (chatgpt, carl@example.com, team)\n");
    fs.rmSync(f);
    const use = await cli(["accounts", "use", "C"]);
    expect(use.code).toBe(0);
    expect(JSON.parse(fs.readFileSync(authFile(), "utf8"))).toEqual(chatgptAuth("carl", 1, { plan: "team" }));
    expect(fs.statSync(authFile()).mode & 0o777).toBe(0o600);
    expect((await cli(["accounts", "disable", "B"])).stdout).toBe("account 'B' disabled\n");
    expect((await cli(["accounts", "disable", "B"])).stdout).toBe("account 'B' was already disabled\n");
    expect((await cli(["accounts", "enable", "B"])).stdout).toBe("account 'B' enabled\n");
    const rm = await cli(["accounts", "remove", "C", "--yes"]);
    expect(rm.code).toBe(0);
    // auth.json held C: it moves to the best other enabled account, which becomes active.
    const next = /it was the login in CODEX_HOME\/auth\.json; that is now '(\w+)'/.exec(rm.stderr)?.[1];
    expect(next, rm.stderr).toBeDefined();
    const listed = await cli(["accounts", "list", "--json"]);
    expect(listed.code, listed.stderr).toBe(0);
    const rows = JSON.parse(listed.stdout) as { name: string; active: boolean; enabled: boolean }[];
    expect(rows.map((r) => r.name)).toEqual(["A", "B", "K", "D"]);
    expect(rows.filter((r) => r.active).map((r) => r.name)).toEqual([next]);
    expect(rows.find((r) => r.name === next)!.enabled).toBe(true);
  });

  it("enable ends a cool-down (and says so); rotation may choose the account again", async () => {
    const store = seed("A");
    const until = new Date(Date.now() + 3_600_000).toISOString();
    store.accounts.find((a) => a.name === "B")!.coolingDownUntil = until;
    writeStoreRaw(h.home, JSON.stringify(store));
    const r = await cli(["accounts", "enable", "B"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`account 'B' enabled; its cool-down (until ${until}) is cleared\n`);
    const after = JSON.parse(fs.readFileSync(storeFile(), "utf8")) as AccountsFile;
    expect(after.accounts.find((a) => a.name === "B")!.coolingDownUntil).toBeUndefined();
    expect((await cli(["accounts", "enable", "B"])).stdout).toBe("account 'B' was already enabled\n");
  });

  it("use: syncs back the tokens codex refreshed for the active account before switching", async () => {
    seed("A");
    // codex refreshed A's tokens in place.
    const fd = fs.openSync(authFile(), "w");
    fs.writeSync(fd, JSON.stringify(chatgptAuth("amy", 2), null, 2));
    fs.closeSync(fd);
    const r = await cli(["accounts", "use", "B"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("active account: B (was A)\n");
    expect(r.stderr).toContain("synced refreshed credentials back into 'A'");
    const store = JSON.parse(fs.readFileSync(storeFile(), "utf8")) as AccountsFile;
    expect(store.accounts.find((a) => a.name === "A")!.auth).toEqual(chatgptAuth("amy", 2));
    expect(JSON.parse(fs.readFileSync(authFile(), "utf8"))).toEqual(chatgptAuth("bob", 1));
  });

  it("use: a login that is not in the store is kept unless --force", async () => {
    seed("A");
    fs.writeFileSync(authFile(), JSON.stringify(chatgptAuth("zed")), { mode: 0o600 });
    const before = snapshot();
    const r = await cli(["accounts", "use", "B"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("zed@example.com");
    expect(r.stderr).toContain("--force");
    expect(snapshot()).toEqual(before);
    const forced = await cli(["accounts", "use", "B", "--force"]);
    expect(forced.code).toBe(0);
    expect(JSON.parse(fs.readFileSync(authFile(), "utf8"))).toEqual(chatgptAuth("bob", 1));
  });
});

describe("accounts add through the real `codex login --with-api-key` (offline)", () => {
  it("stores exactly what codex wrote; the key travels by stdin; the temp CODEX_HOME is removed", async () => {
    const r = await cli(["accounts", "add", "work", "--api-key-env", "CS_TEST_KEY"], { CS_TEST_KEY: "sk-SECRET-KEY-work" });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("added account 'work' (api-key)\n");
    const store = JSON.parse(fs.readFileSync(storeFile(), "utf8")) as AccountsFile;
    expect(store.accounts).toHaveLength(1);
    expect(store.accounts[0]!.auth).toEqual({ auth_mode: "apikey", OPENAI_API_KEY: "sk-SECRET-KEY-work" });
    expect(store.accounts[0]!.kind).toBe("api-key");
    expect(fs.readdirSync(h.home).sort()).toEqual(["accounts.json"]);
    expect(fs.existsSync(authFile())).toBe(false); // the user's own CODEX_HOME was not touched
    // The same key again is the same login.
    const again = await cli(["accounts", "add", "work2", "--api-key-env", "CS_TEST_KEY"], { CS_TEST_KEY: "sk-SECRET-KEY-work" });
    expect(again.code).toBe(2);
    expect(again.stderr).toContain("already stored as account 'work'");
    expect(fs.readdirSync(h.home).sort()).toEqual(["accounts.json"]);
  });

  it("a real codex that cannot be found: exit 127 naming what was searched, nothing stored", async () => {
    const r = await cli(["accounts", "add", "work", "--api-key-env", "CS_TEST_KEY"], {
      CS_TEST_KEY: "sk-SECRET-KEY-work",
      CODEX_AUTH_REAL_CODEX_BIN: path.join(h.root, "no-codex-here"),
    });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("no-codex-here");
    expect(fs.existsSync(storeFile())).toBe(false);
  });
});

describe("accounts add with the interactive `codex login` (a stand-in codex: the real one needs a browser)", () => {
  function standIn(): { bin: string; log: string; auth: string } {
    const bin = path.join(h.root, "codex-standin");
    const log = path.join(h.root, "standin.log");
    const auth = path.join(h.root, "standin-auth.json");
    // Records argv and CODEX_HOME, then behaves like a successful ChatGPT login (or exits as told).
    fs.writeFileSync(
      bin,
      [
        "#!/bin/sh",
        'printf "%s\\n" "$@" > "$STANDIN_LOG"',
        'printf "CODEX_HOME=%s\\n" "$CODEX_HOME" >> "$STANDIN_LOG"',
        '[ -n "$STANDIN_EXIT" ] && exit "$STANDIN_EXIT"',
        '[ -n "$STANDIN_NO_WRITE" ] && exit 0',
        'cat "$STANDIN_AUTH" > "$CODEX_HOME/auth.json"',
        "",
      ].join("\n"),
      { mode: 0o755 },
    );
    fs.writeFileSync(auth, JSON.stringify(chatgptAuth("lou", 1, { plan: "pro" })));
    return { bin, log, auth };
  }

  it("runs `codex login` in a fresh CODEX_HOME inside our home, captures its auth.json, removes the directory", async () => {
    seed("A");
    const userAuth = fs.readFileSync(authFile(), "utf8");
    const s = standIn();
    const r = await cli(["accounts", "add", "lou"], { CODEX_AUTH_REAL_CODEX_BIN: s.bin, STANDIN_LOG: s.log, STANDIN_AUTH: s.auth });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe("added account 'lou' (chatgpt, lou@example.com, pro)\n");
    const log = fs.readFileSync(s.log, "utf8").split("\n");
    expect(log.slice(0, 3)).toEqual(["login", "-c", 'cli_auth_credentials_store="file"']);
    const tmpHome = log.find((l) => l.startsWith("CODEX_HOME="))!.slice("CODEX_HOME=".length);
    expect(path.dirname(tmpHome)).toBe(h.home);
    expect(fs.existsSync(tmpHome)).toBe(false);
    expect(fs.readFileSync(authFile(), "utf8")).toBe(userAuth); // the current login is untouched
    const store = JSON.parse(fs.readFileSync(storeFile(), "utf8")) as AccountsFile;
    const lou = store.accounts.find((a) => a.name === "lou")!;
    expect(lou.auth).toEqual(chatgptAuth("lou", 1, { plan: "pro" }));
    expect(lou.identity).toEqual({ email: "lou@example.com", plan: "pro", accountId: "acct-lou", userId: "user-lou" });
    expect(store.active).toBe("A");
    fs.rmSync(s.auth);
  });

  it("a failed login adds nothing and leaves no directory behind", async () => {
    seed("A");
    const s = standIn();
    const before = snapshot();
    const failed = await cli(["accounts", "add", "lou"], { CODEX_AUTH_REAL_CODEX_BIN: s.bin, STANDIN_LOG: s.log, STANDIN_AUTH: s.auth, STANDIN_EXIT: "3" });
    expect(failed.code).toBe(3);
    expect(failed.stderr).toContain("codex login exited with status 3; no account was added");
    expect(snapshot()).toEqual(before);
    const empty = await cli(["accounts", "add", "lou"], { CODEX_AUTH_REAL_CODEX_BIN: s.bin, STANDIN_LOG: s.log, STANDIN_AUTH: s.auth, STANDIN_NO_WRITE: "1" });
    expect(empty.code).toBe(1);
    expect(empty.stderr).toContain("wrote no auth.json");
    expect(snapshot()).toEqual(before);
    fs.rmSync(s.auth);
  });
});

describe("a corrupt store", () => {
  it("is an error naming the file for every accounts command, is never overwritten, and other commands still work", async () => {
    const text = '{"schemaVersion":1,"accounts":[{"name":"A","auth":{"OPENAI_API_KEY":"sk-SECRET-KEY-corrupt';
    writeStoreRaw(h.home, text);
    const f = path.join(h.root, "k.json");
    fs.writeFileSync(f, JSON.stringify(apiKeyAuth("new")));
    for (const args of [["list"], ["list", "--json"], ["use", "A"], ["remove", "A"], ["disable", "A"], ["add", "n", "--from-file", f]]) {
      const r = await cli(["accounts", ...args]);
      expect(r.code, `${args.join(" ")}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toContain(storeFile());
      expect(r.stderr).toContain("left untouched");
    }
    fs.rmSync(f);
    expect(fs.readFileSync(storeFile(), "utf8")).toBe(text);
    expect((await cli(["shellenv"])).code).toBe(0);
    expect((await cli(["accounts", "--help"])).code).toBe(0);
    expect((await cli(["--version"])).code).toBe(0);
  });

  it("a newer schemaVersion is refused, not overwritten", async () => {
    const text = JSON.stringify({ schemaVersion: 7, active: null, accounts: [] });
    writeStoreRaw(h.home, text);
    const r = await cli(["accounts", "list"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/schemaVersion 7 is newer/);
    expect(fs.readFileSync(storeFile(), "utf8")).toBe(text);
  });
});

describe("concurrent `accounts use` from several processes", () => {
  it("leaves a parseable store whose active account matches CODEX_HOME/auth.json", async () => {
    seed("A");
    const names = ["A", "B", "K", "A", "B", "K", "B", "A"];
    const runs = await Promise.all(names.map((n) => cli(["accounts", "use", n])));
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
    const store = JSON.parse(fs.readFileSync(storeFile(), "utf8")) as AccountsFile;
    expect(names).toContain(store.active);
    const active = store.accounts.find((a) => a.name === store.active)!;
    expect(JSON.parse(fs.readFileSync(authFile(), "utf8"))).toEqual(active.auth);
    // Every account still holds its own credentials: no cross-account sync happened.
    expect(store.accounts.find((a) => a.name === "A")!.auth).toEqual(chatgptAuth("amy"));
    expect(store.accounts.find((a) => a.name === "B")!.auth).toEqual(chatgptAuth("bob"));
    expect(store.accounts.find((a) => a.name === "K")!.auth).toEqual(apiKeyAuth("kay"));
    expect(fs.readdirSync(h.home).sort()).toEqual(["accounts.json"]);
  }, 60_000);
});
