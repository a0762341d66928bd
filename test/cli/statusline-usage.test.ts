// `statusline` and `usage` with several accounts, through the compiled binary (build first), plus the
// pure views. The statusline reads and never writes, loads no zod and no lock, and marks a session of
// this home that waits for a reset or restarts — only while its supervisor is alive.
import fs from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseAccountsPeek } from "../../lib/cli/accounts-peek.js";
import { statusLineOf, usageRows } from "../../lib/cli/usage-view.js";
import { createJob, updateJob } from "../../lib/jobs/records.js";
import { addAccountHint } from "../../lib/terminal/notify-text.js";
import { cliInHome, runCliSync } from "../helpers/cli.js";
import { REPO_ROOT } from "../helpers/codex-home.js";
import { cleanEnv } from "../helpers/env.js";
import { fakeRef, refOf, tempHome } from "../jobs/helpers.js";

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const SECRET = "SECRET-TOKEN-never-printed";

let home: string;
beforeEach(() => {
  home = tempHome();
});
afterEach(() => fs.rmSync(home, { recursive: true, force: true }));

interface Seed {
  name: string;
  p?: number;
  s?: number;
  pr?: number;
  sr?: number;
  seen?: number;
  enabled?: boolean;
  cool?: number;
}

function store(now: number, active: string | null, seeds: Seed[]): object {
  const iso = (d: number) => new Date(now + d).toISOString();
  return {
    schemaVersion: 1,
    active,
    accounts: seeds.map((x) => ({
      name: x.name,
      kind: "chatgpt",
      auth: { tokens: { id_token: SECRET, access_token: SECRET, refresh_token: SECRET } },
      identity: { email: `${x.name}@example.com` },
      usage: {
        ...(x.p !== undefined ? { primaryUsedPercent: x.p, primaryWindowMinutes: 300 } : {}),
        ...(x.pr !== undefined ? { primaryResetsAt: iso(x.pr) } : {}),
        ...(x.s !== undefined ? { secondaryUsedPercent: x.s, secondaryWindowMinutes: 10080 } : {}),
        ...(x.sr !== undefined ? { secondaryResetsAt: iso(x.sr) } : {}),
        ...(x.seen !== undefined ? { observedAt: iso(-x.seen) } : {}),
      },
      enabled: x.enabled ?? true,
      ...(x.cool !== undefined ? { coolingDownUntil: iso(x.cool) } : {}),
      addedAt: iso(-30 * DAY),
    })),
  };
}

const THREE: Seed[] = [
  { name: "work", p: 42.4, s: 13, pr: 65 * MIN + 30_000, sr: 5 * DAY, seen: 3 * MIN },
  { name: "personal", p: 97, s: 60, pr: -HOUR, sr: 2 * DAY, seen: 2 * HOUR },
  { name: "ci", p: 100, s: 100, pr: 12 * MIN + 30_000, sr: DAY, seen: 10 * MIN, cool: 12 * MIN + 30_000 },
  { name: "old", enabled: false },
];

function writeStore(s: object): string {
  const file = path.join(home, "accounts.json");
  fs.writeFileSync(file, JSON.stringify(s, null, 2), { mode: 0o600 });
  return file;
}

describe("the views (pure)", () => {
  const now = Date.parse("2026-05-01T12:00:00Z");
  const peek = () => parseAccountsPeek("/h/accounts.json", JSON.stringify(store(now, "work", THREE)));

  it("statusline: the active account's use, the time to its earliest reset", () => {
    const v = statusLineOf(peek(), [], now);
    expect(v.text).toBe("work 5h:42% 7d:13% reset:1h05m");
    expect(v).toMatchObject({ account: "work", primaryUsedPercent: 42.4, secondaryUsedPercent: 13, state: "ok", sessions: [] });
    expect(v.nextResetAt).toBe(new Date(now + 65 * MIN + 30_000).toISOString());
  });

  it("a window whose reset has passed counts as 0%; an unknown one as ?", () => {
    const personal = parseAccountsPeek("/f", JSON.stringify(store(now, "personal", THREE)));
    expect(statusLineOf(personal, [], now).text).toBe("personal 5h:0% 7d:60% reset:2d");
    const fresh = parseAccountsPeek("/f", JSON.stringify(store(now, "new", [{ name: "new" }])));
    expect(statusLineOf(fresh, [], now).text).toBe("new 5h:? 7d:?");
    expect(statusLineOf(parseAccountsPeek("/f", JSON.stringify(store(now, null, THREE))), [], now).text).toBe("no active account");
    expect(statusLineOf(parseAccountsPeek("/f", JSON.stringify(store(now, null, []))), [], now).text).toBe("no accounts");
  });

  it("markers: waiting with the time to the earliest reset of any enabled account; restarting", () => {
    const w = { id: "s-1", state: "waiting" as const, account: "work", reason: "waiting for a quota reset", since: "" };
    const r = { id: "s-2", state: "restarting" as const, account: "ci", reason: null, since: "" };
    expect(statusLineOf(peek(), [w], now).text).toBe("work 5h:42% 7d:13% reset:1h05m [waiting 12m]");
    expect(statusLineOf(peek(), [w, { ...w, id: "s-3" }, r], now)).toMatchObject({ state: "waiting", text: expect.stringMatching(/\[2 waiting 12m\] \[restarting\]$/) });
    expect(statusLineOf(peek(), [r], now)).toMatchObject({ state: "restarting", text: "work 5h:42% 7d:13% reset:1h05m [restarting]" });
  });

  it("usage rows keep the stored readings; the add-account hint only when nothing has room", () => {
    const rows = usageRows(peek(), now);
    expect(rows.map((r) => [r.name, r.active, r.enabled])).toEqual([["work", true, true], ["personal", false, true], ["ci", false, true], ["old", false, false]]);
    expect(rows[1]).toMatchObject({ primaryUsedPercent: 97, primaryWindowMinutes: 300, observedAt: new Date(now - 2 * HOUR).toISOString() });
    expect(JSON.stringify(rows)).not.toContain(SECRET);
    expect(addAccountHint(rows, now)).toBeNull();
    const alone = usageRows(parseAccountsPeek("/f", JSON.stringify(store(now, "ci", [THREE[2]!, THREE[3]!]))), now);
    expect(addAccountHint(alone, now)).toBe(
      "account 'ci' is at its limit and there is no other enabled account to switch to (ci has room again in 1d); add one with `codex-supervisor accounts add <name>`",
    );
    const both = usageRows(parseAccountsPeek("/f", JSON.stringify(store(now, "a", [{ name: "a", p: 99, pr: HOUR }, { name: "b", s: 100, sr: 2 * HOUR }]))), now);
    expect(addAccountHint(both, now)).toBeNull(); // 99 % is not the limit...
    expect(addAccountHint(both, now, 95)).toMatch(/^all 2 enabled accounts are at their limit \(a has room again in 1h 00m\)/); // ...unless the loop's threshold says so
  });

  it("a store it cannot use: one error naming the file and the field, never a value", () => {
    const bad = (text: string) => {
      try {
        parseAccountsPeek("/h/accounts.json", text);
      } catch (err) {
        return (err as Error).message;
      }
      return "no error";
    };
    expect(bad("")).toBe("accounts store /h/accounts.json: the file is empty");
    expect(bad(`{"schemaVersion":1,"accounts":[{"name":"x","auth":"${SECRET}"`)).toBe("accounts store /h/accounts.json: not valid JSON");
    expect(bad(JSON.stringify({ schemaVersion: 2, accounts: [] }))).toMatch(/schemaVersion 2 is newer than this codex-supervisor understands/);
    expect(bad(JSON.stringify({ schemaVersion: 1, active: null, accounts: [{ name: "a", usage: { primaryUsedPercent: SECRET } }] }))).toBe(
      "accounts store /h/accounts.json: accounts[0].usage.primaryUsedPercent: expected a number",
    );
    expect(bad(JSON.stringify({ schemaVersion: 1, active: null, accounts: [{ name: "\u001b[31mx" }] }))).toMatch(/accounts\[0\]\.name: expected an account name/);
    expect(bad(JSON.stringify({ schemaVersion: 1, active: "ghost", accounts: [] }))).toMatch(/active: expected one of the listed accounts/);
  });
});

describe("through the binary", () => {
  it("statusline and statusline --json with several accounts; nothing written", async () => {
    const file = writeStore(store(Date.now(), "work", THREE));
    const before = fs.readFileSync(file, "utf8");
    const r = await cliInHome(home, ["statusline"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe("");
    expect(r.stdout).toMatch(/^work 5h:42% 7d:13% reset:1h0[45]m\n$/);
    const j = await cliInHome(home, ["statusline", "--json"]);
    const v = JSON.parse(j.stdout) as Record<string, unknown>;
    expect(Object.keys(v)).toEqual(["account", "primaryUsedPercent", "primaryResetsAt", "secondaryUsedPercent", "secondaryResetsAt", "observedAt", "nextResetAt", "state", "waitUntil", "sessions", "text"]);
    expect(v).toMatchObject({ account: "work", primaryUsedPercent: 42.4, state: "ok" });
    expect(fs.readFileSync(file, "utf8")).toBe(before);
    expect(fs.readdirSync(home).sort()).toEqual(["accounts.json"]);
    for (const out of [r.stdout, j.stdout]) expect(out).not.toContain(SECRET);
  });

  it("marks a waiting session only while its supervisor lives", async () => {
    writeStore(store(Date.now(), "ci", THREE));
    createJob(home, { id: "s-20260501-0000aaaa", kind: "session", supervisor: refOf(), cwd: "/w", argv: [] });
    updateJob(home, "s-20260501-0000aaaa", { status: "restarting", reason: "waiting for a quota reset", account: "ci" });
    createJob(home, { id: "s-20260501-0000bbbb", kind: "session", supervisor: fakeRef(999_999), cwd: "/w", argv: [] });
    updateJob(home, "s-20260501-0000bbbb", { status: "restarting", account: "work" });
    const recordBefore = fs.readFileSync(path.join(home, "jobs", "s-20260501-0000bbbb.json"), "utf8");
    const r = await cliInHome(home, ["statusline"]);
    expect(r.stdout).toMatch(/^ci 5h:100% 7d:100% reset:1[12]m \[waiting 1[12]m\]\n$/);
    const v = JSON.parse((await cliInHome(home, ["statusline", "--json"])).stdout) as { state: string; sessions: unknown[] };
    expect(v.state).toBe("waiting");
    expect(v.sessions).toEqual([{ id: "s-20260501-0000aaaa", state: "waiting", account: "ci", reason: "waiting for a quota reset" }]);
    // The dead one is neither shown nor reconciled (a status line writes nothing).
    expect(fs.readFileSync(path.join(home, "jobs", "s-20260501-0000bbbb.json"), "utf8")).toBe(recordBefore);
  });

  it("usage: a table with every account, at 80 columns; --json", async () => {
    writeStore(store(Date.now(), "work", THREE));
    const r = await cliInHome(home, ["usage"], { COLUMNS: "80" });
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^\s+ACCOUNT\s+5H \(RESETS IN\)\s+7D \(RESETS IN\)\s+SEEN\s+STATE$/);
    expect(lines).toHaveLength(5);
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(80);
    expect(lines[1]).toMatch(/^\*\s+work\s+42% \(1h 0[45]m\)\s+13% \(4d 23h\)\s+3m ago\s+ok$/);
    expect(lines[2]).toMatch(/personal\s+0% \(reset\)\s+60% \(1d 23h\)\s+2h 00m ago\s+ok/);
    expect(lines[3]).toMatch(/ci\s+100% \(1[12]m\)\s+100% \(23h 59m\)\s+10m ago\s+cooling down, in 1[12]m/);
    expect(lines[4]).toMatch(/old\s+-\s+-\s+never\s+disabled/);
    expect(r.stdout).not.toMatch(/\u001b\[/); // not a terminal: no colour
    expect(r.stderr).toBe("");
    const narrow = await cliInHome(home, ["usage"], { COLUMNS: "50" });
    for (const l of narrow.stdout.trimEnd().split("\n")) expect(l.length).toBeLessThanOrEqual(50);
    expect(narrow.stdout).toContain("…");
    const j = JSON.parse((await cliInHome(home, ["usage", "--json"])).stdout) as { name: string }[];
    expect(j.map((x) => x.name)).toEqual(["work", "personal", "ci", "old"]);
    expect(JSON.stringify(j)).not.toContain(SECRET);
    const coloured = await cliInHome(home, ["usage"], { FORCE_COLOR: "1" });
    expect(coloured.stdout).toContain("\u001b[32mok");
  });

  it("usage hints at adding an account when nothing has room", async () => {
    writeStore(store(Date.now(), "ci", [THREE[2]!]));
    const r = await cliInHome(home, ["usage"]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^codex-supervisor: account 'ci' is at its limit .* add one with `codex-supervisor accounts add <name>`\n$/);
  });

  it("a corrupt store: one line naming it, exit 2, the file kept", async () => {
    const file = writeStore(store(Date.now(), "work", THREE));
    fs.writeFileSync(file, '{"schemaVersion": 1, "accounts": [');
    for (const cmd of ["statusline", "usage"]) {
      const r = await cliInHome(home, [cmd]);
      expect(r.code, cmd).toBe(2);
      expect(r.stdout).toBe("");
      expect(r.stderr).toBe(`codex-supervisor: accounts store ${file}: not valid JSON\n`);
    }
    expect(fs.readFileSync(file, "utf8")).toBe('{"schemaVersion": 1, "accounts": [');
    fs.rmSync(file);
    fs.symlinkSync("/etc/hostname", file);
    expect((await cliInHome(home, ["statusline"])).stderr).toContain(`accounts store ${file}: is a symlink (refused)`);
  });

  it("loads neither zod nor the lock", () => {
    writeStore(store(Date.now(), "work", THREE));
    const list = path.join(home, "modules.txt");
    const r = runCliSync(["statusline"], cleanEnv({ HOME: home, CODEX_AUTH_SUPERVISOR_HOME: home, RECORD_MODULES_FILE: list }), {
      nodeArgs: ["--import", path.join(REPO_ROOT, "test", "fixtures", "fake-codex", "record-modules.mjs")],
    });
    expect(r.code, r.stderr).toBe(0);
    const mods = fs.readFileSync(list, "utf8").split("\n").filter(Boolean);
    expect(mods.some((m) => m.endsWith("/dist/cli/commands/statusline.js"))).toBe(true);
    expect(mods.filter((m) => /zod|proper-lockfile|\/dist\/lock\/|\/dist\/config\/|\/dist\/accounts\//.test(m))).toEqual([]);
  });
});
