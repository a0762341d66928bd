// `accounts add` interrupted by a real signal (SIGINT, SIGTERM, SIGHUP) while `codex login` runs: the
// login child's whole tree is ended (identity-verified, escalating past children that ignore signals),
// the temporary CODEX_HOME with its full tokens is removed, nothing is stored, and the exit status is
// 128 + the signal. A SIGKILLed `accounts add` cannot clean up: the next one removes what it left.
// Also --device-auth reaching codex, and codex's login chatter shown only on failure.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCli, startCli, type RunningCli } from "../helpers/cli.js";
import { REAL_CODEX_LAUNCHER } from "../helpers/codex-home.js";
import { cleanEnv } from "../helpers/env.js";
import { pollUntil } from "../helpers/poll.js";
import { expectNoLeftovers, findProcessesByEnv, killTracked, track, type TrackedProcess } from "../helpers/processes.js";
import { chatgptAuth } from "./fixtures.js";
import { allFiles, makeHomes, type Homes } from "./helpers.js";

let h: Homes;
const tracked: TrackedProcess[] = [];
beforeEach(() => {
  h = makeHomes();
});
afterEach(async () => {
  killTracked(tracked);
  await expectNoLeftovers(tracked.splice(0));
  h.cleanup();
});

/**
 * A stand-in `codex`: `login` writes full tokens into its CODEX_HOME, starts a grandchild, reports
 * both pids, then waits (ignoring SIGINT and SIGTERM when STANDIN_STUBBORN is set). Other modes:
 * STANDIN_WRITE_AND_EXIT=1 logs in and exits 0; STANDIN_CHATTER=<n> prints chatter and exits n.
 */
function standIn(): string {
  const bin = path.join(h.root, "codex-standin.mjs");
  fs.writeFileSync(
    bin,
    `#!${process.execPath}
import { spawn } from "node:child_process";
import fs from "node:fs";
const home = process.env.CODEX_HOME;
fs.writeFileSync(process.env.STANDIN_ARGV, JSON.stringify(process.argv.slice(2)));
if (process.env.STANDIN_CHATTER) {
  console.log("Reading API key from stdin...");
  console.error("login chatter: something went wrong");
  process.exit(Number(process.env.STANDIN_CHATTER));
}
fs.writeFileSync(home + "/auth.json", process.env.STANDIN_AUTH, { mode: 0o600 });
if (process.env.STANDIN_WRITE_AND_EXIT) {
  if (process.env.STANDIN_CHATTY_OK) console.log("API key saved. Authentication is checked when you send a request.");
  process.exit(0);
}
if (process.env.STANDIN_STUBBORN) for (const s of ["SIGINT", "SIGTERM"]) process.on(s, () => {});
const grandchild = spawn(process.execPath, ["-e", "setInterval(() => {}, 1 << 30)"], { stdio: "ignore" });
fs.writeFileSync(process.env.STANDIN_REPORT + ".tmp", JSON.stringify({ child: process.pid, grandchild: grandchild.pid }));
fs.renameSync(process.env.STANDIN_REPORT + ".tmp", process.env.STANDIN_REPORT);
setInterval(() => {}, 1 << 30);
`,
    { mode: 0o755 },
  );
  return bin;
}

function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return cleanEnv({
    CODEX_HOME: h.codexHome,
    CODEX_AUTH_SUPERVISOR_HOME: h.home,
    CODEX_AUTH_REAL_CODEX_BIN: standIn(),
    STANDIN_AUTH: JSON.stringify(chatgptAuth("lou", 1)),
    STANDIN_REPORT: path.join(h.root, "report.json"),
    STANDIN_ARGV: path.join(h.root, "argv.json"),
    ...extra,
  });
}

function startAdd(e: NodeJS.ProcessEnv, name = "lou"): RunningCli {
  const run = startCli(["accounts", "add", name], e);
  tracked.push(track(run.pid)!);
  return run;
}

const loginDirs = () => fs.readdirSync(h.home).filter((n) => n.startsWith("login-"));

async function loginRunning(reportFile: string): Promise<TrackedProcess[]> {
  const report = await pollUntil(() => (fs.existsSync(reportFile) ? (JSON.parse(fs.readFileSync(reportFile, "utf8")) as { child: number; grandchild: number }) : undefined), 15_000, "the stand-in login to start");
  const procs = [track(report.child), track(report.grandchild)].filter((p): p is TrackedProcess => p !== null);
  expect(procs).toHaveLength(2);
  tracked.push(...procs);
  // The temporary CODEX_HOME holds full tokens now.
  const [dir] = loginDirs();
  expect(fs.readFileSync(path.join(h.home, dir!, "auth.json"), "utf8")).toContain("SECRET-REFRESH-lou-1");
  return procs;
}

describe("accounts add interrupted by a signal", () => {
  for (const [sig, stubborn] of [
    ["SIGINT", false],
    ["SIGTERM", false],
    ["SIGHUP", false],
    ["SIGHUP", true],
  ] as const) {
    it(`${sig}${stubborn ? " with a login that ignores SIGINT and SIGTERM" : ""}: login tree ended, temporary CODEX_HOME removed, nothing stored, exit 128+n`, async () => {
      const e = env(stubborn ? { STANDIN_STUBBORN: "1" } : {});
      const run = startAdd(e);
      const procs = await loginRunning(e.STANDIN_REPORT!);
      run.child.kill(sig); // to our process alone: the login child does not get it from a terminal
      const end = await run.exited;
      expect(end).toEqual({ code: 128 + os.constants.signals[sig], signal: null });
      expect(run.stderr()).toContain(`codex login interrupted by ${sig}: the login was ended and its temporary CODEX_HOME removed; no account was added`);
      await expectNoLeftovers(procs, 1000);
      expect(loginDirs()).toEqual([]);
      expect(fs.existsSync(path.join(h.home, "accounts.json"))).toBe(false);
      expect(allFiles(h.home).some((f) => f.text.includes("SECRET-REFRESH-lou"))).toBe(false);
    });
  }

  it("SIGKILL cannot be caught: the next accounts add removes the directory left behind (its owner is gone)", async () => {
    const e = env();
    const run = startAdd(e);
    const procs = await loginRunning(e.STANDIN_REPORT!);
    run.child.kill("SIGKILL");
    await run.exited;
    expect(loginDirs()).toHaveLength(1);
    killTracked(procs); // the orphaned stand-in: ours to end, by identity
    await expectNoLeftovers(procs);
    const next = await runCli(["accounts", "add", "lou"], env({ STANDIN_WRITE_AND_EXIT: "1" }));
    expect(next.code, next.stderr).toBe(0);
    expect(loginDirs()).toEqual([]);
  });

  it("the real codex login (waiting for its browser callback), SIGTERM: it is ended and the directory removed", async () => {
    const e = cleanEnv({ CODEX_HOME: h.codexHome, CODEX_AUTH_SUPERVISOR_HOME: h.home, CODEX_AUTH_REAL_CODEX_BIN: REAL_CODEX_LAUNCHER });
    const run = startAdd(e, "real");
    const out = () => run.stdout() + run.stderr();
    await pollUntil(() => (/navigate to this URL/.test(out()) ? true : undefined), 20_000, `codex login to wait for its callback (output: ${out()})`);
    const [dir] = loginDirs();
    const login = findProcessesByEnv("CODEX_HOME", path.join(h.home, dir!));
    expect(login.length).toBeGreaterThan(0);
    tracked.push(...login);
    run.child.kill("SIGTERM");
    expect((await run.exited).code).toBe(143);
    await expectNoLeftovers(login, 1000);
    expect(loginDirs()).toEqual([]);
  });
});

describe("accounts add: --device-auth, and codex's login chatter", () => {
  it("--device-auth is passed to codex login", async () => {
    const e = env({ STANDIN_WRITE_AND_EXIT: "1" });
    const r = await runCli(["accounts", "add", "lou", "--device-auth"], e);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(fs.readFileSync(e.STANDIN_ARGV!, "utf8"))).toEqual(["login", "-c", 'cli_auth_credentials_store="file"', "--device-auth"]);
    const both = await runCli(["accounts", "add", "x", "--device-auth", "--api-key-env", "K"], e);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain("cannot be used together");
  });

  it("a key login's chatter is hidden when it works, shown (without the key) when it fails", async () => {
    const ok = await runCli(["accounts", "add", "k1", "--api-key-env", "CS_KEY"], env({ CS_KEY: "sk-SECRET-KEY-chat", STANDIN_WRITE_AND_EXIT: "1", STANDIN_CHATTY_OK: "1", STANDIN_AUTH: JSON.stringify({ OPENAI_API_KEY: "sk-SECRET-KEY-chat" }) }));
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toBe("added account 'k1' (api-key)\n");
    expect(ok.stderr).not.toContain("API key saved");
    const failed = await runCli(["accounts", "add", "k2", "--api-key-env", "CS_KEY"], env({ CS_KEY: "sk-SECRET-KEY-chat2", STANDIN_CHATTER: "4" }));
    expect(failed.code).toBe(4);
    expect(failed.stderr).toContain("codex login exited with status 4; no account was added:\nReading API key from stdin...");
    expect(failed.stderr).toContain("login chatter: something went wrong");
    expect(failed.stderr + failed.stdout).not.toContain("SECRET-KEY");
  });

  it("the real codex --with-api-key: its 'Reading API key from stdin...' is not shown", async () => {
    const r = await runCli(["accounts", "add", "work", "--api-key-env", "CS_KEY"], cleanEnv({ CODEX_HOME: h.codexHome, CODEX_AUTH_SUPERVISOR_HOME: h.home, CODEX_AUTH_REAL_CODEX_BIN: REAL_CODEX_LAUNCHER, CS_KEY: "sk-SECRET-KEY-real" }));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe("added account 'work' (api-key)\n");
    expect(r.stderr).toBe("make it the active account with: codex-supervisor accounts use work\n");
  });
});
