// Fault test: concurrent `accounts use` from several real processes, some SIGKILLed at random moments
// (while waiting for the lock, holding it, between the store write and the auth.json rename…). Between
// rounds "codex" refreshes the active account's tokens in CODEX_HOME/auth.json (in place, as codex
// does), so a refresh token lives only in auth.json until it is synced back.
// After every round, straight after the kills: accounts.json and auth.json parse, no account is lost,
// no account's newest refresh token is lost (it is in the store, or in auth.json for the account
// auth.json belongs to), both files stay 0600. Then one more locked operation (`accounts enable a0`,
// which changes nothing by itself) and the store's active account is the one auth.json belongs to —
// always, no round excused: a writer killed between renaming auth.json and writing the store leaves
// them disagreeing (two files cannot be replaced in one atomic step), and every locked accounts
// operation heals that first (lib/accounts/codex-auth.ts healActive).
//
// Reduced by default (3 rounds × 4 processes, 4 window rounds); FAULTS=1: 25 rounds × 6 processes,
// 20 window rounds. The window rounds kill a process right when it renames auth.json.
import type { ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readAccounts } from "../../lib/accounts/store.js";
import { STALE_TEMP_MIN_AGE_MS } from "../../lib/fs/atomic.js";
import { parseAuthBlob, type AccountsFile, type AuthBlob } from "../../lib/accounts/schema.js";
import { account, chatgptAuth } from "../accounts/fixtures.js";
import { startCli } from "../helpers/cli.js";
import { cleanEnv } from "../helpers/env.js";

const FULL = process.env.FAULTS === "1";
const ROUNDS = FULL ? 25 : 3;
const PROCS = FULL ? 6 : 4;
const WINDOW_ROUNDS = FULL || process.env.STORE_KILL_WINDOW === "1" ? 20 : 4;
const NAMES = ["a0", "a1", "a2", "a3"];

let root: string;
let home: string;
let codexHome: string;
const started = new Set<ChildProcess>();

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "fault-store-"));
  home = path.join(root, "home");
  codexHome = path.join(root, "codex");
  fs.mkdirSync(home, { mode: 0o700 });
  fs.mkdirSync(codexHome, { mode: 0o700 });
});
afterAll(() => {
  const left = [...started].filter((c) => c.exitCode === null && c.signalCode === null).map((c) => c.pid);
  for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  fs.rmSync(root, { recursive: true, force: true });
  // Every process this file started was waited for.
  expect(left).toEqual([]);
});

const env = () => cleanEnv({ CODEX_AUTH_SUPERVISOR_HOME: home, CODEX_HOME: codexHome, CODEX_AUTH_LOCK_STALE_MS: "2000", CODEX_AUTH_LOCK_UPDATE_MS: "1000" });
const authFile = () => path.join(codexHome, "auth.json");
const storeFile = () => path.join(home, "accounts.json");
const refreshOf = (a: AuthBlob) => a.tokens?.refresh_token ?? null;
const ownerName = (a: AuthBlob) => NAMES.find((n) => a.tokens?.account_id === `acct-${n}`) ?? null;

interface Outcome {
  name: string;
  killed: boolean;
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

/** `accounts use <name>`; SIGKILLed after `killAfterMs` (if given) or when `killOn` fires. */
function use(name: string, opts: { killAfterMs?: number; killOn?: (kill: () => void) => void }): Promise<Outcome> {
  return cli(["accounts", "use", name], name, opts);
}

/** A locked accounts operation that changes nothing by itself: only the heal can make it write. */
async function nextLockedOperation(): Promise<void> {
  const o = await cli(["accounts", "enable", "a0"], "a0", {});
  expect(o.code, `accounts enable a0: ${o.stderr}`).toBe(0);
}

async function cli(args: string[], name: string, opts: { killAfterMs?: number; killOn?: (kill: () => void) => void }): Promise<Outcome> {
  const run = startCli(args, env());
  const child = run.child;
  started.add(child);
  let killed = false;
  const kill = () => {
    if (child.exitCode === null && child.signalCode === null) killed = child.kill("SIGKILL") || killed;
  };
  const timer = opts.killAfterMs !== undefined ? setTimeout(kill, opts.killAfterMs) : null;
  opts.killOn?.(kill);
  try {
    const { code, signal, stderr } = await run.done;
    return { name, killed: killed && signal === "SIGKILL", code, signal, stderr };
  } finally {
    if (timer) clearTimeout(timer);
    started.delete(child);
  }
}

/** codex refreshing its tokens: truncate + write in place, a newer generation. */
function codexRefreshes(latest: Map<string, number>): void {
  const cur = parseAuthBlob(JSON.parse(fs.readFileSync(authFile(), "utf8")));
  const owner = ownerName(cur)!;
  const gen = latest.get(owner)! + 1;
  latest.set(owner, gen);
  const fd = fs.openSync(authFile(), "w");
  fs.writeSync(fd, JSON.stringify(chatgptAuth(owner, gen), null, 2));
  fs.closeSync(fd);
}

/**
 * The invariants; returns a description of each violation (empty = all hold). `agreement`: also the
 * store's active account is auth.json's owner (checked after the next locked operation).
 */
function check(latest: Map<string, number>, agreement: boolean): string[] {
  const bad: string[] = [];
  let store: AccountsFile;
  let auth: AuthBlob;
  try {
    store = readAccounts(home);
  } catch (e) {
    return [`accounts.json unusable: ${(e as Error).message}`];
  }
  try {
    auth = parseAuthBlob(JSON.parse(fs.readFileSync(authFile(), "utf8")));
  } catch (e) {
    return [`auth.json unusable: ${(e as Error).message}`];
  }
  const names = store.accounts.map((a) => a.name).sort();
  if (JSON.stringify(names) !== JSON.stringify(NAMES)) bad.push(`accounts lost or added: ${names.join(",")}`);
  const owner = ownerName(auth);
  if (owner === null) bad.push("auth.json belongs to no account");
  if (agreement && store.active !== owner) bad.push(`store says active=${store.active}, auth.json belongs to ${owner}`);
  for (const n of NAMES) {
    const want = `SECRET-REFRESH-${n}-${latest.get(n)}`;
    const stored = store.accounts.find((a) => a.name === n);
    const inStore = stored ? refreshOf(stored.auth) === want : false;
    const inAuth = owner === n && refreshOf(auth) === want;
    if (!inStore && !inAuth) bad.push(`newest refresh token of ${n} (gen ${latest.get(n)}) lost`);
  }
  for (const f of [storeFile(), authFile()]) {
    const m = fs.statSync(f).mode & 0o777;
    if (m !== 0o600) bad.push(`${f} has mode ${m.toString(8)}`);
  }
  return bad;
}

/** Temp files a SIGKILLed writer left behind (it cannot clean up; they hold no half-written target). */
function strayTemps(): string[] {
  return [...fs.readdirSync(home), ...fs.readdirSync(codexHome)].filter((n) => n.endsWith(".tmp"));
}

describe("accounts store under concurrent `accounts use` with SIGKILLs", () => {
  it(`${ROUNDS} rounds × ${PROCS} processes, about half killed at random: both files parse and agree, nothing lost`, async () => {
    const store: AccountsFile = { schemaVersion: 1, active: "a0", accounts: NAMES.map((n) => account(n, { kind: "chatgpt", auth: chatgptAuth(n, 1) })) };
    fs.writeFileSync(storeFile(), JSON.stringify(store, null, 2), { mode: 0o600 });
    fs.writeFileSync(authFile(), JSON.stringify(chatgptAuth("a0", 1), null, 2), { mode: 0o600 });
    const latest = new Map(NAMES.map((n) => [n, 1]));
    let kills = 0;
    let completed = 0;
    let healed = 0;
    const strays = new Set<string>();
    // How long one uncontended switch takes here (node start included), to aim the random kills
    // at the part of a process's life where it works on the files.
    const t0 = Date.now();
    expect((await use("a0", {})).code).toBe(0);
    const T = Date.now() - t0;
    for (let round = 0; round < ROUNDS; round++) {
      codexRefreshes(latest);
      // Kill plans: none (half), a random moment in [0.3T, 1.3T], or just after the storage lock
      // changes hands (someone is inside the critical section: often the victim itself).
      const lockWatch = fs.watch(home);
      const onLockActivity = (kill: () => void) =>
        lockWatch.on("change", (_ev, name) => {
          if (name === "storage.lock") setTimeout(kill, Math.floor(Math.random() * 15));
        });
      const outcomes = await Promise.all(
        Array.from({ length: PROCS }, (_, i) => {
          const r = Math.random();
          const plan = r < 0.5 ? {} : r < 0.75 ? { killAfterMs: Math.floor(T * (0.3 + Math.random())) } : { killOn: onLockActivity };
          return use(NAMES[(round + i) % NAMES.length]!, plan);
        }),
      );
      lockWatch.close();
      for (const o of outcomes) {
        if (o.killed) kills++;
        else {
          // Not killed: it must have finished its switch.
          expect(o.code, `accounts use ${o.name}: ${o.stderr}`).toBe(0);
          completed++;
        }
      }
      const raw = check(latest, false);
      expect(raw, `round ${round}, right after the kills: ${raw.join("; ")}`).toEqual([]);
      if (check(latest, true).length > 0) healed++;
      await nextLockedOperation();
      const bad = check(latest, true);
      expect(bad, `round ${round}, after the next locked operation: ${bad.join("; ")}`).toEqual([]);
      for (const t of strayTemps()) strays.add(t);
    }
    // Make sure the kills actually happened (the test would prove nothing otherwise).
    expect(kills).toBeGreaterThan(0);
    expect(completed).toBeGreaterThan(0);
    console.log(`store-kill: one switch ${T} ms; ${ROUNDS} rounds, ${kills} killed, ${completed} completed, ${healed} rounds healed by the next locked operation, ${strays.size} stray temp files of killed writers (swept by a later write once ${STALE_TEMP_MIN_AGE_MS} ms old)`);
  }, 600_000);

  it(`${WINDOW_ROUNDS} rounds killing a process right as it renames auth.json: no token lost, and the next locked operation makes store and auth.json agree`, async () => {
    const store: AccountsFile = { schemaVersion: 1, active: "a0", accounts: NAMES.map((n) => account(n, { kind: "chatgpt", auth: chatgptAuth(n, 1) })) };
    fs.writeFileSync(storeFile(), JSON.stringify(store, null, 2), { mode: 0o600 });
    fs.writeFileSync(authFile(), JSON.stringify(chatgptAuth("a0", 1), null, 2), { mode: 0o600 });
    const latest = new Map(NAMES.map((n) => [n, 1]));
    const violations: string[] = [];
    let killed = 0;
    let healed = 0;
    for (let round = 0; round < WINDOW_ROUNDS; round++) {
      codexRefreshes(latest);
      const target = NAMES[(round + 1) % NAMES.length]!;
      const watcher = fs.watch(codexHome);
      const o = await use(target, {
        killOn: (kill) =>
          watcher.on("change", (ev, name) => {
            if (ev === "rename" && name === "auth.json") kill();
          }),
      });
      watcher.close();
      if (o.killed) killed++;
      const raw = check(latest, false);
      if (raw.length > 0) violations.push(`round ${round} (use ${target}, killed=${o.killed}), right after: ${raw.join("; ")}`);
      if (check(latest, true).length > 0) healed++;
      await nextLockedOperation();
      const bad = check(latest, true);
      if (bad.length > 0) violations.push(`round ${round} (use ${target}, killed=${o.killed}), after the next locked operation: ${bad.join("; ")}`);
    }
    expect(violations).toEqual([]);
    console.log(`store-kill window: ${WINDOW_ROUNDS} rounds, ${killed} killed at the rename, ${healed} left store and auth.json disagreeing until the next locked operation healed it`);
  }, 600_000);
});
